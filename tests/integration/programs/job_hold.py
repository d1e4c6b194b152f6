"""One step of a shell job: hold SIZE MiB (@step_hold), say so by creating
NAME.ready, then (with WAITFOR) wait until WAITFOR.ready exists too, so that
two steps started side by side are known to hold theirs at the same time.

argv: NAME SIZE_MIB [WAITFOR]
"""
import os
import sys
import time

MiB = 1 << 20


def main():
    name, size = sys.argv[1], int(sys.argv[2])
    wait_for = sys.argv[3] if len(sys.argv) > 3 else None
    block = bytearray(size * MiB)  # @step_hold
    block[-1] = 1
    with open(name + ".ready", "w") as f:
        f.write(str(os.getpid()))
    if wait_for:
        deadline = time.monotonic() + 60
        while not os.path.exists(wait_for + ".ready") and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.05)  # the other one is past its allocation too
    del block


if __name__ == "__main__":
    main()
