"""Issue 3: every way a program dies of memory, provoked inside a limit the
test sets itself (oomph's --limit: a private cgroup of a few hundred MiB,
or an rlimit), and what oomph says about it: the verdict and the evidence
in summary.json, the exit status passed through, and the lines in
death.folded.

The cgroup deaths (oom-killed, thrashing) need a memory cgroup oomph can
create (root here); where none can be made they are skipped with the
reason oomph gave, never failed.  The OOM-kill and --on-oom stop deaths run
on Debian's python3 and in the sid root (3.14, 3.15: /sys, with the cgroup
fs, is mounted there); the thrashing ones watch the supervisor, not the
interpreter, and run on Debian's python3 only."""
import json
import os
import re
import signal
import subprocess
import time

import pytest

from conftest import (DEBIAN, DEBIAN_AND_SID, MiB, OOMPH, clean_env, fresh_dir, line_of, place_program,
                      read_folded, require_oomph, run_oomph, by_innermost_python_line)


def evidence(r):
    return "\n".join(r.summary.get("evidence", []))


def death_lines(r):
    path = r.dir / "death.folded"
    assert path.exists(), "no death.folded\n" + r.describe()
    return by_innermost_python_line(read_folded(path), str(r.cwd))


def share(lines, key):
    total = sum(lines.values())
    return lines.get(key, 0) / total if total else 0.0


def cgroup_or_skip(r):
    """Skip (with oomph's own words) when --limit could not make a cgroup."""
    mode = r.summary.get("limit_mode", "")
    if mode == "rlimit-data":
        pytest.skip("no memory cgroup could be created here: " + evidence(r)[-300:])
    assert mode in ("cgroup-v1", "cgroup-v2"), r.describe()


# ------------------------------------------------------------ memory-error

def test_memory_error_names_the_line_and_the_size(python):
    r = run_oomph("deaths_memerror.py", python=python)
    assert r.status == 1, r.describe()
    assert r.summary["verdict"] == "memory-error", r.describe()
    ev = evidence(r)
    # 10**13 and the NUL a bytearray keeps (3.15: a bytes object's 33 bytes)
    asked = int(re.search(r"\((\d+) bytes\) asked by", ev).group(1))
    assert 10**13 + 1 <= asked <= 10**13 + 64, ev
    assert "deaths_memerror.py:%d (allocate)" % line_of("deaths_memerror.py", "huge") in ev
    assert "ENOMEM" in ev
    # the exception it died of, recorded by its tracker, confirms it
    assert r.summary["exception"] == {"type": "MemoryError", "message": ""}, r.summary
    assert "it then exited with code 1 (uncaught MemoryError)" in ev, ev
    assert r.summary["verdict_text"] == "ran out of memory (MemoryError) and exited with code 1"
    # the moment of death: what was live when the allocation failed
    lines = death_lines(r)
    kept = "deaths_memerror.py:%d" % line_of("deaths_memerror.py", "kept")
    assert lines.get(kept, 0) >= 8 * MiB, lines
    fa = r.summary["failed_allocations"]
    assert fa["total"] >= 1
    assert any(f["size"] == asked for f in fa["recent"]), fa


def test_caught_memory_error_exits_normally_and_says_so(python):
    r = run_oomph("deaths_caught.py", python=python)
    assert r.status == 0, r.describe()
    assert "survived" in r.text_out
    assert r.summary["verdict"] == "exited"
    ev = evidence(r)
    assert "3 allocations failed" in ev, ev
    assert "deaths_caught.py:%d (try_huge)" % line_of("deaths_caught.py", "huge") in ev
    assert r.summary["failed_allocations"]["total"] == 3


# ------------------------------------------------------------ null-dereference

