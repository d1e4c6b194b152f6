"""Why RSS and tracked memory differ (issue 15 item 5), one case per argument.

untouched: np.zeros of 256 MiB that is never written (calloc: the kernel
  gives pages only when they are touched), beside 64 MiB of np.ones that is,
  and a 48 MiB file mapped and read (file-backed RSS, not tracked).
kept: 192 MiB of 1 KiB blocks, all but one in 64 freed (glibc keeps the
  pages between the survivors), then 256 MiB of np.ones: the peak, with the
  freed blocks still resident.
Each holds its peak for 0.6 s, so the supervisor's 100 ms samples see it.
"""
import mmap
import os
import sys
import tempfile
import time

import numpy as np

MiB = 1 << 20


def untouched():
    z = np.zeros(256 * MiB // 8)  # @zeros
    o = np.ones(64 * MiB // 8)  # @ones
    fd, path = tempfile.mkstemp()
    try:
        os.ftruncate(fd, 48 * MiB)
        m = mmap.mmap(fd, 48 * MiB, prot=mmap.PROT_READ)
        total = sum(m[i] for i in range(0, 48 * MiB, 4096))  # every page read
        time.sleep(0.6)
        m.close()
    finally:
        os.close(fd)
        os.unlink(path)
    return z.nbytes + o.nbytes + total


def kept():
    blocks = [bytearray(1024) for _ in range(192 * 1024)]  # @blocks
    survivors = blocks[::64]
    del blocks
    o = np.ones(256 * MiB // 8)  # @peak
    time.sleep(0.6)
    return len(survivors) + o.nbytes


print({"untouched": untouched, "kept": kept}[sys.argv[1]]())
