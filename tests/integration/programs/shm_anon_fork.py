"""mmap.mmap(-1, n) is MAP_SHARED|MAP_ANONYMOUS: 96 MiB mapped and touched
at @map by the parent, then touched again by two fork children, which
share its pages (the cgroup charges them once) and each allocate 8 MiB of
their own at @own.  The mapping is the parent's alone, and so is a memfd
'seg' of 32 MiB sized at @seg, which the children inherit too.  While a
child holds its 8 MiB the parent still holds everything: the job then
holds both."""
import mmap
import os
import sys

MiB = 1 << 20
SIZE = 96 * MiB


def main():
    m = mmap.mmap(-1, SIZE)  # @map
    for off in range(0, SIZE, 4096):
        m[off] = 1
    seg = os.memfd_create("seg")
    os.ftruncate(seg, 32 * MiB)  # @seg
    kids = []
    for _ in range(2):
        pid = os.fork()
        if pid == 0:
            for off in range(0, SIZE, 4096):
                m[off] = 2
            own = bytearray(8 * MiB)  # @own
            m.close()
            os._exit(0 if len(own) else 1)
        kids.append(pid)
    for pid in kids:
        os.waitpid(pid, 0)
    assert m[SIZE - 4096] == 2
    os.close(seg)
    print("ok")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
