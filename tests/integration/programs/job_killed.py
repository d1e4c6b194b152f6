"""A worker killed while it holds 100 MiB (@killed_hold; SIGKILL, no exit
path), then, later, another worker holding 100 MiB (@later_hold): the
kernel freed the first one's memory, so the job never held both.
argv[1]: the seconds between the first one's end and the second's start
(default 0.6); argv[2]: the seconds before the first one starts (default
0).  Prints JSON: the parent's pid, the workers' pids."""
import json
import multiprocessing
import os
import signal
import sys
import time

MiB = 1 << 20


def die():
    block = bytearray(100 * MiB)  # @killed_hold
    block[-1] = 1
    os.kill(os.getpid(), signal.SIGKILL)


def hold():
    block = bytearray(100 * MiB)  # @later_hold
    block[-1] = 1
    time.sleep(0.3)


def main():
    ctx = multiprocessing.get_context("fork")
    time.sleep(float(sys.argv[2]) if len(sys.argv) > 2 else 0)
    first = ctx.Process(target=die)
    first.start()
    first.join()
    time.sleep(float(sys.argv[1]) if len(sys.argv) > 1 else 0.6)  # the supervisor looks every 100 ms
    second = ctx.Process(target=hold)
    second.start()
    second.join()
    print(json.dumps({"parent": os.getpid(), "workers": [first.pid, second.pid],
                      "codes": [first.exitcode, second.exitcode]}))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
