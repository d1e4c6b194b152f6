"""Copies stdin to stdout byte for byte; the byte count goes to stderr."""
import sys

data = sys.stdin.buffer.read()
sys.stdout.buffer.write(data)
sys.stdout.buffer.flush()
sys.stderr.write("echoed %d bytes\n" % len(data))
