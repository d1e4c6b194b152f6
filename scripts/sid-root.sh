#!/bin/sh
# Make (once) the Debian sid root in which the integration tests run
# CPython 3.14 and 3.15 (tests/integration/conftest.py, issue 14).
#
#   scripts/sid-root.sh [DIR]      default DIR: $OOMPH_SID_ROOT, else
#                                  /var/cache/oomph/sid-root
#
# The root is a `debootstrap --variant=minbase sid` with python3.14,
# python3-numpy, python3-pandas, the allocators the tests preload (jemalloc,
# tcmalloc) and the two interpreters' test packages
# (CPython's regression tests) from sid, and python3.15, which also comes
# from experimental when sid has none (experimental is pinned low: only
# what is asked for by name comes from there).  It lives outside the work
# tree, is made only when missing or incomplete (the stamp
# DIR/.oomph-sid-root says it is complete and by which recipe: a root of an
# older recipe gets the missing packages installed in place), and is shared
# by every work tree on the machine (a lock file serialises makers).  The
# first build takes about three minutes (README); afterwards this script
# checks the stamp and exits at once.
#
# It never fails `make test`: when Debian cannot be reached, or we are not
# root, it says so on stderr, writes the reason to DIR.unavailable (the tests
# then skip 3.14/3.15 with that reason) and exits 0.  Every mount it makes is
# made inside a private mount namespace (unshare -m), so none outlives it,
# even when it is killed.
set -eu

RECIPE=3   # bump when the package list below changes: roots are updated
PACKAGES="python3.14 python3-numpy python3-pandas libpython3.14-testsuite libjemalloc2 libtcmalloc-minimal4"
EXPERIMENTAL="python3.15 libpython3.15-testsuite"

DIR=${1:-${OOMPH_SID_ROOT:-/var/cache/oomph/sid-root}}
STAMP="$DIR/.oomph-sid-root"
UNAVAILABLE="$DIR.unavailable"

usable() {
	[ -f "$STAMP" ] && [ -x "$DIR/usr/bin/python3.14" ] && [ -x "$DIR/usr/bin/python3.15" ]
}
complete() {
	usable && grep -qx "recipe $RECIPE" "$STAMP"
}

# give_up REASON: say why, leave the reason for the tests, succeed.
give_up() {
	echo "oomph: no Debian sid root, so the tests skip CPython 3.14 and 3.15: $1" >&2
	mkdir -p "$(dirname "$DIR")" 2>/dev/null &&
		printf '%s\n' "$1" >"$UNAVAILABLE" 2>/dev/null || true
	exit 0
}

complete && exit 0

[ "$(id -u)" -eq 0 ] || give_up "making it needs root (debootstrap, chroot)"
for cmd in unshare chroot flock; do
	command -v "$cmd" >/dev/null 2>&1 || give_up "$cmd is missing (util-linux, coreutils)"
done

mkdir -p "$(dirname "$DIR")"
exec 9>"$DIR.lock"
flock 9 # another work tree may be making it right now
complete && exit 0

if ! command -v debootstrap >/dev/null 2>&1; then
	echo "oomph: installing debootstrap" >&2
	export DEBIAN_FRONTEND=noninteractive
	{ apt-get -o Acquire::Check-Valid-Until=false install -y -qq --no-install-recommends \
		debootstrap >/dev/null 2>&1 ||
		{ apt-get -o Acquire::Check-Valid-Until=false update -qq &&
		  apt-get -o Acquire::Check-Valid-Until=false install -y -qq \
			--no-install-recommends debootstrap >/dev/null; }; } ||
		give_up "debootstrap is missing and apt-get could not install it"
fi

