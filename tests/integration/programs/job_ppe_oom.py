"""A ProcessPoolExecutor worker that grows until the OOM killer ends it.

Two tasks: one fills 8 MiB chunks (@worker_grow) without end, the other
sleeps.  Under `oomph run --limit 256MiB` the kernel kills the growing
worker (the largest process of the cgroup); the parent's result() then
raises BrokenProcessPool, uncaught: it exits with code 1, and the pool ends
its other worker (SIGTERM).  Prints JSON first: the parent's pid and the
workers'.  With argv[1] "then-grow" the parent catches BrokenProcessPool
and grows itself until the OOM killer takes it too (@parent_grow).
"""
import concurrent.futures
import json
import os
import sys
import time

MiB = 1 << 20


def grow():
    chunks = []
    while True:
        chunks.append(b"\x01" * (8 * MiB))  # @worker_grow
        time.sleep(0.01)


def idle():
    # Long enough to outlast the grower (under a second, a few under load).
    # CPython 3.14 and 3.15's pool of a fork server often notices the
    # broken pool only when this task ends, then SIGTERMs the worker: 60 s
    # made each such run a minute, also without oomph (plain python3.15 in
    # a 256 MiB memory cgroup: 60.2, 60.2 and 0.7 s).
    time.sleep(15)
    return os.getpid()


def main():
    with concurrent.futures.ProcessPoolExecutor(max_workers=2) as ex:
        quiet = ex.submit(idle)
        big = ex.submit(grow)
        # submit() starts the workers before it returns (every start
        # method): their pids are known now.  Printed at once: under load
        # the grower can fill the limit within a sleep, and a broken pool
        # forgets its processes.
        print(json.dumps({"parent": os.getpid(), "workers": sorted(ex._processes)}))
        sys.stdout.flush()
        if sys.argv[1:] == ["then-grow"]:
            try:
                big.result()
            except concurrent.futures.process.BrokenProcessPool:
                chunks = []
                while True:
                    chunks.append(b"\x02" * (8 * MiB))  # @parent_grow
                    time.sleep(0.01)
        big.result()
        quiet.result()


if __name__ == "__main__":
    main()
