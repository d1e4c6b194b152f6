"""Issue 11, item 6: nothing is lost when oomph itself dies.  Killed alone
(kill -9 of oomph) the program dies with it; killed with its whole process
group (what Kubernetes and Slurm do), the state is left on tmpfs.  Either
way `oomph report DIR` afterwards renders the report from the state,
nothing is left in /dev/shm or in the cgroup tree, and no part of the run
goes on unwatched."""
import os
import signal
import subprocess
import time

import pytest

from conftest import (DEBIAN_PYTHON as DEBIAN, MiB, OOMPH, clean_env, fresh_dir, line_of, place_program,
                      read_folded, require_oomph, by_innermost_python_line)


def start(base, extra=(), command=None):
    place_program("deaths_sleeper.py", base)
    out = base / "report"
    argv = [str(OOMPH), "run", "--python", DEBIAN, "-o", str(out)] + list(extra)
    argv += command or ["deaths_sleeper.py"]
    p = subprocess.Popen(argv, cwd=str(base), env=clean_env(), stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    line = p.stdout.readline().split()
    assert line and line[0] == b"ready", p.stderr.read(2000)
    return p, out, int(line[1])


def meta_of(out):
    m = {}
    for l in (out / "run.meta").read_text().splitlines():
        k, _, v = l.partition(" ")
        m[k] = v
    return m


def gone(pid, wait=10.0):
    end = time.time() + wait
    while time.time() < end:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        # a zombie of a dead parent is reaped by init soon
        try:
            with open("/proc/%d/stat" % pid) as f:
                if f.read().split(") ")[1].startswith("Z"):
                    return True
        except OSError:
            return True
        time.sleep(0.05)
    return False


def report_after(out, base):
    r = subprocess.run([str(OOMPH), "report", str(out)], cwd=str(base), env=clean_env(),
                       capture_output=True, timeout=120)
    return r


def held_bytes(out, base):
    lines = by_innermost_python_line(read_folded(out / "peak.folded"), str(base))
    return lines.get("deaths_sleeper.py:%d" % line_of("deaths_sleeper.py", "held"), 0)


@pytest.fixture(autouse=True)
def needs_oomph():
    require_oomph()


def test_kill_9_of_oomph_kills_the_program_and_report_renders_it():
    base = fresh_dir("life-alone-")
    p, out, child = start(base)
    m = meta_of(out)
    assert m["status"] == "running" and m["supervisor_pid"] == str(p.pid), m
    live = m["live_state"]
    os.kill(p.pid, signal.SIGKILL)
    p.communicate(timeout=30)
    assert gone(child), "the program outlived oomph"
    assert os.path.isdir(live)  # left for the report
    r = report_after(out, base)
    assert r.returncode == 0, r.stderr
    assert not os.path.exists(live)
    m = meta_of(out)
    assert m["status"] == "supervisor-died", m
    assert held_bytes(out, base) >= 16 * MiB
    assert b"was killed before the program ended" in r.stderr
    # brought home compact too (issue 17)
    states = list((out / "state").glob("*.oomph"))
    assert states and all(s.stat().st_size < MiB for s in states), states


def test_kill_9_of_the_whole_group_leaves_nothing_behind_after_report():
    base = fresh_dir("life-group-")
    p, out, child = start(base, extra=("--limit", "200MiB"))
    m = meta_of(out)
    cg = m.get("cgroup_dir", "")
    live = m["live_state"]
    os.killpg(p.pid, signal.SIGKILL)  # oomph, its sentinel and the program
    p.communicate(timeout=30)
    assert gone(child)
    r = report_after(out, base)
    assert r.returncode == 0, r.stderr
    assert not os.path.exists(live), "state left in /dev/shm"
    if cg:
        assert not os.path.exists(cg), "cgroup left behind"
    assert held_bytes(out, base) >= 16 * MiB


def test_a_shell_scripts_python_dies_with_oomph_too():
    base = fresh_dir("life-shell-")
    p, out, child = start(base, command=["--", "/bin/sh", "-c", DEBIAN + " deaths_sleeper.py; true"])
    os.kill(p.pid, signal.SIGKILL)
    p.communicate(timeout=30)
    assert gone(child), "the script's python outlived oomph"
    r = report_after(out, base)
    assert r.returncode == 0, r.stderr


def _numbers(x, path=""):
    """Every number of a JSON document, by its path."""
    if isinstance(x, dict):
        out = {}
        for k, v in x.items():
            out.update(_numbers(v, path + "/" + k))
        return out
    if isinstance(x, list):
        out = {}
        for i, v in enumerate(x):
            out.update(_numbers(v, "%s[%d]" % (path, i)))
        return out
    return {path: x} if isinstance(x, (int, float)) and not isinstance(x, bool) else {}


@pytest.mark.parametrize("where", ["tmpfs", "disk"])
def test_the_state_kept_is_compact_and_renders_the_same_report(where):
    """Issue 17: when the run is over its state is kept compact, so the report
    directory copies without sparse-file support (tar without -S, cp
    --sparse=never, an upload) in well under 5 MiB where the live state is
    200+ MiB of sparse space; `oomph report` renders it again to the same
    numbers.  Both ways: state on tmpfs copied home, and state written on disk
    (OOMPH_TMPFS=off) compacted in place.  (That the compact state renders
    what the live one did, byte for byte, is tests/unit/test_compact.c.)"""
    import json
    from conftest import run_oomph
    env = {"OOMPH_TMPFS": "off"} if where == "disk" else None
    r = run_oomph("control_phases.py", env=env, extra=("--exact",))
    assert r.status == 0, r.describe()
    states = list((r.dir / "state").glob("*.oomph"))
    assert states, r.describe()
    for s in states:
        st = s.stat()
        assert st.st_size < MiB, "%s: %d bytes" % (s, st.st_size)
        assert st.st_mode & 0o777 == 0o600
    assert not [p for p in (r.dir / "state").iterdir() if p.name.startswith(".")]
    tar = subprocess.run(["tar", "-cf", "-", "-C", str(r.dir), "."], capture_output=True, check=True)
    assert len(tar.stdout) <= 5 * MiB, len(tar.stdout)
    before = _numbers(json.loads((r.dir / "summary.json").read_text()))
    assert any("phases" in k for k in before), sorted(before)[:20]
    again = report_after(r.dir, r.cwd)
    assert again.returncode == 0, again.stderr
    after = _numbers(json.loads((r.dir / "summary.json").read_text()))
    differ = {k: (before.get(k), after.get(k)) for k in set(before) | set(after)
              if before.get(k) != after.get(k)}
    assert not differ, differ
