"""Many small Python objects from three lines, all live at the peak.

Lines @objs_a and @objs_b build the same objects, a tuple of a fresh int
(64 + 32 bytes under pymalloc, 56 + 40 usable bytes from glibc malloc, plus
8 bytes of list slot: 104 bytes either way), three times as many on
@objs_a: their bytes are in the proportion 3:1 whatever the allocator.
The tuple holds the int twice up to 3.13, once from 3.14 (whose tuples
keep their hash: 8 bytes more), so that it is 56 bytes on every version.
Line @objs_c builds 400-byte `bytes` objects (433 bytes requested; 448 under
pymalloc, 440 usable from malloc, plus the slot), about as many bytes as
@objs_b times two.  Each line runs in its own phase, so each of pymalloc's
pools (16 KiB, 4 KiB on 3.9) holds one line's objects.

Prints the object counts as JSON on stdout.
"""
import json
import sys

K = int(sys.argv[1]) if len(sys.argv) > 1 else 250_000
C_LEN = 400
TWO = sys.getsizeof((0, 0)) == 56  # else (0,) is


def build_a(n):
    return [(i, i) if TWO else (i,) for i in range(n)]  # @objs_a


def build_b(n):
    return [(i, i) if TWO else (i,) for i in range(n)]  # @objs_b


def build_c(n):
    return [i.to_bytes(C_LEN, "little") for i in range(n)]  # @objs_c


def main():
    n_a, n_b, n_c = 3 * K, K, (2 * K * 104) // (33 + C_LEN + 15 + 8)
    a = build_a(n_a)
    b = build_b(n_b)
    c = build_c(n_c)
    print(json.dumps({"n_a": len(a), "n_b": len(b), "n_c": len(c), "c_len": C_LEN}))
    sys.stdout.flush()
    del a, b, c


if __name__ == "__main__":
    main()
