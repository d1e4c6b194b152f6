"""Issue 11, items 4, 5 and 9: oomph runs as root on shared machines.  The
attacks of an unprivileged user (run with setpriv as nobody) against
root's oomph all fail: a directory someone else made or can write is
refused, nothing is written through a link they planted, nobody else can
read or enter what oomph records, and a report never quotes a file the
program only named.  A FIFO where a state file should be never hangs
oomph report."""
import os
import shutil
import stat
import subprocess

import pytest

from conftest import (DEBIAN_PYTHON as DEBIAN, MiB, OOMPH, clean_env, fresh_dir, line_of, place_program,
                      require_oomph, run_oomph)

NOBODY = 65534


def as_nobody(argv, **kw):
    """Run argv as the unprivileged user nobody."""
    return subprocess.run(["setpriv", "--reuid=%d" % NOBODY, "--regid=%d" % NOBODY,
                           "--clear-groups", "--"] + argv, capture_output=True, **kw)


@pytest.fixture(autouse=True)
def root_only():
    require_oomph()
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        pytest.skip("needs root and setpriv (util-linux) to act as another user")


def oomph(args, cwd, timeout=120):
    return subprocess.run([str(OOMPH)] + args, cwd=str(cwd), env=clean_env(),
                          stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)


def shared_dir(prefix):
    """A directory nobody can work in (mode 0777 parent of the attack)."""
    d = fresh_dir(prefix)
    os.chmod(d, 0o755)
    return d


def test_an_output_directory_another_user_made_is_refused():
    base = shared_dir("sec-own-")
    planted = base / "report"
    planted.mkdir()
    os.chown(planted, NOBODY, NOBODY)
    place_program("empty.py", base)
    r = oomph(["run", "--python", DEBIAN, "-o", str(planted), "empty.py"], base)
    assert r.returncode == 73, r.stderr
    assert b"belongs to another user" in r.stderr
    assert os.listdir(planted) == []  # nothing written into it


def test_a_shared_or_planted_oomph_report_is_refused():
    base = shared_dir("sec-shared-")
    place_program("empty.py", base)
    shared = base / "oomph-report"
    shared.mkdir()
    os.chmod(shared, 0o777)
    r = oomph(["run", "--python", DEBIAN, "empty.py"], base)
    assert r.returncode == 73, r.stderr
    assert b"oomph-report/" in r.stderr and b"can be written by other users" in r.stderr
    assert os.listdir(shared) == []
    # a link planted in its place, to a directory of root's
    shared.rmdir()
    target = fresh_dir("sec-target-")
    os.symlink(target, shared)
    r = oomph(["run", "--python", DEBIAN, "empty.py"], base)
    assert r.returncode == 73, r.stderr
    assert b"symbolic link" in r.stderr
    assert os.listdir(target) == []


