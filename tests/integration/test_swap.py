"""Issue 19: the slow death for real — a job that swaps.

A swap file of a few hundred MiB is made on the disk and turned on for this
module only (swapoff and removed afterwards, whatever happens; a leftover
of a crashed run is removed first).  The programs run inside oomph's own
--limit cgroup, so nothing else on the machine is pushed into swap: its
working set (300 MiB) is twice its limit (150 MiB), and --swap lets the
cgroup put the rest in swap.  Checked: the live warning, the swap figures
in timeline.tsv and summary.json against the kernel's own counters of the
cgroup (read while the program holds still), --max-stall stopping it with
its own verdict and the line that holds the memory, an OOM kill after
swapping that says both, and a run without --swap that never swaps.

Where swap cannot be turned on (not root, a container) or no memory cgroup
can be made, the tests are skipped with the reason."""
import glob
import json
import os
import queue
import re
import shutil
import signal
import subprocess
import threading
import time

import pytest

from conftest import (DEBIAN, MiB, OOMPH, Result, by_innermost_python_line, clean_env,
                      fresh_dir, line_of, place_program, read_folded, require_oomph)

PROGRAM = "swap_churn.py"
SWAP_DIR = "/var/tmp"          # on the disk: swap on tmpfs is refused
SWAP_PREFIX = "oomph-test-swap-"
SWAP_MIB = 320
LIMIT = ["--limit", "150MiB"]


# ---------------------------------------------------------------- the swap file

def active_swaps():
    try:
        with open("/proc/swaps") as f:
            return [line.split()[0] for line in f.read().splitlines()[1:] if line.strip()]
    except OSError:
        return []


def pid_alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


# Every oomph this module starts, so that none still holds pages in the swap
# file when it is turned off (swapoff cannot take back pages of a cgroup at
# its limit: it fails while the program lives).
RUNNING = set()


def end_runs():
    for p in list(RUNNING):
        if p.poll() is None:
            p.terminate()  # oomph forwards it to the program, then cleans up
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        RUNNING.discard(p)


def remove_swap(path):
    end_runs()
    for attempt in range(10):
        if path not in active_swaps():
            break
        if subprocess.run(["swapoff", path], capture_output=True, timeout=300).returncode == 0:
            break
        time.sleep(1)
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def remove_leftovers():
    """Swap files of test runs that died without cleaning up (their pid is
    gone); another run going on at the same time keeps its own."""
    for path in glob.glob(os.path.join(SWAP_DIR, SWAP_PREFIX + "*.img")):
        m = re.search(r"-(\d+)\.img$", path)
        if m and not pid_alive(int(m.group(1))):
            remove_swap(path)


def make_swap(path):
    """The swap file, turned on; an error message if that cannot be done."""
    made = subprocess.run(["fallocate", "-l", "%dM" % SWAP_MIB, path], capture_output=True)
    if made.returncode != 0:  # a filesystem without fallocate: write it
        made = subprocess.run(["dd", "if=/dev/zero", "of=" + path, "bs=1M",
                               "count=%d" % SWAP_MIB], capture_output=True)
        if made.returncode != 0:
            return "cannot write %s: %s" % (path, made.stderr.decode(errors="replace").strip())
    os.chmod(path, 0o600)
    r = subprocess.run(["mkswap", path], capture_output=True)
    if r.returncode != 0:
        return "mkswap failed: " + r.stderr.decode(errors="replace").strip()
    r = subprocess.run(["swapon", path], capture_output=True)
    if r.returncode != 0:
        return "swapon failed: " + r.stderr.decode(errors="replace").strip()
    return None


@pytest.fixture(scope="module")
def swap_file():
    if os.geteuid() != 0:
        pytest.skip("turning swap on needs root")
    for tool in ("mkswap", "swapon", "swapoff"):
        if not shutil.which(tool):
            pytest.skip("%s is not installed" % tool)
    remove_leftovers()
    path = os.path.join(SWAP_DIR, "%s%d.img" % (SWAP_PREFIX, os.getpid()))

    # Killed by a signal, pytest would die without running the finally
    # below: turn the swap off first, then die of it as before.
    def on_signal(signum, frame):
        try:
            remove_swap(path)
        finally:
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        why = make_swap(path)
        if why:
            pytest.skip("swap cannot be turned on here (a container?): " + why)
        yield path
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        remove_swap(path)


# ---------------------------------------------------------------- readings

