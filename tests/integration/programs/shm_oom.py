"""A memfd of 300 MiB, sized at @size and filled page by page: under
`oomph run --limit 256MiB` its tmpfs pages are charged to the cgroup as they
are touched, and the kernel's OOM killer ends it long before 'survived'.
Its own heap stays small: the death is the segment's."""
import mmap
import os
import sys

MiB = 1 << 20
SIZE = 300 * MiB


def main():
    fd = os.memfd_create("big")
    os.ftruncate(fd, SIZE)  # @size
    m = mmap.mmap(fd, SIZE)
    print("filling", flush=True)
    for off in range(0, SIZE, 4096):
        m[off] = 1
    print("survived")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
