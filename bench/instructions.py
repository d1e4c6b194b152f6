#!/usr/bin/env python3
"""oomph's overhead in instructions: callgrind, every process of a run summed.

Wall time on a shared machine moves with everybody else's load; the number of
instructions a run executes does not (or hardly: see "what moves" below).
Each workload of ../shared/workloads is copied scaled down (fewer rows,
rounds, iterations: the substitutions in SCALE, each checked to apply) so that
it finishes under valgrind in a minute or two, and run under

    valgrind --tool=callgrind --trace-children=yes --callgrind-out-file=DIR/cg.%p

unprofiled, under `oomph run` (default and --exact) and under the other
profilers installed from Debian (tracemalloc is built in; mprof is
python3-memory-profiler; scalene and heaptrack on request, see PEERS).  The
figure is the sum of the `totals:` line of every process's callgrind file.

A one-line script (`x = 1`) measures the fixed cost of a run: what oomph adds
to a program that does nothing, split by process (the supervisor, the
program, the rest).  The probe's answer is cached per interpreter
(src/supervisor/probecache.h): one warm-up run fills the cache, as any
earlier run of the same interpreter would.

What moves: oomph's supervisor wakes every 100 ms while the program runs
(SUP_TICK_MS) and mprof samples every 100 ms; under valgrind the program runs
50-100 times slower than natively, so their instructions grow with the
wall time of the valgrind run, which grows with the machine's load.  The
supervisor's ticks are counted (the timeline's lines) and shown.

    bench/instructions.py                      # every workload, every peer found
    bench/instructions.py --only pyalloc fixed # one at a time (a shared machine)
    bench/instructions.py --peers              # oomph only
    bench/instructions.py --out build/bench-instructions.md
    bench/instructions.py --only pyalloc --peers --modes plain default \
        --oomph /tmp/before/build/oomph      # another build, default mode only
"""
import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OOMPH = os.path.join(ROOT, "build", "oomph")
LIBOOMPH = "liboomph.so"

# Scaled-down copies: (old, new) substitutions per workload, and its argv.
SCALE = {
    "pyalloc": ([("N = 1_000_000", "N = 300_000")], ["1"]),
    "calls": ([("fib(32)", "fib(24)"), ("16_000_000", "1_000_000")], []),
    "numpy_peak": ([("BIG = 200 * MiB // 8", "BIG = 20 * MiB // 8"),
                    ("SMALL = 50 * MiB // 8", "SMALL = 5 * MiB // 8")], []),
    "pandas_etl": ([("ROWS = 2_000_000", "ROWS = 200_000")], []),
    "threads": ([("ITERS = 8", "ITERS = 2"), ("SIZE = 1_500_000", "SIZE = 300_000")], []),
}
FIXED = "fixed"  # the one-line script

TRACEMALLOC = ("import runpy, sys, tracemalloc\n"
               "tracemalloc.start(int(sys.argv[1]))\n"
               "script = sys.argv[2]; sys.argv = sys.argv[2:]\n"
               "runpy.run_path(script, run_name='__main__')\n")

# Not in the default list, on request only (`--peers ... scalene`):
# heaptrack unwinds every allocation (hours under valgrind) and scalene
# 1.5.16 re-executes itself in a chain of processes under valgrind that did
# not end within 4 minutes on pyalloc.py (a process a minute).
PEERS = ["tracemalloc1", "mprof"]
KNOWN_PEERS = PEERS + ["scalene", "heaptrack"]


def peer_available(peer, py):
    if peer.startswith("tracemalloc"):
        return True
    if peer == "heaptrack":
        return shutil.which("heaptrack") is not None
    mod = {"mprof": "mprof", "scalene": "scalene"}[peer]
    return subprocess.run([py, "-c", "import %s" % mod], capture_output=True).returncode == 0


def argv_of(mode, py, script, args, out):
    if mode == "plain":
        return [py, script] + args
    if mode in ("default", "exact"):
        return [OOMPH, "run", "-q", "--python", py, "-o", out] + \
               (["--exact"] if mode == "exact" else []) + [script] + args
    if mode.startswith("tracemalloc"):
        return [py, "-c", TRACEMALLOC, mode[len("tracemalloc"):], script] + args
    if mode == "mprof":
        return [py, "-m", "mprof", "run", "-o", out + ".dat", py, script] + args
    if mode == "scalene":
        return [py, "-m", "scalene", "--cli", "--json", "--memory", "--outfile", out + ".json",
                script] + args
    if mode == "heaptrack":
        return ["heaptrack", "-o", out, py, script] + args
    raise ValueError(mode)


