"""The live view (issue 18, item 1): `oomph top DIR` in another terminal,
driven in tmux and read back with `tmux capture-pane`, and `oomph run
--live`, which draws on stderr while the program's output goes on.

The program is programs/leak_service.py: a freed warm-up of 48 MiB, churn on
three lines and 1 MiB/s kept on one line (@leak).  It runs with
--sample-rate 64KiB so that each of its allocations (100 KiB and more) is
recorded exactly: the growth on the screen is then the program's own, not a
sampling estimate, and a check that it rose cannot fail by chance.

Every tmux server runs on a private socket (-L oomph-test-<pid>-<n>) and is
killed at the end; only processes started here are signalled."""
import os
import re
import shutil
import signal
import subprocess
import time

import pytest

from conftest import (DEBIAN_PYTHON, MiB, OOMPH, clean_env, fresh_dir, line_of,
                      place_program, require_oomph)

PROGRAM = "leak_service.py"
SIZE_RE = r"([\d.]+) (B|KiB|MiB|GiB)"
UNITS = {"B": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30}


def _bytes(num, unit):
    return float(num) * UNITS[unit]


def _leak_label():
    return "%s:%d (main)" % (PROGRAM, line_of(PROGRAM, "leak"))


class Tmux:
    """A tmux server of this test's own."""
    count = 0

    def __init__(self, width=160, height=48):
        if not shutil.which("tmux"):
            pytest.skip("tmux is not installed (scripts/deps.sh installs it)")
        Tmux.count += 1
        self.sock = "oomph-test-%d-%d" % (os.getpid(), Tmux.count)
        self.width, self.height = width, height

    def tmux(self, *args, check=True):
        return subprocess.run(["tmux", "-L", self.sock, "-f", "/dev/null"] + list(args),
                              capture_output=True, text=True, check=check, timeout=30)

    def start(self, command, cwd):
        # the pane stays after its command exits, so its last screen can be read
        self.tmux("new-session", "-d", "-s", "t", "-x", str(self.width), "-y",
                  str(self.height), "-c", str(cwd), "sleep 3600")
        self.tmux("set-option", "-t", "t", "remain-on-exit", "on")
        # the command's exit status through a file: tmux's own
        # #{pane_dead_status} was seen empty for a pane that had exited
        self.status_file = os.path.join(str(cwd), ".tmux-status-%s" % self.sock)
        self.tmux("respawn-pane", "-k", "-t", "t",
                  "%s; echo $? > %s" % (command, self.status_file))

    def screen(self, history=False):
        """The pane's rows, wrapped rows joined (so a row wider than the pane
        shows as a longer line); with history, the rows scrolled off too
        (tmux's own "Pane is dead" line scrolls the screen by one)."""
        more = ["-S", "-"] if history else []
        return self.tmux("capture-pane", "-p", "-J", *more, "-t", "t").stdout.splitlines()

    def dead(self):
        """(the pane's command has exited, its exit status or None)."""
        r = self.tmux("display-message", "-p", "-t", "t", "#{pane_dead}", check=False)
        out = r.stdout.split()
        self.last_error = r.stderr.strip() or "pane: %r" % r.stdout
        status = None
        try:
            with open(self.status_file) as f:
                text = f.read().strip()
            status = int(text) if text else None
        except OSError:
            pass
        return (out[0] == "1", status) if out else (None, status)

    def wait_dead(self, timeout):
        deadline = time.monotonic() + timeout
        while self.dead()[1] is None and time.monotonic() < deadline:
            time.sleep(0.1)
        return self.dead()

    def keys(self, *k):
        self.tmux("send-keys", "-t", "t", *k)

    def kill(self):
        self.tmux("kill-server", check=False)


