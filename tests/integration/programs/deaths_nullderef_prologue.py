"""deaths_nullderef.py after many calls whose frames allocate in their
prologue (closure cells are made before the first line runs): under
OOMPH_RAW_CHECKS=100000 every stack taken with the GIL is compared with the
stack read from memory, so a frame the C API skips and the memory read does
not would turn memory reads off, and the failed malloc below (called with
the GIL released) would lose its line."""
import ctypes

libc = ctypes.CDLL(None)
libc.malloc.restype = ctypes.c_void_p
libc.malloc.argtypes = [ctypes.c_size_t]


def outer(i):
    x = [i] * 4  # a cell: made in the prologue

    def inner():
        return x
    return inner


keep = [outer(i) for i in range(200_000)]


def fill():
    p = libc.malloc(1 << 46) or 0  # @malloc
    ctypes.memmove(p + 64, b"boom", 4)  # @write


fill()
