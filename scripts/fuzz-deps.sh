#!/bin/sh
# What `make fuzz` needs on Debian 12: clang and its libFuzzer runtime
# (libclang-rt-14-dev: libclang_rt.fuzzer*.a).  Like deps.sh: silent when
# present; as root installs what is missing, else names it and exits 1.
set -eu
missing=""
has_pkg() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}
command -v clang >/dev/null 2>&1 || has_pkg clang || missing="$missing clang"
# the runtime of whichever clang is installed (14 on Debian 12)
ver=$(clang --version 2>/dev/null | sed -n 's/.*clang version \([0-9]*\).*/\1/p' | head -1)
ver=${ver:-14}
if ! ls /usr/lib/llvm-"$ver"/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1 &&
	! has_pkg libclang-rt-"$ver"-dev; then
	missing="$missing libclang-rt-$ver-dev"
fi
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
	echo "oomph: make fuzz needs:$missing (apt-get install -y$missing)" >&2
	exit 1
fi
echo "oomph: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
