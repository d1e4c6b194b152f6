"""multiprocessing workers (fork start method), each allocating its own size.

The parent holds 16 MiB (@parent_alloc) and starts three workers at once;
worker i holds SIZES[i] MiB on @worker_alloc, then returns (multiprocessing
ends a forked worker with os._exit).  Prints JSON: the parent's pid and each
worker's pid with its size in bytes.
"""
import json
import multiprocessing
import os
import sys

MiB = 1 << 20
SIZES = [64, 96, 128]


def work(i):
    block = bytearray(SIZES[i] * MiB)  # @worker_alloc
    block[-1] = 1


def main():
    ctx = multiprocessing.get_context("fork")
    mine = bytearray(16 * MiB)  # @parent_alloc
    procs = [ctx.Process(target=work, args=(i,)) for i in range(len(SIZES))]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    codes = [p.exitcode for p in procs]
    print(json.dumps({
        "parent": os.getpid(),
        "workers": {str(p.pid): SIZES[i] * MiB for i, p in enumerate(procs)},
        "exitcodes": codes,
        "mine": len(mine),
    }))
    sys.stdout.flush()
    sys.exit(0 if codes == [0] * len(procs) else 1)


if __name__ == "__main__":
    main()
