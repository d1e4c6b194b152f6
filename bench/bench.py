#!/usr/bin/env python3
"""oomph's overhead benchmark: wall-time ratio against the unprofiled run.

Every workload in ../shared/workloads (or --workloads DIR) runs unprofiled and
under each mode, in rounds: each mode runs next to an unprofiled run of its
own (plain then mode, mode then plain the next round; the order of the modes
rotated every round) so that drift on a shared machine cancels.  The ratio of
a pair is mode time / plain time; the report gives the median and the spread
(min-max) over rounds, the extra peak RSS against the paired run, and for
numpy_peak.py the reported peak and line shares against the known truth.

    bench/bench.py                 # 5 rounds, every workload, writes a table
    bench/bench.py --quick         # 3 rounds, for development
    bench/bench.py --out docs/performance-results.md

Run with Debian's python3 (numpy and pandas from apt).
"""
import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OOMPH = os.path.join(ROOT, "build", "oomph")
MiB = 1 << 20


def run_plain(py, script, args=()):
    """Run and return (seconds, peak RSS bytes) of the python process itself.

    ru_maxrss survives exec, so a child forked from this (large) Python would
    report our RSS as its own: the program is started through /usr/bin/time,
    a small process, as oomph starts it (from its own small process)."""
    timer = "/usr/bin/time"
    argv = [timer, "-f", "%M", py, script, *args] if os.path.exists(timer) else [py, script, *args]
    t0 = time.perf_counter()
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    err = p.communicate()[1]
    dt = time.perf_counter() - t0
    if p.returncode != 0:
        raise SystemExit(f"bench: {script} failed unprofiled (status {p.returncode})")
    if argv[0] == py:
        return dt, 0, None
    return dt, int(err.strip().splitlines()[-1]) * 1024, None


def run_oomph(py, script, extra, outdir, args=()):
    shutil.rmtree(outdir, ignore_errors=True)
    cmd = [OOMPH, "run", "--quiet", "--python", py, "-o", outdir, *extra, script, *args]
    t0 = time.perf_counter()
    r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    dt = time.perf_counter() - t0
    if r.returncode != 0:
        raise SystemExit(f"bench: {' '.join(cmd)} failed ({r.returncode}): {r.stderr[-500:]}")
    with open(os.path.join(outdir, "summary.json")) as f:
        summary = json.load(f)
    return dt, summary.get("peak_rss_bytes", 0), summary


MODES = {
    "default": [],
    "exact": ["--exact"],
}

# The other profilers, each run as a user would, through /usr/bin/time for
# the peak RSS of the whole process tree; `peak` reads what the tool itself
# reports as the peak (bytes), or None.
TRACEMALLOC = ("import runpy, sys, tracemalloc\n"
               "tracemalloc.start(int(sys.argv[1]))\n"
               "script = sys.argv[2]; sys.argv = sys.argv[2:]\n"
               "try:\n"
               "    runpy.run_path(script, run_name='__main__')\n"
               "finally:\n"
               "    print('oomph-bench-peak', tracemalloc.get_traced_memory()[1], file=sys.stderr)\n")


def peer_argv(peer, py, script, out):
    if peer.startswith("tracemalloc"):
        return [py, "-c", TRACEMALLOC, peer[len("tracemalloc"):], script]
    if peer == "heaptrack":
        return ["heaptrack", "-o", out, py, script]
    if peer == "scalene":
        # (not --no-browser: scalene 1.5.16 from Debian then leaves it in the
        # program's sys.argv, and pyalloc.py reads its argv)
        return [py, "-m", "scalene", "--cli", "--json", "--memory", "--outfile", out + ".json",
                script]
    if peer == "mprof":
        return [py, "-m", "mprof", "run", "-o", out + ".dat", py, script]
    raise ValueError(peer)


def peer_peak(peer, err, out):
    try:
        if peer.startswith("tracemalloc"):
            for line in err.splitlines():
                if line.startswith("oomph-bench-peak "):
                    return int(line.split()[1])
        elif peer == "heaptrack":
            files = [f for f in os.listdir(os.path.dirname(out))
                     if f.startswith(os.path.basename(out) + ".")]
            if files:
                r = subprocess.run(["heaptrack_print", "-f", os.path.join(os.path.dirname(out), files[0])],
                                   capture_output=True, text=True, timeout=600)
                for line in r.stdout.splitlines():
                    if line.startswith("peak heap memory consumption:"):
                        v = line.split(":")[1].strip()
                        mult = {"K": 1e3, "M": 1e6, "G": 1e9}.get(v[-1], 1)
                        return int(float(v.rstrip("KMGB")) * mult)
        elif peer == "scalene":
            with open(out + ".json") as f:
                return int(json.load(f).get("max_footprint_mb", 0) * MiB)
        elif peer == "mprof":
            with open(out + ".dat") as f:
                mem = [float(l.split()[1]) for l in f if l.startswith("MEM ")]
            return int(max(mem) * MiB) if mem else None
    except (OSError, ValueError, subprocess.SubprocessError):
        return None
    return None


