"""oomph model: memory that does not depend on n (it reads n, and ignores
it) (tests/integration/test_model.py)."""
import os
import sys

import numpy as np

n = int(sys.argv[1])
assert os.environ.get("OOMPH_N", sys.argv[1]) == sys.argv[1]  # oomph model sets both
buf = np.zeros(40 << 20, dtype=np.uint8)  # @FIXED 40 MiB whatever n
buf += 1
print("model_constant", n, buf.size)
