"""The baseline of numpy_peak.py: the same imports, no arrays.

Prints the process's own maximum RSS (bytes) so a test can bound what the
profiler reports for the baseline by what the kernel saw.
"""
import resource
import sys

import numpy as np  # noqa: F401

print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
sys.stdout.flush()
