"""A multiprocessing Pool ended by its owner: Pool.terminate() while its
2 workers are busy (each sleeping in a task), which sends each SIGTERM.
argv[1]: the start method (default: the interpreter's).  Exits 0.  Prints
JSON: the parent's pid and the workers'.
"""
import json
import multiprocessing
import os
import sys
import time


def nap(i):
    time.sleep(60)
    return i


def main():
    ctx = multiprocessing.get_context(sys.argv[1] if len(sys.argv) > 1 else None)
    pool = ctx.Pool(2)
    pool.map_async(nap, range(2), chunksize=1)
    time.sleep(1.5)
    workers = sorted(p.pid for p in pool._pool)
    pool.terminate()
    pool.join()
    print(json.dumps({"parent": os.getpid(), "workers": workers}))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
