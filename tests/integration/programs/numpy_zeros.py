"""np.zeros of a large array: numpy calls calloc with the GIL released.

@np_empty makes 80 MiB (malloc, GIL held), then @np_zeros 32 MiB (calloc,
GIL released inside numpy), then @np_empty_small 16 MiB.  Each line must
hold its own array: the calloc must not be charged to the previous line.
"""
import sys

import numpy as np

MiB = 1 << 20


def make_empty():
    return np.empty(80 * MiB // 8)  # @np_empty


def make_zeros():
    return np.zeros(32 * MiB // 8)  # @np_zeros


def make_small():
    return np.empty(16 * MiB // 8)  # @np_empty_small


def main():
    a = make_empty()
    b = make_zeros()
    c = make_small()
    print(a.nbytes + b.nbytes + c.nbytes)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
