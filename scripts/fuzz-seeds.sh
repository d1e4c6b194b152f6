#!/bin/bash
# Make the fuzz targets' seed corpus (tests/fuzz/corpus/NAME/) from real
# runs of oomph on this machine: `make fuzz-seeds`, then commit the result.
# State files are compacted by mkseed_state (a few KiB each instead of
# 100+ MiB sparse); timelines are cut to their first lines.  Seeds stay
# small: the whole corpus is meant to be well under 1 MiB.
#
#   scripts/fuzz-seeds.sh BUILD_DIR      (BUILD_DIR holds oomph, mkseed_state)
set -euo pipefail
B=${1:-build}
C=tests/fuzz/corpus
PY=${PYTHON_FOR_TESTS:-/usr/bin/python3}
W=$(mktemp -d "${TMPDIR:-/tmp}/oomph-seeds-XXXXXX")
trap 'rm -rf "$W"' EXIT
mkdir -p "$C"/{state,runmeta,timeline,size,procfiles,jobfile}

# name  oomph-run-options  --  program text
run() {
	local name=$1 code=$2
	shift 2
	printf '%s\n' "$code" >"$W/$name.py"
	"$B/oomph" run -q -o "$W/$name" "$@" "$W/$name.py" >/dev/null 2>&1 || true
	local i=0
	for s in "$W/$name"/state/*.oomph; do
		[ -e "$s" ] || continue
		"$B/mkseed_state" "$s" "$C/state/$name-$i"
		i=$((i + 1))
	done
	[ -e "$W/$name/run.meta" ] && cp "$W/$name/run.meta" "$C/runmeta/$name"
	[ -e "$W/$name/state/job.oomphjob" ] && cp "$W/$name/state/job.oomphjob" "$C/jobfile/$name"
	[ -e "$W/$name/timeline.tsv" ] && head -n 24 "$W/$name/timeline.tsv" >"$C/timeline/$name"
	return 0
}

# a peak then frees: a snapshot of the peak picture, sampled and exact
run peak 'x = [bytearray(1 << 20) for _ in range(24)]
del x[:12]
y = bytearray(3 << 20)
del x'
run exact 'def f(n): return [str(i) * 3 for i in range(n)]
a = f(20000); b = bytearray(5 << 20); del a' --exact
# a MemoryError under a limit: the failed allocation and the moment picture
run memerror 'import sys
x = []
try:
    while True: x.append(bytearray(8 << 20))
except MemoryError:
    sys.exit(3)' --limit 200M
# killed without its exit path (live[] is what was live at death)
run killed 'import os, signal
x = bytearray(12 << 20)
os.kill(os.getpid(), signal.SIGKILL)'
# a fork: one state file per process, the child with its own peak
run fork 'import os
x = bytearray(4 << 20)
pid = os.fork()
if pid == 0:
    y = bytearray(6 << 20); os._exit(0)
os.waitpid(pid, 0)'
# an uncaught exception: its type and message in the header (exc_*)
run exception 'rows = [bytearray(1 << 20) for _ in range(3)]
raise ValueError("bad row 7\n" + "\u00e9" * 150)'
# a shared-memory segment still live at the end (its record in the header)
run shm 'import os, mmap
fd = os.memfd_create("seed")
os.ftruncate(fd, 3 << 20)
m = mmap.mmap(fd, 3 << 20)
x = bytearray(1 << 20)'

# sizes and state-file names as users and directory listings give them
i=0
for s in 2GiB 512MB 1.5G 64k 4096 0.3K 9223372036854775807B 1e6 -5M "" 4242.oomph 77.3.oomph 1.0.oomph; do
	printf '%s' "$s" >"$C/size/s$i"
	i=$((i + 1))
done

# kernel files: this machine's, and a cgroup v2 and v1 layout (fuzz_procfiles.c)
sep=$'\n--8<--\n'
pressure=$(cat /proc/pressure/memory 2>/dev/null || printf 'some avg10=1.50 avg60=0.20 avg300=0.00 total=12345\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=99')
statline=$(cat /proc/self/stat)
{
	printf '0::/a\n%s' "$sep"
	printf '30 1 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw\n%s' "$sep"
	head -n 5 /proc/meminfo; printf '%s' "$sep"
	grep -E '^(Vm|Rss)' /proc/self/status; printf '%s' "$sep"
	printf '524288000\n%s' "$sep"
	printf 'max\n%s' "$sep"
	printf '104857600\n%s' "$sep"
	printf 'anon 1000\ninactive_file 4857600\nworkingset_refault_file 77\n%s' "$sep"
	printf '%s\n' "$pressure"
} >"$C/procfiles/v2"
{
	printf '12:memory:/a\n0::/\n%s' "$sep"
	printf '40 1 0:30 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n%s' "$sep"
	head -n 5 /proc/meminfo; printf '%s' "$sep"
	grep -E '^(Vm|Rss)' /proc/self/status; printf '%s' "$sep"
	printf '%s%s%s' "$sep" "$sep" "$sep"
	printf '%s\n%s' "$statline" "$sep"
	printf '314572800\n%s' "$sep"
	printf '2097152\n%s' "$sep"
	printf 'hierarchical_memory_limit 9223372036854771712\ntotal_inactive_file 1024\nworkingset_refault 5\n'
} >"$C/procfiles/v1"
{
	cat /proc/self/cgroup; printf '%s' "$sep"
	grep cgroup /proc/self/mountinfo | head -n 8; printf '%s' "$sep"
	cat /proc/meminfo
} >"$C/procfiles/machine"
printf 'R' >"$C/procfiles/rlimit"

du -sh "$C"/* >&2
