"""Threads: a Python thread that allocates with the GIL released, and C
threads (pthread_create from a C library) that inherit their creator's stack.
"""
import json
import subprocess

import pytest

from conftest import (MiB, PROGRAMS, assert_within, frame_key, line_of, parse_frame, run_oomph,
                      split_stack)


def no_stack_bytes(res):
    return sum(n for stack, n in res.folded.items()
               if not any(parse_frame(f) for f in split_stack(stack)))


@pytest.mark.parametrize("mode", ["default", "exact"])
def test_thread_with_gil_released_charges_the_workers_lines(python, mode):
    res = run_oomph("thread_nogil.py", python=python, extra=("--exact",) if mode == "exact" else ())
    assert res.status == 0, res.describe()
    facts = json.loads(res.stdout)
    warm = res.line_bytes("thread_nogil.py", "thread_warm")
    big = res.line_bytes("thread_nogil.py", "thread_malloc")
    # The 96 MiB malloc'd without the GIL go to their own line: the worker's
    # frames are read from memory (not its last stack, @thread_warm).
    assert_within(big, facts["big"], rel=0.01, what="@thread_malloc (GIL released)", res=res)
    assert_within(warm, facts["warm"], rel=0.01, what="@thread_warm", res=res)
    assert res.line_bytes("thread_nogil.py", "main_join") < MiB, res.describe()
    assert no_stack_bytes(res) < facts["big"], res.describe()
    # The worker's stack is the thread's own: it runs from threading's bootstrap.
    worker_keys = {"thread_nogil.py:%d" % line_of("thread_nogil.py", m)
                   for m in ("thread_warm", "thread_malloc")}
    worker_stacks = [s for s in res.folded
                     if frame_key(split_stack(s)[-1], str(res.cwd)) in worker_keys]
    assert worker_stacks, res.describe()
    for s in worker_stacks:
        funcs = [parse_frame(f)[2] for f in split_stack(s) if parse_frame(f)]
        assert "main" not in funcs, "worker stack runs through main(): %s" % s


@pytest.fixture(scope="session")
def cthread_lib(tmp_path_factory):
    out = tmp_path_factory.mktemp("cthread") / "libcthread.so"
    r = subprocess.run(["cc", "-shared", "-fPIC", "-O1", "-o", str(out),
                        str(PROGRAMS / "cthread.c"), "-lpthread"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return out


@pytest.mark.parametrize("mode", ["default", "exact"])
def test_c_threads_inherit_their_creators_python_line(python, cthread_lib, mode):
    res = run_oomph("cthread.py", args=[cthread_lib], python=python,
                    extra=("--exact",) if mode == "exact" else ())
    assert res.status == 0, res.describe()
    assert json.loads(res.stdout)["kept"] == [1, 2, 3], res.stdout
    lines = {}
    for stack, n in res.folded.items():
        # The C thread's bytes are under its creator's Python frames (maybe
        # with a synthetic thread marker below them): take the innermost
        # Python frame.
        py = [f for f in split_stack(stack) if parse_frame(f)]
        if py:
            key = frame_key(py[-1], str(res.cwd))
            lines[key] = lines.get(key, 0) + n
    line = {m: lines.get("cthread.py:%d" % line_of("cthread.py", m), 0)
            for m in ("cthread_direct", "cthread_nested", "cthread_nogil")}
    assert_within(line["cthread_direct"], 80 * MiB, rel=0.01, what="C thread (GIL held)", res=res)
    assert_within(line["cthread_nested"], 48 * MiB, rel=0.01, what="C thread's C thread", res=res)
    # 24 MiB from the C thread + the 4 MiB bytearray made just before on that line.
    assert_within(line["cthread_nogil"], 28 * MiB, rel=0.01,
                  what="C thread started without the GIL", res=res)
    assert no_stack_bytes(res) < 24 * MiB, res.describe()
