"""Fork children that exec at once, and one that allocates first.

Two children exec /bin/true straight after fork (as subprocess does on
3.9): they hold nothing of their own, so they leave no profile.  A third
allocates 16 MiB (@child_alloc) before it execs: that child keeps its
profile.  The parent holds 8 MiB (@parent_alloc).
"""
import json
import os
import sys

MiB = 1 << 20


def spawn(allocate):
    pid = os.fork()
    if pid == 0:
        if allocate:
            keep = bytearray(16 * MiB)  # @child_alloc
            keep[-1] = 1
        os.execv("/bin/true", ["/bin/true"])
    os.waitpid(pid, 0)
    return pid


def main():
    block = bytearray(8 * MiB)  # @parent_alloc
    quiet = [spawn(False), spawn(False)]
    busy = spawn(True)
    print(json.dumps({"quiet": quiet, "busy": busy, "parent": os.getpid()}))
    sys.stdout.flush()
    del block


if __name__ == "__main__":
    main()
