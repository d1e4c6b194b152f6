"""Where the oomph command and liboomph.so are.

Installed from a wheel, both are in the package: oomph/_native/oomph and
oomph/_native/liboomph.so (the command finds the library beside itself).
Imported from a checkout (PYTHONPATH=python, or an editable install), they
are the checkout's build/oomph and build/liboomph.so, built by `make`.
"""
import os

_PKG = os.path.dirname(os.path.abspath(__file__))
_CANDIDATES = (
    os.path.join(_PKG, "_native"),
    os.path.join(os.path.dirname(os.path.dirname(_PKG)), "build"),
)


class NotBuiltError(RuntimeError):
    pass


def _find(name):
    for d in _CANDIDATES:
        p = os.path.join(d, name)
        if os.path.isfile(p):
            return p
    raise NotBuiltError(
        "oomph: cannot find the %s %s (looked in %s): reinstall the package "
        "(`pip install PATH/TO/oomph`), or run `make` in the checkout"
        % ("command" if name == "oomph" else "library", name, " and ".join(_CANDIDATES)))


def command_path():
    """Absolute path of the oomph command (the C program)."""
    return _find("oomph")


def library_path():
    """Absolute path of liboomph.so (the tracker the command preloads)."""
    env = os.environ.get("OOMPH_LIBRARY")
    if env:
        return env
    return _find("liboomph.so")