# The host's own Debian mirror (deb822 or one-line sources), else
# debootstrap's default.
MIRROR=${OOMPH_SID_MIRROR:-$(
	{ sed -n 's/^URIs: *\([^ ]*\/debian\)\/*$/\1/p' /etc/apt/sources.list.d/*.sources
	  sed -n 's/^deb  *\(\[[^]]*\] *\)\{0,1\}\([^ ]*\/debian\)\/* .*/\2/p' \
		/etc/apt/sources.list /etc/apt/sources.list.d/*.list; } 2>/dev/null | head -n 1)}

# in_root ROOT CMD...: CMD in the root, with /proc, inside a private mount
# namespace.
in_root() {
	root=$1
	shift
	unshare --mount --propagation private sh -c '
		mount -t proc proc "$0/proc" && exec chroot "$0" "$@"' "$root" \
		env DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"
}
install_packages() {
	in_root "$1" apt-get update -qq >>"$LOG" 2>&1 &&
		in_root "$1" apt-get install -y -qq $PACKAGES >>"$LOG" 2>&1 &&
		in_root "$1" apt-get install -y -qq $EXPERIMENTAL >>"$LOG" 2>&1 &&
		{ in_root "$1" apt-get clean >>"$LOG" 2>&1 || true; }
}
# write_stamp ROOT HOW: the stamp's text: recipe, interpreters, when.
write_stamp() {
	echo "recipe $RECIPE"
	for py in "$1"/usr/bin/python3.1[4-9]; do
		[ -x "$py" ] && in_root "$1" "${py#"$1"}" -c \
			'import sys; print(sys.executable, sys.version.split()[0])' 2>/dev/null
	done
	echo "$2 in $(($(date +%s) - start)) s on $(date -u +%Y-%m-%dT%H:%M:%SZ)"
}

start=$(date +%s)
LOG="$DIR.log"

# A root of an older recipe: install what it lacks, in place.
if usable; then
	echo "oomph: updating the Debian sid root $DIR (recipe $RECIPE)" >&2
	: >"$LOG"
	if ! install_packages "$DIR"; then
		echo "oomph: could not update the Debian sid root (it stays in use as it was):" \
			"$(grep -v '^ *$' "$LOG" | tail -n 1)" >&2
		exit 0
	fi
	write_stamp "$DIR" updated >"$STAMP.tmp" && mv "$STAMP.tmp" "$STAMP"
	echo "oomph: Debian sid root updated in $(($(date +%s) - start)) s" >&2
	exit 0
fi

# A half-made root from an interrupted run: nothing may be mounted in it
# (our mounts are private, but check before deleting anything).
NEW="$DIR.new"
if grep -q " $NEW[/ ]" /proc/self/mountinfo || grep -q " $DIR[/ ]" /proc/self/mountinfo; then
	give_up "something is mounted under $DIR or $NEW: unmount it first"
fi
rm -rf --one-file-system "$NEW"

echo "oomph: making the Debian sid root $DIR for the CPython 3.14/3.15 tests" \
	"(once; about three minutes)" >&2
if ! debootstrap --variant=minbase sid "$NEW" ${MIRROR:+"$MIRROR"} >"$LOG" 2>&1; then
	rm -rf --one-file-system "$NEW"
	give_up "debootstrap sid failed (is Debian reachable?): $(tail -n 1 "$LOG")"
fi

# apt inside the root: stale Release files are accepted (the mirror reached
# here may serve them past their Valid-Until), experimental pinned low.
cat >"$NEW/etc/apt/apt.conf.d/99oomph" <<'EOF'
// written by oomph's scripts/sid-root.sh: the mirror may serve Release files past Valid-Until
Acquire::Check-Valid-Until "false";
Acquire::Check-Date "false";
APT::Install-Recommends "false";
EOF
M=$(sed -n 's/^deb \([^ ]*\) sid .*/\1/p' "$NEW/etc/apt/sources.list" | head -n 1)
[ -n "$M" ] || M=${MIRROR:-}
[ -n "$M" ] || give_up "cannot tell which mirror debootstrap used ($NEW/etc/apt/sources.list)"
printf 'deb %s sid main\ndeb %s experimental main\n' "$M" "$M" >"$NEW/etc/apt/sources.list"
cat >"$NEW/etc/apt/preferences.d/experimental" <<'EOF'
Package: *
Pin: release a=experimental
Pin-Priority: 1
EOF

if ! install_packages "$NEW"; then
	rm -rf --one-file-system "$NEW"
	give_up "apt-get in the sid root failed: $(grep -v '^ *$' "$LOG" | tail -n 1)"
fi
write_stamp "$NEW" made >"$NEW/.oomph-sid-root.tmp"

# Swap in the new root (the old one, if any, was incomplete or outdated).
if [ -e "$DIR" ]; then
	if grep -q " $DIR[/ ]" /proc/self/mountinfo; then
		give_up "something is mounted under $DIR: unmount it first"
	fi
	rm -rf --one-file-system "$DIR"
fi
mv "$NEW" "$DIR"
mv "$DIR/.oomph-sid-root.tmp" "$STAMP"
rm -f "$UNAVAILABLE"
complete || give_up "python3.14 or python3.15 missing after installing them (see $LOG)"
echo "oomph: Debian sid root ready in $(($(date +%s) - start)) s: $(grep -c python "$STAMP") interpreters" >&2
