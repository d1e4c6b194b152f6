"""oomph model: memory that falls as n grows (noise, to the model)."""
import sys

import numpy as np

n = int(sys.argv[1])
a = np.zeros(int(4e8 / n))  # 3.2 GB / n bytes
a += 1
print("model_shrinks", n, a.size)
