"""oomph model: an n x n matrix beside an O(n) table that holds more at the
sampled sizes (tests/integration/test_model.py)."""
import sys

import numpy as np

n = int(sys.argv[1])
table = [bytes(4200) for _ in range(n)]  # @TABLE 4.2 KB per n: more than the matrix below n=1050
m = np.zeros((n, n), dtype=np.float32)  # @MATRIX 4 n^2 bytes
m += 1
print("model_quadratic", n, len(table), m.shape)
