"""Anonymous mmap and partial munmap through libc, called with ctypes.

  @map_region     mmap 256 MiB, every page touched                 256 live
  @unmap_head     munmap its first 64 MiB                          192
  @unmap_middle   munmap [128, 192) MiB: a hole, two pieces left   128
  @alloc_c        100 MiB (bytearray: malloc)                      228, no new peak
  @alloc_d        100 MiB                                          328, the peak:
                  region 128 + c 100 + d 100
  @unmap_rest     one munmap over [64, 256) MiB, hole included      200
  (c and d freed)                                                    0
  @alloc_f        300 MiB                                          300, no new peak

So the peak is 328 MiB (+ the interpreter's baseline) with 128 MiB on
@map_region, 100 MiB on each of @alloc_c and @alloc_d, and nothing on
@alloc_f.  A tracker that ignored partial unmaps would peak at 456 MiB;
one that dropped the whole region at the first partial unmap would peak at
256 MiB with only @map_region; one that missed the final munmap would peak
with @alloc_f.
"""
import ctypes
import mmap
import sys

MiB = 1 << 20

# PyDLL: the GIL stays held during the calls, so the Python stack of each
# call is there to capture (what happens without the GIL is test_threads').
libc = ctypes.PyDLL(None, use_errno=True)
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int,
                      ctypes.c_int, ctypes.c_int, ctypes.c_long]
libc.munmap.restype = ctypes.c_int
libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
MAP_FAILED = ctypes.c_void_p(-1).value


def check(rc):
    if rc != 0:
        err = ctypes.get_errno()
        raise OSError(err, "munmap failed")


def main():
    prot = mmap.PROT_READ | mmap.PROT_WRITE
    flags = mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS
    base = libc.mmap(None, 256 * MiB, prot, flags, -1, 0)  # @map_region
    if base in (None, MAP_FAILED):
        raise OSError(ctypes.get_errno(), "mmap failed")
    ctypes.memset(base, 1, 256 * MiB)
    check(libc.munmap(base, 64 * MiB))  # @unmap_head
    check(libc.munmap(base + 128 * MiB, 64 * MiB))  # @unmap_middle
    c = bytearray(100 * MiB)  # @alloc_c
    d = bytearray(100 * MiB)  # @alloc_d
    check(libc.munmap(base + 64 * MiB, 192 * MiB))  # @unmap_rest
    del c, d
    f = bytearray(300 * MiB)  # @alloc_f
    print(len(f))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
