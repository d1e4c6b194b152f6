"""The history (issue 15 item 3, issue 18 items 3 and 4): the tracker's own
record of its exact total over time, the stacks' live bytes at its points,
and what the report makes of them."""
import json
import os
import re
import signal
import subprocess
import time

from conftest import (DEBIAN_PYTHON, MiB, OOMPH, clean_env, fresh_dir, line_of, place_program,
                      read_folded, require_oomph)


def _run(program, *args, extra=()):
    cwd = fresh_dir()
    place_program(program, cwd)
    run_dir = cwd / "report"
    r = subprocess.run([str(OOMPH), "run", "--python", DEBIAN_PYTHON, "-o", str(run_dir)] +
                       list(extra) + [program] + list(args), cwd=str(cwd), env=clean_env(),
                       stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300)
    return r, run_dir


def _maxima(points, floor):
    """The local maxima of [[t, bytes]] above floor, a plateau once."""
    out = []
    for i, (t, b) in enumerate(points):
        if b < floor or (i and points[i - 1][1] >= b):
            continue
        j = i
        while j + 1 < len(points) and points[j + 1][1] == b:
            j += 1
        if j + 1 < len(points) and points[j + 1][1] > b:
            continue
        out.append((t, b))
    return out


def test_a_one_second_program_in_three_phases_shows_them_on_the_timeline():
    require_oomph()
    r, run_dir = _run("three_phases.py")
    assert r.returncode == 0, r.stderr
    s = json.loads((run_dir / "summary.json").read_text())
    mem = s["memory_timeline"]
    # the tracker's record, not the supervisor's five 100 ms samples
    assert len(mem) > 3 * len(s["timeline"]) and len(mem) >= 50, (len(mem), len(s["timeline"]))
    assert all(mem[i][0] <= mem[i + 1][0] for i in range(len(mem) - 1))
    tops = _maxima(mem, 30 * MiB)
    assert len(tops) == 3, tops
    # in order, each its phase's blocks (plus what the interpreter holds)
    for (t, b), want in zip(tops, (60, 150, 100)):
        assert want * MiB <= b <= (want + 12) * MiB, (tops, want)
    assert tops[0][0] < tops[1][0] < tops[2][0]
    # the peak is the second maximum, exact, and the valleys between go
    # back below the first phase
    assert tops[1][1] == s["peak_tracked_bytes"]
    between = [b for t, b in mem if tops[0][0] < t < tops[1][0]]
    assert min(between) < 20 * MiB
    # the chart draws that record: one hover target per maximum, time
    # ticks on the x axis (at most 10, round steps: their labels cannot
    # overlap), the peak's marker on its maximum
    html = (run_dir / "index.html").read_text()
    chart = re.search(r'<svg class="oomph-timeline".*?</svg>', html, re.S).group(0)
    mx = re.findall(r'<circle class="pt mx"[^>]*><title>([\d.]+) s: tracked ([\d.]+) MiB', chart)
    big = [(float(t), float(v)) for t, v in mx if float(v) >= 30]
    assert len(big) == 3, mx
    assert [round(v / 10) for t, v in big] == [round(b / MiB / 10) for t, b in tops]
    ticks = re.findall(r'<text class="tk" x="([\d.]+)"[^>]*>([\d.]+) s</text>', chart)
    assert 4 <= len(ticks) <= 11, ticks
    xs = [float(x) for x, _ in ticks]
    assert all(b - a >= 60 for a, b in zip(xs, xs[1:])), xs  # room for "0.25 s"
    steps = {round(float(b) - float(a), 6) for (_, a), (_, b) in zip(ticks, ticks[1:])}
    assert len(steps) == 1 and steps.pop() in (0.1, 0.2, 0.5, 1.0), ticks


def _program_pid(parent, program):
    """The pid of the child of `parent` running `program` (the Python
    process oomph started), or None."""
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            stat = open("/proc/%s/stat" % d).read()
            cmd = open("/proc/%s/cmdline" % d, "rb").read().split(b"\0")
        except OSError:
            continue
        ppid = int(stat.rpartition(")")[2].split()[1])
        if ppid == parent and program.encode() in cmd and b"run" not in cmd:
            return int(d)
    return None


