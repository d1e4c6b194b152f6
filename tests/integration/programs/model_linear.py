"""oomph model: memory linear in n: a numpy array of 64 bytes per n and a
list of n tuples (tests/integration/test_model.py)."""
import sys

import numpy as np

n = int(sys.argv[1])
a = np.zeros(n * 8)  # @ARRAY 64 bytes per n
rows = [(i, float(i)) for i in range(n)]  # @TUPLES about 100 bytes per n
print("model_linear", n, len(rows), a.size)
