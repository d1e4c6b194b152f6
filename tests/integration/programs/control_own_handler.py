"""A program with its own SIGUSR2 handler keeps it (oomph does not take the
signal from it), and no snapshot is written.  Before that, the signal looks
as it does without oomph: at its default, and a saved disposition can be put
back."""
import os
import signal
import sys

print("default" if signal.getsignal(signal.SIGUSR2) == signal.SIG_DFL else "changed")
got = []
old = signal.signal(signal.SIGUSR2, lambda s, f: got.append(s))
for _ in range(3):
    os.kill(os.getpid(), signal.SIGUSR2)
signal.signal(signal.SIGUSR2, old)
print("handled %d, restored %s" % (len(got), old == signal.SIG_DFL))
sys.exit(0 if len(got) == 3 else 1)
