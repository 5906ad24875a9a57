# Thin wrapper around Meson.  `make` builds build/greywall; `make check`
# runs every test twice (normal build, then ASan+UBSan); `make demo` shows
# the sandbox at work; `make bench` runs bench/startup.py and bench/net.py.
# Missing Debian packages are installed first.
BUILD ?= build
ASAN_BUILD ?= build-asan
PREFIX ?= /usr/local

.PHONY: all deps check demo install install-helper cross-arm64 clean fuzz bench
HELPER_GROUP ?= greywall

all: deps
	@test -f $(BUILD)/build.ninja || meson setup $(BUILD) --prefix=$(PREFIX)
	ninja -C $(BUILD)

deps:
	@scripts/install-deps.sh build

check: all
	@scripts/install-deps.sh test
	@test -f $(ASAN_BUILD)/build.ninja || \
		meson setup $(ASAN_BUILD) -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug
	ninja -C $(ASAN_BUILD)
	scripts/run-tests.sh $(BUILD) $(ASAN_BUILD)

demo: all
	@scripts/install-deps.sh test
	scripts/demo.sh $(BUILD)/greywall

install: all
	meson configure $(BUILD) --prefix=$(PREFIX) >/dev/null
	meson install -C $(BUILD) $(if $(DESTDIR),--destdir $(DESTDIR))

bench: all
	@scripts/install-deps.sh bench
	python3 bench/startup.py $(BUILD)/greywall
	python3 bench/net.py $(BUILD)/greywall

# greywall-netns-helper, next to greywall, with its file capabilities, and
# /run/greywall (now and at boot, through tmpfiles.d); as root.  Users of
# `greywall --no-bwrap --netns` must be members of HELPER_GROUP.
install-helper: all
	@scripts/install-deps.sh helper
	scripts/install-helper.sh $(BUILD)/greywall-netns-helper $(DESTDIR)$(PREFIX)/bin $(HELPER_GROUP)

# A build for 64-bit Arm in build-arm64/ (Debian's cross compiler; the
# seccomp filter generator runs on the build machine).  Nothing is run.
# A release build (-O3): the one `make check` does, so that the warnings
# only an optimised build finds (maybe-uninitialized) fail the suite too.
ARM64_BUILD ?= build-arm64
cross-arm64:
	@scripts/install-deps.sh cross
	@test -f $(ARM64_BUILD)/build.ninja || meson setup $(ARM64_BUILD) --cross-file cross/arm64.ini -Dbuildtype=release
	ninja -C $(ARM64_BUILD)

# libFuzzer builds of the fuzz targets (clang); `make fuzz FUZZ_SECONDS=60`.
FUZZ_SECONDS ?= 30
fuzz:
	@scripts/install-deps.sh fuzz
	scripts/fuzz.sh $(FUZZ_SECONDS)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(ARM64_BUILD) build-fuzz
