"""A memfd 'grow' sized to 8 MiB at @size, mapped, then grown to 64 MiB by
mmap.resize() at @resize (ftruncate, then mremap of the file mapping) and
touched.  The segment is 64 MiB; the mremap moves a file mapping, which is
no anonymous memory of its own.  Still open at the exit."""
import mmap
import os
import sys

MiB = 1 << 20


def main():
    fd = os.memfd_create("grow")
    os.ftruncate(fd, 8 * MiB)  # @size
    m = mmap.mmap(fd, 8 * MiB)
    m.resize(64 * MiB)  # @resize
    for off in range(0, 64 * MiB, 4096):
        m[off] = 1
    print(len(m))
    sys.stdout.flush()
    return fd


if __name__ == "__main__":
    keep = main()
