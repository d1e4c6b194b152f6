"""Holds 40 MiB, says so in READY, and waits until GO exists."""
import os
import sys
import time

ready, go = sys.argv[1], sys.argv[2]
held = bytearray(40 << 20)  # @held
with open(ready, "w") as f:
    f.write("ready")
while not os.path.exists(go):
    time.sleep(0.02)
print("went on", len(held) >> 20)