def test_unchecked_null_from_malloc_is_a_null_dereference(python):
    r = run_oomph("deaths_nullderef.py", python=python)
    assert r.status == 128 + signal.SIGSEGV, r.describe()
    assert r.summary["verdict"] == "null-dereference", r.describe()
    ev = evidence(r)
    assert "SIGSEGV at address 0x40 (near NULL)" in ev, ev
    assert "70368744177664 bytes" in ev  # the 64 TiB malloc that returned NULL
    assert "deaths_nullderef.py:%d (fill)" % line_of("deaths_nullderef.py", "malloc") in ev
    assert (r.dir / "death.folded").exists()


def test_failed_malloc_keeps_its_line_after_frames_caught_in_their_prologue(python):
    # Every stack taken with the GIL is compared with the one read from
    # memory; frames caught before their first line (cells being made) once
    # disagreed on 3.13, which turned memory reads off, and the failed malloc
    # (ctypes drops the GIL) was charged to an older line.
    prog = "deaths_nullderef_prologue.py"
    r = run_oomph(prog, python=python, extra=["--exact"], env={"OOMPH_RAW_CHECKS": "100000"})
    assert r.summary["verdict"] == "null-dereference", r.describe()
    assert "%s:%d (fill)" % (prog, line_of(prog, "malloc")) in evidence(r)


# ------------------------------------------------------------ killed

