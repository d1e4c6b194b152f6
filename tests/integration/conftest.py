"""Shared helpers for the integration tests: run real programs under
`build/oomph run` and read back what the report says.

The contract under test (issue 2, docs):
  build/oomph run [--python PY] [-o DIR] [--exact] [--sample-rate N] ... PROGRAM
  DIR/summary.json, DIR/peak.folded (root first, `FILE:LINE (FUNC)` frames,
  files relative to the run's cwd), DIR/peak.svg, DIR/index.html, and the same
  under DIR/processes/<pid>/ for every other profiled process.

Every test runs with a fresh working directory; the program is copied into it
and run by its relative name, as a user would.  When build/oomph or
build/liboomph.so is missing, the tests that need them are skipped (with the
reason), never failed.
"""
import functools
import glob
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
BUILD = REPO / "build"
# OOMPH=/path/to/oomph tests another build (its liboomph.so beside it).
OOMPH = Path(os.environ.get("OOMPH", BUILD / "oomph")).absolute()
LIBOOMPH = Path(os.environ.get("OOMPH_LIBRARY", OOMPH.parent / "liboomph.so"))
PROGRAMS = HERE / "programs"
DEBIAN_PYTHON = "/usr/bin/python3"

# A suite started in the background of a shell without job control (nohup,
# `cmd &` in a script) inherits SIGINT ignored, and every program it starts
# would too: Ctrl-C tests and CPython's own test_signal would then test the
# launcher, not oomph.  The programs under test start as from a terminal.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

MiB = 1 << 20
KiB = 1 << 10
# oomph's two modes: sampled attribution (the default) and --exact
MODES = {"default": (), "exact": ("--exact",)}
RUN_TIMEOUT = 300  # seconds for one profiled program: a hang is a failure

# ---------------------------------------------------------------- interpreters


class Interp:
    """One CPython: `path` to run, `version` "3.11.7", `has_numpy`; `root` the
    directory it runs chrooted in (the Debian sid root), None on the host."""

    def __init__(self, ident, path, version, has_numpy=False, root=None):
        self.id = ident
        self.path = path
        self.version = version
        self.has_numpy = has_numpy
        self.root = root

    @property
    def minor(self):
        return int(self.version.split(".")[1])

    @property
    def host_path(self):
        """Where the interpreter's file is, seen from here."""
        return self.root + self.path if self.root else self.path

    def command(self, argv, cwd):
        """argv (which runs in cwd) as run from here: inside the root if any."""
        return in_root(self.root, argv, cwd) if self.root else list(argv)

    def __repr__(self):
        return "Interp(%s, %s%s)" % (self.id, self.path, " in " + self.root if self.root else "")


# ---------------------------------------------------------------- the sid root
#
# CPython 3.14 and 3.15 come from a Debian sid root (scripts/sid-root.sh, run
# by `make test`), outside the work tree.  A program runs there with the
# same oomph build: `unshare --mount` gives it a private mount namespace in
# which /proc, /dev (with /dev/shm), /sys (the cgroup fs, for --limit) and
# the host directories the tests use (the work tree, the build, the test
# temp dirs) are mounted into the root at their own paths, so every path
# means the same inside and out; then chroot, cd, exec.  The namespace dies
# with its last process, and every mount with it: nothing is left mounted,
# whatever the program's death.

SID_ROOT = os.environ.get("OOMPH_SID_ROOT", "/var/cache/oomph/sid-root")
SID_MINORS = (14, 15)
_IN_ROOT = r"""
set -e
root=$1 cwd=$2; shift 2
mount -t proc proc "$root/proc"
for d in dev sys; do mount --rbind "/$d" "$root/$d"; done
while [ "$1" != "--" ]; do mkdir -p "$root$1"; mount --rbind "$1" "$root$1"; shift; done
shift
exec chroot "$root" /bin/sh -c 'cd "$0" && exec "$@"' "$cwd" "$@"
"""


