"""Forked processes: multiprocessing workers (fork start method) and os.fork,
each profiled with its own picture under processes/<pid>/.
"""
import json

from conftest import (MiB, assert_report_complete, assert_within, baseline_bytes, by_innermost_line,
                      line_of, parse_frame, run_oomph, split_stack)


def functions(folded):
    return {parse_frame(f)[2] for s in folded for f in split_stack(s) if parse_frame(f)}


def check_child(res, pid, parent, program, marker, size):
    procs = res.processes()
    assert pid in procs, "pid %d missing from summary processes %s\n%s" % (
        pid, sorted(procs), res.describe())
    entry = procs[pid]
    assert entry["parent"] == parent, (entry, parent)
    assert entry["dir"] == "processes/%d" % pid, entry
    assert_report_complete(res, entry["dir"])
    folded = res.process_folded(pid)
    lines = by_innermost_line(folded, str(res.cwd))
    assert_within(lines.get("%s:%d" % (program, line_of(program, marker)), 0), size, rel=0.01,
                  what="pid %d %s" % (pid, marker), res=res)
    assert entry["peak_tracked_bytes"] >= size, entry
    return folded


def test_multiprocessing_fork_workers_each_have_their_own_report(python):
    res = run_oomph("mp_workers.py", python=python)
    assert res.status == 0, res.describe()
    facts = json.loads(res.stdout)
    main = facts["parent"]
    procs = res.processes()
    assert procs.get(main, {}).get("parent", "absent") is None, (procs.get(main), res.describe())
    assert procs[main]["dir"] == ".", procs[main]
    for pid, size in facts["workers"].items():
        folded = check_child(res, int(pid), main, "mp_workers.py", "worker_alloc", size)
        assert "work" in functions(folded)
    # The parent's own picture: its 16 MiB, and nothing from the workers.
    assert_within(res.line_bytes("mp_workers.py", "parent_alloc"), 16 * MiB, rel=0.01,
                  what="parent's block", res=res)
    assert res.line_bytes("mp_workers.py", "worker_alloc") == 0, res.describe()
    assert "work" not in functions(res.folded), res.describe()
    peak = res.summary["peak_tracked_bytes"]
    assert peak <= 16 * MiB + baseline_bytes(python) + 24 * MiB, res.describe()
    assert procs[main]["peak_tracked_bytes"] == peak


def test_os_fork_child_and_grandchild_are_profiled(python):
    res = run_oomph("os_fork.py", python=python)
    assert res.status == 0, res.describe()
    facts = json.loads(res.stdout)
    assert facts["child_status"] == 0 and facts["grandchild_status"] == 7, facts
    main, child, grandchild = facts["parent"], facts["child"], facts["grandchild"]
    assert res.processes()[main]["parent"] is None, res.describe()
    child_folded = check_child(res, child, main, "os_fork.py", "fork_child_alloc", 80 * MiB)
    gc_folded = check_child(res, grandchild, child, "os_fork.py", "fork_grandchild_alloc", 48 * MiB)
    # Each picture holds only what that process allocated after the fork (plus
    # what it inherited): the grandchild's block is not in the child's
    # report, and neither is in the parent's.
    assert "grandchild" not in functions(child_folded)
    assert "grandchild" in functions(gc_folded)
    assert not {"child", "grandchild"} & functions(res.folded), res.describe()
    assert_within(res.line_bytes("os_fork.py", "fork_parent_alloc"), 20 * MiB, rel=0.01,
                  what="parent's block", res=res)
    assert res.summary["peak_tracked_bytes"] <= 20 * MiB + baseline_bytes(python) + 16 * MiB, \
        res.describe()


def test_fork_children_that_exec_at_once_leave_no_profile(python):
    res = run_oomph("fork_exec.py", python=python)
    assert res.status == 0, res.describe()
    facts = json.loads(res.stdout)
    procs = res.processes()
    for pid in facts["quiet"]:
        assert pid not in procs, "pid %d (exec'd at once) has a profile\n%s" % (pid, res.describe())
    check_child(res, facts["busy"], facts["parent"], "fork_exec.py", "child_alloc", 16 * MiB)
    assert_within(res.line_bytes("fork_exec.py", "parent_alloc"), 8 * MiB, rel=0.01,
                  what="parent's block", res=res)


def test_children_forked_while_another_thread_churns_all_have_a_readable_state(python):
    # Right after a fork the parent goes on moving pools between stacks; a
    # child that copied its tables after such a move had one stack at
    # -16 KiB and its state was rejected ("holds -16384 bytes"), about one
    # run in ten of this program before the parent waited for the copy.
    res = run_oomph("fork_churn.py", python=python)
    assert res.status == 0, res.describe()
    assert res.stdout.split() == [b"fork_churn", b"32", b"32"], res.describe()
    assert res.summary["errors"] == [], res.summary["errors"]
    procs = res.processes()
    assert len(procs) == 33, (sorted(procs), res.describe())
    for entry in procs.values():
        assert entry["incomplete"] == [] and entry["ending"] == "exited", entry
