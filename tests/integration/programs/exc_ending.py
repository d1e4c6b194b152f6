"""How a Python process ends, one way per argument (test_exception.py).

  raise    an uncaught ValueError("bad row 7"): exit code 1, named
  custom   an uncaught exception of a nested class of this module, with a
           message whose first line is blank, has a tab and an escape
           byte, and goes on over more lines
  long     an uncaught KeyError whose message is 300 characters of 2 bytes
  exit     sys.exit(3): SystemExit is no exception to name
  ok       nothing: exit code 0
  catch    ValueError raised and caught, then sys.exit(2)
  atexit   its own atexit handler raises (printed by atexit, exit code 0)
  family   each of raise, exit, ok, catch, atexit in a child process
           (subprocess), a fork child that raises OSError(5, "in child"),
           then sys.exit(3) itself; prints the children's pids as JSON
"""
import atexit
import json
import os
import subprocess
import sys


class Outer:
    class Boom(Exception):
        pass


def main(mode):
    if mode == "raise":
        raise ValueError("bad row 7")
    if mode == "custom":
        raise Outer.Boom("\n  first\tline\x1b[31m\nsecond line")
    if mode == "long":
        raise KeyError("\u00e9" * 300)
    if mode == "exit":
        sys.exit(3)
    if mode == "catch":
        try:
            raise ValueError("caught")
        except ValueError:
            pass
        sys.exit(2)
    if mode == "atexit":
        def bad():
            raise RuntimeError("in its own atexit handler")
        atexit.register(bad)
        return
    if mode == "family":
        pids = {}
        for m in ("raise", "exit", "ok", "catch", "atexit"):
            p = subprocess.Popen([sys.executable, __file__, m], stderr=subprocess.DEVNULL)
            p.wait()
            pids[m] = p.pid
        pid = os.fork()
        if pid == 0:
            raise OSError(5, "in child")  # goes on in the child's main: exits 1
        os.waitpid(pid, 0)
        pids["fork"] = pid
        print(json.dumps(pids))
        sys.stdout.flush()
        sys.exit(3)


if __name__ == "__main__":
    main(sys.argv[1])