def run_peer(peer, py, script, tmpdir, timeout):
    """(seconds, peak RSS, reported peak), or a string saying why the tool failed."""
    shutil.rmtree(tmpdir, ignore_errors=True)
    os.makedirs(tmpdir)
    out = os.path.join(tmpdir, "out")
    argv = ["/usr/bin/time", "-f", "%M"] + peer_argv(peer, py, script, out)
    t0 = time.perf_counter()
    try:
        p = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                           timeout=timeout, cwd=tmpdir)
    except subprocess.TimeoutExpired:
        return f"timed out after {timeout:.0f} s"
    dt = time.perf_counter() - t0
    if p.returncode != 0:
        # the tool's last words, before /usr/bin/time's own lines
        said = [l.strip() for l in p.stderr.splitlines()
                if l.strip() and not l.startswith("Command ") and not l.strip().isdigit()]
        return f"exit {p.returncode}" + (f": {said[-1][:120]}" if said else "")
    rss = int(p.stderr.strip().splitlines()[-1]) * 1024
    return dt, rss, peer_peak(peer, p.stderr, out)


PEERS = ["tracemalloc1", "tracemalloc25", "heaptrack", "scalene", "mprof"]


def numpy_accuracy(summary):
    """Peak and the three np.empty lines of numpy_peak.py against the truth."""
    truth_lines = {21: 200 * MiB, 24: 200 * MiB, 27: 200 * MiB}
    got = {t["line"]: t["bytes"] for t in summary["top"] if t["file"].endswith("numpy_peak.py")}
    worst = max(abs(got.get(l, 0) - b) / b for l, b in truth_lines.items())
    return summary["peak_tracked_bytes"], worst


