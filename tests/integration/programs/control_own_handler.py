"""A program with its own SIGUSR2 handler keeps it (oomph does not take the
signal from it), and no snapshot is written."""
import os
import signal
import sys

got = []
signal.signal(signal.SIGUSR2, lambda s, f: got.append(s))
for _ in range(3):
    os.kill(os.getpid(), signal.SIGUSR2)
print("handled %d" % len(got))
sys.exit(0 if len(got) == 3 else 1)
