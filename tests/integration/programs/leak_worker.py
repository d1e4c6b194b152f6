"""A multiprocessing worker that leaks 1 MiB/s (@leak) while the main
process waits for it, holding nothing that grows.

Usage: leak_worker.py [SECONDS]   (default 12)
It prints "worker PID" when the worker starts and "done" at the end.
"""
import multiprocessing
import os
import sys
import time

MiB = 1 << 20
TICK_S = 0.1
LEAK_PER_TICK = MiB // 10           # 1 MiB/s


def work(seconds):
    print("worker %d" % os.getpid(), flush=True)
    cache = []
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        cache.append(bytes(LEAK_PER_TICK))  # @leak
        scratch = bytearray(256 * 1024)  # @churn
        del scratch
        time.sleep(TICK_S)


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 12.0
    w = multiprocessing.Process(target=work, args=(seconds,))
    w.start()
    w.join()
    print("done", flush=True)
    sys.exit(w.exitcode)


if __name__ == "__main__":
    main()
