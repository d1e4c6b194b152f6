"""oomph model: two phases that never overlap. A linear phase (a buffer of
1200 bytes per n, freed) holds the peak at every sampled size; the
quadratic phase after it (n*n/8 bytes) is smaller there but dominates
past them: at n=1000 the phases are 1.2 MB and 125 KB, at n=8000 9.6 and
8.0 MB, at n=80000 96 MB and 800 MB (tests/integration/test_model.py)."""
import sys
import time

n = int(sys.argv[1])
buf = bytearray(n * 1200)  # @LINEAR
time.sleep(0.05)  # phases that last, as a person would see them
del buf
time.sleep(0.05)
matrix = bytearray(n * n // 8)  # @QUADRATIC
time.sleep(0.05)
print("model_two_phases", n, len(matrix))