def _visible_dirs():
    """Host directories a test's program must see in the root, outermost only."""
    dirs = {str(REPO), str(OOMPH.parent), str(LIBOOMPH.parent), tempfile.gettempdir()}
    if _BASE is not None:
        dirs.add(str(_BASE.parent))
    dirs = sorted(os.path.realpath(d) for d in dirs)
    out = []
    for d in dirs:
        if not any(d == o or d.startswith(o.rstrip("/") + "/") for o in out):
            out.append(d)
    return out


def in_root(root, argv, cwd):
    """The host command that runs argv in `root`, in directory cwd."""
    return (["unshare", "--mount", "--propagation", "private", "/bin/sh", "-c", _IN_ROOT,
             "in-root", root, str(cwd)] + _visible_dirs() + ["--"] + [str(a) for a in argv])


def _sid_root_state():
    """([(path, version)], None) for the root's interpreters, or ([], why not)."""
    stamp = os.path.join(SID_ROOT, ".oomph-sid-root")
    if not os.path.exists(stamp):
        why = "scripts/sid-root.sh has not made %s (`make test` runs it)" % SID_ROOT
        try:
            with open(SID_ROOT + ".unavailable", encoding="utf-8") as f:
                why = f.read().strip() or why
        except OSError:
            pass
        return [], why
    if os.geteuid() != 0:
        return [], "running in the Debian sid root needs root (unshare, mount, chroot)"
    found = []
    with open(stamp, encoding="utf-8") as f:
        for line in f:
            m = re.match(r"^(/usr/bin/python3\.(\d+)) (3\.\d+\.\d+\S*)$", line.strip())
            if m and int(m.group(2)) in SID_MINORS and os.access(SID_ROOT + m.group(1), os.X_OK):
                found.append((m.group(1), m.group(3)))
    return found, None if found else "no python3.14/3.15 listed in %s" % stamp


SID_PYTHONS, SID_SKIP = _sid_root_state()


def _pyenv_roots():
    roots = []
    if os.environ.get("PYENV_ROOT"):
        roots.append(os.environ["PYENV_ROOT"])
    roots.append(os.path.expanduser("~/.pyenv"))
    pyenv = shutil.which("pyenv")
    if pyenv:
        try:
            out = subprocess.run([pyenv, "root"], capture_output=True, text=True,
                                 timeout=10).stdout.strip()
            if out:
                roots.append(out)
        except (OSError, subprocess.SubprocessError):
            pass
    seen, uniq = set(), []
    for r in roots:
        r = os.path.realpath(r)
        if r not in seen:
            seen.add(r)
            uniq.append(r)
    return uniq


def _find_pyenv_pythons():
    """{(3, minor): path} for pyenv's CPython 3.9 and later (the newest patch)."""
    found = {}
    for root in _pyenv_roots():
        for path in sorted(glob.glob(os.path.join(root, "versions", "3.*", "bin", "python3.[0-9]*"))):
            m = re.search(r"/versions/(3\.(\d+)\.(\d+))/bin/python3\.(\d+)$", path)
            if not m or m.group(2) != m.group(4) or not os.access(path, os.X_OK):
                continue
            minor, patch = int(m.group(2)), int(m.group(3))
            if minor < 9:
                continue
            if (3, minor) not in found or found[(3, minor)][0] < patch:
                found[(3, minor)] = (patch, path, m.group(1))
    return {k: (v[1], v[2]) for k, v in found.items()}


def _debian_version():
    try:
        return subprocess.run([DEBIAN_PYTHON, "-c",
                               "import platform; print(platform.python_version())"],
                              capture_output=True, text=True, timeout=30).stdout.strip()
    except OSError:
        return ""


PYENV_MINORS = (9, 10, 11, 12, 13)


def _sid_interps():
    """The sid root's CPython 3.14 and 3.15 (with numpy and pandas from sid)."""
    return [Interp("sid3.%d" % int(v.split(".")[1]), path, v, True, SID_ROOT)
            for path, v in SID_PYTHONS]


def _sid_params():
    have = {i.minor: i for i in _sid_interps()}
    params = []
    for minor in SID_MINORS:
        ident = "sid3.%d" % minor
        if minor in have:
            params.append(pytest.param(have[minor], id=ident))
        else:
            params.append(pytest.param(None, id=ident, marks=pytest.mark.skip(
                reason="no CPython 3.%d from the Debian sid root: %s" % (
                    minor, SID_SKIP or "python3.%d missing there" % minor))))
    return params


