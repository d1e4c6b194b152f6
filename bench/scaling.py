#!/usr/bin/env python3
"""How oomph's overhead scales: with the allocation rate (allocations/s and
bytes/s), with the number of threads, with the number of distinct stacks;
and what `oomph report` costs for 1,000, 10,000 and 100,000 distinct stacks.

Each overhead figure is the median ratio of interleaved pairs (unprofiled,
oomph default) of the same program.

    bench/scaling.py [--rounds 3] [--out FILE]
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ALLOC = os.path.join(HERE, "programs", "alloc_rate.py")
STACKS = os.path.join(HERE, "programs", "many_stacks.py")


def pairs(py, script, args, rounds, tmp):
    """(median plain seconds, median ratio, min, max)."""
    args = [str(a) for a in args]
    plain, ratios = [], []
    for r in range(rounds):
        if r % 2:
            d, _, _ = bench.run_oomph(py, script, [], os.path.join(tmp, "s"), args)
            p, _, _ = bench.run_plain(py, script, args)
        else:
            p, _, _ = bench.run_plain(py, script, args)
            d, _, _ = bench.run_oomph(py, script, [], os.path.join(tmp, "s"), args)
        plain.append(p)
        ratios.append(d / p)
    return statistics.median(plain), statistics.median(ratios), min(ratios), max(ratios)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--python", default="/usr/bin/python3")
    ap.add_argument("--out")
    args = ap.parse_args()
    py, rounds = args.python, args.rounds
    tmp = tempfile.mkdtemp(prefix="oomph-scaling-")
    out = []

    out += ["Overhead against the allocation rate (one thread; each allocation kept in a ring of "
            "1000, so memory stays flat):", "",
            "| allocation size | allocations/s (unprofiled) | bytes/s (unprofiled) | oomph default (min-max) |",
            "|---|---|---|---|"]
    for size, n in [(64, 3_000_000), (4096, 2_000_000), (65536, 300_000), (1 << 20, 20_000)]:
        p, med, lo, hi = pairs(py, ALLOC, [size, n, 1], rounds, tmp)
        out.append(f"| {size:,} B | {n / p:,.0f} | {n * size / p / bench.MiB:,.0f} MiB/s | "
                   f"{med:.2f}× ({lo:.2f}-{hi:.2f}) |")
        print(out[-1], file=sys.stderr)

    out += ["", "Overhead against the number of threads (4 KiB allocations, 2,000,000 in all; "
            "2 cores here):", "", "| threads | unprofiled (s) | oomph default (min-max) |", "|---|---|---|"]
    for t in (1, 2, 4, 8):
        p, med, lo, hi = pairs(py, ALLOC, [4096, 2_000_000, t], rounds, tmp)
        out.append(f"| {t} | {p:.2f} | {med:.2f}× ({lo:.2f}-{hi:.2f}) |")
        print(out[-1], file=sys.stderr)

    out += ["", "Distinct stacks: overhead of a program allocating from N distinct lines, and "
            "`oomph report` on its run directory (recorded under --exact; median of 3, wall time "
            "and peak RSS of `oomph report`):", "",
            "| distinct stacks | overhead, default (min-max) | oomph report: time | oomph report: peak RSS |",
            "|---|---|---|---|"]
    for n in (1000, 10000, 100000):
        p, med, lo, hi = pairs(py, STACKS, [n], rounds, tmp)
        rd = os.path.join(tmp, f"stacks{n}")
        bench.run_oomph(py, STACKS, ["--exact"], rd, [str(n)])
        times, rss = [], []
        for _ in range(3):
            t0 = time.perf_counter()
            r = subprocess.run(["/usr/bin/time", "-f", "%M", bench.OOMPH, "report", rd],
                               capture_output=True, text=True)
            times.append(time.perf_counter() - t0)
            rss.append(int(r.stderr.strip().splitlines()[-1]) * 1024)
        out.append(f"| {n:,} | {med:.2f}× ({lo:.2f}-{hi:.2f}) | {statistics.median(times):.2f} s | "
                   f"{statistics.median(rss) / bench.MiB:.0f} MiB |")
        print(out[-1], file=sys.stderr)
    bench.emit(out, args.out)


if __name__ == "__main__":
    main()
