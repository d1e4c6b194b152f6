"""multiprocessing.shared_memory: a 200 MiB segment made at @create (shm_open,
ftruncate, mmap), touched, held at the peak, then closed and unlinked; after
that @after allocates 64 MiB, which must not make a new peak.  Prints the
segment's name."""
import json
import sys
from multiprocessing import shared_memory

MiB = 1 << 20


def main():
    seg = shared_memory.SharedMemory(create=True, size=200 * MiB)  # @create
    seg.buf[0:MiB] = b"\1" * MiB
    name = seg.name
    seg.close()
    seg.unlink()
    after = bytearray(64 * MiB)  # @after
    print(json.dumps({"name": name, "after": len(after)}))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
