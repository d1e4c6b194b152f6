"""Two segments still live when the program exits normally: a
multiprocessing.shared_memory segment of 40 MiB made at @create (closed and
unlinked at the end, but a descriptor dup'd at @held keeps it alive until
the process exits), and a memfd 'kept' of 24 MiB sized at @kept and never
closed; one memfd 'gone' of 8 MiB (@gone) is closed before the end.  Prints
what it made."""
import json
import mmap
import os
import sys
from multiprocessing import shared_memory

MiB = 1 << 20


def make():
    seg = shared_memory.SharedMemory(create=True, size=40 * MiB)  # @create
    held = os.dup(seg._fd)  # @held
    seg.buf[0:MiB] = b"\1" * MiB
    kept = os.memfd_create("kept")
    os.ftruncate(kept, 24 * MiB)  # @kept
    km = mmap.mmap(kept, 24 * MiB)
    km[0:MiB] = b"\2" * MiB
    gone = os.memfd_create("gone")
    os.ftruncate(gone, 8 * MiB)  # @gone
    os.close(gone)
    return seg, held, kept, km


def main():
    seg, held, kept, km = make()
    out = {"shared_memory": {"name": "/dev/shm/" + seg.name.lstrip("/"), "bytes": seg.size},
           "memfd": {"name": "kept", "bytes": os.fstat(kept).st_size},
           "fds": [held, kept]}
    del km
    seg.close()
    seg.unlink()
    print(json.dumps(out))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
