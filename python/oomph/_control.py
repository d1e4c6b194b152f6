"""ctypes binding of the tracker's control API (src/tracker/control.h,
contract in CONTROL_API.md).

The tracker is preloaded into the process by `oomph run`, so its exported
symbols are in the global scope: ctypes.PyDLL(None) finds them.  No symbols
means this process is not tracked.  PyDLL keeps the GIL held during the
call (they are short), except oomph_snapshot, called through CDLL: it waits
for the supervisor to write the report, and the program goes on meanwhile.

Every function here raises NotTrackedError when the process is not tracked
(-ENOTCONN from the library, or no library at all), OomphError for another
negative errno; active() alone just answers False.
"""
import collections
import ctypes
import errno
import os
import threading

API_VERSION = 1
NAME_MAX_BYTES = 1024

NOT_TRACKED = (
    "this process is not tracked by oomph: run it under the tracker, e.g. "
    "`oomph run script.py`, `oomph run -m module ...` or `oomph run -- COMMAND ...` "
    "(`python -m oomph run ...` is the same command)")


class OomphError(RuntimeError):
    """A call of oomph's control API failed."""


class NotTrackedError(OomphError):
    """The process is not running under `oomph run`."""

    def __init__(self, message=NOT_TRACKED):
        super().__init__(message)


Current = collections.namedtuple("Current", "tracked_bytes peak_bytes limit_bytes headroom_bytes")
Current.__doc__ = """Memory of this process now: tracked bytes (exact), the peak
so far (exact), the limit in force (None: none found) and the headroom left
under it (None: unknown)."""

PhaseInfo = collections.namedtuple(
    "PhaseInfo", "start_s end_s start_bytes peak_bytes peak_above_start_bytes "
    "left_live_bytes end_bytes")
PhaseInfo.__doc__ = """A phase's numbers: start_s and end_s in seconds since the
process started (end_s None while it is open), tracked bytes when it began
(start_bytes), at its peak (peak_bytes, exact) and at its end (end_bytes), the
peak above its start, and what was allocated during it and still live at its end
(left_live_bytes, a sampled estimate; 0 while open)."""

TopLine = collections.namedtuple("TopLine", "bytes file line function")
TopLine.__doc__ = "One line of a phase's top lines: bytes held, file, line number, function."


class _CurrentStruct(ctypes.Structure):
    _fields_ = [("tracked_bytes", ctypes.c_int64), ("peak_bytes", ctypes.c_int64),
                ("limit_bytes", ctypes.c_int64), ("headroom_bytes", ctypes.c_int64)]


class _PhaseInfoStruct(ctypes.Structure):
    _fields_ = [("start_s", ctypes.c_double), ("end_s", ctypes.c_double),
                ("start_bytes", ctypes.c_int64), ("peak_bytes", ctypes.c_int64),
                ("peak_above_start_bytes", ctypes.c_int64),
                ("left_live_bytes", ctypes.c_int64), ("end_bytes", ctypes.c_int64)]


_SIGNATURES = {
    "oomph_api_version": ([], ctypes.c_int),
    "oomph_active": ([], ctypes.c_int),
    "oomph_phase_begin": ([ctypes.c_char_p], ctypes.c_int),
    "oomph_phase_end": ([ctypes.c_int], ctypes.c_int),
    "oomph_get_current": ([ctypes.POINTER(_CurrentStruct), ctypes.c_size_t], ctypes.c_int),
    "oomph_phase_info": ([ctypes.c_int, ctypes.POINTER(_PhaseInfoStruct), ctypes.c_size_t],
                         ctypes.c_int),
    "oomph_phase_top": ([ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_char_p,
                         ctypes.c_size_t], ctypes.c_int),
    "oomph_snapshot": ([ctypes.c_char_p, ctypes.c_double], ctypes.c_int),
    "oomph_snapshot_path": ([ctypes.c_int, ctypes.c_char_p, ctypes.c_size_t], ctypes.c_int),
}

_lock = threading.Lock()
_funcs = None  # {name: function} once looked up; {} when the tracker is absent


def _lookup():
    global _funcs
    if _funcs is not None:
        return _funcs
    with _lock:
        if _funcs is not None:
            return _funcs
        found = {}
        try:
            dll = ctypes.PyDLL(None)
        except OSError:
            dll = None
        if dll is not None:
            for name, (args, res) in _SIGNATURES.items():
                try:
                    # A snapshot waits for the supervisor: without the GIL, so
                    # the program's other threads go on meanwhile.
                    f = getattr(ctypes.CDLL(None) if name == "oomph_snapshot" else dll, name)
                except AttributeError:
                    continue
                f.argtypes, f.restype = args, res
                found[name] = f
        if "oomph_api_version" not in found or found["oomph_api_version"]() < API_VERSION:
            found = {}
        _funcs = found
        return found


