"""A fork Pool whose parent holds 100 MiB (@parent_big) before it forks its
two workers; each worker holds 50 MiB of its own (@worker_block), both at
once (a Barrier).  The 100 MiB are shared copy-on-write: the job holds
them once, as the parent's.

argv: keep | free   (free: each worker first drops its inherited copy of
                      the parent's 100 MiB, which stays the parent's)
Prints JSON: the parent's pid, the workers' pids.
"""
import json
import multiprocessing
import os
import sys

MiB = 1 << 20
big = None
_barrier = None


def init(barrier):
    global _barrier
    _barrier = barrier


def work(free):
    global big
    if free:
        big = None  # the inherited 100 MiB, freed in this worker
    block = bytearray(50 * MiB)  # @worker_block
    block[-1] = 1
    _barrier.wait()
    _barrier.wait()
    del block
    return os.getpid()


def main():
    global big
    free = sys.argv[1] == "free"
    ctx = multiprocessing.get_context("fork")
    big = bytearray(100 * MiB)  # @parent_big
    big[-1] = 1
    barrier = ctx.Barrier(2)
    with ctx.Pool(2, initializer=init, initargs=(barrier,)) as pool:
        pids = pool.map(work, [free, free], chunksize=1)
    print(json.dumps({"parent": os.getpid(), "workers": pids, "big": len(big)}))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
