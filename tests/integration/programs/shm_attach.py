"""A parent makes a 128 MiB shared_memory segment at @create; a child it
spawns (a new interpreter) attaches to it by name and touches every page; a
child it forks inherits the mapping and touches it too.  The segment is
counted once, in the parent, at @create."""
import os
import subprocess
import sys
from multiprocessing import shared_memory

MiB = 1 << 20
SIZE = 128 * MiB

ATTACH = """
import sys
from multiprocessing import shared_memory, resource_tracker
seg = shared_memory.SharedMemory(name=sys.argv[1])
resource_tracker.unregister(seg._name, "shared_memory")  # the parent owns it
for off in range(0, len(seg.buf), 4096):
    seg.buf[off] = 2
print(len(seg.buf))
seg.close()
"""


def main():
    seg = shared_memory.SharedMemory(create=True, size=SIZE)  # @create
    out = subprocess.run([sys.executable, "-c", ATTACH, seg.name], check=True,
                         capture_output=True, text=True).stdout.strip()
    pid = os.fork()
    if pid == 0:
        for off in range(0, SIZE, 4096):
            seg.buf[off] = 3
        os._exit(0)
    os.waitpid(pid, 0)
    assert seg.buf[SIZE - 4096] == 3
    print(out)
    sys.stdout.flush()
    seg.close()
    seg.unlink()


if __name__ == "__main__":
    main()
