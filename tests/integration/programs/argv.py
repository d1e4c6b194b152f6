"""Prints what the program sees of its invocation, as JSON on stdout."""
import json
import os
import sys

print(json.dumps({
    "argv": sys.argv,
    "name": __name__,
    "file": __file__,
    "cwd": os.getcwd(),
    "path0": sys.path[0],
}))
sys.stderr.write("to stderr\n")
