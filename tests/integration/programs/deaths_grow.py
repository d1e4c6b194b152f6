"""Grows a list without bound: 4 MiB at a time, each one written (bytearray
zero-fills), so the memory is really used.  Ends only when memory does."""
import sys

hog = []


def grow():
    while True:
        hog.append(bytearray(4 << 20))  # @grow


print("growing", flush=True)
sys.stdout.flush()
grow()
