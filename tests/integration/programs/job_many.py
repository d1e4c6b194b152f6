"""A job of many processes: the parent forks 11 workers (multiprocessing
Process, fork) that hold 4, 8, ... 44 MiB (@many_hold) all at once (a
Barrier), for the chart of the whole job to keep readable.
Prints JSON: the parent's pid, the workers' pids and what each held."""
import json
import multiprocessing
import os

MiB = 1 << 20
N = 11


def hold(barrier, k):
    block = bytearray(4 * (k + 1) * MiB)  # @many_hold
    block[-1] = 1
    barrier.wait()  # every worker holds its block now
    barrier.wait()  # and has been seen holding it
    del block


def main():
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(N)
    procs = [ctx.Process(target=hold, args=(barrier, k)) for k in range(N)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    assert all(p.exitcode == 0 for p in procs), [p.exitcode for p in procs]
    print(json.dumps({"parent": os.getpid(), "workers": [p.pid for p in procs],
                      "held": [4 * (k + 1) * MiB for k in range(N)]}))


if __name__ == "__main__":
    main()
