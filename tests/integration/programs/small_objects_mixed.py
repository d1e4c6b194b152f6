"""small_objects.py interleaved: the three lines allocate in one loop, so
their objects share pymalloc's arenas (1 MiB) — the case where charging
arenas to whichever allocation opened them went wrong by up to ~5 points.

@objs_a and @objs_b build the same tuple (88 bytes: 96 under pymalloc, 88
usable from glibc malloc, plus 8 bytes of list slot: a 6-tuple up to 3.13,
a 5-tuple from 3.14, whose tuples keep their hash), three @objs_a for each
@objs_b; @objs_c builds 400-byte `bytes` objects (433 bytes requested: 448
under pymalloc, 440 from malloc, plus the slot), as many bytes as @objs_b
twice.  Designed shares of the three lines: 1/2, 1/6, 1/3.  The ints come
from the `for` line, not from these.

Prints the object counts and a floor for the lines' bytes as JSON.
"""
import json
import sys

K = int(sys.argv[1]) if len(sys.argv) > 1 else 250_000
C_LEN = 400
SIX = sys.getsizeof((0,) * 6) == 88  # else a 5-tuple is


def build(k):
    a, b, c = [], [], []
    for i in range(k):
        for _ in range(3):
            a.append((i, i, i, i, i, i) if SIX else (i, i, i, i, i))  # @objs_a
        b.append((i, i, i, i, i, i) if SIX else (i, i, i, i, i))  # @objs_b
        if i * 208 // 456 != (i + 1) * 208 // 456:  # 208 of every 456 iterations
            c.append(i.to_bytes(C_LEN, "little"))  # @objs_c
    return a, b, c


def main():
    a, b, c = build(K)
    print(json.dumps({"n_a": len(a), "n_b": len(b), "n_c": len(c), "c_len": C_LEN,
                      "floor": 96 * (len(a) + len(b)) + (433 + 8) * len(c)}))
    sys.stdout.flush()
    del a, b, c


if __name__ == "__main__":
    main()
