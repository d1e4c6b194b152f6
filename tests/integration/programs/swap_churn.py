"""A working set of anonymous memory larger than the memory it may use:
SIZE MiB in one bytearray (not zeros: zero pages swap without I/O), a byte of every page written again and again in
a scattered order for SECONDS, then held still for HOLD seconds (the swap
it occupies can be read while nothing moves) and freed.  Under a limit
of half SIZE with swap allowed, half of it lives in swap at any time and
every pass brings it back: the program swaps, and thrashes."""
import os
import sys
import time

size_mib = int(sys.argv[1]) if len(sys.argv) > 1 else 300
seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 10
hold = float(sys.argv[3]) if len(sys.argv) > 3 else 0
print("pid", os.getpid(), flush=True)
buf = bytearray(b"\x5a" * (1 << 20)) * size_mib  # @hold
print("allocated", flush=True)
pages = len(buf) // 4096
step = 7919  # a prime: visits every page, scattered
page = 0
end = time.monotonic() + seconds
while time.monotonic() < end:
    for _ in range(1024):
        page = (page + step) % pages
        buf[page * 4096] = (buf[page * 4096] + 1) & 255  # @touch
print("holding", flush=True)
time.sleep(hold)
del buf
print("done", flush=True)