def meminfo_swap_total():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("SwapTotal:"):
                return int(line.split()[1]) * 1024
    return 0


def vmstat_swapped_out():
    """Pages the machine has swapped out, zero-filled ones included."""
    n = 0
    with open("/proc/vmstat") as f:
        for line in f:
            k, _, v = line.partition(" ")
            if k in ("pswpout", "swpout_zero"):
                n += int(v)
    return n * os.sysconf("SC_PAGE_SIZE")


def kernel_swap_of(pid):
    """The swap charged to the memory cgroup of pid, as the kernel counts it
    (v1: memsw.usage - usage, v2: memory.swap.current), and its VmSwap."""
    with open("/proc/%d/cgroup" % pid) as f:
        lines = f.read().splitlines()
    cg = None
    for line in lines:
        _, ctrls, path = line.split(":", 2)
        if "memory" in ctrls.split(","):
            d = "/sys/fs/cgroup/memory" + path
            cg = int(open(d + "/memory.memsw.usage_in_bytes").read()) - \
                int(open(d + "/memory.usage_in_bytes").read())
    if cg is None:
        for line in lines:
            _, ctrls, path = line.split(":", 2)
            if ctrls == "":
                cg = int(open("/sys/fs/cgroup" + path + "/memory.swap.current").read())
    vmswap = 0
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmSwap:"):
                vmswap = int(line.split()[1]) * 1024
    return cg, vmswap


def timeline(out_dir):
    """timeline.tsv as rows of {column: number}."""
    with open(os.path.join(out_dir, "timeline.tsv")) as f:
        text = f.read().splitlines()
    assert text[0] == "# oomph timeline 2", text[0]
    cols = text[1].lstrip("# ").split()
    return [dict(zip(cols, map(float, line.split()))) for line in text[2:] if line]


def prog_swap(row):
    return row["cgroup_swap_bytes"] if row["cgroup_swap_bytes"] >= 0 else row["vmswap_bytes"]


def skip_without_cgroup_swap(summary, text=""):
    if summary is None:
        raise AssertionError("no summary.json\n" + text)
    if summary.get("limit_mode") == "rlimit-data":
        pytest.skip("no memory cgroup could be created here: %s"
                    % "\n".join(summary.get("evidence", []))[-300:])
    if summary["swap"]["allowed_bytes"] is None:
        pytest.skip("this kernel does not account swap in cgroups: --swap cannot be applied")


def evidence(summary):
    return "\n".join(summary.get("evidence", []))


