"""C threads started from Python lines (argv[1]: the compiled cthread.c).

  @cthread_direct  a C thread mallocs 80 MiB (library loaded with PyDLL: the
                   GIL stays held while pthread_create runs)
  @cthread_nested  a C thread starts another C thread that mallocs 48 MiB
  @cthread_nogil   a 4 MiB bytearray, then, on the same line, a C thread
                   that mallocs 24 MiB started through CDLL (the GIL is
                   released, so the creator's last captured stack applies)

Each C thread inherits the Python stack of its creator, so each line holds
its C thread's bytes at the peak.  Every block stays alive until the end.
"""
import ctypes
import json
import sys

MiB = 1 << 20

path = sys.argv[1]
held = ctypes.PyDLL(path)
released = ctypes.CDLL(path)
for lib in (held, released):
    lib.spawn_and_alloc.argtypes = [ctypes.c_size_t, ctypes.c_int]
    lib.spawn_and_alloc.restype = ctypes.c_int


def main():
    n1 = held.spawn_and_alloc(80 * MiB, 0)  # @cthread_direct
    n2 = held.spawn_and_alloc(48 * MiB, 1)  # @cthread_nested
    warm = bytearray(4 * MiB); n3 = released.spawn_and_alloc(24 * MiB, 0)  # noqa: E702 @cthread_nogil
    print(json.dumps({"kept": [n1, n2, n3], "warm": len(warm)}))
    sys.stdout.flush()
    held.free_all()


if __name__ == "__main__":
    main()