def test_a_service_stopped_with_ctrl_c_names_its_leak_and_what_it_never_freed():
    """Issue 18's done-when: steady churn on three lines, 1 MiB/s kept on
    one (@leak) after a freed warm-up of 48 MiB, 30 s, then Ctrl-C (SIGINT
    to the program).  --sample-rate 64KiB: every allocation of the program
    (100 KiB and more) is recorded exactly, so the rate is the program's,
    not a sampling estimate."""
    require_oomph()
    program = "leak_service.py"
    cwd = fresh_dir()
    place_program(program, cwd)
    run_dir = cwd / "report"
    proc = subprocess.Popen([str(OOMPH), "run", "--python", DEBIAN_PYTHON, "--sample-rate",
                             "64KiB", "-o", str(run_dir), program], cwd=str(cwd),
                            env=clean_env(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        pid = None
        while not pid and time.monotonic() < deadline:
            assert proc.poll() is None, proc.communicate()
            pid = _program_pid(proc.pid, program)
            time.sleep(0.05)
        assert pid, "the program never started"
        time.sleep(30)
        os.kill(pid, signal.SIGINT)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130, err
    assert "interrupted (Ctrl-C)" in err, err
    s = json.loads((run_dir / "summary.json").read_text())
    leaks = s["leak_suspects"]
    assert leaks, err
    first = leaks[0]
    assert (first["file"], first["line"], first["function"]) == (
        program, line_of(program, "leak"), "main"), leaks
    # 1 MiB/s, within 10% (the loop sleeps 0.1 s a tick, plus its own work)
    assert 0.9 * MiB <= first["rate_bytes_per_s"] <= 1.1 * MiB, first
    assert first["r2"] >= 0.95, first
    # it grew all through the run: some 30 MiB (not the warm-up's 48)
    assert 25 * MiB <= first["grown_bytes"] <= 34 * MiB, first
    churn = {line_of(program, m) for m in ("churn_parse", "churn_render", "churn_encode",
                                           "warm_up")}
    assert not [q for q in leaks if q["file"] == program and q["line"] in churn], leaks
    # the terminal says it too
    m = re.search(r"leak suspects \(lines whose live bytes grew steadily\):\n"
                  r"oomph:   \+([\d.]+) MiB at ([\d.]+) (KiB|MiB)/s \(R\u00b2 ([\d.]+), "
                  r"[\d.]+ s to [\d.]+ s\)  %s:%d \(main\)" % (re.escape(program),
                                                             line_of(program, "leak")), err)
    assert m, err
    # and the report
    html = (run_dir / "index.html").read_text()
    table = re.search(r'<table class="sortable" id="oomph-leaks">.*?</table>', html, re.S)
    assert table and "%s:%d (main)" % (program, line_of(program, "leak")) in table.group(0)
    # live at exit: what the program still held when it ended (Ctrl-C
    # unwound main(), so its cache was freed by then: the exit picture is
    # what the interpreter itself held), as exit.folded and exit.svg
    assert s["exit"] == {"bytes": s["exit"]["bytes"], "time_s": s["exit"]["time_s"],
                         "folded": "exit.folded", "svg": "exit.svg"}
    folded = read_folded(run_dir / "exit.folded")
    assert sum(folded.values()) == s["exit"]["bytes"]
    assert (run_dir / "exit.svg").read_text().startswith("<?xml")
    assert 'id="oomph-exit"' in html


def test_a_multiprocessing_worker_that_leaks_is_a_suspect_with_its_pid():
    """A worker (multiprocessing.Process) appending 100 KiB every 0.1 s for
    12 s while the main process only waits for it: the worker's line is the
    leak, at 1 MiB/s, and it is said to be the worker's (its pid) in
    summary.json, on the terminal and in both pages (the job's and the
    worker's own).  --sample-rate 64KiB: the leak's allocations exact."""
    require_oomph()
    program = "leak_worker.py"
    r, run_dir = _run(program, "12", extra=["--sample-rate", "64KiB"])
    assert r.returncode == 0, r.stderr
    worker = int(re.search(r"^worker (\d+)$", r.stdout, re.M).group(1))
    s = json.loads((run_dir / "summary.json").read_text())
    procs = {p["pid"]: p for p in s["processes"]}
    assert worker in procs and procs[worker]["parent"] is not None, procs
    leaks = s["leak_suspects"]
    assert leaks, r.stderr
    first = leaks[0]
    assert (first["pid"], first["file"], first["line"], first["function"]) == (
        worker, program, line_of(program, "leak"), "work"), leaks
    # 1 MiB/s within 10% (the loop's sleep and its own work make it a bit less)
    assert 0.9 * MiB <= first["rate_bytes_per_s"] <= 1.1 * MiB, first
    assert first["r2"] >= 0.95, first
    assert 10 * MiB <= first["grown_bytes"] <= 13 * MiB, first
    # the churn line and the main process are no suspects
    assert [q for q in leaks if q["line"] == line_of(program, "churn")] == [], leaks
    assert all(q["pid"] == worker for q in leaks), leaks
    m = re.search(r"leak suspects \(lines whose live bytes grew steadily\):\n"
                  r"oomph:   \+([\d.]+) MiB at ([\d.]+) (KiB|MiB)/s \(R\u00b2 [\d.]+, "
                  r"[\d.]+ s to [\d.]+ s\)  process %d: %s:%d \(work\)"
                  % (worker, re.escape(program), line_of(program, "leak")), r.stderr)
    assert m, r.stderr
    html = (run_dir / "index.html").read_text()
    table = re.search(r'<table class="sortable" id="oomph-leaks">.*?</table>', html, re.S)
    assert table, html
    row = re.search(r"<tr><td[^>]*>(\d+)</td><td class=\"mono\">([^<]*)</td>", table.group(0))
    assert row and int(row.group(1)) == worker and row.group(2) == "%s:%d (work)" % (
        program, line_of(program, "leak")), table.group(0)
    # the worker's own page lists it, the main process has none of its own
    sub = (run_dir / ("processes/%d/index.html" % worker)).read_text()
    assert "%s:%d (work)" % (program, line_of(program, "leak")) in re.search(
        r'<table class="sortable" id="oomph-leaks">.*?</table>', sub, re.S).group(0)


def test_the_timeline_picks_a_moment_and_a_range_in_a_browser():
    """Issue 18 item 3, in index.html: a click on the chart shows what was
    live then, a drag across it what grew in between (headless Chromium,
    mouse events at the chart's own coordinates)."""
    require_oomph()
    import pytest
    from browser import CHROMIUM, Browser
    if not os.path.exists(CHROMIUM):
        pytest.skip("no chromium")
    r, run_dir = _run("three_phases.py")
    assert r.returncode == 0, r.stderr
    s = json.loads((run_dir / "summary.json").read_text())
    tops = _maxima(s["memory_timeline"], 30 * MiB)
    assert len(tops) == 3, tops
    held = "three_phases.py:%d (phase" % line_of("three_phases.py", "held")
    with Browser() as b:
        page = b.open((run_dir / "index.html").as_uri())
        page.set_width(1400)
        # the chart as the browser has it: one marker for each of the three
        # phases' maxima (issue 15 item 3: the program's shape)
        marks = page.eval("Array.from(document.querySelectorAll("
                          "'svg.oomph-timeline circle.pt.mx title')).map("
                          "function (t) { return t.textContent; })")
        big = [m for m in marks if re.search(r"tracked ([\d.]+) MiB", m)
               and float(re.search(r"tracked ([\d.]+) MiB", m).group(1)) >= 30]
        assert len(big) == 3, marks
        # the client x of a time on the chart, from its own scale
        page.eval("""window.xOf = function (t) {
            var tl = document.querySelector('svg.oomph-timeline'), r = tl.getBoundingClientRect();
            var x0 = +tl.getAttribute('data-x0'), x1 = +tl.getAttribute('data-x1');
            var t0 = +tl.getAttribute('data-t0'), t1 = +tl.getAttribute('data-t1');
            var x = x0 + (t - t0) / (t1 - t0) * (x1 - x0);
            return r.left + x * r.width / tl.viewBox.baseVal.width; }; 0""")
        mouse = ("(function (a, z) { var tl = document.querySelector('svg.oomph-timeline');"
                 " tl.dispatchEvent(new MouseEvent('mousedown', {clientX: xOf(a), bubbles: true}));"
                 " tl.dispatchEvent(new MouseEvent('mouseup', {clientX: xOf(z), bubbles: true}));"
                 " return document.getElementById('oomph-moment').textContent; })(%f, %f)")
        # a click on the second maximum: the picture then, its line first
        text = page.eval(mouse % (tops[1][0], tops[1][0]))
        assert text.startswith("Live at "), text
        rows = page.eval("Array.from(document.querySelectorAll('#oomph-moment tr')).map("
                         "function (r) { return [r.cells[0].textContent, r.cells[1].textContent]; })")
        assert rows[0][0].startswith(held), rows
        m = re.match(r"([\d.]+) MiB", rows[0][1])
        assert m and 120 <= float(m.group(1)) <= 151, rows
        # a drag from the valley after the first phase to the third's top:
        # what grew in between is the held line's 100 MiB or so
        valley = [t for t, b in s["memory_timeline"] if tops[0][0] < t < tops[1][0] and b < 20 * MiB]
        text = page.eval(mouse % (valley[-1], tops[2][0]))
        assert text.startswith("Grew from "), text
        rows = page.eval("Array.from(document.querySelectorAll('#oomph-moment tr')).map("
                         "function (r) { return [r.cells[0].textContent, r.cells[1].textContent]; })")
        assert rows and rows[0][0].startswith(held), rows
        m = re.match(r"([\d.]+) MiB", rows[0][1])
        assert m and 60 <= float(m.group(1)) <= 101, rows
        assert not page.errors, page.errors
