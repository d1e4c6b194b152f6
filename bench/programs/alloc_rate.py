"""Allocations at a chosen size, as fast as Python makes them, for a chosen
number of seconds' worth of work: SIZE bytes each, N of them, kept in a ring
of 1000 so memory stays flat.  THREADS threads share the work.  Used by
bench/scaling.py to relate overhead to allocations/s and bytes/s."""
import sys
import threading

size = int(sys.argv[1])
n = int(sys.argv[2])
threads = int(sys.argv[3]) if len(sys.argv) > 3 else 1


def work(count):
    ring = [None] * 1000
    for i in range(count):
        ring[i % 1000] = bytearray(size)


ts = [threading.Thread(target=work, args=(n // threads,)) for _ in range(threads)]
for t in ts:
    t.start()
for t in ts:
    t.join()
