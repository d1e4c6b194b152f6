"""The main process holds 200 MiB (@idle_hold), then waits, while a child
it started (not Python: `sh -c`, so not profiled) waits a second and grows
until the cgroup is full.  The kernel's OOM killer takes the largest
process, the idle main one: it dies a second or more after its last
allocation, with nothing recorded at its death."""
import subprocess
import sys
import time

MiB = 1 << 20

block = bytearray(200 * MiB)  # @idle_hold
for i in range(0, len(block), 4096):
    block[i] = 1
# tail -c from /dev/zero into a shell variable grows the shell 8 MiB a step
child = subprocess.Popen(["sh", "-c", "sleep 1; x=; while :; do x=$x$(head -c 8388608 /dev/zero | tr '\\0' a); done"])
time.sleep(30)
child.kill()
sys.exit(0)