def test_nobody_else_can_enter_read_or_plant_in_a_run(tmp_path):
    base = fresh_dir("sec-run-")
    os.chmod(base, 0o755)
    place_program("deaths_sleeper.py", base)
    os.umask(0o022)
    out = base / "report"
    p = subprocess.Popen([str(OOMPH), "run", "--python", DEBIAN, "-o", str(out),
                          "deaths_sleeper.py"], cwd=str(base), env=clean_env(),
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    child = None
    try:
        line = p.stdout.readline().split()
        assert line and line[0] == b"ready", p.stderr.read(2000)
        child = int(line[1])
        meta = (out / "run.meta").read_text()
        live = [l.split(" ", 1)[1] for l in meta.splitlines() if l.startswith("live_state ")]
        assert live and live[0].startswith("/dev/shm/oomph-state-"), meta
        live = live[0]
        assert stat.S_IMODE(os.stat(live).st_mode) == 0o700
        assert stat.S_IMODE(os.stat(out).st_mode) == 0o700
        # the attacker cannot list, read or plant anything
        for argv in (["ls", str(out)], ["ls", live], ["cat", str(out / "run.meta")],
                     ["ln", "-s", "/etc/passwd", str(out / "state")],
                     ["ln", "-s", "/etc/passwd", live + "/%d.1.oomph" % child],
                     ["touch", str(out / "index.html")]):
            a = as_nobody(argv)
            assert a.returncode != 0, (argv, a.stdout)
            assert b"Permission denied" in a.stderr, (argv, a.stderr)
    finally:
        if child:
            os.kill(child, 15)
        else:
            p.kill()
        p.communicate(timeout=60)
    assert p.returncode == 128 + 15
    # everything it wrote is private under umask 022
    for root, dirs, files in os.walk(out):
        for d in dirs:
            assert stat.S_IMODE(os.stat(os.path.join(root, d)).st_mode) == 0o700, d
        for f in files:
            assert stat.S_IMODE(os.stat(os.path.join(root, f)).st_mode) == 0o600, f
    assert not os.path.exists(live)  # copied home, removed


def test_team_readable_reports_let_the_group_read_only():
    r = run_oomph("empty.py", extra=("--team-readable",))
    assert r.status == 0, r.describe()
    assert stat.S_IMODE(os.stat(r.dir).st_mode) == 0o750
    assert stat.S_IMODE(os.stat(r.dir / "index.html").st_mode) == 0o640
    assert stat.S_IMODE(os.stat(r.dir / "state").st_mode) == 0o750


def test_a_report_never_quotes_a_file_the_program_only_named():
    # a secret of root's that the program names as its code's file
    secret_dir = fresh_dir("sec-secret-")
    secret = secret_dir / "shadow"
    secret.write_text("root-secret-line-7f3a\n")
    os.chmod(secret, 0o600)
    r = run_oomph("named_elsewhere.py", args=(str(secret),))
    assert r.status == 0, r.describe()
    lines = r.by_line()
    assert lines.get("%s:1" % secret, 0) >= 40 * MiB, lines  # still attributed
    assert lines.get("named_elsewhere.py:%d" % line_of("named_elsewhere.py", "mine"), 0) >= 10 * MiB
    for name in ("index.html", "summary.json", "peak.svg", "sources"):
        assert b"root-secret-line" not in (r.dir / name).read_bytes(), name
    # the program's own lines are quoted
    assert b"mine = bytearray(10 &lt;&lt; 20)" in (r.dir / "index.html").read_bytes()


def test_rerender_shows_the_lines_the_run_used_or_says_the_file_changed():
    r = run_oomph("named_elsewhere.py", args=("/nonexistent.py",))
    assert r.status == 0, r.describe()
    script = r.cwd / "named_elsewhere.py"
    mine = line_of("named_elsewhere.py", "mine")
    script.write_text("# edited after the run\n" * 20)
    rr = oomph(["report", str(r.dir)], r.cwd)
    assert rr.returncode == 0, rr.stderr
    # the stored line, not the edited file's
    assert b"mine = bytearray(10 << 20)" in rr.stderr, rr.stderr
    assert b"edited after the run" not in (r.dir / "index.html").read_bytes()
    # a run whose file changed before its first report: said, not shown
    r2 = run_oomph("named_elsewhere.py", args=("/nonexistent.py",))
    os.remove(r2.dir / "sources")
    (r2.cwd / "named_elsewhere.py").write_text("changed = True\n" * 20)
    rr = oomph(["report", str(r2.dir)], r2.cwd)
    assert rr.returncode == 0, rr.stderr
    assert b"changed after the run" in rr.stderr, rr.stderr
    assert b"changed = True" not in (r2.dir / "index.html").read_bytes()
    assert "named_elsewhere.py:%d" % mine in (r2.dir / "peak.folded").read_text()


def test_oomph_report_refuses_a_directory_of_another_user():
    r = run_oomph("empty.py")
    assert r.status == 0, r.describe()
    os.chown(r.dir, NOBODY, NOBODY)
    rr = oomph(["report", str(r.dir)], r.cwd)
    assert rr.returncode == 73, rr.stderr
    assert b"belongs to another user" in rr.stderr


def test_a_fifo_among_the_state_files_does_not_hang_report():
    r = run_oomph("empty.py")
    assert r.status == 0, r.describe()
    os.mkfifo(r.dir / "state" / "999999.oomph")
    os.mkfifo(r.dir / "sources.fifo")
    rr = oomph(["report", str(r.dir)], r.cwd, timeout=60)
    assert rr.returncode == 0, rr.stderr
    assert b"999999.oomph" in rr.stderr and b"not a regular file" in rr.stderr, rr.stderr
