#!/bin/bash
# What the history costs on disk and in the report (docs/performance.md
# "Issue 18"): each workload of ../shared/workloads run under `oomph run`
# with the history (as shipped) and without it (OOMPH_HISTORY=off), the same
# binary; for each run the state directory and the report directory as
# bytes after a non-sparse copy, the history's entries (summary.json's
# memory_timeline points), and `oomph report` rendering the run again:
# wall time (median of 3) and instructions (callgrind, one run).
#
#   bench/history_cost.sh [WORKLOAD ...]     (default: all five, default mode)
#   OOMPH_FLAGS=--exact bench/history_cost.sh pandas_etl
#   OOMPH=/path/to/oomph bench/history_cost.sh   (another build)
#
# Prints one Markdown row per workload and mode.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OOMPH=${OOMPH:-$ROOT/build/oomph}
PY=${PYTHON:-/usr/bin/python3}
WL=${WORKLOADS:-$(dirname "$ROOT")/shared/workloads}
FLAGS=${OOMPH_FLAGS:-}
[ $# -gt 0 ] || set -- calls numpy_peak pandas_etl pyalloc threads
W=$(mktemp -d "${TMPDIR:-/tmp}/oomph-histcost-XXXXXX")
trap 'rm -rf "$W"' EXIT

n() { "$PY" -c 'import sys; print(f"{int(sys.argv[1]):,}")' "$1"; }

bytes() { # bytes of a directory after a non-sparse copy
	rm -rf "$W/copy"
	cp -r --sparse=never "$1" "$W/copy"
	du -sb "$W/copy" | cut -f1
}

echo "| workload | mode | history | state/ (bytes) | report without state/ (bytes) | timeline points | oomph report: s (median of 3) | oomph report: instructions |"
echo "|---|---|---|---|---|---|---|---|"
for w in "$@"; do
	[ -f "$WL/$w.py" ] || { echo "$WL/$w.py: no such workload (WORKLOADS=DIR)" >&2; exit 2; }
	for hist in on off; do
		R=$W/$w-$hist
		OOMPH_HISTORY=$hist "$OOMPH" run -q --python "$PY" -o "$R" $FLAGS "$WL/$w.py" >/dev/null 2>&1 || true
		state=$(bytes "$R/state")
		rm -rf "$W/copy"
		cp -r --sparse=never "$R" "$W/copy"
		rm -rf "$W/copy/state"
		rep=$(du -sb "$W/copy" | cut -f1)
		pts=$("$PY" -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["memory_timeline"]))' \
			"$R/summary.json")
		ts=()
		for _ in 1 2 3; do
			t0=$(date +%s.%N)
			"$OOMPH" report "$R" >/dev/null 2>&1
			ts+=("$(echo "$(date +%s.%N) - $t0" | bc)")
		done
		med=$(printf '%s\n' "${ts[@]}" | sort -n | sed -n 2p)
		valgrind --tool=callgrind --callgrind-out-file="$W/cg.out" "$OOMPH" report "$R" \
			>/dev/null 2>&1
		ins=$(grep -E '^(summary|totals):' "$W/cg.out" | head -1 | awk '{print $2}')
		printf '| %s | %s | %s | %s | %s | %s | %.2f | %s |\n' "$w" "${FLAGS:-default}" "$hist" \
			"$(n "$state")" "$(n "$rep")" "$pts" "$med" "$(n "$ins")"
		rm -rf "$R" "$W/cg.out"
	done
done
