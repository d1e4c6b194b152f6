"""os.memfd_create + ftruncate + mmap: 'big' (64 MiB, sized at @size) is
mapped and touched, then unmapped and closed; @after allocates 32 MiB (no new
peak: the memfd is gone).  'kept' (16 MiB, @kept) is still open and mapped
when the program exits."""
import mmap
import os
import sys

MiB = 1 << 20


def main():
    fd = os.memfd_create("big")
    os.ftruncate(fd, 64 * MiB)  # @size
    m = mmap.mmap(fd, 64 * MiB)
    for off in range(0, 64 * MiB, 16 * 4096):
        m[off] = 1
    m.close()
    os.close(fd)
    after = bytearray(32 * MiB)  # @after
    keep = os.memfd_create("kept")
    os.ftruncate(keep, 16 * MiB)  # @kept
    km = mmap.mmap(keep, 16 * MiB)
    km[0] = 1
    print(len(after))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
