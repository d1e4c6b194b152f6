"""Allocates from N distinct stacks (generated functions, each compiled on
its own so that compiling stays small), so that the peak holds N distinct
stacks of 2 KiB each.  Used by bench/scaling.py."""
import sys

n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
ns = {}
for i in range(n):
    src = f"def f{i}(keep):\n    keep.append(bytearray(2048 + {i} % 7 * 8))\n"
    exec(compile(src, "generated.py", "exec"), ns)
keep = []
for i in range(n):
    ns[f"f{i}"](keep)
print(len(keep), file=sys.stderr)
