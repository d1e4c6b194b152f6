"""A job of several processes: a parent holding 30 MiB (@parent_hold) from
before its two workers start until after they end, and two workers that
each hold 100 MiB (@worker_hold).

argv: METHOD OVERLAP [KIND]
  METHOD   spawn | fork | forkserver (the multiprocessing start method)
  OVERLAP  together: both workers hold their 100 MiB at the same time (a
           Barrier: neither frees before both have allocated);
           sequential: the second starts after the first has ended
  KIND     process (default: multiprocessing.Process) | executor
           (concurrent.futures.ProcessPoolExecutor of 2 workers; sequential:
           one task at a time, the next submitted after the first's result,
           so a pool that starts workers on demand may run both in one)
Prints JSON: the parent's pid, the pids of the workers that ran the tasks.
"""
import concurrent.futures
import json
import multiprocessing
import os
import sys

MiB = 1 << 20
HOLD = 100 * MiB
_barrier = None


def init(barrier):
    global _barrier
    _barrier = barrier


def hold(barrier=None):
    block = bytearray(HOLD)  # @worker_hold
    block[-1] = 1
    b = barrier if barrier is not None else _barrier
    if b is not None:
        b.wait()  # both hold theirs now
        b.wait()  # and both have been seen holding it
    del block
    return os.getpid()


def main():
    method, overlap = sys.argv[1], sys.argv[2]
    kind = sys.argv[3] if len(sys.argv) > 3 else "process"
    ctx = multiprocessing.get_context(method)
    mine = bytearray(30 * MiB)  # @parent_hold
    mine[-1] = 1
    pids = []
    if kind == "executor":
        barrier = ctx.Barrier(2) if overlap == "together" else None
        with concurrent.futures.ProcessPoolExecutor(2, mp_context=ctx, initializer=init,
                                                    initargs=(barrier,)) as ex:
            if barrier is not None:
                futs = [ex.submit(hold) for _ in range(2)]
                pids = [f.result() for f in futs]
            else:
                pids = [ex.submit(hold).result() for _ in range(2)]
    elif overlap == "together":
        barrier = ctx.Barrier(2)
        procs = [ctx.Process(target=hold, args=(barrier,)) for _ in range(2)]
        for p in procs:
            p.start()
        for p in procs:
            p.join()
        pids = [p.pid for p in procs]
        assert all(p.exitcode == 0 for p in procs), [p.exitcode for p in procs]
    else:
        for _ in range(2):
            p = ctx.Process(target=hold)
            p.start()
            p.join()
            assert p.exitcode == 0, p.exitcode
            pids.append(p.pid)
    print(json.dumps({"parent": os.getpid(), "workers": pids, "mine": len(mine)}))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
