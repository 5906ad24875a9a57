#!/bin/sh
# install-deps.sh build|test|fuzz|bench|helper|cross: install the Debian
# packages greywall needs to build (build), to run its test suite (test),
# the libFuzzer builds (fuzz), the benchmarks of bench/ (bench: the peers'
# relay chain, socat + microsocks, and what Anthropic's sandbox-runtime
# needs, which bench/net.py installs with npm), to install
# greywall-netns-helper (helper) or to build for arm64 (cross: adds the
# arm64 architecture to dpkg), when they are missing.
# Uses apt-get as root, or through sudo; says what to install otherwise.
set -eu

build_pkgs="meson ninja-build pkg-config gcc libc6-dev libseccomp-dev libjson-c-dev libc-ares-dev"
test_pkgs="$build_pkgs file bubblewrap microsocks curl python3 git util-linux passwd iproute2 nftables openssl nodejs make libcap2-bin"
helper_pkgs="libcap2-bin passwd"
# make cross-arm64: Debian's cross compiler and the arm64 libraries
# (multiarch), plus the build machine's own tools (gen-seccomp is native).
cross_pkgs="$build_pkgs gcc-aarch64-linux-gnu libc6-dev-arm64-cross libseccomp-dev:arm64 libjson-c-dev:arm64 libc-ares-dev:arm64"
fuzz_pkgs="$build_pkgs clang libclang-rt-14-dev"
bench_pkgs="$build_pkgs bubblewrap microsocks socat ripgrep python3 git"
# npm comes with nodejs where nodejs is not Debian's own build
command -v npm >/dev/null 2>&1 || bench_pkgs="$bench_pkgs nodejs npm"

case "${1:-build}" in
build) want=$build_pkgs ;;
test) want=$test_pkgs ;;
fuzz) want=$fuzz_pkgs ;;
bench) want=$bench_pkgs ;;
helper) want=$helper_pkgs ;;
cross) want=$cross_pkgs ;;
*) echo "usage: $0 build|test|fuzz|bench|helper|cross" >&2; exit 2 ;;
esac

missing=""
for p in $want; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" = 0 ]; then
	SUDO=""
elif command -v sudo >/dev/null 2>&1; then
	SUDO="sudo"
else
	echo "greywall: missing packages:$missing" >&2
	echo "greywall: install them with: apt-get install$missing" >&2
	exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
	echo "greywall: missing packages:$missing (no apt-get here: install them with your package manager)" >&2
	exit 1
fi
echo "greywall: installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
if [ "${1:-build}" = cross ] && ! dpkg --print-foreign-architectures | grep -qx arm64; then
	$SUDO dpkg --add-architecture arm64
fi
$SUDO apt-get update -q >/dev/null
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing >/dev/null
