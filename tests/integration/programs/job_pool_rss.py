"""A fork Pool whose parent holds memory its workers inherit.

The parent fills PARENT_MIB (argv[1], default 300) MiB (@parent_fill, every
page written) before starting a `fork` Pool of 2 workers; each worker fills
WORKER_MIB (argv[2], default 32) MiB of its own (@worker_fill) and holds it
for HOLD_S (argv[3], default 3) seconds, both at the same time.  The
inherited pages are shared copy-on-write: the job holds them once, though
each worker's RSS counts them.  Prints JSON: the pids.
"""
import json
import multiprocessing
import os
import sys
import time

MiB = 1 << 20


def work(args):
    size, hold = args
    mine = b"\x02" * (size * MiB)  # @worker_fill
    time.sleep(hold)
    return os.getpid(), len(mine)


def main():
    parent = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    worker = int(sys.argv[2]) if len(sys.argv) > 2 else 32
    hold = float(sys.argv[3]) if len(sys.argv) > 3 else 3.0
    big = b"\x01" * (parent * MiB)  # @parent_fill
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(2) as pool:
        got = pool.map(work, [(worker, hold)] * 2, chunksize=1)
    print(json.dumps({"parent": os.getpid(), "workers": sorted({pid for pid, _ in got}),
                      "held": len(big)}))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
