"""The control API and snapshots with real programs (issues 16 and 18):
phases called through ctypes, nested, with exact peaks and what they left
live; snapshots on SIGUSR2, through the API, from `oomph snapshot`, and
`oomph report` of a running run; a program's own SIGUSR2 handler kept."""
import json
import os
import signal
import subprocess
import time

import pytest

from conftest import (DEBIAN_PYTHON, MiB, OOMPH, clean_env, fresh_dir, line_of,
                      place_program, run_oomph, run_plain)


def _phases(res):
    return {p["name"]: p for p in res.summary["phases"]}


def test_phases_from_a_python_program_through_ctypes(python):
    res = run_oomph("control_phases.py", python=python)
    assert res.status == 0, res.describe()
    out = json.loads(res.text_out.strip().splitlines()[-1])
    outer_id, big_id, leak_id = out["ids"]
    assert 0 < outer_id < big_id < leak_id
    big, leak = out["info"][1], out["info"][2]
    # what the program read through oomph_phase_info: exact peak, sampled leak
    assert abs(big["peak_above_start_bytes"] - 100 * MiB) <= 0.02 * 100 * MiB, big
    assert big["end_s"] >= big["start_s"] >= 0
    # exact growth: the 20 MiB, and what the interpreter needed meanwhile
    # (at most a pymalloc arena of 1 MiB and the list's own array)
    assert 20 * MiB <= leak["end_bytes"] - leak["start_bytes"] <= 21.5 * MiB, leak
    # oomph_phase_top names the program's line, with its bytes
    file, line = out["top_big"][0][1], int(out["top_big"][0][2])
    assert file.endswith("control_phases.py") and line == line_of("control_phases.py", "big")
    assert int(out["top_big"][0][0]) >= 100 * MiB
    assert int(out["top_leak"][0][2]) == line_of("control_phases.py", "leak")

    ph = _phases(res)
    assert set(ph) == {"outer", "load 100 MiB", "leak 20 MiB \u2014 in KEEP"}
    o, b, k = ph["outer"], ph["load 100 MiB"], ph["leak 20 MiB \u2014 in KEEP"]
    assert b["parent"] == o["id"] and k["parent"] == o["id"] and o["parent"] is None
    assert (o["depth"], b["depth"], k["depth"]) == (0, 1, 1)
    assert abs(b["peak_above_start_bytes"] - 100 * MiB) <= 0.02 * 100 * MiB
    assert b["peak_above_start_bytes"] == big["peak_above_start_bytes"]
    assert o["peak_above_start_bytes"] >= b["peak_above_start_bytes"]
    assert b["top"][0]["line"] == line_of("control_phases.py", "big")
    assert b["top"][0]["bytes"] >= 100 * MiB
    assert b["start_s"] <= b["end_s"] <= k["start_s"] <= k["end_s"]
    assert not any(p["open"] for p in ph.values())
    # the phase table and each phase's flame graph are in the page
    html = (res.dir / "index.html").read_text()
    assert 'id="oomph-phases"' in html and 'data-phase="%d"' % b["id"] in html
    # and every phase whose picture was kept has a graph of its own
    for p in ph.values():
        assert p["picture_kept"] and p["svg"] == "phases/%d.svg" % p["id"]
        assert (res.dir / p["svg"]).read_text().startswith("<?xml")


def test_left_live_is_within_the_sampling_accuracy():
    # 20 MiB in 320 blocks of 64 KiB, sampled every 64 KiB on average:
    # about 320 samples, a standard error near 6%.
    res = run_oomph("control_phases.py", extra=["--sample-rate", "64KiB"])
    assert res.status == 0, res.describe()
    k = _phases(res)["leak 20 MiB \u2014 in KEEP"]
    assert abs(k["left_live_bytes"] - 20 * MiB) <= 0.25 * 20 * MiB, k
    assert k["top_left_live"][0]["line"] == line_of("control_phases.py", "leak")
    o = _phases(res)["outer"]
    assert abs(o["left_live_bytes"] - 20 * MiB) <= 0.25 * 20 * MiB, o
    # the big phase freed what it made: no growth left
    assert _phases(res)["load 100 MiB"]["left_live_bytes"] < 2 * MiB


def _snapshot_summaries(run_dir):
    snaps = run_dir / "snapshots"
    dirs = sorted(snaps.iterdir(), key=lambda d: int(d.name.split("-")[0]))
    return dirs, [json.loads((d / "summary.json").read_text()) for d in dirs]


