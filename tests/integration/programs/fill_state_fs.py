"""Fills the filesystem the state file lives on (argv[1]: a directory on it),
then makes thousands of new stacks, each allocating (issue 11, item 7): the
tracker must find no room for its tables and stop recording new stacks,
never touch an unbacked page (SIGBUS).  With argv[2] == "keep" the filler
stays (oomph then has no room for the report either); else it is removed at
the end."""
import errno
import os
import sys

where = sys.argv[1]
keep = len(sys.argv) > 2 and sys.argv[2] == "keep"
early = [bytearray(8 << 20) for _ in range(2)]  # @early: recorded before the fs is full
filler = os.path.join(where, "filler")
with open(filler, "wb", buffering=0) as f:
    chunk = b"\0" * (1 << 20)
    try:
        while True:
            f.write(chunk)
    except OSError as e:
        assert e.errno == errno.ENOSPC, e
    small = b"\0" * 4096
    try:
        while True:
            f.write(small)
    except OSError as e:
        assert e.errno == errno.ENOSPC, e

keep_alive = []
for i in range(16000):
    # a new file and line each time: a new frame, node and strings
    code = compile("x = bytearray(%d)" % (100 + i), "generated_%d.py" % i, "exec")
    ns = {}
    exec(code, ns)
    keep_alive.append(ns["x"])
late = bytearray(16 << 20)  # @late
if not keep:
    os.unlink(filler)
print("done", len(keep_alive))
