#!/bin/bash
# The history at scale (docs/performance.md "The history at scale"): build
# bench/history_scale.c against the tracker, simulate a service on the
# tracker's own clock, make a run directory of its state file, and render it
# with `oomph report`, measuring the state's size, the report's time, peak
# RSS and size.
#
#   bench/history_scale.sh [STACKS [RATE [SECONDS [SAMPLE_RATE]]]]
#   (default: 2,000,000 stacks, 10,000 allocations/s, 3600 s, --exact)
set -euo pipefail
STACKS=${1:-2000000} RATE=${2:-10000} SECONDS_=${3:-3600} SRATE=${4:-1}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=$ROOT/build
W=$(mktemp -d "${TMPDIR:-/tmp}/oomph-scale-XXXXXX")
trap 'rm -rf "$W"' EXIT
CORE=$(ls "$ROOT"/src/tracker/*.c | grep -v hooks.c)
cc -std=c11 -D_GNU_SOURCE -O2 -I"$ROOT/src" -o "$W/sim" "$ROOT/bench/history_scale.c" $CORE \
	"$ROOT/src/common/limits.c" "$ROOT/src/common/readfile.c" -ldl -lpthread -lm
"$B/oomph" run -q -o "$W/run" -c pass >/dev/null 2>&1 || true
rm -f "$W/run/state/"* "$W/run/"*.folded "$W/run/"*.svg "$W/run/summary.json" "$W/run/index.html"
mkdir -p "$W/state"
"$W/sim" "$W/state" "$STACKS" "$RATE" "$SECONDS_" "$SRATE"
S=$(ls "$W/state/"*.oomph)
echo "state file: $(du -k --apparent-size "$S" | cut -f1) KiB apparent, $(du -k "$S" | cut -f1) KiB on disk"
cp --sparse=always "$S" "$W/run/state/"
/usr/bin/time -f "oomph report: %e s, peak RSS %M KiB" "$B/oomph" report "$W/run" 2>&1 >/dev/null | grep -E "^oomph report:|error|cannot"
echo "report directory: $(du -sk --exclude=state "$W/run" | cut -f1) KiB without state/; state/: $(du -sk "$W/run/state" | cut -f1) KiB"
ls -la "$W/run/state/"
/usr/bin/python3 - "$W/run/summary.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
print("memory_timeline points:", len(s["memory_timeline"]), "leak suspects:",
      [(q["file"], q["line"], q["function"], round(q["rate_bytes_per_s"]), q["r2"]) for q in s["leak_suspects"]][:3])
PY
