"""Phases through the control API, called directly with ctypes (the Python
package is another module's): nested phases, one of 100 MiB freed again,
one leaving 20 MiB live in a module-level list."""
import ctypes
import json
import sys

lib = ctypes.CDLL(None)
lib.oomph_phase_begin.argtypes = [ctypes.c_char_p]
lib.oomph_phase_top.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_char_p,
                                ctypes.c_size_t]


class Info(ctypes.Structure):
    _fields_ = [("start_s", ctypes.c_double), ("end_s", ctypes.c_double)] + [
        (n, ctypes.c_int64) for n in ("start_bytes", "peak_bytes", "peak_above_start_bytes",
                                      "left_live_bytes", "end_bytes")]


def info(pid):
    i = Info()
    assert lib.oomph_phase_info(pid, ctypes.byref(i), ctypes.sizeof(i)) == 0
    return {n: getattr(i, n) for n, _ in Info._fields_}


def top(pid, which):
    buf = ctypes.create_string_buffer(8192)
    n = lib.oomph_phase_top(pid, which, 3, buf, len(buf))
    assert n >= 0, n
    return [line.split("\t") for line in buf.value.decode().splitlines()]


KEEP = []


def load():
    x = bytearray(100 << 20)  # @big
    del x


def leak():
    for _ in range(20 * 16):
        KEEP.append(bytearray(64 << 10))  # @leak


assert lib.oomph_active() == 1
outer = lib.oomph_phase_begin(b"outer")
big = lib.oomph_phase_begin(b"load 100 MiB")
load()
lib.oomph_phase_end(big)
leaky = lib.oomph_phase_begin("leak 20 MiB \u2014 in KEEP".encode())
leak()
lib.oomph_phase_end(leaky)
assert lib.oomph_phase_end(outer) == 0
assert lib.oomph_phase_end(outer) == -22  # EINVAL: not open any more
out = {"ids": [outer, big, leaky], "info": [info(i) for i in (outer, big, leaky)],
       "top_big": top(big, 0), "top_leak": top(leaky, 1)}
print(json.dumps(out))
sys.exit(0)
