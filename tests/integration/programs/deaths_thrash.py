"""A working set of file-backed pages larger than the memory it may use:
a file of SIZE MiB is written, then read again and again through mmap.
Under a smaller memory limit every pass has to read most of it back
from disk (the page cache cannot hold it): the program thrashes."""
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
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for off in range(0, len(m), 4096):  # @touch
            total += m[off]
    m.close()
os.unlink(path)
print("done", total > 0, flush=True)
