"""An anonymous mmap from Python's mmap module, touched, then closed.

@mmap_big maps 256 MiB and touches every page: the peak.  After close()
(munmap), @after_close allocates 64 MiB, which must not make a new peak.
"""
import mmap
import sys

MiB = 1 << 20
SIZE = 256 * MiB


def main():
    m = mmap.mmap(-1, SIZE)  # @mmap_big
    for off in range(0, SIZE, mmap.PAGESIZE):
        m[off] = 1
    m.close()
    after = bytearray(64 * MiB)  # @after_close
    print(len(after))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
