#!/bin/sh
# The other profilers `make bench` measures oomph against, from Debian's
# packages (heaptrack, scalene, memory_profiler's mprof; tracemalloc is
# built in), and valgrind for the instruction counts.  Not needed by `make test`.
set -e
missing=""
for pkg in heaptrack python3-scalene python3-memory-profiler time valgrind; do
	dpkg -s "$pkg" >/dev/null 2>&1 || missing="$missing $pkg"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "bench-deps: missing:$missing (run as root, or install them)" >&2
	exit 1
fi
echo "bench-deps: installing$missing"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing
