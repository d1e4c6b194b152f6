"""The whole job over time (issue 12 item 6): job-timeline.tsv has a column
per process -- its part of the job's tracked bytes, from its tracker's own
record, moved to the run's clock -- and index.html stacks them as bands,
with their sum on top, the job's exact peak marked and the limit drawn.

At the job's peak (an instant of the file), each process's band is what
summary.json's job.processes_at_peak says it held then, and the bands add
up to the job's exact peak: two figures the report gets by other roads
(the job file's counter; each process's stacks as of the job's last raise).
"""
import json
import os
import re

import pytest

from conftest import DEBIAN, MiB, KiB, run_oomph

MODES = {"default": [], "exact": ["--exact"]}


def read_job_timeline(res):
    """(labels {column: label}, header [columns], rows [[t, job, v...]])."""
    path = res.dir / "job-timeline.tsv"
    assert path.exists(), "no job-timeline.tsv\n" + res.describe()
    labels, header, rows = {}, None, []
    with open(path, encoding="utf-8") as f:
        first = f.readline()
        assert first == "# oomph job timeline 1\n", first
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("# "):
                col, sep, label = line[2:].partition("\t")
                if sep:
                    labels[col] = label
                continue
            cells = line.split("\t")
            if header is None:
                header = cells
                continue
            assert len(cells) == len(header), (line, header)
            rows.append([float(cells[0])] + [int(c) for c in cells[1:]])
    assert header[:2] == ["t_s", "job_bytes"], header
    return labels, header[2:], rows


def job_roots(res):
    """The root frame of each process in job.folded: {pid: label}."""
    out = {}
    with open(res.dir / "job.folded", encoding="utf-8") as f:
        for row in f:
            root = row.rsplit(" ", 1)[0].split(";")[0]
            m = re.match(r"process (\d+) \(", root)
            assert m, row
            out[int(m.group(1))] = root
    return out


def check_job_timeline(res, exact):
    assert res.status == 0, res.describe()
    job = res.summary["job"]
    peak, peak_t = job["peak_tracked_bytes"], job["peak_time_s"]
    assert peak and peak_t is not None, job
    labels, cols, rows = read_job_timeline(res)
    # a column per profiled process, named by its pid, labelled as its
    # root frame in job.folded
    pids = sorted(p["pid"] for p in res.process_entries())
    assert sorted(int(c) for c in cols) == pids, (cols, pids)
    roots = job_roots(res)
    for pid, root in roots.items():
        assert labels[str(pid)] == root, (labels, roots)
    # time goes forward; the job's total is the sum of the columns
    assert all(a[0] < b[0] for a, b in zip(rows, rows[1:]))
    for r in rows:
        assert r[1] == sum(r[2:]), r
    # the job's peak is an instant of the file; the bands then add up to
    # the job's exact peak (each process's record holds within 1% of its
    # total), and nowhere do they add up to more
    at = [r for r in rows if abs(r[0] - peak_t) < 0.0005]
    assert len(at) == 1, (peak_t, [r[0] for r in rows if abs(r[0] - peak_t) < 0.01])
    at = at[0]
    assert abs(at[1] - peak) <= 0.01 * peak + 256 * KiB, (at, peak, res.describe())
    assert max(r[1] for r in rows) <= peak * 1.01 + 256 * KiB, (max(r[1] for r in rows), peak)
    # each process's band then is what processes_at_peak says it held:
    # exactly (within the record's 1%) with --exact; sampled otherwise,
    # where its blocks of a MiB or more are exact and its small ones an
    # estimate (not rescaled: summary.json says so)
    held = {p["pid"]: p["bytes"] for p in job["processes_at_peak"]}
    for i, col in enumerate(cols):
        band, want = at[2 + i], held.get(int(col), 0)
        slack = 0.01 * want + 256 * KiB if exact else 0.05 * want + 4 * MiB
        assert abs(band - want) <= slack, (
            "process %s: band %.2f MiB at the job's peak, processes_at_peak %.2f MiB\n%s" % (
                col, band / MiB, want / MiB, res.describe()))
    return labels, cols, rows, at


