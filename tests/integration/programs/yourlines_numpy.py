"""Arrays made by numpy's own functions (np.ones, np.zeros) in the
program's functions: "your lines" names the program's line that called
numpy, not numpy/core/numeric.py.

@ones holds 96 MiB (np.ones: malloc, then filled), @zeros 64 MiB
(np.zeros: calloc), @full 32 MiB (np.full) at the peak.
"""
import numpy as np

MiB = 1 << 20


def load():
    return np.ones(96 * MiB // 8)  # @ones


def scratch():
    return np.zeros(64 * MiB // 8)  # @zeros


def fill():
    return np.full(32 * MiB // 8, 7.0)  # @full


def main():
    a = load()
    b = scratch()
    c = fill()
    print(a.nbytes + b.nbytes + c.nbytes)


if __name__ == "__main__":
    main()