def _interpreters():
    """pytest params: every pyenv CPython 3.9-3.13 (skipped if absent), Debian's,
    and the sid root's 3.14 and 3.15 (skipped, with the reason, if absent)."""
    params = []
    found = _find_pyenv_pythons()
    for minor in PYENV_MINORS:
        ident = "cpython3.%d" % minor
        if (3, minor) in found:
            path, version = found[(3, minor)]
            params.append(pytest.param(Interp(ident, path, version), id=ident))
        else:
            params.append(pytest.param(
                None, id=ident,
                marks=pytest.mark.skip(reason="no pyenv CPython 3.%d on this machine" % minor)))
    for (major, minor), (path, version) in sorted(found.items()):
        if minor not in PYENV_MINORS:  # a newer one: test it too
            ident = "cpython3.%d" % minor
            params.append(pytest.param(Interp(ident, path, version), id=ident))
    # Debian's python3 must be there (it has numpy and pandas): no skip.
    params.append(pytest.param(Interp("debian", DEBIAN_PYTHON, _debian_version(), True),
                               id="debian"))
    return params + _sid_params()


ALL_PYTHONS = _interpreters()
DEBIAN = Interp("debian", DEBIAN_PYTHON, _debian_version(), True)
# Debian's python3 and the sid root's 3.14 and 3.15: the interpreters with
# numpy, and the ones the --limit deaths run on.
DEBIAN_AND_SID = [pytest.param(DEBIAN, id="debian")] + _sid_params()


@pytest.fixture(params=ALL_PYTHONS)
def python(request):
    """Each CPython on the machine in turn (pure-Python tests)."""
    interp = request.param
    if not os.access(interp.host_path, os.X_OK):
        pytest.fail("%s is missing: Debian's python3 is required (run scripts/deps.sh)"
                    % interp.host_path)
    return interp


def _check_numpy(interp):
    r = subprocess.run(interp.command([interp.path, "-c", "import numpy"], "/"),
                       capture_output=True)
    if r.returncode != 0:
        pytest.fail("%s has no numpy (run scripts/deps.sh, scripts/sid-root.sh): %s"
                    % (interp, r.stderr.decode(errors="replace").strip()[-200:]))
    return interp


@pytest.fixture(params=DEBIAN_AND_SID)
def numpy_python(request):
    """Each interpreter with numpy in turn: Debian's python3, the sid root's."""
    return _check_numpy(request.param)


@pytest.fixture
def debian_numpy():
    """Debian's python3, with numpy (tests of the report, not of interpreters)."""
    if not os.access(DEBIAN_PYTHON, os.X_OK):
        pytest.fail("%s is missing (run scripts/deps.sh)" % DEBIAN_PYTHON)
    return _check_numpy(DEBIAN)


# ---------------------------------------------------------------- environment


def pytest_configure(config):
    # Programs that die by SIGSEGV/SIGABRT must not write core files.
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


_BASE = None


@pytest.fixture(scope="session", autouse=True)
def _run_base(tmp_path_factory):
    global _BASE
    _BASE = tmp_path_factory.mktemp("runs")
    yield _BASE


def fresh_dir(prefix="run-"):
    base = _BASE if _BASE is not None else None
    return Path(tempfile.mkdtemp(prefix=prefix, dir=base))


def oomph_missing_reason():
    missing = [str(p.relative_to(REPO)) if str(p).startswith(str(REPO)) else str(p)
               for p in (OOMPH, LIBOOMPH) if not os.access(p, os.X_OK if p == OOMPH else os.R_OK)]
    if missing:
        return "not built yet: %s (run `make all`)" % ", ".join(missing)
    return None


def require_oomph():
    reason = oomph_missing_reason()
    if reason:
        pytest.skip(reason)


