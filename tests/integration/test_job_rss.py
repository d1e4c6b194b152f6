"""Issue 12, the job's RSS: each process's peak RSS is its own (VmHWM since
its exec, not ru_maxrss, which Linux keeps across exec), and the job's RSS
at one instant counts the pages its processes share once (PSS; the
kernel's own high-water mark of a --limit cgroup).  Real programs, the
numbers read back from summary.json and the terminal summary."""
import json

import pytest

from conftest import DEBIAN_AND_SID, MODES, MiB, run_oomph


@pytest.mark.parametrize("mode", list(MODES))
def test_spawned_child_peak_rss_is_its_own_not_its_parents(python, mode):
    res = run_oomph("job_big_parent.py", args=["400"], python=python, extra=MODES[mode],
                    timeout=120)
    assert res.status == 0, res.describe()
    facts = json.loads(res.stdout)
    procs = res.processes()
    parent = procs[facts["parent"]]
    # the parent wrote 400 MiB: its own peak RSS holds them
    assert 400 * MiB <= parent["peak_rss_bytes"] <= 400 * MiB + 64 * MiB, parent
    assert 400 * MiB <= res.summary["peak_rss_bytes"] <= 400 * MiB + 64 * MiB, res.describe()
    # the spawned child, the subprocess and the resource tracker (every
    # exec'd Python) hold an interpreter's worth, not the parent's 400 MiB
    children = [p for pid, p in procs.items() if pid != facts["parent"]]
    pids = {p["pid"] for p in children}
    assert {facts["spawned"], facts["subprocess"]} <= pids, (pids, facts, res.describe())
    for p in children:
        assert p["peak_rss_bytes"] is not None, p
        assert 2 * MiB < p["peak_rss_bytes"] < 64 * MiB, (p, res.describe())
    # the terminal says the main process's own figure
    assert "peak RSS %.1f MiB" % (res.summary["peak_rss_bytes"] / MiB) in res.text_err, res.text_err


def job_rss_checks(res, parent_mib, worker_mib):
    assert res.status == 0, res.describe()
    facts = json.loads(res.stdout)
    job = res.summary["job"]
    assert job["peak_rss_how"] == "pss", job
    procs = res.processes()
    assert len(facts["workers"]) == 2 and set(facts["workers"]) <= set(procs), (
        "%s %s %s" % (facts, sorted(procs), res.summary["errors"]))
    # every worker's own RSS counts the parent's pages it inherited ...
    for pid in facts["workers"]:
        assert procs[pid]["peak_rss_bytes"] >= (parent_mib + worker_mib) * MiB, procs[pid]
    rss_sum = sum(p["peak_rss_bytes"] for p in procs.values())
    assert rss_sum > 3 * parent_mib * MiB, procs
    # ... the job holds them once: the parent's peak RSS (its interpreter
    # and its block) and what each worker filled of its own
    expected = res.summary["peak_rss_bytes"] + 2 * worker_mib * MiB
    assert abs(job["peak_rss_bytes"] - expected) <= 0.04 * expected, (job, expected, res.describe())
    words = "peak RSS of the whole job at one instant: %.1f MiB (its processes' PSS summed: " \
            "pages they share counted once)" % (job["peak_rss_bytes"] / MiB)
    assert words in res.text_err, res.text_err
    # the sizing advice rests on it
    assert res.summary["sizing"]["needed_bytes"] == job["peak_rss_bytes"], res.summary["sizing"]
    return job


def test_fork_pool_job_rss_counts_inherited_pages_once(python):
    res = run_oomph("job_pool_rss.py", args=["300", "32", "3"], python=python, timeout=120)
    job = job_rss_checks(res, 300, 32)
    assert job["cgroup_peak_bytes"] is None, job


@pytest.mark.parametrize("interp", DEBIAN_AND_SID)
def test_limit_cgroup_high_water_mark_agrees_with_the_pss_sum(interp):
    res = run_oomph("job_pool_rss.py", args=["300", "32", "3"], python=interp,
                    extra=["--limit", "1GiB"], timeout=120)
    if res.summary and res.summary.get("limit_mode") == "rlimit-data":
        pytest.skip("no memory cgroup could be made here")
    job = job_rss_checks(res, 300, 32)
    # the kernel's own figure for the cgroup: the same pages, once
    assert job["cgroup_peak_bytes"] is not None, job
    assert abs(job["cgroup_peak_bytes"] - job["peak_rss_bytes"]) <= 0.04 * job["peak_rss_bytes"], job
    assert "the kernel's high-water mark of its --limit cgroup: %.1f MiB" % (
        job["cgroup_peak_bytes"] / MiB) in res.text_err, res.text_err


def test_a_job_shorter_than_a_reading_is_at_least_its_largest_process(python):
    # fork_exec.py lasts about 0.1 s: the PSS sum, read every 100 ms, may
    # catch the job before its main process grew (a run once said "47.0
    # KiB").  The job at one instant holds at least each process's pages.
    res = run_oomph("fork_exec.py", python=python)
    assert res.status == 0, res.describe()
    job = res.summary["job"]
    largest = max(p["peak_rss_bytes"] or 0 for p in res.processes().values())
    assert largest > 8 * MiB, res.processes()
    assert job["peak_rss_bytes"] >= largest, (job, res.describe())
    assert res.summary["sizing"]["needed_bytes"] >= largest, res.summary["sizing"]
    how = {"pss": "its processes' PSS summed: pages they share counted once",
           "largest-process": "its largest process's own peak RSS: its processes' PSS, "
                              "summed every 100 ms, never caught the job at its peak"}
    assert job["peak_rss_how"] in how, job
    words = "peak RSS of the whole job at one instant: %.1f MiB (%s)" % (
        job["peak_rss_bytes"] / MiB, how[job["peak_rss_how"]])
    assert words in res.text_err, res.text_err
