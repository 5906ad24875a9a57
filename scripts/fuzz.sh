#!/bin/sh
# fuzz.sh [SECONDS [TARGET...]]: build the fuzz targets (all, or those
# named: sniff http1 ...) with clang's libFuzzer (plus ASan and UBSan) and
# run each for SECONDS on its seed corpus.
set -eu
secs=${1:-30}
[ $# -gt 0 ] && shift
targets=${*:-config cmdpolicy domain socks5 dnsmsg sniff http1}
cd "$(dirname "$0")/.."
[ -f build-fuzz/build.ninja ] || CC=clang meson setup build-fuzz -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug >/dev/null
# seccomp-filter.c links against the BPF that gen-seccomp generates.
ninja -C build-fuzz tools/seccomp-bpf.c >/dev/null
mkdir -p build-fuzz/lf
for t in $targets; do
	clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Isrc -Ibuild-fuzz \
		tests/fuzz/fuzz-$t.c $(ls src/*.c | grep -v greywall.c) build-fuzz/tools/seccomp-bpf.c \
		$(pkg-config --cflags --libs libseccomp json-c libcares) -o build-fuzz/lf/fuzz-$t
	mkdir -p build-fuzz/lf/corpus-$t
	seeds=tests/fuzz/corpus/$t
	[ -d "$seeds" ] || seeds=""
	build-fuzz/lf/fuzz-$t -max_total_time="$secs" build-fuzz/lf/corpus-$t $seeds
done
