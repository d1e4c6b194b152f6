"""oomph: memory profiler and out-of-memory doctor for Python programs.

Run a program under the tracker with the `oomph` command (`oomph run
script.py`, or `python -m oomph run ...`); inside it, this module talks to the
tracker:

    import oomph
    with oomph.phase("load"):          # a named phase: its own peak, and what it left live
        df = load()
    oomph.current()                    # Current(tracked_bytes, peak_bytes, limit_bytes, headroom_bytes)
    oomph.snapshot("snap/")            # a full report of this moment, while the program goes on
    oomph.active()                     # False outside `oomph run` (every other call raises then)

Also: a pytest plugin (`pytest --oomph`, markers limit_memory, limit_leaks,
oom_limit) and a Jupyter kernel and cell magic (`oomph jupyter install`,
`%load_ext oomph`, `%%oomph`).  See docs/python.md.
"""
from ._control import (Current, NotTrackedError, OomphError, PhaseInfo, TopLine,
                       active, get_current as current)
from . import _control
from ._version import version as __version__

__all__ = ["active", "current", "phase", "phase_begin", "phase_end", "snapshot",
           "Phase", "Current", "PhaseInfo", "TopLine", "OomphError", "NotTrackedError",
           "__version__"]


class Phase:
    """A named phase of the program, begun by phase_begin() or `with phase(name)`.

    While it is open and after it ended, info() gives its numbers (PhaseInfo)
    and top() the lines that held its memory.  Phases nest; ending an outer
    phase ends the inner ones too.
    """

    def __init__(self, name):
        self.name = name
        self.id = None
        self._end_info = None

    def begin(self):
        if self.id is not None:
            raise OomphError("phase %r was already begun" % self.name)
        self.id = _control.phase_begin(self.name)
        return self

    def end(self):
        """Ends the phase; returns its PhaseInfo."""
        if self.id is None:
            raise OomphError("phase %r was never begun" % self.name)
        if self._end_info is None:
            _control.phase_end(self.id)
            self._end_info = _control.phase_info(self.id)
        return self._end_info

    def info(self):
        if self.id is None:
            raise OomphError("phase %r was never begun" % self.name)
        return self._end_info or _control.phase_info(self.id)

    def top(self, which="peak", n=10):
        """[TopLine(bytes, file, line, function)]: which="peak", the lines live at
        the phase's peak above what was live when it began; "left_live", what
        the phase allocated and left live."""
        if self.id is None:
            raise OomphError("phase %r was never begun" % self.name)
        return _control.phase_top(self.id, which, n)

    def __enter__(self):
        return self.begin()

    def __exit__(self, *exc):
        if self.id is not None and self._end_info is None:
            self.end()
        return False

    def __int__(self):
        return self.id if self.id is not None else 0

    def __repr__(self):
        state = "not begun" if self.id is None else ("ended" if self._end_info else "open")
        return "<oomph.Phase %r id=%s %s>" % (self.name, self.id, state)


def phase(name):
    """`with oomph.phase("load"): ...` makes the block a named phase."""
    return Phase(name)


def phase_begin(name):
    """Begins a phase named `name`; returns the Phase (give it to phase_end)."""
    return Phase(name).begin()


def phase_end(phase):
    """Ends a phase (a Phase, or its id); returns its PhaseInfo."""
    if isinstance(phase, Phase):
        return phase.end()
    _control.phase_end(int(phase))
    return _control.phase_info(int(phase))


def snapshot(directory=None, timeout=60.0):
    """Writes a full report of this moment (what is live now, the peak so far)
    into `directory` (default: RUN_DIR/snapshots/<n>-<seconds>/) while the
    program goes on; returns the directory written."""
    return _control.snapshot(directory, timeout)


def load_ipython_extension(ipython):
    """`%load_ext oomph`: the %%oomph cell magic (see oomph.jupyter)."""
    from . import jupyter
    jupyter.load_ipython_extension(ipython)