def _start_service(cwd, seconds=None, extra=(), stdout=subprocess.PIPE):
    place_program(PROGRAM, cwd)
    run_dir = cwd / "report"
    argv = [str(OOMPH), "run", "--python", DEBIAN_PYTHON, "--sample-rate", "64KiB",
            "-o", str(run_dir)] + list(extra) + [PROGRAM]
    if seconds is not None:
        argv.append(str(seconds))
    proc = subprocess.Popen(argv, cwd=str(cwd), env=clean_env(), stdin=subprocess.DEVNULL,
                            stdout=stdout, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not (run_dir / "run.meta").exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "run.meta never appeared"
        time.sleep(0.05)
    return proc, run_dir


def _stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            return proc.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            proc.kill()
            return proc.communicate()
    return proc.communicate()


def _section(rows, title_start):
    """The rows under the title that starts with title_start, up to the next
    title (a row that does not start with a space)."""
    out, inside = [], False
    for r in rows:
        if r.startswith(title_start):
            inside = True
            continue
        if inside and r and not r.startswith(" "):
            break
        if inside:
            out.append(r)
    return out


def _grown(rows):
    """The leak line's growth on the screen: (grown bytes, now bytes), or None."""
    for r in _section(rows, "grew most over the last"):
        if _leak_label() in r:
            m = re.match(r"\s+\+" + SIZE_RE + r"\s+" + SIZE_RE + r"/s\s+(.*)\(now " + SIZE_RE + r"\)",
                         r)
            assert m, r
            return _bytes(m.group(1), m.group(2)), _bytes(m.group(6), m.group(7))
    return None


def _now(rows):
    """The leak line's live bytes in "top lines now", or None."""
    for r in _section(rows, "top lines now:"):
        if _leak_label() in r:
            m = re.match(r"\s+" + SIZE_RE + r"\s+", r)
            return _bytes(m.group(1), m.group(2))
    return None


def _wait_screen(tm, pred, timeout):
    deadline = time.monotonic() + timeout
    rows = tm.screen()
    while not pred(rows) and time.monotonic() < deadline:
        time.sleep(0.2)
        rows = tm.screen()
    return rows


def test_oomph_top_in_tmux_shows_the_leaking_line_growing_and_q_quits():
    require_oomph()
    cwd = fresh_dir()
    proc, run_dir = _start_service(cwd)
    tm = Tmux(width=150, height=50)
    try:
        # the program is past its warm-up: run.meta exists, give it 1 s
        time.sleep(1.0)
        t0 = time.monotonic()
        tm.start("%s top %s" % (OOMPH, run_dir), cwd)
        rows = _wait_screen(tm, lambda r: _grown(r) is not None, 5.0)
        took = time.monotonic() - t0
        g1 = _grown(rows)
        assert g1 is not None, "no growth of the leak line within 5 s:\n" + "\n".join(rows)
        assert took <= 5.0
        # the header: the command, running, the limit, pressure, the process
        assert rows[0].startswith("oomph top: ") and PROGRAM in rows[0] and "running for" in rows[0]
        assert "(q quits)" in rows[0]
        assert rows[1].startswith("limit ") and "headroom" in rows[1], rows[1]
        assert rows[2].startswith("pressure ("), rows[2]
        procrow = [r for r in rows if re.match(r"\s+%d\s" % proc.pid, r) or
                   re.match(r"\s+\d+\s+" + SIZE_RE, r)]
        assert procrow, rows
        m = re.match(r"\s+(\d+)\s+" + SIZE_RE + r"\s+" + SIZE_RE + r"\s+" + SIZE_RE, procrow[0])
        tracked, peak, rss = (_bytes(m.group(2), m.group(3)), _bytes(m.group(4), m.group(5)),
                              _bytes(m.group(6), m.group(7)))
        # the warm-up of 48 MiB is the peak so far; what is live now is less
        assert peak >= 48 * MiB and tracked < peak and rss > 0
        # the leaking line is among the top lines now, with what it holds
        assert _now(rows) is not None and _now(rows) >= 1 * MiB, rows
        # no row is wider than the pane (rows are joined when they wrap)
        assert all(len(r) <= tm.width for r in rows), max(rows, key=len)

        # two seconds later its growth has gone on: 1 MiB/s, recorded exactly
        time.sleep(2.5)
        rows2 = tm.screen()
        g2 = _grown(rows2)
        assert g2 is not None, "\n".join(rows2)
        assert g2[0] > g1[0], (g1, g2)
        assert g2[0] - g1[0] >= 1.5 * MiB, (g1, g2)
        # it is the line that grew most, at about 1 MiB/s
        first = _section(rows2, "grew most over the last")[0]
        assert _leak_label() in first, first
        span = re.search(r"grew most over the last ([\d.]+) s", "\n".join(rows2))
        assert span and float(span.group(1)) > 2, rows2
        rate = re.match(r"\s+\+" + SIZE_RE + r"\s+" + SIZE_RE + r"/s", first)
        assert 0.7 * MiB <= _bytes(rate.group(3), rate.group(4)) <= 1.3 * MiB, first
        # the churn lines are not among the lines that grew
        for marker in ("churn_parse", "churn_render", "churn_encode"):
            label = "%s:%d" % (PROGRAM, line_of(PROGRAM, marker))
            assert not any(label in r for r in _section(rows2, "grew most")), rows2

        # q quits, with status 0, while the program goes on
        tm.keys("q")
        assert tm.wait_dead(10) == (True, 0), tm.last_error
        assert proc.poll() is None
    finally:
        tm.kill()
        out, err = _stop(proc)
    assert proc.returncode == 130, err
    assert b"tick 1\n" in out


def test_oomph_top_says_how_the_run_ended_and_exits_0():
    require_oomph()
    cwd = fresh_dir()
    proc, run_dir = _start_service(cwd, seconds=4, extra=())
    tm = Tmux(width=120, height=40)
    try:
        tm.start("%s top %s" % (OOMPH, run_dir), cwd)
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        assert tm.wait_dead(15) == (True, 0), tm.last_error
        rows = [r for r in tm.screen(history=True) if r.strip()]
        # the last frame stays on the normal screen: how it ended, the peak
        head = [r for r in rows if r.startswith("oomph top: ")]
        assert head and "exited with code 0 after" in head[-1], rows
        assert "top lines at the peak:" in rows
        warm = "%s:%d" % (PROGRAM, line_of(PROGRAM, "warm_up"))
        assert any(warm in r for r in _section(rows, "top lines at the peak:")), rows
    finally:
        tm.kill()
        if proc.poll() is None:
            _stop(proc)


def test_oomph_top_of_a_finished_run_prints_its_final_numbers_once():
    require_oomph()
    cwd = fresh_dir()
    proc, run_dir = _start_service(cwd, seconds=2)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    t = subprocess.run([str(OOMPH), "top", str(run_dir)], capture_output=True, text=True,
                       timeout=30)
    assert t.returncode == 0, t.stderr
    rows = t.stdout.splitlines()
    assert sum(r.startswith("oomph top: ") for r in rows) == 1, t.stdout
    assert "exited with code 0 after" in rows[0]
    m = re.match(r"\s+(\d+)\s+" + SIZE_RE + r"\s+" + SIZE_RE + r"\s+\?\s+\(ended\)", rows[4])
    assert m, rows
    assert _bytes(m.group(4), m.group(5)) >= 48 * MiB  # the peak: the warm-up
    assert "grew most" not in t.stdout


def test_oomph_top_once_without_a_terminal_prints_one_plain_frame():
    require_oomph()
    cwd = fresh_dir()
    proc, run_dir = _start_service(cwd)
    try:
        time.sleep(2.0)
        t = subprocess.run([str(OOMPH), "top", "--once", str(run_dir)], capture_output=True,
                           text=True, timeout=30)
        assert t.returncode == 0, t.stderr
        rows = t.stdout.splitlines()
        assert "\033" not in t.stdout
        assert sum(r.startswith("oomph top: ") for r in rows) == 1
        assert _now(rows) is not None and _now(rows) >= 0.5 * MiB, t.stdout
        # one sample only: nothing to compare yet
        assert "one more second to compare" in t.stdout
    finally:
        _stop(proc)


@pytest.mark.parametrize("what", ["no run.meta", "missing", "a file"])
def test_oomph_top_refuses_what_is_not_an_oomph_run(what):
    require_oomph()
    cwd = fresh_dir()
    target = cwd / "x"
    if what == "no run.meta":
        target.mkdir()
    elif what == "a file":
        target.write_text("x")
    t = subprocess.run([str(OOMPH), "top", str(target)], capture_output=True, text=True,
                       timeout=30)
    assert t.returncode == 66, (t.returncode, t.stderr)
    assert t.stdout == ""
    expect = {"no run.meta": "is not an oomph run directory (it has no run.meta)",
              "missing": "cannot open run directory",
              "a file": "is not a directory"}[what]
    assert t.stderr.startswith("oomph: ") and expect in t.stderr, t.stderr
    assert len(t.stderr.strip().splitlines()) == 1


def test_oomph_run_live_draws_on_stderr_and_leaves_the_program_alone():
    require_oomph()
    cwd = fresh_dir()
    place_program(PROGRAM, cwd)
    argv = [str(OOMPH), "run", "--live", "--python", DEBIAN_PYTHON, "--sample-rate", "64KiB",
            "-o", str(cwd / "report"), PROGRAM, "4", "7"]
    p = subprocess.run(argv, cwd=str(cwd), env=clean_env(), stdin=subprocess.DEVNULL,
                       capture_output=True, timeout=120)
    plain = subprocess.run([DEBIAN_PYTHON, PROGRAM, "4", "7"], cwd=str(cwd), env=clean_env(),
                           stdin=subprocess.DEVNULL, capture_output=True, timeout=120)
    # the program's exit status and its stdout, as without oomph
    assert p.returncode == plain.returncode == 7, p.stderr[-2000:]
    out = p.stdout.decode().splitlines()
    assert out[-1] == "done" and out[:-1] == ["tick %d" % i for i in range(1, len(out))], out
    assert abs(len(out) - len(plain.stdout.decode().splitlines())) <= 1
    # stderr (not a terminal): plain frames, one a second, the leak growing
    err = p.stderr.decode()
    assert "\033" not in err
    frames = err.split("oomph top: ")[1:]
    assert len(frames) >= 3, err
    grown = [_grown(f.splitlines()) for f in frames]
    grown = [g[0] for g in grown if g]
    assert len(grown) >= 2 and grown[-1] > grown[0], err
    # then oomph's own summary, after the last frame
    assert err.rindex("oomph top: ") < err.index("exited with code 7")


def test_oomph_run_live_in_a_terminal_keeps_the_programs_output_above_its_panel():
    require_oomph()
    cwd = fresh_dir()
    place_program(PROGRAM, cwd)
    tm = Tmux(width=140, height=40)
    try:
        tm.start("%s run --live --python %s --sample-rate 64KiB -o %s %s 6 3" % (
            OOMPH, DEBIAN_PYTHON, cwd / "report", PROGRAM), cwd)
        rows = _wait_screen(tm, lambda r: _grown(r) is not None and
                            any(x.startswith("tick 2") for x in r), 15)
        assert _grown(rows) is not None, "\n".join(rows)
        head = [i for i, r in enumerate(rows) if r.startswith("oomph top: ")]
        ticks = [i for i, r in enumerate(rows) if r.startswith("tick ")]
        # the program's lines scroll above the panel, the panel sits at the bottom
        assert head and ticks and max(ticks) < head[0], "\n".join(rows)
        assert head[0] >= tm.height // 2
        assert tm.wait_dead(60) == (True, 3), tm.last_error
        rows = tm.screen(history=True)
        text = "\n".join(rows)
        # the panel is gone; the program's output and oomph's summary stay
        assert "oomph top: " not in text and "done" in rows, text
        assert "exited with code 3" in text
    finally:
        tm.kill()


def test_oomph_top_shows_the_private_cgroup_of_limit_its_headroom_and_pressure():
    require_oomph()
    cwd = fresh_dir()
    proc, run_dir = _start_service(cwd, extra=["--limit", "300MiB"])
    try:
        time.sleep(2.0)
        meta = (run_dir / "run.meta").read_text()
        if "\ncgroup_dir " not in meta:
            pytest.skip("no private cgroup here (--limit fell back to RLIMIT_DATA)")
        t = subprocess.run([str(OOMPH), "top", "--once", str(run_dir)], capture_output=True,
                           text=True, timeout=30)
        assert t.returncode == 0, t.stderr
        rows = t.stdout.splitlines()
        m = re.match(r"limit " + SIZE_RE + r" \((cgroup v[12] .*oomph-\d+-\d+)\), in use " + SIZE_RE +
                     r", headroom " + SIZE_RE + r"$", rows[1])
        assert m, rows[1]
        limit, used, head = (_bytes(m.group(1), m.group(2)), _bytes(m.group(4), m.group(5)),
                             _bytes(m.group(6), m.group(7)))
        assert limit == 300 * MiB
        # the cgroup holds the program (its pages less the page cache the
        # kernel would reclaim), below the limit; the two add up
        assert 1 * MiB <= used < limit, rows[1]
        assert abs(used + head - limit) <= 0.1 * MiB, rows[1]
        assert rows[2].startswith("pressure (its cgroup, avg10): some "), rows[2]
    finally:
        _stop(proc)
