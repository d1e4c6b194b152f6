#!/bin/sh
# Install what oomph needs to build and test on Debian 12, when it is missing.
#
#   build:  gcc make libc6-dev
#   tests:  python3-numpy python3-pandas python3-pytest (Debian's python3),
#           chromium (headless, for the report's browser tests),
#           golang-go (`go tool pprof` reads peak.pb.gz) and npm (fetches
#           speedscope at test time into build/npm/, which reads
#           peak.speedscope.json): tests/integration/test_export_consumers.py,
#           python3-venv (venvs that pip-install the Python package),
#           python3-ipykernel jupyter-nbconvert jupyter-client (a notebook run
#           on the oomph kernel), binutils (nm),
#           libjemalloc2 libtcmalloc-minimal4 (programs that preload another allocator),
#           tmux (drives `oomph top` on a terminal: tests/integration/test_top.py)
#
#   scripts/deps.sh fuzz: what `make fuzz` needs instead: clang and
#           libclang-rt-14-dev (clang's libFuzzer runtime)
#
# Idempotent and silent when everything is present: it then touches neither
# apt nor the network.  As root it runs `apt-get update` once and installs
# only the missing packages; as another user it names them and exits 1.
set -eu

missing=""

# has_pkg PKG: the Debian package is installed.
has_pkg() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

# need_cmd CMD PKG: CMD on PATH, or PKG installed.
need_cmd() {
	if ! command -v "$1" >/dev/null 2>&1 && ! has_pkg "$2"; then
		missing="$missing $2"
	fi
}

# need_pkg PKG: the package is installed.
need_pkg() {
	if ! has_pkg "$1"; then
		missing="$missing $1"
	fi
}

# need_pymod MODULE PKG: Debian's python3 imports MODULE (from PKG).
need_pymod() {
	if ! has_pkg "$2" && ! /usr/bin/python3 -c "import $1" >/dev/null 2>&1; then
		missing="$missing $2"
	fi
}

if [ "${1:-}" = fuzz ]; then
	# make fuzz: clang and its libFuzzer runtime (libclang_rt.fuzzer*.a)
	need_cmd clang clang
	ver=$(clang --version 2>/dev/null | sed -n 's/.*clang version \([0-9]*\).*/\1/p' | head -1)
	ver=${ver:-14}
	ls /usr/lib/llvm-"$ver"/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1 ||
		need_pkg libclang-rt-"$ver"-dev
else
	need_cmd gcc gcc
	need_cmd make make
	[ -x /usr/bin/time ] || missing="$missing time"   # bench: RSS of the unprofiled run
	need_pkg libc6-dev
	need_pymod numpy python3-numpy
	need_pymod pandas python3-pandas
	need_pymod pytest python3-pytest
	need_cmd chromium chromium               # the report's browser tests
	need_cmd go golang-go                    # go tool pprof on peak.pb.gz
	need_cmd npm npm                         # speedscope, fetched at test time
	need_pkg python3-venv                    # the Python package's venvs (with ensurepip)
	need_pymod ipykernel python3-ipykernel   # the oomph Jupyter kernel
	need_cmd jupyter-nbconvert jupyter-nbconvert   # `jupyter nbconvert --execute`
	need_cmd jupyter-kernelspec jupyter-client
	need_cmd nm binutils
	need_pkg libjemalloc2                    # another allocator preloaded (issue 11)
	need_pkg libtcmalloc-minimal4
	need_cmd tmux tmux                       # oomph top on a terminal (test_top.py)
fi

[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "oomph: missing packages:$missing" >&2
	echo "oomph: install them as root:  apt-get update && apt-get install -y$missing" >&2
	exit 1
fi

if ! command -v apt-get >/dev/null 2>&1; then
	echo "oomph: missing packages:$missing (and no apt-get to install them)" >&2
	exit 1
fi

echo "oomph: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086  # $missing is a list of words
apt-get install -y -qq --no-install-recommends $missing >/dev/null
echo "oomph: installed$missing" >&2
