"""Holds 32 MiB (@exit_alloc), prints "before", then ends as argv[1] says:

  ok        returns normally (status 0)
  exit3     sys.exit(3)
  os_exit5  os._exit(5): no interpreter shutdown at all
  raise     an uncaught ValueError (status 1)
  sigterm   kills itself with SIGTERM (143)
  sigkill   kills itself with SIGKILL (137)
  sigsegv   reads address 0 through ctypes (139)
  abort     os.abort() (134)
"""
import os
import signal
import sys
import time

MiB = 1 << 20


def main(mode):
    block = bytearray(32 * MiB)  # @exit_alloc
    block[-1] = 1
    print("before")
    sys.stdout.flush()
    if mode == "ok":
        return
    if mode == "exit3":
        sys.exit(3)
    if mode == "os_exit5":
        os._exit(5)
    if mode == "raise":
        raise ValueError("boom from exits.py")
    if mode == "sigterm":
        os.kill(os.getpid(), signal.SIGTERM)
    elif mode == "sigkill":
        os.kill(os.getpid(), signal.SIGKILL)
    elif mode == "sigsegv":
        import ctypes
        ctypes.string_at(0)
    elif mode == "abort":
        os.abort()
    time.sleep(10)
    print("not reached", mode)


if __name__ == "__main__":
    main(sys.argv[1])
