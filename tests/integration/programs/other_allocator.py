"""Run with another allocator preloaded (LD_PRELOAD=libjemalloc.so.2 or
libtcmalloc_minimal.so.4): big blocks of sizes that are whole size classes
of every allocator, then prints (JSON) how many bytes the allocator itself
says it handed out, to show that it, not glibc, served them."""
import ctypes
import json
import sys

kind = sys.argv[1]
use_numpy = len(sys.argv) > 2 and sys.argv[2] == "numpy"

MiB = 1 << 20
blocks = []
if use_numpy:
    import numpy as np
    blocks.append(np.empty(64 * MiB, dtype=np.uint8))  # @np64
    blocks.append(np.zeros(32 * MiB, dtype=np.uint8))  # @np32
    blocks[0].fill(1)
blocks.append(bytearray(48 * MiB - 1))  # @ba48: 48 MiB with its terminating byte
blocks.append(bytearray(16 * MiB - 1))  # @ba16


def served_bytes():
    """Bytes the preloaded allocator reports as allocated now (None for glibc)."""
    if kind == "jemalloc":
        lib = ctypes.CDLL("libjemalloc.so.2")
        v, sz = ctypes.c_uint64(), ctypes.c_size_t(8)
        # stats.allocated is refreshed by writing the epoch
        e = ctypes.c_uint64(1)
        lib.mallctl(b"epoch", None, None, ctypes.byref(e), ctypes.c_size_t(8))
        if lib.mallctl(b"stats.allocated", ctypes.byref(v), ctypes.byref(sz), None, 0) != 0:
            return -1
        return v.value
    if kind == "tcmalloc":
        lib = ctypes.CDLL("libtcmalloc_minimal.so.4")
        v = ctypes.c_size_t()
        if not lib.MallocExtension_GetNumericProperty(b"generic.current_allocated_bytes",
                                                      ctypes.byref(v)):
            return -1
        return v.value
    return None


print(json.dumps({"served": served_bytes(), "held": sum(len(b) if isinstance(b, bytearray)
                                                      else b.nbytes for b in blocks)}))