def test_kill_dash_nine_without_memory_trouble_is_killed_not_oom_killed():
    require_oomph()
    cwd = fresh_dir()
    place_program("deaths_sleeper.py", cwd)
    out = cwd / "report"
    p = subprocess.Popen([str(OOMPH), "run", "--python", DEBIAN.path, "-o", str(out),
                          "deaths_sleeper.py"], cwd=str(cwd), env=clean_env(None),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        line = p.stdout.readline().decode()
        assert line.startswith("ready "), line
        child = int(line.split()[1])
        os.kill(child, signal.SIGKILL)  # the program oomph started for us
        _, err = p.communicate(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert p.returncode == 128 + signal.SIGKILL, err.decode()
    with open(out / "summary.json") as f:
        s = json.load(f)
    assert s["verdict"] == "killed", s.get("evidence")
    assert "no sign of the kernel's OOM killer" in "\n".join(s["evidence"])
    # its memory at death is still there, from the shared state
    lines = by_innermost_python_line(read_folded(out / "peak.folded"), str(cwd))
    held = "deaths_sleeper.py:%d" % line_of("deaths_sleeper.py", "held")
    assert lines.get(held, 0) >= 16 * MiB


# ------------------------------------------------------------ oom-killed

@pytest.mark.parametrize("interp", DEBIAN_AND_SID)
def test_unbounded_list_under_limit_is_oom_killed(interp):
    r = run_oomph("deaths_grow.py", python=interp, extra=["--limit", "300MiB"], timeout=120)
    cgroup_or_skip(r)
    assert r.status == 128 + signal.SIGKILL, r.describe()
    assert r.summary["verdict"] == "oom-killed", r.describe()
    assert r.summary["limit_bytes"] == 300 * MiB
    assert "cgroup" in r.summary["limit_source"]
    ev = evidence(r)
    assert "oom_kill counter" in ev or "kernel log names process" in ev, ev
    lines = death_lines(r)
    grow = "deaths_grow.py:%d" % line_of("deaths_grow.py", "grow")
    assert share(lines, grow) > 0.8, lines
    assert lines[grow] > 150 * MiB, lines
    # killed there: what it held when it ended is the death's picture,
    # said once (exit.folded is still written, the same stacks)
    assert "Memory live when the OOM killer struck" in r.text_err, r.text_err
    assert "Memory live when it ended" not in r.text_err, r.text_err
    assert read_folded(r.dir / "exit.folded") == read_folded(r.dir / "death.folded")


def test_killed_while_idle_dies_when_it_was_reaped_not_at_its_last_allocation():
    """The OOM killer takes the main process a second or more after its
    last allocation (it waits while an unprofiled child fills the cgroup):
    nothing is recorded at a SIGKILL, so the death's moment is when oomph
    reaped it (before: its last recorded event, 0.44 s for a death at 2.07 s,
    and the chart's death mark there)."""
    r = run_oomph("deaths_idle_killed.py", extra=["--limit", "256MiB"], timeout=120)
    cgroup_or_skip(r)
    assert r.status == 128 + signal.SIGKILL, r.describe()
    assert r.summary["verdict"] == "oom-killed", r.describe()
    death = r.summary["death"]
    assert death["reason"] == "killed", death
    assert death["time_s"] >= 1.0, (death, r.summary["duration_s"])
    assert abs(death["time_s"] - r.summary["duration_s"]) <= 0.3, (death, r.summary["duration_s"])
    hold = "deaths_idle_killed.py:%d" % line_of("deaths_idle_killed.py", "idle_hold")
    assert death_lines(r)[hold] >= 200 * MiB, death_lines(r)
    # the job's death picture is at that instant too (its only process)
    jd = r.summary["job"]["death"]
    assert jd["pid"] == r.summary["processes"][0]["pid"], jd
    assert abs(jd["time_s"] - r.summary["duration_s"]) <= 0.05, (jd, r.summary["duration_s"])
    assert jd["bytes"] >= 200 * MiB, jd


@pytest.mark.parametrize("interp", DEBIAN_AND_SID)
def test_on_oom_stop_stops_it_before_the_kernel_acts(interp):
    r = run_oomph("deaths_grow.py", python=interp, extra=["--limit", "300MiB", "--on-oom", "stop"],
                  timeout=120)
    assert r.summary["verdict"] == "stopped-near-oom", r.describe()
    assert r.status == 128 + signal.SIGKILL
    assert "stopping it (--on-oom stop)" in r.text_err
    ev = evidence(r)
    assert "left below the limit" in ev, ev
    lines = death_lines(r)
    grow = "deaths_grow.py:%d" % line_of("deaths_grow.py", "grow")
    assert share(lines, grow) > 0.8, lines
    # stopped with at least the threshold (100 MiB) still free
    assert 100 * MiB < lines[grow] < 200 * MiB + 8 * MiB, lines


# ------------------------------------------------------------ slow death

def test_thrashing_is_warned_live_and_reported():
    r = run_oomph("deaths_thrash.py", args=["400", "12"], extra=["--limit", "200MiB"],
                  timeout=240)
    cgroup_or_skip(r)
    assert r.status == 0, r.describe()
    assert r.summary["thrashing"] is True, r.describe()
    assert "the program is thrashing" in r.text_err
    stall = r.summary["stall"]
    assert stall["sustained_s"] >= 2, stall
    # what showed it: a stalled share of the time, or the working set read
    # back from disk (on a VM whose disk is the host's cache, refaults are
    # fast and PSI stays low)
    assert stall["max_pct"] >= 20 or stall["refault_max_per_s"] >= 1000, stall
    assert "it thrashed for" in evidence(r)


def test_thrashing_warning_comes_while_it_happens():
    """The live warning is printed within seconds, before the program ends."""
    require_oomph()
    cwd = fresh_dir()
    place_program("deaths_thrash.py", cwd)
    p = subprocess.Popen([str(OOMPH), "run", "--limit", "200MiB", "--python", DEBIAN.path,
                          "-o", str(cwd / "report"), "deaths_thrash.py", "400", "30"],
                         cwd=str(cwd), env=clean_env(None), stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    try:
        assert p.stdout.readline().decode().startswith("file written")
        t0 = time.monotonic()
        warned = None
        for raw in p.stderr:
            line = raw.decode()
            if "no memory cgroup could be made" in line:
                pytest.skip(line.strip())
            if "the program is thrashing" in line:
                warned = time.monotonic() - t0
                break
        assert warned is not None, "no live warning"
        assert warned < 10, warned
        assert p.poll() is None, "the warning came only after the program ended"
    finally:
        if p.poll() is None:
            p.terminate()  # oomph forwards it to the program it started
            p.communicate(timeout=60)
