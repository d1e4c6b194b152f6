"""Every way a program ends, and `oomph run` behaving like the command it wraps:
exit status passed through (128+N after signal N), summary.json saying how it
ended, the report written whatever the death; -c, -m and `-- COMMAND`; stdin,
stdout, argv untouched; Ctrl-C reaching the program.
"""
import json
import re
import os
import shutil
import signal
import subprocess
import time

import pytest

from conftest import (OOMPH, MiB, assert_report_complete, assert_within, clean_env,
                      fresh_dir, line_of, place_program, require_oomph, run_oomph, run_plain)

# mode: (status, exit_code, signal, verdict or None for "any but exited")
ENDINGS = {
    "ok": (0, 0, None, "exited"),
    "exit3": (3, 3, None, "exited"),
    "os_exit5": (5, 5, None, "exited"),
    "raise": (1, 1, None, "exited"),
    "sigterm": (143, None, 15, "signal"),
    "sigkill": (137, None, 9, "killed"),
    "sigsegv": (139, None, 11, None),
    "abort": (134, None, 6, None),
}


@pytest.mark.parametrize("mode", list(ENDINGS))
def test_every_ending_passes_its_status_through_and_keeps_the_report(python, mode):
    status, code, sig, verdict = ENDINGS[mode]
    res = run_oomph("exits.py", args=[mode], python=python)
    assert res.status == status, "status %s, want %s\n%s" % (res.status, status, res.describe())
    assert res.stdout == b"before\n", res.stdout
    assert_report_complete(res)
    s = res.summary
    assert s["exit_code"] == code and s["signal"] == sig, res.describe()
    if verdict is not None:
        assert s["verdict"] == verdict, res.describe()
    else:
        assert s["verdict"] != "exited", res.describe()
    # Whatever the death, the peak picture is there with the program's line.
    assert_within(res.line_bytes("exits.py", "exit_alloc"), 32 * MiB, rel=0.01,
                  what="[%s] block" % mode, res=res)
    if mode == "raise":
        assert b"ValueError: boom from exits.py" in res.stderr, res.stderr[-500:]


def test_dash_c_runs_code_with_its_argv(python):
    code = ("import sys, json; block = bytearray(24 << 20); "
            "print(json.dumps(sys.argv)); sys.exit(4)")
    res = run_oomph(command=["-c", code], args=["x", "-o", "--exact"], python=python)
    assert res.status == 4, res.describe()
    assert json.loads(res.stdout) == ["-c", "x", "-o", "--exact"]
    assert res.summary["exit_code"] == 4
    assert_within(res.by_line().get("<string>:1", 0), 24 * MiB, rel=0.01, what="-c line", res=res)


def test_dash_m_runs_a_module_as_main(python):
    cwd = fresh_dir()
    place_program("oomph_pkg", cwd)
    res = run_oomph(command=["-m", "oomph_pkg.alloc"], args=["a", "--quiet"], python=python,
                    cwd=cwd)
    assert res.status == 0, res.describe()
    out = json.loads(res.stdout)
    assert out["name"] == "__main__" and out["argv"] == ["a", "--quiet"], out
    assert out["argv0"] == str(cwd / "oomph_pkg" / "alloc.py"), out
    key = "oomph_pkg/alloc.py:%d" % line_of("oomph_pkg/alloc.py", "pkg_alloc")
    assert_within(res.by_line().get(key, 0), 36 * MiB, rel=0.01, what="-m line", res=res)


def test_dash_dash_runs_any_command_and_profiles_the_pythons_it_starts(python):
    cwd = fresh_dir()
    place_program("exits.py", cwd)
    res = run_oomph(command=["--", "/bin/sh", "-c", '"$0" exits.py ok && exit 6', python.path],
                    python=python, cwd=cwd)
    assert res.status == 6, res.describe()
    assert res.summary["exit_code"] == 6
    key = "exits.py:%d" % line_of("exits.py", "exit_alloc")
    found = []
    for entry in res.process_entries():
        lines = res.by_line(res.process_folded(entry))
        if lines.get(key, 0):
            found.append((entry["pid"], lines[key]))
    assert len(found) == 1, (found, res.describe())
    assert_within(found[0][1], 32 * MiB, rel=0.01, what="python under sh", res=res)


def test_script_sees_its_own_argv_and_output_is_untouched(python):
    args = ["--exact", "-o", "out dir", "", "ünïcode", "-c", "--", "a b"]
    res = run_oomph("argv.py", args=args, python=python)
    cwd = res.cwd
    status, out, err = run_plain("argv.py", args=args, python=python, cwd=cwd)
    assert res.status == status == 0, res.describe()
    assert res.stdout == out, (res.stdout, out)  # byte for byte what Python prints
    seen = json.loads(res.stdout)
    assert seen["argv"] == ["argv.py"] + args and seen["name"] == "__main__"
    assert seen["path0"] == str(cwd)
    assert err.decode() in res.text_err