def emit(lines, out):
    """Print the markdown lines, and write them to `out` when given."""
    text = "\n".join(lines) + "\n"
    print(text)
    if out:
        with open(out, "w") as f:
            f.write(text)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="3 rounds")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--python", default="/usr/bin/python3")
    ap.add_argument("--workloads", default=os.path.join(os.path.dirname(ROOT), "shared", "workloads"))
    ap.add_argument("--only", nargs="*", help="workload names (without .py)")
    ap.add_argument("--out", help="write the markdown table here")
    ap.add_argument("--peers", nargs="*", default=None,
                    help="other profilers to measure (default: all of %s; none with --quick)" % PEERS)
    ap.add_argument("--peer-timeout", type=float, default=300)
    args = ap.parse_args()
    rounds = 3 if args.quick else args.rounds
    peers = args.peers if args.peers is not None else ([] if args.quick else PEERS)
    peers = [p for p in peers if p != "heaptrack" or shutil.which("heaptrack")]
    names = sorted(f[:-3] for f in os.listdir(args.workloads) if f.endswith(".py"))
    if args.only:
        names = [n for n in names if n in args.only]
    tmp = tempfile.mkdtemp(prefix="oomph-bench-")
    rows = []
    modes = list(MODES)
    for name in names:
        script = os.path.join(args.workloads, name + ".py")
        plain_times, plain_rss = [], []
        peaks = {p: [] for p in peers}
        failed = {}
        accuracy = {}
        # Each mode runs next to an unprofiled run of its own (A B, then B A
        # the next round): a slow peer (tracemalloc at 25 frames takes
        # minutes on pandas_etl.py) must not put minutes of drift between a
        # mode and the run it is compared with.
        profiled = modes + peers
        ratios = {m: [] for m in profiled}
        extra = {m: [] for m in profiled}
        for r in range(rounds):
            order = profiled[r % len(profiled):] + profiled[:r % len(profiled)]
            for i, m in enumerate(order):
                if m in failed:
                    continue
                pair = {}
                for which in (("plain", m) if (r + i) % 2 == 0 else (m, "plain")):
                    if which == "plain":
                        pair[which] = run_plain(args.python, script)[:2]
                        continue
                    if m in peers:
                        got = run_peer(m, args.python, script, os.path.join(tmp, m), args.peer_timeout)
                        if isinstance(got, str):
                            failed[m] = got
                            print(f"  {name}: {m} failed: {got}", file=sys.stderr)
                            break
                        dt, peak_rss, reported = got
                        if reported:
                            peaks[m].append(reported)
                    else:
                        dt, peak_rss, summary = run_oomph(args.python, script, MODES[m], os.path.join(tmp, m))
                        if name == "numpy_peak":
                            accuracy[m] = numpy_accuracy(summary)
                    pair[which] = (dt, peak_rss)
                if m in failed:
                    continue
                plain_times.append(pair["plain"][0])
                plain_rss.append(pair["plain"][1])
                ratios[m].append(pair[m][0] / pair["plain"][0])
                extra[m].append(pair[m][1] - pair["plain"][1])
            print(f"  {name} round {r + 1}/{rounds}: " +
                  ", ".join(f"{m} {ratios[m][-1]:.3f}x" for m in profiled if ratios[m]), file=sys.stderr)
        row = {"workload": name, "plain_s": statistics.median(plain_times)}
        for m in modes + peers:
            if not ratios[m] or m in failed:
                row[m] = None
                row[m + "_why"] = failed.get(m, "no run")
                continue
            row[m] = (statistics.median(ratios[m]), min(ratios[m]), max(ratios[m]))
            row[m + "_rss"] = statistics.median(extra[m])
        row["peaks"] = {p: statistics.median(v) for p, v in peaks.items() if v}
        row["plain_rss"] = statistics.median(plain_rss)
        row["accuracy"] = accuracy
        rows.append(row)
    shutil.rmtree(tmp, ignore_errors=True)

    def geo(vals):
        return statistics.geometric_mean(vals)

    lines = []
    lines.append(f"Machine: {platform.node()} ({os.cpu_count()} cores), {platform.python_implementation()} "
                 f"{subprocess.run([args.python, '-c', 'import sys;print(sys.version.split()[0])'], capture_output=True, text=True).stdout.strip()} "
                 f"({args.python}), {rounds} rounds of side-by-side pairs, {time.strftime('%Y-%m-%d')}.")
    lines.append("")
    lines.append("| workload | unprofiled (median s) | default: ratio (min-max) | default: extra RSS | --exact: ratio (min-max) | --exact: extra RSS |")
    lines.append("|---|---|---|---|---|---|")
    for row in rows:
        cells = [row["workload"], f"{row['plain_s']:.2f}"]
        for m in modes:
            med, lo, hi = row[m]
            cells.append(f"{med:.2f}× ({lo:.2f}-{hi:.2f})")
            cells.append(f"{row[m + '_rss'] / MiB:+.1f} MiB ({row[m + '_rss'] / max(row['plain_rss'], 1) * 100:+.1f}%)")
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("| **geometric mean** | | " + " | | ".join(f"{geo([r[m][0] for r in rows]):.3f}×" for m in modes) + " | |")
    if peers:
        lines.append("")
        lines.append("The other profilers, from the same rounds (median wall-time ratio against "
                     "the unprofiled run, min-max; extra peak RSS of the whole process tree):")
        lines.append("")
        lines.append("| workload | oomph default | oomph --exact | " + " | ".join(peers) + " |")
        lines.append("|---|---|---|" + "---|" * len(peers))
        for row in rows:
            cells = [row["workload"]]
            for m in modes + peers:
                if row.get(m) is None:
                    cells.append("failed (" + row[m + "_why"].replace("|", "/") + ")")
                    continue
                med, lo, hi = row[m]
                cells.append(f"{med:.2f}× ({lo:.2f}-{hi:.2f}), {row[m + '_rss'] / MiB:+.0f} MiB")
            lines.append("| " + " | ".join(cells) + " |")
        ok = [m for m in modes + peers if all(r.get(m) for r in rows)]
        lines.append("| **geometric mean** | " + " | ".join(
            (f"{geo([r[m][0] for r in rows]):.2f}×" if m in ok else "-") for m in modes + peers) + " |")
        np_rows = [r for r in rows if r["workload"] == "numpy_peak"]
        if np_rows:
            lines.append("")
            lines.append("numpy_peak.py peak as each tool reports it (truth: 629,145,600 bytes of arrays plus "
                         "the interpreter's baseline): " + ", ".join(
                             f"{p} {v / MiB:,.1f} MiB" for p, v in np_rows[0]["peaks"].items()) +
                         "; oomph: " + ", ".join(f"{m} {a[0] / MiB:,.1f} MiB" for m, a in np_rows[0]["accuracy"].items()) + ".")
    for row in rows:
        for m, (peak, worst) in row["accuracy"].items():
            lines.append("")
            lines.append(f"numpy_peak.py, {m}: reported peak {peak:,} bytes (array data 629,145,600 + baseline); "
                         f"worst np.empty line off by {worst * 100:.3f}% from 200 MiB.")
    emit(lines, args.out)


if __name__ == "__main__":
    main()