def clean_env(extra=None):
    """The test process's environment, minus what would change a Python run."""
    env = dict(os.environ)
    for k in list(env):
        if k in ("PYTHONMALLOC", "PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP",
                 "PYTHONINSPECT", "PYTHONTRACEMALLOC", "PYTHONDEVMODE", "PYTHONWARNINGS",
                 "PYTHONFAULTHANDLER", "LD_PRELOAD", "PYTHONNOUSERSITE", "PYTEST_ADDOPTS",
                 "PYTHONASYNCIODEBUG", "PYTHONPYCACHEPREFIX") or (
                     k.startswith("OOMPH") and k != "OOMPH_LIBRARY"):
            del env[k]
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    if extra:
        env.update(extra)
    return env


# ---------------------------------------------------------------- programs


@functools.lru_cache(maxsize=None)
def _markers(path):
    marks = {}
    with open(path, encoding="utf-8") as f:
        for lineno, text in enumerate(f, 1):
            for m in re.finditer(r"@([A-Za-z_][A-Za-z0-9_]*)", text.split("#", 1)[1] if "#" in text else ""):
                marks.setdefault(m.group(1), lineno)
    return marks


def line_of(program, marker):
    """The line number of `# ... @marker` in programs/<program>."""
    path = PROGRAMS / program
    marks = _markers(str(path))
    if marker not in marks:
        raise KeyError("no @%s marker in %s" % (marker, path))
    return marks[marker]


def source_line(program, lineno):
    with open(PROGRAMS / program, encoding="utf-8") as f:
        return f.read().splitlines()[lineno - 1]


def place_program(program, cwd, name=None):
    """Copy programs/<program> (file or package directory) into cwd."""
    src = PROGRAMS / program
    dst = Path(cwd) / (name or program)
    if src.is_dir():
        if not dst.exists():
            shutil.copytree(src, dst)
    else:
        shutil.copyfile(src, dst)
    return dst


# ---------------------------------------------------------------- results

FRAME_RE = re.compile(r"^(?P<file>.*):(?P<line>\d+) \((?P<func>.*)\)$")


def parse_frame(frame):
    """(file, line, function) for a Python frame `FILE:LINE (FUNC)`, else None."""
    m = FRAME_RE.match(frame)
    if not m:
        return None
    return m.group("file"), int(m.group("line")), m.group("func")


def read_folded(path):
    """{stack: bytes} from a folded-stack file (duplicate stacks summed)."""
    stacks = {}
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line:
                continue
            stack, sep, count = line.rpartition(" ")
            if not sep or not re.fullmatch(r"\d+", count):
                raise AssertionError("%s:%d is not `stack BYTES`: %r" % (path, n, line[:200]))
            stacks[stack] = stacks.get(stack, 0) + int(count)
    return stacks


def read_job_folded(path):
    """A job's folded stacks (job.folded, job-death.folded): {(pid, innermost
    frame): bytes}, each stack under its process's root frame `process PID (...)`."""
    out = {}
    for stack, n in read_folded(path).items():
        frames = stack.split(";")
        m = re.match(r"process (\d+) \(", frames[0])
        assert m, "%s: a stack not under a process's root frame: %r" % (path, stack[:200])
        key = (int(m.group(1)), frames[-1])
        out[key] = out.get(key, 0) + n
    return out


def split_stack(stack):
    return stack.split(";")


def _norm_file(file, cwd):
    if cwd and os.path.isabs(file):
        try:
            rel = os.path.relpath(file, cwd)
        except ValueError:
            return file
        if not rel.startswith(".."):
            return rel
    return file


def frame_key(frame, cwd=None):
    """`FILE:LINE` for a Python frame (file made relative to cwd when under it),
    the frame text itself for anything else ("[no Python stack]", ...)."""
    p = parse_frame(frame)
    if p is None:
        return frame
    return "%s:%d" % (_norm_file(p[0], cwd), p[1])


def by_innermost_line(folded, cwd=None):
    """Sum folded bytes by the innermost frame's `FILE:LINE`."""
    out = {}
    for stack, n in folded.items():
        key = frame_key(split_stack(stack)[-1], cwd)
        out[key] = out.get(key, 0) + n
    return out


