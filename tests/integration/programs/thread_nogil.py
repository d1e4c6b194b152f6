"""A Python thread allocates with the GIL released.

The worker first makes a 4 MiB bytearray with the GIL held (@thread_warm),
then calls libc's malloc for 96 MiB through ctypes.CDLL, which releases the
GIL for the call (@thread_malloc) and keeps the block.  Meanwhile the main
thread waits in join() (@main_join).  The 96 MiB belong to the worker's
lines (the tracker uses the worker's last captured stack when the GIL is
not held): not to `[no Python stack]`, not to the main thread.
"""
import ctypes
import json
import sys
import threading

MiB = 1 << 20
WARM = 4 * MiB
BIG = 96 * MiB

libc = ctypes.CDLL(None)
libc.malloc.restype = ctypes.c_void_p
libc.malloc.argtypes = [ctypes.c_size_t]
libc.free.argtypes = [ctypes.c_void_p]
kept = []


def worker():
    warm = bytearray(WARM)  # @thread_warm
    p = libc.malloc(BIG)  # @thread_malloc
    ctypes.memset(p, 1, BIG)
    kept.append((warm, p))


def main():
    t = threading.Thread(target=worker)
    t.start()
    t.join()  # @main_join
    print(json.dumps({"warm": WARM, "big": BIG}))
    sys.stdout.flush()
    libc.free(kept[0][1])


if __name__ == "__main__":
    main()
