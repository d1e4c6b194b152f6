"""Deep recursion allocating at the bottom.

dive(800) calls itself 800 times (@rec_call) and allocates 64 MiB at the
bottom (@rec_bottom): the stack of that block has 801 dive frames.
"""
import sys

MiB = 1 << 20
DEPTH = int(sys.argv[1]) if len(sys.argv) > 1 else 800


def dive(n):
    if n == 0:
        return bytearray(64 * MiB)  # @rec_bottom
    return dive(n - 1)  # @rec_call


def main():
    block = dive(DEPTH)  # @rec_start
    print(len(block), DEPTH)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