@pytest.mark.parametrize("mode", list(MODES))
def test_spawned_workers_bands_add_up_to_the_job_peak(mode):
    """Two spawned workers holding 100 MiB each at once, the parent its 30
    MiB: at the job's peak every process is at its own peak, so each band
    is also that process's own exact peak."""
    res = run_oomph("job_workers.py", args=["spawn", "together"], python=DEBIAN,
                    extra=MODES[mode])
    labels, cols, rows, at = check_job_timeline(res, mode == "exact")
    facts = json.loads(res.stdout)
    procs = res.processes()
    for pid in [facts["parent"]] + facts["workers"]:
        band = at[2 + cols.index(str(pid))]
        own = procs[pid]["peak_tracked_bytes"] - procs[pid]["inherited_bytes"]
        assert abs(band - own) <= 0.01 * own + 256 * KiB, (pid, band, own)
    for pid in facts["workers"]:
        assert at[2 + cols.index(str(pid))] >= 100 * MiB, (pid, at)
    # a worker holds nothing before it starts, nor after it ends
    w = cols.index(str(facts["workers"][0]))
    assert rows[0][2 + w] == 0 and rows[-1][2 + w] == 0, (rows[0], rows[-1])


@pytest.mark.parametrize("free,mode", [("free", "default"), ("keep", "exact")])
def test_fork_pool_workers_bands_leave_the_parents_heap_to_the_parent(free, mode):
    """A fork Pool: each worker's band is its own 50 MiB, not the 100 MiB it
    inherited from its parent -- also when it frees its inherited copy first
    (then its total drops below what it inherited: that drop is the free)."""
    res = run_oomph("job_fork_pool.py", args=[free], python=DEBIAN, extra=MODES[mode])
    labels, cols, rows, at = check_job_timeline(res, mode == "exact")
    facts = json.loads(res.stdout)
    for pid in facts["workers"]:
        band = at[2 + cols.index(str(pid))]
        assert 50 * MiB <= band <= 50 * MiB + 4 * MiB, (pid, band / MiB)
    assert at[2 + cols.index(str(facts["parent"]))] >= 100 * MiB, at


def test_the_job_chart_in_a_browser():
    """index.html's stacked chart as Chromium has it: a band per process,
    named as in job.folded, the limit line labelled with --limit's value at
    its height on the chart's own scale, the job's peak marked."""
    from browser import CHROMIUM, Browser
    if not os.path.exists(CHROMIUM):
        pytest.skip("no chromium")
    res = run_oomph("job_workers.py", args=["spawn", "together"], python=DEBIAN,
                    extra=["--limit", "400MiB"])
    labels, cols, rows, at = check_job_timeline(res, False)
    peak = res.summary["job"]["peak_tracked_bytes"]
    with Browser() as b:
        page = b.open((res.dir / "index.html").as_uri())
        q = "document.querySelector('svg.oomph-job-timeline')"
        bands = page.eval("Array.from(%s.querySelectorAll('polygon.band')).map(function (p) {"
                          " return p.querySelector('title').textContent; })" % q)
        assert len(bands) == len(cols), (bands, cols)
        names = sorted(t.split(": at most ")[0] for t in bands)
        assert names == sorted(labels.values()), (names, labels)
        # largest at the bottom: drawn first
        most = [float(re.search(r"at most ([\d.]+) MiB", t).group(1)) for t in bands
                if re.search(r"at most ([\d.]+) MiB", t)]
        assert most == sorted(most, reverse=True), bands
        lim = page.eval("Array.from(%s.querySelectorAll('text.lim')).map(function (t) {"
                        " return t.textContent; })" % q)
        assert lim == ["limit 400.0 MiB"], lim
        pk = page.eval("Array.from(%s.querySelectorAll('text.pk')).map(function (t) {"
                       " return t.textContent; })" % q)
        assert len(pk) == 1 and pk[0].startswith("job peak "), pk
        # the limit line and the total's top on the same scale: their
        # heights above the zero line are as 400 MiB to the job's peak
        geo = page.eval("""(function () {
            var s = %s, l = s.querySelector('line.lim'), c = s.querySelector('circle.jpk');
            var zero = null;
            s.querySelectorAll('line.ax').forEach(function (a) {
                var y = +a.getAttribute('y1');
                if (a.getAttribute('y1') === a.getAttribute('y2') && (zero === null || y > zero)) zero = y;
            });
            return [zero, +l.getAttribute('y1'), +c.getAttribute('cy')]; })()""" % q)
        zero, y_lim, y_peak = geo
        ratio = (zero - y_lim) / (zero - y_peak)
        assert abs(ratio - 400 * MiB / peak) <= 0.01 * ratio, (geo, peak)
        # the main process's own timeline is still there beside it
        assert page.eval("document.querySelectorAll('svg.oomph-timeline').length") == 1
        assert not page.errors, page.errors