def test_sigusr2_three_times_writes_three_snapshots_of_their_moments():
    cwd = fresh_dir()
    run_dir = cwd / "report"
    res = run_oomph("control_snapshots.py", args=[str(run_dir)], cwd=cwd, out_dir=run_dir)
    plain = run_plain("control_snapshots.py", env={"NO_SIGNALS": "1"})
    # the program's output and exit status are as without oomph
    assert res.status == 3 == plain[0], res.describe()
    assert res.text_out == plain[1].decode()
    dirs, sums = _snapshot_summaries(run_dir)
    assert [d.name.split("-")[0] for d in dirs] == ["1", "2", "3"]
    held = [10 * MiB, 30 * MiB, 60 * MiB]
    for s, h in zip(sums, held):
        assert s["running"] is True and s["verdict"] == "running"
        assert h <= s["now"]["bytes"] <= h + 8 * MiB, (h, s["now"])
        assert s["peak_tracked_bytes"] >= s["now"]["bytes"]
        lines = {t["line"]: t["bytes"] for t in s["top"]}
        assert lines.get(line_of("control_snapshots.py", "keep"), 0) >= h
    for d in dirs:
        for f in ("index.html", "now.folded", "now.svg", "peak.folded", "summary.json"):
            assert (d / f).is_file(), d / f
    # the one asked through the API went where the program said, numbered 4
    api = [l for l in res.text_err.splitlines() if l.startswith("api snapshot")]
    n, length, path = api[0].split()[2:5]
    assert n == "4" and path == str(cwd / "my-snapshot") and int(length) == len(path)
    s = json.loads((cwd / "my-snapshot" / "summary.json").read_text())
    assert s["running"] and s["now"]["bytes"] >= 60 * MiB
    # the final report is the finished run's
    assert res.summary["running"] is False and res.summary["now"] is None


def test_a_program_with_its_own_sigusr2_handler_keeps_it(python):
    res = run_oomph("control_own_handler.py", python=python)
    assert res.status == 0, res.describe()
    assert res.text_out.split("\n")[:2] == ["default", "handled 3, restored True"]
    assert not (res.dir / "snapshots").exists()


def test_snapshot_signal_none_leaves_the_signal_alone():
    res = run_oomph("control_snapshots.py", args=["nowhere"], extra=["--snapshot-signal", "none"])
    assert res.status == 128 + signal.SIGUSR2, res.describe()
    assert not (res.dir / "snapshots").exists()


def _wait_for(path, proc, timeout=120):
    deadline = time.monotonic() + timeout
    while not os.path.exists(path):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the program never got ready"
        time.sleep(0.05)


def test_oomph_snapshot_and_report_of_a_running_run():
    cwd = fresh_dir()
    place_program("control_waiting.py", cwd)
    run_dir, ready, go = cwd / "report", cwd / "READY", cwd / "GO"
    proc = subprocess.Popen([str(OOMPH), "run", "--python", DEBIAN_PYTHON, "-o", str(run_dir),
                             "control_waiting.py", str(ready), str(go)],
                            cwd=str(cwd), env=clean_env(), stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        _wait_for(ready, proc)
        snap = subprocess.run([str(OOMPH), "snapshot", str(run_dir)], capture_output=True,
                              text=True, timeout=120)
        assert snap.returncode == 0, snap.stderr
        assert "snapshot 1 of the running program" in snap.stderr
        dirs, sums = _snapshot_summaries(run_dir)
        assert len(dirs) == 1 and dirs[0].name.startswith("1-")
        assert sums[0]["running"] and sums[0]["now"]["bytes"] >= 40 * MiB
        rep = subprocess.run([str(OOMPH), "report", str(run_dir)], capture_output=True,
                             text=True, timeout=120)
        assert rep.returncode == 0, rep.stderr
        assert "still running" in rep.stderr and "report is of now" in rep.stderr
        now = json.loads((run_dir / "summary.json").read_text())
        assert now["running"] and now["verdict"] == "running"
        assert now["now"]["bytes"] >= 40 * MiB
        html = (run_dir / "index.html").read_text()
        assert "still running" in html and 'id="oomph-now"' in html
        go.write_text("go")
        out, err = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert out.decode().strip() == "went on 40"
    final = json.loads((run_dir / "summary.json").read_text())
    assert final["running"] is False and final["verdict"] == "exited"
    # once it is over, oomph snapshot says so
    late = subprocess.run([str(OOMPH), "snapshot", str(run_dir)], capture_output=True, text=True)
    assert late.returncode == 66 and "not a running oomph run" in late.stderr
