"""PyMem_Realloc of blocks pymalloc never had (PyMem_Malloc(0) is a malloc
of 1 byte) up to small sizes: the result comes from malloc, not from a pool,
and the allocator wrapper must not look for a pool header below it — that
page may not be mapped (near the start of the heap it is not: one such read
crashed `python -m json.tool` once in twenty runs).  Done many times, at
every small size, from the program's first lines.  A 1-byte spacer is
allocated after each block so that glibc cannot grow it in place when it
sits at the top of the heap (then nothing would move)."""
import ctypes

api = ctypes.pythonapi
api.PyMem_Malloc.restype = ctypes.c_void_p
api.PyMem_Malloc.argtypes = [ctypes.c_size_t]
api.PyMem_Realloc.restype = ctypes.c_void_p
api.PyMem_Realloc.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
api.PyMem_Free.argtypes = [ctypes.c_void_p]
api.PyMem_RawMalloc.restype = ctypes.c_void_p
api.PyMem_RawMalloc.argtypes = [ctypes.c_size_t]
api.PyMem_RawFree.argtypes = [ctypes.c_void_p]

kept = []
moved = 0
for i in range(5000):
    p = api.PyMem_Malloc(0)
    spacer = api.PyMem_RawMalloc(1)
    q = api.PyMem_Realloc(p, 32 + i % 480)
    moved += q != p
    kept.append((q, spacer))
for q, spacer in kept:
    api.PyMem_Free(q)
    api.PyMem_RawFree(spacer)
print("moved", moved)