def by_innermost_python_line(folded, cwd=None):
    """Sum folded bytes by the innermost *Python* frame's `FILE:LINE` (so bytes
    under a synthetic leaf such as a C-thread marker still count for the line)."""
    out = {}
    for stack, n in folded.items():
        frames = split_stack(stack)
        key = None
        for fr in reversed(frames):
            if parse_frame(fr):
                key = frame_key(fr, cwd)
                break
        key = key or frame_key(frames[-1], cwd)
        out[key] = out.get(key, 0) + n
    return out


class Result:
    """One `oomph run`: exit status, output, and the report it left."""

    def __init__(self, argv, status, stdout, stderr, out_dir, cwd):
        self.argv = argv
        self.status = status
        self.stdout = stdout
        self.stderr = stderr
        self.dir = Path(out_dir)
        self.cwd = Path(cwd)
        self.summary = self._load_json(self.dir / "summary.json")
        self.folded = self._load_folded(self.dir / "peak.folded")

    @staticmethod
    def _load_json(path):
        if not path.exists():
            return None
        with open(path, encoding="utf-8") as f:
            return json.load(f)

    @staticmethod
    def _load_folded(path):
        if not path.exists():
            return None
        return read_folded(path)

    @property
    def text_out(self):
        return self.stdout.decode("utf-8", "replace")

    @property
    def text_err(self):
        return self.stderr.decode("utf-8", "replace")

    def by_line(self, folded=None):
        folded = self.folded if folded is None else folded
        assert folded is not None, "no peak.folded in %s\n%s" % (self.dir, self.describe())
        return by_innermost_line(folded, str(self.cwd))

    def line_bytes(self, program, marker, folded=None):
        """Bytes held at the peak with the innermost frame on programs/<program>'s @marker
        line (the program runs from cwd under its own name, so the key is relative)."""
        key = "%s:%d" % (program, line_of(program, marker))
        return self.by_line(folded).get(key, 0)

    def process_entries(self):
        """summary.json's processes, as listed (a pid that exec'd appears once
        per image, with its "generation")."""
        assert self.summary is not None, "no summary.json\n" + self.describe()
        return list(self.summary.get("processes", []))

    def processes(self):
        """{pid: entry}, the latest image (highest generation) of each pid."""
        out = {}
        for p in self.process_entries():
            if p["pid"] not in out or p.get("generation", 0) >= out[p["pid"]].get("generation", 0):
                out[p["pid"]] = p
        return out

    def process_folded(self, pid_or_entry):
        """{stack: bytes} of one process (a pid, or an entry of process_entries())."""
        if isinstance(pid_or_entry, dict):
            entry = pid_or_entry
        else:
            procs = self.processes()
            assert pid_or_entry in procs, "pid %d not in summary processes %s\n%s" % (
                pid_or_entry, sorted(procs), self.describe())
            entry = procs[pid_or_entry]
        path = self.dir / entry["dir"] / "peak.folded"
        assert path.exists(), "%s missing\n%s" % (path, self.describe())
        return read_folded(path)

    def describe(self, top=10):
        """A few lines for an assertion message: status, stderr tail, top lines."""
        out = ["argv: %s" % " ".join(self.argv),
               "status: %s   report: %s" % (self.status, self.dir)]
        if self.summary is not None:
            s = self.summary
            out.append("summary: verdict=%s exit_code=%s signal=%s peak_tracked=%s "
                       "sample_rate=%s exact=%s errors=%s" % (
                           s.get("verdict"), s.get("exit_code"), s.get("signal"),
                           s.get("peak_tracked_bytes"), s.get("sample_rate_bytes"),
                           s.get("exact"), s.get("errors")))
        else:
            out.append("summary.json: missing")
        if self.folded is not None:
            lines = sorted(self.by_line().items(), key=lambda kv: -kv[1])[:top]
            out.append("peak by innermost line: " + ", ".join(
                "%s=%.2f MiB" % (k, v / MiB) for k, v in lines))
        else:
            out.append("peak.folded: missing")
        err = self.text_err.strip().splitlines()[-12:]
        if err:
            out.append("stderr tail:\n    " + "\n    ".join(err))
        return "\n".join(out)


