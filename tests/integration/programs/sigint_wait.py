"""Says "ready", then waits for Ctrl-C (SIGINT).

It counts the SIGINTs it receives: after the first it waits half a second
more (a duplicate, such as a terminal's signal forwarded a second time, would
arrive then), prints "sigints N", and dies of SIGINT as an uninterrupted
Python program would (status 130 for the shell).
"""
import os
import signal
import sys
import time

count = 0


def on_sigint(signum, frame):
    global count
    count += 1


block = bytearray(24 << 20)  # @sigint_alloc
signal.signal(signal.SIGINT, on_sigint)
print("ready")
sys.stdout.flush()
deadline = time.monotonic() + 60
while count == 0 and time.monotonic() < deadline:
    time.sleep(0.01)
time.sleep(0.5)
print("sigints %d" % count)
sys.stdout.flush()
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.kill(os.getpid(), signal.SIGINT)
time.sleep(5)
print("still alive")
