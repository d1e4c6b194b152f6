"""A working set of file-backed pages larger than the memory it may use:
a file of SIZE MiB is written, then its pages are read again and again,
in a scattered order, through mmap (MADV_RANDOM: no readahead, like an
index lookup).  Under a smaller memory limit the page cache cannot hold
it, so most reads wait for the disk: the program thrashes."""
import mmap
import os
import sys
import time

size_mib = int(sys.argv[1]) if len(sys.argv) > 1 else 400
seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 12
path = "thrash.data"
chunk = b"\x5a" * (1 << 20)
with open(path, "wb") as f:
    for _ in range(size_mib):
        f.write(chunk)
    f.flush()
    os.fsync(f.fileno())
print("file written", flush=True)
total = 0
with open(path, "rb") as f:
    m = mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ)
    m.madvise(mmap.MADV_RANDOM)
    pages = len(m) // 4096
    step = 7919  # a prime: visits every page, scattered
    end = time.monotonic() + seconds
    page = 0
    while time.monotonic() < end:
        for _ in range(4096):
            page = (page + step) % pages
            total += m[page * 4096]  # @touch
    m.close()
os.unlink(path)
print("done", total > 0, flush=True)