def test_stdin_reaches_the_program_byte_for_byte(python):
    data = bytes(range(256)) * 4096 + b"\nlast line without newline"
    res = run_oomph("echo_stdin.py", python=python, input=data)
    assert res.status == 0, res.describe()
    assert res.stdout == data
    assert ("echoed %d bytes" % len(data)) in res.text_err


def test_quiet_leaves_stderr_to_the_program(python):
    res = run_oomph("argv.py", python=python, extra=("--quiet",))
    assert res.status == 0, res.describe()
    assert res.stderr == b"to stderr\n", res.stderr
    assert res.summary is not None


def test_terminal_summary_without_quiet(python):
    res = run_oomph("exits.py", args=["ok"], python=python)
    err = res.text_err
    assert "exits.py:%d" % line_of("exits.py", "exit_alloc") in err, err
    assert "bytearray(32 * MiB)" in err, err


@pytest.mark.parametrize("target", ["process-group", "oomph-only"])
def test_ctrl_c_reaches_the_program(python, target):
    """SIGINT to the whole foreground group (a terminal's Ctrl-C), or to oomph
    alone (`kill -INT`): the program receives it exactly once, then dies of
    SIGINT, and oomph exits 130."""
    require_oomph()
    cwd = fresh_dir()
    place_program("sigint_wait.py", cwd)
    argv = [str(OOMPH), "run", "--python", python.path, "-o", str(cwd / "report"),
            "sigint_wait.py"]
    p = subprocess.Popen(python.command(argv, cwd), cwd=str(cwd), env=clean_env(),
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         start_new_session=True)
    try:
        line = p.stdout.readline()
        assert line == b"ready\n", (line, p.stderr.read()[-2000:] if p.poll() is not None else "")
        time.sleep(0.2)
        if target == "process-group":
            os.killpg(p.pid, signal.SIGINT)
        else:
            os.kill(p.pid, signal.SIGINT)
        out, err = p.communicate(timeout=30)
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
    assert out == b"sigints 1\n", "the program saw: %r (one SIGINT expected)\n%s" % (
        out, err[-2000:].decode(errors="replace"))
    assert p.returncode == 130, (p.returncode, err[-2000:])
    with open(cwd / "report" / "summary.json") as f:
        s = json.load(f)
    assert s["signal"] == 2 and s["exit_code"] is None, s
    # in plain words, and not as a death (issue 15)
    assert s["verdict_text"] == "was interrupted (Ctrl-C)", s["verdict_text"]
    first = err.decode(errors="replace").splitlines()
    first = [l for l in first if l.startswith("oomph: ") and "sigint_wait.py" in l][0]
    assert re.fullmatch(r"oomph: \S+ sigint_wait\.py was interrupted \(Ctrl-C\) after "
                        r"\d+\.\d s", first), first
    html = (cwd / "report" / "index.html").read_text()
    assert '<p class="verdict ended">The program was interrupted (Ctrl-C) after' in html


def test_oomph_report_re_renders_the_same_report(python):
    res = run_oomph("realloc_growth.py", python=python)
    assert res.status == 0, res.describe()
    before = (res.summary, res.folded)
    for name in ("summary.json", "peak.folded", "peak.svg", "index.html"):
        os.unlink(res.dir / name)
    shutil.rmtree(res.dir / "processes", ignore_errors=True)
    # Where the program ran (its library sources are there), with the ASan
    # build on the host (the sid root has no libasan for it).
    asan = OOMPH.parent / "asan" / "oomph"
    tool = asan if os.access(asan, os.X_OK) and python.root is None else OOMPH
    r = subprocess.run(python.command([str(tool), "report", str(res.dir)], res.cwd),
                       cwd=str(res.cwd), env=clean_env(), capture_output=True, timeout=120)
    assert r.returncode == 0, r.stderr.decode(errors="replace")[-2000:]
    assert b"ERROR: AddressSanitizer" not in r.stderr and b"runtime error" not in r.stderr
    again = type(res)(res.argv, res.status, res.stdout, res.stderr, res.dir, res.cwd)
    assert_report_complete(again)
    assert again.folded == before[1]
    for k in ("peak_tracked_bytes", "peak_time_s", "exit_code", "signal", "verdict", "command",
              "processes", "top", "sample_rate_bytes", "python"):
        assert again.summary.get(k) == before[0].get(k), k
