"""The `oomph` console script and `python -m oomph`: the same command.

Everything but `oomph jupyter ...` is the C program (oomph/_native/oomph),
which this process becomes (exec: same pid, signals, exit status).  One
addition: `oomph run` profiles the Python this package is installed in
(sys.executable) unless --python says otherwise, so a venv's oomph runs the
venv's interpreter whether or not the venv is activated.
"""
import os
import subprocess
import sys

from . import _native

PYTHON_HELP = """
From the Python package:
  oomph jupyter install [--user|--sys-prefix|--prefix DIR] [--name NAME]
                                           a Jupyter kernel that runs under oomph
  oomph jupyter uninstall [--name NAME]    remove it
  import oomph; pytest --oomph; %load_ext oomph   (see docs/python.md)
  `oomph run` here uses this environment's Python (%s) unless --python is given.
"""


def command_argv(argv):
    """The C command's argv for the console script's arguments."""
    argv = list(argv)
    if argv[:1] == ["run"] and sys.executable:
        # --python may be repeated: the last one wins, so the user's own comes after.
        argv = ["run", "--python", sys.executable] + argv[1:]
    return ["oomph"] + argv


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["jupyter"]:
        from . import jupyter
        return jupyter.main(argv[1:])
    try:
        exe = _native.command_path()
    except _native.NotBuiltError as e:
        sys.stderr.write("%s\n" % e)
        return 72  # the command's own status for "liboomph.so not found"
    if argv in ([], ["-h"], ["--help"]):
        rc = subprocess.call([exe] + argv)
        sys.stdout.write(PYTHON_HELP % sys.executable)
        return rc
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        os.execv(exe, command_argv(argv))
    except OSError as e:
        sys.stderr.write("oomph: cannot execute %s: %s\n" % (exe, e.strerror))
        return 126


if __name__ == "__main__":
    sys.exit(main())