class Live:
    """An oomph run whose stdout and stderr lines are read as they come."""

    def __init__(self, oomph_args, prog_args):
        require_oomph()
        self.cwd = fresh_dir()
        place_program(PROGRAM, self.cwd)
        self.out = self.cwd / "report"
        self.lines = queue.Queue()
        self.err = []
        self.p = subprocess.Popen(
            [str(OOMPH), "run"] + oomph_args + ["--python", DEBIAN.path, "-o", str(self.out),
                                                PROGRAM] + prog_args,
            cwd=str(self.cwd), env=clean_env(None), stdout=subprocess.PIPE,
            stderr=subprocess.PIPE)
        RUNNING.add(self.p)
        for stream, name in ((self.p.stdout, "out"), (self.p.stderr, "err")):
            threading.Thread(target=self._pump, args=(stream, name), daemon=True).start()

    def _pump(self, stream, name):
        for raw in stream:
            line = raw.decode(errors="replace")
            if name == "err":
                self.err.append(line)
            self.lines.put((time.monotonic(), name, line))
        self.lines.put((time.monotonic(), name, None))

    def wait_for(self, predicate, timeout):
        """The first (time, stream, line) satisfying predicate, or None."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                item = self.lines.get(timeout=max(0.01, end - time.monotonic()))
            except queue.Empty:
                break
            if item[2] is not None and predicate(item[1], item[2]):
                return item
        return None

    def finish(self, timeout=180):
        try:
            self.p.wait(timeout=timeout)
        finally:
            end_runs()
        time.sleep(0.2)  # the pumps read the last lines
        with open(self.out / "summary.json") as f:
            return json.load(f)

    def stop(self):
        end_runs()


def run_oomph(program, args, extra, timeout):
    """conftest's run_oomph, with the process known to end_runs()."""
    require_oomph()
    cwd = fresh_dir()
    place_program(program, cwd)
    out_dir = cwd / "report"
    argv = [str(OOMPH), "run", "--python", DEBIAN.path, "-o", str(out_dir)] + list(extra) + \
        [program] + [str(a) for a in args]
    p = subprocess.Popen(argv, cwd=str(cwd), env=clean_env(None), stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    RUNNING.add(p)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        raise AssertionError("oomph run did not finish in %ds: %s" % (timeout, " ".join(argv)))
    finally:
        end_runs()
    return Result(argv, p.returncode, out, err, out_dir, cwd)


# ---------------------------------------------------------------- the tests

def test_a_job_that_swaps_is_warned_live_and_measured(swap_file):
    machine = meminfo_swap_total()
    out_before = vmstat_swapped_out()
    run = Live(LIMIT + ["--swap", "300MiB"], ["300", "8", "4"])
    try:
        started = run.wait_for(lambda s, l: s == "out" and l.startswith("pid "), 60)
        assert started, "the program did not start: " + "".join(run.err)
        pid = int(started[2].split()[1])
        warned = run.wait_for(lambda s, l: s == "err" and (
            "is swapping" in l or "no memory cgroup could be made" in l), 60)
        assert warned, "no live swap warning: " + "".join(run.err)
        if "no memory cgroup" in warned[2]:
            pytest.skip(warned[2].strip())
        assert warned[0] - started[0] < 15, "warned only after %.1f s" % (warned[0] - started[0])
        assert run.p.poll() is None, "the warning came only after the program ended"
        line = warned[2]
        assert re.search(r"swapping \(for [\d.]+ s now\)", line), line
        assert re.search(r": [\d.]+ [KMG]iB of the program in swap, ", line), line
        assert re.search(r" swapped in and [\d.]+ [KMG]?i?B/s out ", line), line
        assert "its limit: 150.0 MiB of memory + 300.0 MiB of swap" in line, line
        # while it holds still, the kernel's own counters of its cgroup
        held = run.wait_for(lambda s, l: s == "out" and l.startswith("holding"), 120)
        assert held, "the program never got to hold still: " + "".join(run.err)
        time.sleep(1.5)
        kernel_cg, kernel_vmswap = kernel_swap_of(pid)
        summary = run.finish()
    finally:
        run.stop()
    skip_without_cgroup_swap(summary, "".join(run.err))
    out_after = vmstat_swapped_out()
    assert run.p.returncode == 0, "".join(run.err)
    assert summary["verdict"] == "exited", evidence(summary)
    assert summary["thrashing"] is True, summary["stall"]
    # warned again at a calm pace, not every tick
    warnings = [l for l in run.err if "is swapping" in l]
    assert 1 <= len(warnings) <= 1 + summary["duration_s"] / 10 + 1, warnings

    sw = summary["swap"]
    assert sw["allowed_bytes"] == 300 * MiB
    assert sw["machine_bytes"] == machine
    assert kernel_cg > 100 * MiB, kernel_cg  # half the working set lives in swap
    rows = timeline(run.out)
    # the timeline agrees with the kernel: the cgroup's swap as read while it
    # held still, and its VmSwap
    assert min(abs(r["cgroup_swap_bytes"] - kernel_cg) for r in rows) <= 1 * MiB, \
        (kernel_cg, sorted(set(r["cgroup_swap_bytes"] for r in rows))[-5:])
    assert min(abs(r["vmswap_bytes"] - kernel_vmswap) for r in rows) <= 1 * MiB, \
        (kernel_vmswap, sorted(set(r["vmswap_bytes"] for r in rows))[-5:])
    # summary.json agrees with the timeline and the kernel
    assert sw["peak_bytes"] == max(prog_swap(r) for r in rows)
    assert sw["peak_bytes"] >= kernel_cg - 1 * MiB
    assert sw["peak_bytes"] <= 300 * MiB
    assert sw["vmswap_peak_bytes"] == max(r["vmswap_bytes"] for r in rows)
    assert sw["in_max_bytes_per_s"] > 0 and sw["out_max_bytes_per_s"] > 0, sw
    assert sw["swapping_s"] >= 2, sw
    # the rates add up to what the counters moved, and to no more than the
    # machine's own count over the same time
    steps = list(zip(rows, rows[1:]))
    out_sum = sum(b["swapout_bytes_per_s"] * (b["t_s"] - a["t_s"]) for a, b in steps)
    assert abs(out_sum - sw["out_bytes"]) <= 0.02 * sw["out_bytes"] + MiB, (out_sum, sw)
    assert sw["out_bytes"] >= sw["peak_bytes"] / 2, sw
    assert sw["out_bytes"] <= out_after - out_before + MiB, (sw, out_after - out_before)
    if sw["scope"] == "machine":  # no one else swaps here: the same count
        assert sw["out_bytes"] >= 0.8 * (out_after - out_before), (sw, out_after - out_before)
    # the verdict's evidence and the report
    ev = evidence(summary)
    assert "it swapped for" in ev and "swap allowed: 300.0 MiB beyond the memory limit" in ev, ev
    assert "it thrashed for" in ev, ev
    html = (run.out / "index.html").read_text()
    assert '<polyline class="sw"' in html


def test_max_stall_stops_a_thrashing_job_with_its_own_verdict(swap_file):
    r = run_oomph(PROGRAM, args=["300", "60", "0"],
                  extra=LIMIT + ["--swap", "300MiB", "--max-stall", "10"], timeout=120)
    skip_without_cgroup_swap(r.summary, r.describe())
    assert r.status == 128 + 9, r.describe()
    s = r.summary
    assert s["verdict"] == "stopped-thrashing", r.describe()
    assert s["verdict_text"] == "was stopped by oomph while thrashing (--max-stall)"
    ev = evidence(s)
    assert "more than --max-stall 10%; oomph stopped it" in ev, ev
    assert "in swap" in ev, ev
    st = s["stopped"]
    assert st["by"] in ("psi", "kernel-time"), st
    assert st["share_pct"] >= 10, st
    assert st["swap_bytes"] > 0 and s["swap"]["peak_bytes"] >= st["swap_bytes"], (st, s["swap"])
    assert st["time_s"] < 30, st  # stopped, not run to its end
    # the picture of that moment: the line that holds the memory
    assert s["death"]["reason"] == "killed"
    lines = by_innermost_python_line(read_folded(r.dir / "death.folded"), str(r.cwd))
    hold = "%s:%d" % (PROGRAM, line_of(PROGRAM, "hold"))
    assert lines.get(hold, 0) >= 250 * MiB, lines
    assert "oomph: stopping the program" in r.text_err


def test_an_oom_kill_after_swapping_says_both(swap_file):
    r = run_oomph(PROGRAM, args=["300", "20", "0"], extra=LIMIT + ["--swap", "64MiB"],
                  timeout=120)
    skip_without_cgroup_swap(r.summary, r.describe())
    s = r.summary
    assert r.status == 128 + 9, r.describe()
    assert s["verdict"] == "oom-killed", r.describe()
    m = re.match(r"swapped for ([\d.]+) s \(peak swap ([\d.]+) MiB\), then was killed by the "
                 r"kernel's OOM killer", s["verdict_text"])
    assert m, s["verdict_text"]
    assert float(m.group(1)) > 0
    assert 8 <= float(m.group(2)) <= 64 + 1, s["verdict_text"]  # within what --swap allowed
    assert s["swap"]["allowed_bytes"] == 64 * MiB
    assert s["swap"]["peak_bytes"] <= 65 * MiB
    assert "it swapped for" in evidence(s)


def test_without_swap_a_limited_job_never_swaps(swap_file):
    """The machine has swap now; --limit without --swap still allows none."""
    r = run_oomph(PROGRAM, args=["300", "20", "0"], extra=LIMIT, timeout=120)
    s = r.summary
    if s and s.get("limit_mode") == "rlimit-data":
        pytest.skip("no memory cgroup could be created here")
    assert s["verdict"] == "oom-killed", r.describe()
    assert s["verdict_text"].startswith("was killed by the kernel's OOM killer"), s["verdict_text"]
    sw = s["swap"]
    if sw["allowed_bytes"] is None:
        pytest.skip("this kernel does not account swap in cgroups: it cannot be forbidden")
    assert sw["allowed_bytes"] == 0
    assert sw["machine_bytes"] >= SWAP_MIB * MiB - MiB
    assert sw["peak_bytes"] == 0 and sw["vmswap_peak_bytes"] == 0, sw
    assert sw["swapping_s"] == 0, sw
    rows = timeline(r.dir)
    assert rows and all(r_["vmswap_bytes"] == 0 and r_["cgroup_swap_bytes"] == 0 for r_ in rows)
    assert "no swap allowed beyond the limit" in evidence(s)
    assert "is swapping" not in r.text_err
