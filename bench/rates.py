#!/usr/bin/env python3
"""Attribution accuracy against --exact, and the sample rate chosen from it.

For each case (pyalloc.py, bench/programs/small_mixed.py, numpy_peak.py) the
line shares at the peak (bytes by innermost Python line / peak, from
peak.folded) are measured under --exact and under each sample rate, several
runs each (every run draws its own random sample).  The error of a run is the
largest |share - exact share| over the lines holding >= 1% at the peak; the
table gives the worst run.  The chosen rate is the largest whose worst error
stays within 3 percentage points on every case with a factor of 2 to spare
(<= 1.5 points: the worst of a few runs understates the tail).

    bench/rates.py [--runs 3] [--out FILE]
"""
import argparse
import os
import re
import statistics
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
RATES = [65536, 131072, 262144, 524288, 1048576, 2097152, 4194304]
FRAME = re.compile(r"^(.*):(\d+) \((.*)\)$")


def shares(outdir):
    """{file:line: share of the peak} by innermost Python frame."""
    by, total = {}, 0
    with open(os.path.join(outdir, "peak.folded"), encoding="utf-8", errors="replace") as f:
        for line in f:
            stack, _, n = line.rstrip("\n").rpartition(" ")
            n = int(n)
            total += n
            key = stack.split(";")[-1]
            for fr in reversed(stack.split(";")):
                m = FRAME.match(fr)
                if m and not m.group(1).startswith("<frozen"):
                    key = f"{os.path.basename(m.group(1))}:{m.group(2)}"
                    break
            by[key] = by.get(key, 0) + n
    return {k: v / total for k, v in by.items()} if total else {}


def error(got, ref):
    keys = [k for k, v in ref.items() if v >= 0.01] + [k for k, v in got.items() if v >= 0.01]
    return max((abs(got.get(k, 0) - ref.get(k, 0)) for k in keys), default=0) * 100


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--python", default="/usr/bin/python3")
    ap.add_argument("--workloads", default=os.path.join(os.path.dirname(bench.ROOT), "shared", "workloads"))
    ap.add_argument("--out")
    args = ap.parse_args()
    cases = [("pyalloc.py", os.path.join(args.workloads, "pyalloc.py"), ["1"]),
             ("small_mixed.py", os.path.join(HERE, "programs", "small_mixed.py"), []),
             ("numpy_peak.py", os.path.join(args.workloads, "numpy_peak.py"), [])]
    tmp = tempfile.mkdtemp(prefix="oomph-rates-")
    out = os.path.join(tmp, "r")
    table = {}
    for name, script, sargs in cases:
        exact = []
        for _ in range(args.runs):
            bench.run_oomph(args.python, script, ["--exact"], out, sargs)
            exact.append(shares(out))
        keys = set().union(*exact)
        ref = {k: statistics.mean(e.get(k, 0) for e in exact) for k in keys}
        table[(name, "exact")] = max(error(e, ref) for e in exact)
        top = sorted(ref.items(), key=lambda kv: -kv[1])[:4]
        print(f"{name}: exact shares " + ", ".join(f"{k} {v * 100:.1f}%" for k, v in top), file=sys.stderr)
        for rate in RATES:
            errs = []
            for _ in range(args.runs):
                bench.run_oomph(args.python, script, ["--sample-rate", str(rate)], out, sargs)
                errs.append(error(shares(out), ref))
            table[(name, rate)] = max(errs)
            print(f"  rate {rate // 1024} KiB: worst {max(errs):.2f} pp", file=sys.stderr)
    names = [c[0] for c in cases]
    lines = [f"Line shares at the peak against --exact: worst error over {args.runs} runs, in "
             "percentage points (lines holding >= 1% of the peak).", "",
             "| sample rate | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    lines.append("| --exact (run to run) | " + " | ".join(f"{table[(n, 'exact')]:.2f}" for n in names) + " |")
    for rate in RATES:
        lines.append(f"| {rate // 1024} KiB | " + " | ".join(f"{table[(n, rate)]:.2f}" for n in names) + " |")
    ok = [r for r in RATES if all(table[(n, r)] <= 3.0 for n in names)]
    safe = [r for r in RATES if all(table[(n, r)] <= 1.5 for n in names)]
    lines.append("")
    lines.append("Largest rate within 3 points on every case: " +
                 (f"{ok[-1] // 1024} KiB" if ok else "none") +
                 "; with a factor of 2 to spare (<= 1.5 points): " +
                 (f"{safe[-1] // 1024} KiB." if safe else "none."))
    bench.emit(lines, args.out)


if __name__ == "__main__":
    main()
