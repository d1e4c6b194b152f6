"""oomph model: a run that fails at one size (exit status 3 from n=400 on)."""
import sys

n = int(sys.argv[1])
data = [bytes(1000) for _ in range(n)]
if n >= 400:
    sys.exit(3)
print("model_fail", n, len(data))
