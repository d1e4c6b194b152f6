"""os.fork directly: a child that forks a grandchild.

The parent holds 20 MiB (@fork_parent_alloc); the child 80 MiB
(@fork_child_alloc) and forks a grandchild that holds 48 MiB
(@fork_grandchild_alloc) and ends with os._exit(7); the child checks that
status and ends with os._exit(0).  The parent prints JSON with the pids.
"""
import json
import os
import sys

MiB = 1 << 20


def grandchild():
    g = bytearray(48 * MiB)  # @fork_grandchild_alloc
    g[-1] = 1
    os._exit(7)


def child():
    c = bytearray(80 * MiB)  # @fork_child_alloc
    c[-1] = 1
    gpid = os.fork()
    if gpid == 0:
        grandchild()
    _, status = os.waitpid(gpid, 0)
    code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else -1
    with open("grandchild.pid", "w") as f:
        f.write("%d %d\n" % (gpid, code))
    os._exit(0 if code == 7 else 1)


def main():
    mine = bytearray(20 * MiB)  # @fork_parent_alloc
    sys.stdout.flush()
    pid = os.fork()
    if pid == 0:
        child()
    _, status = os.waitpid(pid, 0)
    with open("grandchild.pid") as f:
        gpid, gcode = (int(x) for x in f.read().split())
    print(json.dumps({
        "parent": os.getpid(), "child": pid, "grandchild": gpid,
        "child_status": os.WEXITSTATUS(status), "grandchild_status": gcode,
        "mine": len(mine),
    }))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