def test_a_killed_workers_band_ends_when_it_left_the_job():
    """A worker SIGKILLed while it holds 100 MiB runs no exit path: its band
    holds until the supervisor saw it gone and took its part out of the job
    (run.meta's end of it), then drops to nothing -- before the second
    worker's 100 MiB, so the bands never hold both at once, as the job's
    exact peak says."""
    res = run_oomph("job_killed.py", python=DEBIAN)
    assert res.status == 0, res.describe()
    facts = json.loads(res.stdout)
    assert facts["codes"] == [-9, 0], facts
    labels, cols, rows = read_job_timeline(res)
    first, second = (cols.index(str(w)) for w in facts["workers"])
    both = [r for r in rows if r[2 + first] > 50 * MiB and r[2 + second] > 50 * MiB]
    assert not both, both[:3]
    held = [r[0] for r in rows if r[2 + first] >= 100 * MiB]
    assert held, "the killed worker's 100 MiB is not on the timeline"
    assert rows[-1][2 + first] == 0, rows[-1]
    peak = res.summary["job"]["peak_tracked_bytes"]
    assert max(r[1] for r in rows) <= peak * 1.01 + 256 * KiB, (max(r[1] for r in rows), peak)
    # it left when the supervisor saw it gone, not at its last record
    gone = [line.split() for line in (res.dir / "run.meta").read_text().splitlines()
            if line.startswith("proc %d%%20" % facts["workers"][0])]
    assert gone, "no run.meta entry for the killed worker"
    end_s = float(gone[0][1].split("%20")[4])
    assert end_s > 0 and abs(held[-1] - end_s) <= 0.01, (held[-1], end_s)


def test_many_processes_keep_the_chart_readable_in_a_browser():
    """Twelve processes: the file keeps a column for each; the chart draws
    the 8 largest bands and the other 4 as one band on top, whose largest
    figure is their sum at the job's peak."""
    from browser import CHROMIUM, Browser
    if not os.path.exists(CHROMIUM):
        pytest.skip("no chromium")
    res = run_oomph("job_many.py", python=DEBIAN, extra=["--exact"])
    labels, cols, rows, at = check_job_timeline(res, True)
    facts = json.loads(res.stdout)
    assert len(cols) == 1 + len(facts["workers"]), cols
    for pid, want in zip(facts["workers"], facts["held"]):
        band = at[2 + cols.index(str(pid))]
        assert want <= band <= want + 2 * MiB, (pid, band / MiB, want / MiB)
    # the 4 smallest bands of the file, at the job's peak: the other band
    small = sorted(at[2:])[:len(cols) - 8]
    with Browser() as b:
        page = b.open((res.dir / "index.html").as_uri())
        q = "document.querySelector('svg.oomph-job-timeline')"
        bands = page.eval("Array.from(%s.querySelectorAll('polygon.band')).map(function (p) {"
                          " return [p.getAttribute('class'), p.querySelector('title').textContent]; })" % q)
        assert len(bands) == 9, bands
        assert [c for c, t in bands].count("band other") == 1 and bands[-1][0] == "band other", bands
        m = re.match(r"(\d+) other processes: at most ([\d.]+) MiB", bands[-1][1])
        assert m and int(m.group(1)) == len(cols) - 8, bands[-1]
        assert abs(float(m.group(2)) * MiB - sum(small)) <= 0.002 * sum(small) + 0.1 * MiB, (
            bands[-1], sum(small) / MiB)
        keys = page.eval("%s.querySelectorAll('g.key').length" % q)
        assert keys == 9, keys
        assert not page.errors, page.errors


def test_the_supervisors_timeline_counts_a_fork_pools_inherited_heap_once():
    """timeline.tsv (the supervisor's samples, every 100 ms) takes the job
    file's total: a parent holding 100 MiB and two fork workers holding 32
    MiB each for a second make a job of about 164 MiB, not 100 MiB more
    for each worker's inherited copy (the sum of the processes' totals)."""
    res = run_oomph("job_pool_rss.py", args=["100", "32", "1"], python=DEBIAN, timeout=120)
    assert res.status == 0, res.describe()
    peak = res.summary["job"]["peak_tracked_bytes"]
    assert peak >= 164 * MiB, peak / MiB
    tracked = [int(line.split()[1]) for line in (res.dir / "timeline.tsv").read_text().splitlines()
               if not line.startswith("#")]
    # samples taken while the workers held theirs: at the job's peak, once
    assert tracked and 0.97 * peak <= max(tracked) <= peak * 1.01 + 256 * KiB, (
        max(tracked) / MiB, peak / MiB, res.describe())
