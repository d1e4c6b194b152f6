"""The package's version: the checkout's VERSION file.  A wheel carries this
file with the value written in (python/backend/oomph_build.py)."""
import os


def _read():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    try:
        with open(os.path.join(root, "VERSION"), encoding="utf-8") as f:
            return f.read().strip()
    except OSError:
        return "0+unknown"


version = _read()
