"""Snapshots while it runs: SIGUSR2 to itself three times (waiting each time
until the snapshot is written, so each has the numbers of its moment), then
one asked through the API into a directory of its own choosing.  With
NO_SIGNALS=1 it prints the same and exits the same without asking (to run
without oomph)."""
import ctypes
import os
import signal
import sys
import time

RUN = sys.argv[1] if len(sys.argv) > 1 else ""
SIGNALS = not os.environ.get("NO_SIGNALS")
KEEP = []


def snapshots_written():
    d = os.path.join(RUN, "snapshots")
    if not os.path.isdir(d):
        return 0
    return len([x for x in os.listdir(d) if os.path.exists(os.path.join(d, x, "summary.json"))])


for i in range(3):
    KEEP.append(bytearray((i + 1) * (10 << 20)))  # @keep
    print("holding %d MiB" % (sum(len(k) for k in KEEP) >> 20), flush=True)
    if SIGNALS:
        os.kill(os.getpid(), signal.SIGUSR2)
        while snapshots_written() < i + 1:
            time.sleep(0.01)
if SIGNALS:
    lib = ctypes.CDLL(None)
    lib.oomph_snapshot.argtypes = [ctypes.c_char_p, ctypes.c_double]
    n = lib.oomph_snapshot(b"my-snapshot", 60.0)
    buf = ctypes.create_string_buffer(4096)
    length = lib.oomph_snapshot_path(n, buf, len(buf))
    sys.stderr.write("api snapshot %d %d %s\n" % (n, length, buf.value.decode()))
print("done", flush=True)
sys.exit(3)