def _as_interp(python):
    """An Interp for an Interp, a path, or None (Debian's python3)."""
    return python if isinstance(python, Interp) else Interp("", python or DEBIAN_PYTHON, "")


def run_oomph(program=None, args=(), python=None, extra=(), cwd=None, env=None,
              command=None, input=None, timeout=RUN_TIMEOUT, out_dir=None, name=None):
    """Run `oomph run --python PY -o OUT [extra] program args` and read its report.

    program: a file (or package directory) in programs/, copied into cwd and run
      by its relative name; or None with `command`, the words that follow the
      options (["-c", CODE], ["-m", MOD], ["--", CMD, ...]).
    python: an Interp or a path (default: Debian's python3).
    env: variables added to a clean environment.
    input: bytes for stdin (default: stdin is /dev/null).
    """
    require_oomph()
    cwd = Path(cwd) if cwd is not None else fresh_dir()
    cwd.mkdir(parents=True, exist_ok=True)
    interp = _as_interp(python)
    py = interp.path
    out_dir = Path(out_dir) if out_dir is not None else cwd / "report"
    argv = [str(OOMPH), "run", "--python", py, "-o", str(out_dir)] + list(extra)
    if program is not None:
        place_program(program, cwd, name)
        argv += [name or program] + [str(a) for a in args]
    else:
        assert command, "give a program or a command"
        argv += list(command) + [str(a) for a in args]
    try:
        p = subprocess.run(interp.command(argv, cwd), cwd=str(cwd), env=clean_env(env), input=input,
                           stdin=None if input is not None else subprocess.DEVNULL,
                           capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        raise AssertionError("oomph run did not finish in %ds: %s\nstderr: %s" % (
            timeout, " ".join(argv), (e.stderr or b"")[-2000:].decode(errors="replace")))
    return Result(argv, p.returncode, p.stdout, p.stderr, out_dir, cwd)


def run_plain(program=None, args=(), python=None, cwd=None, env=None, command=None,
              input=None, timeout=RUN_TIMEOUT, name=None):
    """The same program under the plain interpreter: (status, stdout, stderr)."""
    cwd = Path(cwd) if cwd is not None else fresh_dir("plain-")
    interp = _as_interp(python)
    py = interp.path
    if program is not None:
        place_program(program, cwd, name)
        argv = [py, name or program] + [str(a) for a in args]
    else:
        argv = [py] + list(command) + [str(a) for a in args]
    p = subprocess.run(interp.command(argv, cwd), cwd=str(cwd), env=clean_env(env), input=input,
                       stdin=None if input is not None else subprocess.DEVNULL,
                       capture_output=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


# ---------------------------------------------------------------- baselines

_baselines = {}


def baseline_bytes(python, program="empty.py"):
    """Peak tracked bytes of a program that only does its imports, under oomph
    with this interpreter (measured once per session)."""
    key = (python.id if isinstance(python, Interp) else python, program)
    if key not in _baselines:
        r = run_oomph(program, python=python)
        assert r.status == 0 and r.summary is not None, \
            "baseline run of %s failed\n%s" % (program, r.describe())
        _baselines[key] = (r.summary["peak_tracked_bytes"], r)
    return _baselines[key][0]


# ---------------------------------------------------------------- checks


def assert_within(actual, expected, rel=0.01, abs_=0, what="value", res=None):
    tol = max(abs(expected) * rel, abs_)
    assert abs(actual - expected) <= tol, "%s: %d bytes (%.2f MiB), expected %d (%.2f MiB) +- %d%s" % (
        what, actual, actual / MiB, expected, expected / MiB, tol,
        ("\n" + res.describe()) if res is not None else "")


def assert_report_complete(res, where=None):
    """summary.json, peak.folded, peak.svg and index.html exist and are not empty."""
    d = res.dir if where is None else res.dir / where
    for name in ("summary.json", "peak.folded", "peak.svg", "index.html"):
        p = d / name
        assert p.exists() and p.stat().st_size > 0, "%s missing or empty\n%s" % (p, res.describe())
