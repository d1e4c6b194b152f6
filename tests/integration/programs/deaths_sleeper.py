"""Holds a little memory and waits to be killed."""
import os
import sys
import time

held = [bytearray(1 << 20) for _ in range(16)]  # @held
print("ready", os.getpid(), flush=True)
sys.stdout.flush()
time.sleep(120)
