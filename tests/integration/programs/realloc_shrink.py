"""PyMem_Realloc of blocks pymalloc never had (PyMem_Malloc(0) is a malloc
of 1 byte) up to small sizes: the result comes from malloc, not from a pool,
and the allocator wrapper must not look for a pool header below it — that
page may not be mapped (near the start of the heap it is not: one such read
crashed `python -m json.tool` once in twenty runs).  Done many times, at
every small size, from the program's first lines."""
import ctypes

api = ctypes.pythonapi
api.PyMem_Malloc.restype = ctypes.c_void_p
api.PyMem_Malloc.argtypes = [ctypes.c_size_t]
api.PyMem_Realloc.restype = ctypes.c_void_p
api.PyMem_Realloc.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
api.PyMem_Free.argtypes = [ctypes.c_void_p]

kept = []
moved = 0
for i in range(5000):
    p = api.PyMem_Malloc(0)
    q = api.PyMem_Realloc(p, 32 + i % 480)
    moved += q != p
    kept.append(q)
for q in kept:
    api.PyMem_Free(q)
print("moved", moved)