def _func(name):
    f = _lookup().get(name)
    if f is None:
        if not _lookup():
            raise NotTrackedError()
        raise OomphError("the tracker loaded in this process has no %s(): it is older "
                         "than this Python package (reinstall oomph)" % name)
    return f


def _check(name, rc, what=None):
    if rc >= 0:
        return rc
    if rc == -errno.ENOTCONN:
        raise NotTrackedError()
    raise OomphError("%s failed: %s" % (what or name, os.strerror(-rc)))


def active():
    """True when this process runs under oomph's tracker (and tracking is on)."""
    f = _lookup().get("oomph_active")
    return bool(f is not None and f() == 1)


def _encode_name(name):
    if not isinstance(name, str):
        raise TypeError("a phase name is a str, not %s" % type(name).__name__)
    b = name.encode("utf-8", "surrogatepass")
    if b"\0" in b:
        raise ValueError("a phase name cannot contain NUL")
    if len(b) > NAME_MAX_BYTES:
        # cut at a character boundary: the tracker keeps at most 1024 bytes
        b = b[:NAME_MAX_BYTES].decode("utf-8", "ignore").encode("utf-8")
    return b


def phase_begin(name):
    rc = _func("oomph_phase_begin")(_encode_name(name))
    if rc == -errno.ENOSPC:
        raise OomphError("cannot begin phase %r: the tracker's phase table is full" % name)
    return _check("oomph_phase_begin", rc, "beginning phase %r" % name)


def phase_end(phase_id):
    rc = _func("oomph_phase_end")(int(phase_id))
    if rc == -errno.EINVAL:
        raise OomphError("phase %d is not open (already ended, or never begun)" % phase_id)
    _check("oomph_phase_end", rc)


def phase_info(phase_id):
    st = _PhaseInfoStruct()
    rc = _func("oomph_phase_info")(int(phase_id), ctypes.byref(st), ctypes.sizeof(st))
    if rc == -errno.EINVAL or rc == -errno.ENOENT:
        raise OomphError("no phase %d" % phase_id)
    _check("oomph_phase_info", rc)
    return PhaseInfo(st.start_s, None if st.end_s < 0 else st.end_s, st.start_bytes,
                     st.peak_bytes, st.peak_above_start_bytes, st.left_live_bytes,
                     st.end_bytes)


WHICH = {"peak": 0, "left_live": 1}


def phase_top(phase_id, which="peak", max_lines=10):
    """The lines that held a phase's memory: which="peak" at its peak (above what
    was live when it began), "left_live" what it left live."""
    if which not in WHICH:
        raise ValueError("which is 'peak' or 'left_live', not %r" % (which,))
    f = _func("oomph_phase_top")
    size = 16384
    while True:
        buf = ctypes.create_string_buffer(size)
        rc = f(int(phase_id), WHICH[which], int(max_lines), buf, size)
        _check("oomph_phase_top", rc)
        if rc < size - 1 or size >= 1 << 22:
            break
        size *= 4  # truncated: ask again with room
    out = []
    for line in buf.value.decode("utf-8", "replace").splitlines():
        parts = line.split("\t", 3)
        if len(parts) != 4:
            continue
        try:
            out.append(TopLine(int(parts[0]), parts[1], int(parts[2]), parts[3]))
        except ValueError:
            continue
    return out


def get_current():
    st = _CurrentStruct()
    _check("oomph_get_current", _func("oomph_get_current")(ctypes.byref(st), ctypes.sizeof(st)))
    return Current(st.tracked_bytes, st.peak_bytes, st.limit_bytes or None,
                   None if st.headroom_bytes < 0 else st.headroom_bytes)


def snapshot(directory=None, timeout_s=60.0):
    """Ask the supervisor for a full report of this moment; returns its directory."""
    d = os.fsencode(os.path.abspath(directory)) if directory else None
    rc = _func("oomph_snapshot")(d, float(timeout_s))
    if rc == -errno.ETIMEDOUT:
        raise OomphError("the snapshot was not written within %g s" % timeout_s)
    n = _check("oomph_snapshot", rc, "snapshot")
    f = _lookup().get("oomph_snapshot_path")
    if f is not None:
        buf = ctypes.create_string_buffer(4096)
        if f(n, buf, 4096) > 0 and buf.value:
            return os.fsdecode(buf.value)
    if directory:
        return os.path.abspath(directory)
    raise OomphError("snapshot %d was written, but its directory is unknown" % n)