def callgrind(argv, cgdir, timeout):
    """{pid: (cmd, instructions)} of every process, or a string saying why not."""
    os.makedirs(cgdir, exist_ok=True)
    vg = ["valgrind", "--tool=callgrind", "--trace-children=yes",
          "--callgrind-out-file=" + os.path.join(cgdir, "cg.%p")]
    t0 = time.time()
    try:
        p = subprocess.run(vg + argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                           text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return "timed out after %d s" % timeout
    wall = time.time() - t0
    if p.returncode != 0:
        tail = [l for l in p.stderr.splitlines() if not l.startswith("==")][-1:]
        return "exit %d%s" % (p.returncode, (": " + tail[0][:120]) if tail else "")
    procs = {}
    for f in glob.glob(os.path.join(cgdir, "cg.*")):
        cmd, total = "", 0
        with open(f, errors="replace") as fh:
            for line in fh:
                if line.startswith("cmd:"):
                    cmd = line[4:].strip()
                elif line.startswith("totals:") or line.startswith("summary:"):
                    total = max(total, int(line.split()[1]))
        procs[f] = (cmd, total)
    return procs, wall


def liboomph_top(cgdir, n=8):
    """The largest process's top functions of liboomph.so (self), from callgrind_annotate."""
    files = glob.glob(os.path.join(cgdir, "cg.*"))
    if not files or not shutil.which("callgrind_annotate"):
        return []
    def total(f):
        with open(f, errors="replace") as fh:
            for line in fh:
                if line.startswith("totals:") or line.startswith("summary:"):
                    return int(line.split()[1])
        return 0
    big = max(files, key=total)
    r = subprocess.run(["callgrind_annotate", "--threshold=100", big], capture_output=True,
                       text=True)
    out = []
    for line in r.stdout.splitlines():
        if LIBOOMPH in line:
            m = re.match(r"\s*([\d,]+)\s+\([^)]*\)\s+(\S+)", line) or re.match(r"\s*([\d,]+)\s+(\S+)", line)
            if m:
                fn = m.group(2).split(":")[-1].split(" ")[0]
                out.append((int(m.group(1).replace(",", "")), fn))
        if len(out) >= n:
            break
    return out


def scaled_copy(workloads, name, tmp):
    path = os.path.join(tmp, name + ".py")
    if name == FIXED:
        with open(path, "w") as f:
            f.write("x = 1\n")
        return path, []
    subs, args = SCALE[name]
    with open(os.path.join(workloads, name + ".py")) as f:
        text = f.read()
    for old, new in subs:
        if old not in text:
            raise SystemExit("%s.py: %r not found: SCALE in bench/instructions.py is out of date"
                             % (name, old))
        text = text.replace(old, new)
    with open(path, "w") as f:
        f.write(text)
    return path, args


def g(n):
    return "%.2f G" % (n / 1e9) if n >= 1e9 else "%.1f M" % (n / 1e6)


def emit(lines, out):
    text = "\n".join(lines) + "\n"
    sys.stdout.write(text)
    if out:
        with open(out, "w") as f:
            f.write(text)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--python", default="/usr/bin/python3")
    ap.add_argument("--workloads", default=os.path.join(os.path.dirname(ROOT), "shared", "workloads"))
    ap.add_argument("--only", nargs="*", help="workloads (without .py), and/or 'fixed'")
    ap.add_argument("--peers", nargs="*", default=None,
                    help="other profilers (default: those installed of %s; also heaptrack)" % PEERS)
    ap.add_argument("--timeout", type=int, default=900, help="seconds per valgrind run")
    ap.add_argument("--modes", nargs="*", default=["plain", "default", "exact"],
                    choices=["plain", "default", "exact"],
                    help="which runs of oomph (default: all three; 'plain' is the unprofiled run)")
    ap.add_argument("--oomph", help="the oomph to measure (another build: a before/after in one "
                    "session); default: this tree's build/oomph")
    ap.add_argument("--out")
    args = ap.parse_args()
    global OOMPH
    if args.oomph:
        OOMPH = os.path.abspath(args.oomph)
    if not shutil.which("valgrind"):
        raise SystemExit("valgrind is not installed (apt-get install valgrind)")
    names = [FIXED] + sorted(SCALE)
    if args.only:
        names = [n for n in names if n in args.only]
    peers = [p for p in (args.peers if args.peers is not None else PEERS)
             if peer_available(p, args.python)]
    modes = [m for m in ("plain", "default", "exact") if m in args.modes]
    # warm the probe's cache: the steady state of a user's runs
    tmp = tempfile.mkdtemp(prefix="oomph-instr-")
    subprocess.run([OOMPH, "run", "-q", "--python", args.python, "-o", os.path.join(tmp, "warm"),
                    "-c", "pass"], capture_output=True)
    rows, fixed, tops = [], None, {}
    try:
        for name in names:
            script, sargs = scaled_copy(args.workloads, name, tmp)
            row = {"workload": name}
            for mode in modes + ([] if name == FIXED else peers):
                out = os.path.join(tmp, "%s-%s" % (name, mode))
                got = callgrind(argv_of(mode, args.python, script, sargs, out),
                                out + ".cg", args.timeout)
                if isinstance(got, str):
                    row[mode] = got
                    print("%s %s: failed: %s" % (name, mode, got), file=sys.stderr)
                    continue
                procs, wall = got
                row[mode] = sum(t for _, t in procs.values())
                print("%s %s: %s instructions, %d processes, %.0f s under valgrind" % (
                    name, mode, f"{row[mode]:,}", len(procs), wall), file=sys.stderr)
                if mode in ("default", "exact"):
                    ticks = 0
                    tl = os.path.join(out, "timeline.tsv")
                    if os.path.exists(tl):
                        with open(tl) as f:
                            ticks = sum(1 for l in f if l[:1].isdigit())
                    sup = sum(t for c, t in procs.values() if c.startswith(OOMPH))
                    prog = sum(t for c, t in procs.values()
                               if not c.startswith(OOMPH) and c.split()[:1] == [args.python])
                    row[mode + "_parts"] = (sup, prog, row[mode] - sup - prog, ticks)
                    if name != FIXED:
                        tops[(name, mode)] = liboomph_top(out + ".cg")
                shutil.rmtree(out + ".cg", ignore_errors=True)
            if name == FIXED:
                fixed = row
            else:
                rows.append(row)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    py_version = subprocess.run([args.python, "-c", "import sys;print(sys.version.split()[0])"],
                                capture_output=True, text=True).stdout.strip()
    lines = ["### Instructions (`bench/instructions.py`: callgrind, every process summed)", "",
             "CPython %s (%s), %s; scaled-down workloads (bench/instructions.py SCALE); "
             "`valgrind --tool=callgrind --trace-children=yes`, the `totals:` of every process."
             % (py_version, args.python, time.strftime("%Y-%m-%d")), ""]

    def cell(row, m):
        v, base = row.get(m), row.get("plain")
        if isinstance(v, str):
            return "failed (%s)" % v
        if v is None:
            return "-"
        if m == "plain" or not isinstance(base, int) or not base:
            return g(v)
        return "%.3f× (%s)" % (v / base, g(v))

    if fixed:
        lines += ["One-line script (`x = 1`): what a run adds (probe cached by a warm-up run).", "",
                  "| run | instructions | added | the supervisor (oomph) | the program | others | supervisor ticks |",
                  "|---|---|---|---|---|---|---|"]
        base = fixed.get("plain")
        lines.append("| plain | %s | | | %s | | |" % (cell(fixed, "plain"), cell(fixed, "plain")))
        for m in ("default", "exact"):
            v = fixed.get(m)
            if isinstance(v, int) and isinstance(base, int):
                sup, prog, other, ticks = fixed[m + "_parts"]
                lines.append("| oomph %s | %s | +%s | %s | %s (+%s) | %s | %d |" % (
                    m, g(v), g(v - base), g(sup), g(prog), g(prog - base), g(other), ticks))
            else:
                lines.append("| oomph %s | %s | | | | | |" % (m, cell(fixed, m)))
        lines.append("")
    if rows:
        cols = modes + peers
        lines += ["| workload | " + " | ".join("unprofiled" if c == "plain" else
                                               "oomph " + c if c in ("default", "exact") else c
                                               for c in cols) + " |",
                  "|" + "---|" * (len(cols) + 1)]
        for row in rows:
            lines.append("| %s | %s |" % (row["workload"], " | ".join(cell(row, c) for c in cols)))
        import math
        geo = []
        for c in cols[1:]:
            r = [row[c] / row["plain"] for row in rows
                 if isinstance(row.get(c), int) and isinstance(row.get("plain"), int)]
            geo.append("%.3f×" % math.exp(sum(map(math.log, r)) / len(r)) if len(r) == len(rows) else "-")
        lines.append("| **geometric mean** | | " + " | ".join(geo) + " |")
        lines.append("")
        parts = [(row["workload"], m, row.get(m + "_parts")) for row in rows
                 for m in ("default", "exact") if row.get(m + "_parts")]
        if parts:
            lines += ["Of oomph's runs: the supervisor (ticks every 100 ms of the valgrind run), "
                      "the program.", "",
                      "| workload | mode | supervisor | ticks | the program |", "|---|---|---|---|---|"]
            for w, m, (sup, prog, other, ticks) in parts:
                lines.append("| %s | %s | %s | %d | %s |" % (w, m, g(sup), ticks, g(prog)))
            lines.append("")
        if tops:
            lines += ["liboomph.so's own functions in the program's process (self instructions, "
                      "callgrind_annotate):", ""]
            for (w, m), top in sorted(tops.items()):
                if top:
                    lines.append("- %s %s: " % (w, m) + ", ".join("`%s` %s" % (fn, g(n)) for n, fn in top))
            lines.append("")
    emit(lines, args.out)


if __name__ == "__main__":
    main()
