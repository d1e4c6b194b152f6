"""Run with -m: holds 36 MiB (@pkg_alloc), prints its name and argv as JSON."""
import json
import sys

block = bytearray(36 << 20)  # @pkg_alloc
print(json.dumps({"name": __name__, "argv": sys.argv[1:], "argv0": sys.argv[0]}))
sys.stdout.flush()
