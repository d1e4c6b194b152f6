"""A big parent and small children: each child's peak RSS must be its own.

The parent fills PARENT_MIB (argv[1], default 400) MiB (@parent_fill, every
page written), then starts a `spawn` child (multiprocessing, which also
starts its resource tracker: another exec'd Python) and a `subprocess` of
Python, each holding almost nothing for half a second.  Linux keeps
ru_maxrss across exec, so by that measure each child would show the
parent's RSS at the fork.  Prints JSON: the parent's pid, the children's.
"""
import json
import multiprocessing
import os
import subprocess
import sys
import time

MiB = 1 << 20


def child():
    time.sleep(0.5)


def main():
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 400
    big = b"\x01" * (size * MiB)  # @parent_fill
    ctx = multiprocessing.get_context("spawn")
    p = ctx.Process(target=child)
    p.start()
    sub = subprocess.run([sys.executable, "-c", "import os, time; time.sleep(0.5); print(os.getpid())"],
                         capture_output=True, text=True, check=True)
    p.join()
    print(json.dumps({"parent": os.getpid(), "spawned": p.pid,
                      "subprocess": int(sub.stdout), "held": len(big)}))
    sys.stdout.flush()
    sys.exit(p.exitcode)


if __name__ == "__main__":
    main()
