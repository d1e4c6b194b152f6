"""Small objects from three lines in known proportions, interleaved in one
loop (the hard case for attribution: they share pymalloc's pools and
arenas) and then phased (each line alone).  Used by bench/rates.py."""
import sys

N = int(sys.argv[1]) if len(sys.argv) > 1 else 300_000


def interleaved(n):
    a, b, c = [], [], []
    for i in range(n):
        a.append({"k": i, "v": str(i)})      # a dict and a str: the biggest share
        b.append((i, i + 1))                 # a 2-tuple
        if i % 2 == 0:
            c.append([i])                    # a 1-list, every other time
    return a, b, c


def phased(n):
    a = [{"k": i, "v": str(i)} for i in range(n)]   # phase 1
    b = [(i, i + 1) for i in range(n)]              # phase 2
    c = [[i] for i in range(n // 2)]                # phase 3
    return a, b, c


kept = interleaved(N)
kept2 = phased(N)
print(len(kept[0]) + len(kept2[0]), file=sys.stderr)
