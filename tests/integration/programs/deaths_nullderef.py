"""C code that does not check malloc: the allocation fails (64 TiB), NULL
comes back, and the write through it faults near address 0."""
import ctypes

libc = ctypes.CDLL(None)
libc.malloc.restype = ctypes.c_void_p
libc.malloc.argtypes = [ctypes.c_size_t]


def fill():
    p = libc.malloc(1 << 46) or 0  # @malloc
    ctypes.memmove(p + 64, b"boom", 4)  # @write


fill()
