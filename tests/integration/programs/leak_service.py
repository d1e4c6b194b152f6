"""A service that leaks: a freed warm-up bigger than the leak, steady churn
on three lines, and 1 MiB/s kept on one line (@leak) that never frees.

Usage: leak_service.py [SECONDS [STATUS]]   (default: until Ctrl-C)
It prints one line a second on stdout ("tick N"), "done" at the end, and
exits with STATUS (default 0).
"""
import sys
import time

MiB = 1 << 20
TICK_S = 0.1
LEAK_PER_TICK = MiB // 10           # 1 MiB/s
CHURN = 256 * 1024


def warm_up():
    # bigger than what the leak holds in a 30 s run, freed before it starts
    blocks = [bytearray(MiB) for _ in range(48)]  # @warm_up
    return len(blocks)


def churn_parse():
    return [bytes(CHURN) for _ in range(4)]  # @churn_parse


def churn_render():
    return bytearray(3 * CHURN)  # @churn_render


def churn_encode(n):
    return b"x" * (CHURN + n)  # @churn_encode


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else None
    warm_up()
    cache = []
    start = time.monotonic()
    ticks = 0
    while seconds is None or time.monotonic() - start < seconds:
        a = churn_parse()
        b = churn_render()
        c = churn_encode(ticks % 7)
        cache.append(bytes(LEAK_PER_TICK))  # @leak
        del a, b, c
        ticks += 1
        if ticks % 10 == 0:
            print("tick %d" % (ticks // 10), flush=True)
        time.sleep(TICK_S)
    print("done", flush=True)
    sys.exit(int(sys.argv[2]) if len(sys.argv) > 2 else 0)


if __name__ == "__main__":
    main()
