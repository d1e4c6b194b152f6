"""mremap: grow an anonymous mapping, then shrink it.

  @map_small    mmap 64 MiB                                    64 live
  @remap_grow   mremap to 192 MiB (may move), touched          192: the peak
  @remap_shrink mremap to 32 MiB                               32
  @alloc_after  100 MiB bytearray                              132, no new peak

The peak is 192 MiB (+ baseline), all of it on @map_small or @remap_grow.
Counting the old size and the new one would peak at 256 MiB; ignoring the
shrink would peak at 292 MiB with @alloc_after.
"""
import ctypes
import mmap
import sys

MiB = 1 << 20
MREMAP_MAYMOVE = 1

# PyDLL: the GIL stays held during the calls, so the Python stack of each
# call is there to capture (what happens without the GIL is test_threads').
libc = ctypes.PyDLL(None, use_errno=True)
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int,
                      ctypes.c_int, ctypes.c_int, ctypes.c_long]
libc.mremap.restype = ctypes.c_void_p
libc.mremap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_size_t, ctypes.c_int]
libc.munmap.restype = ctypes.c_int
libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
MAP_FAILED = ctypes.c_void_p(-1).value


def ok(addr, what):
    if addr in (None, MAP_FAILED):
        raise OSError(ctypes.get_errno(), what + " failed")
    return addr


def main():
    prot = mmap.PROT_READ | mmap.PROT_WRITE
    flags = mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS
    p = ok(libc.mmap(None, 64 * MiB, prot, flags, -1, 0), "mmap")  # @map_small
    ctypes.memset(p, 1, 64 * MiB)
    p = ok(libc.mremap(p, 64 * MiB, 192 * MiB, MREMAP_MAYMOVE), "mremap")  # @remap_grow
    ctypes.memset(p, 2, 192 * MiB)
    p = ok(libc.mremap(p, 192 * MiB, 32 * MiB, MREMAP_MAYMOVE), "mremap")  # @remap_shrink
    after = bytearray(100 * MiB)  # @alloc_after
    if libc.munmap(p, 32 * MiB) != 0:
        raise OSError(ctypes.get_errno(), "munmap failed")
    print(len(after))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
