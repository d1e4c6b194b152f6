"""oomph's PEP 517 build backend: the standard library only, nothing to download.

pip (or any PEP 517 frontend) finds it through pyproject.toml's `backend-path`.
A wheel is the output of the project's own Makefile (`make all` builds
build/oomph and build/liboomph.so: the C build stays the one source of truth)
packed with the Python modules of python/oomph:

    oomph/*.py                   the package (python/oomph)
    oomph/_native/oomph          the command, with liboomph.so beside it (the
    oomph/_native/liboomph.so    command looks there first, see sup_find_library)
    oomph-V.dist-info/           METADATA, WHEEL, entry_points.txt, RECORD

The binaries do not link Python, so the tag is py3-none-<platform>.  The
console script `oomph` (oomph.__main__:main) runs the command; the pytest11
entry point registers the pytest plugin (inactive unless --oomph is given).

Hooks: build_wheel, build_sdist, prepare_metadata_for_build_wheel,
build_editable (PEP 660: a .pth-style finder pointing at python/oomph, the
command and library used from build/).  The package's metadata lives here
rather than in pyproject.toml's [project] table because Python 3.9 and 3.10
have no TOML reader in the standard library.

Also a command line, for `make wheel`:
    python3 python/backend/oomph_build.py [--make MAKE] wheel|sdist OUTDIR
"""
import base64
import hashlib
import io
import os
import re
import stat
import subprocess
import sys
import sysconfig
import tarfile
import time
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PKG_SRC = os.path.join(ROOT, "python", "oomph")
NAME = "oomph"
SUMMARY = "Memory profiler and out-of-memory doctor for Python programs"
REQUIRES_PYTHON = ">=3.9"
ENTRY_POINTS = (
    "[console_scripts]\n"
    "oomph = oomph.__main__:main\n"
    "\n"
    "[pytest11]\n"
    "oomph = oomph.pytest_plugin\n"
)
VERSION_MODULE = b'"""The package\'s version (written by oomph_build)."""\nversion = "%s"\n'
NATIVE = ("oomph", "liboomph.so")  # build/<name> -> oomph/_native/<name>
# Files of the checkout that never go into an sdist.
SDIST_SKIP_DIRS = {".git", "build", "oomph-report", "__pycache__", ".pytest_cache"}


class BuildError(Exception):
    pass


# ------------------------------------------------------------------ metadata

def _version():
    with open(os.path.join(ROOT, "VERSION"), encoding="utf-8") as f:
        v = f.read().strip()
    if not re.fullmatch(r"\d+(\.\d+)*((a|b|rc)\d+)?(\.post\d+)?(\.dev\d+)?", v):
        raise BuildError("VERSION %r is not a PEP 440 version" % v)
    return v


def _dist_info_name():
    return "%s-%s.dist-info" % (NAME, _version())


def _metadata():
    lines = [
        "Metadata-Version: 2.1",
        "Name: " + NAME,
        "Version: " + _version(),
        "Summary: " + SUMMARY,
        "Requires-Python: " + REQUIRES_PYTHON,
        "Classifier: Programming Language :: Python :: 3",
        "Classifier: Programming Language :: C",
        "Classifier: Operating System :: POSIX :: Linux",
        "Classifier: Framework :: Pytest",
        "Classifier: Framework :: Jupyter",
        "Provides-Extra: jupyter",
        "Requires-Dist: ipykernel; extra == \"jupyter\"",
    ]
    readme = os.path.join(ROOT, "README.md")
    body = ""
    if os.path.exists(readme):
        lines.append("Description-Content-Type: text/markdown")
        with open(readme, encoding="utf-8") as f:
            body = f.read()
    return ("\n".join(lines) + "\n\n" + body).encode("utf-8")


def _platform_tag():
    return re.sub(r"[^A-Za-z0-9]", "_", sysconfig.get_platform())


def _wheel_tag():
    return "py3-none-" + _platform_tag()


def _wheel_file(editable=False):
    return ("Wheel-Version: 1.0\n"
            "Generator: oomph_build %s\n"
            "Root-Is-Purelib: %s\n"
            "Tag: %s\n" % (_version(), "true" if editable else "false",
                           "py3-none-any" if editable else _wheel_tag())).encode()


def _dist_info_files(editable=False):
    """{path inside the wheel: bytes} of the .dist-info directory, RECORD excluded."""
    d = _dist_info_name()
    return {
        d + "/METADATA": _metadata(),
        d + "/WHEEL": _wheel_file(editable),
        d + "/entry_points.txt": ENTRY_POINTS.encode(),
        d + "/top_level.txt": b"oomph\n",
    }


# ------------------------------------------------------------------ the C build

def _build_dir():
    """Where `make all` puts the binaries: build/, or $OOMPH_BUILD_DIR (the
    Makefile's B=DIR), relative to the checkout."""
    return os.path.join(ROOT, os.environ.get("OOMPH_BUILD_DIR") or "build")


def _make(make=None):
    """Run the project's Makefile (`make all`); its output goes to stderr so a
    frontend that parses stdout is not confused."""
    make = make or os.environ.get("OOMPH_MAKE") or "make"
    argv = make.split() + ["-C", ROOT, "all"]
    if os.environ.get("OOMPH_BUILD_DIR"):
        argv.append("B=" + os.environ["OOMPH_BUILD_DIR"])
    try:
        r = subprocess.run(argv, stdout=sys.stderr.fileno(), stderr=sys.stderr.fileno())
    except OSError as e:
        raise BuildError("cannot run %s: %s (oomph's C build needs make and gcc: on "
                         "Debian `apt-get install make gcc libc6-dev`)" % (argv[0], e))
    if r.returncode != 0:
        raise BuildError("`%s` failed with status %d (see its output above)"
                         % (" ".join(argv), r.returncode))
    for name in NATIVE:
        if not os.path.isfile(os.path.join(_build_dir(), name)):
            raise BuildError("`make all` did not produce %s" % os.path.join(_build_dir(), name))


# ------------------------------------------------------------------ wheel writing

def _epoch():
    """Timestamps in archives: SOURCE_DATE_EPOCH if set (reproducible builds)."""
    try:
        t = int(os.environ["SOURCE_DATE_EPOCH"])
    except (KeyError, ValueError):
        t = int(time.time())
    return max(t, 315532800)  # zip cannot store dates before 1980


def _package_files():
    """(path inside the wheel, source path) of the package's Python files."""
    out = []
    for dirpath, dirnames, filenames in os.walk(PKG_SRC):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
        for fn in sorted(filenames):
            if fn.endswith(".py") or fn == "py.typed":
                src = os.path.join(dirpath, fn)
                rel = os.path.relpath(src, os.path.dirname(PKG_SRC)).replace(os.sep, "/")
                out.append((rel, src))
    return out


def _record_line(path, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return "%s,sha256=%s,%d" % (path, digest, len(data))


class _WheelWriter:
    def __init__(self, path):
        self.zf = zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED)
        self.records = []
        self.date = time.gmtime(_epoch())[:6]

    def add(self, arcname, data, executable=False):
        zi = zipfile.ZipInfo(arcname, date_time=self.date)
        zi.compress_type = zipfile.ZIP_DEFLATED
        zi.external_attr = ((0o755 if executable else 0o644) | stat.S_IFREG) << 16
        self.zf.writestr(zi, data)
        self.records.append(_record_line(arcname, data))

    def close(self, dist_info):
        record = dist_info + "/RECORD"
        self.records.append(record + ",,")
        zi = zipfile.ZipInfo(record, date_time=self.date)
        zi.compress_type = zipfile.ZIP_DEFLATED
        zi.external_attr = (0o644 | stat.S_IFREG) << 16
        self.zf.writestr(zi, "\n".join(self.records) + "\n")
        self.zf.close()


def _read(path):
    with open(path, "rb") as f:
        return f.read()


def _write_wheel(wheel_directory, editable=False):
    tag = "py3-none-any" if editable else _wheel_tag()
    name = "%s-%s-%s.whl" % (NAME, _version(), tag)
    os.makedirs(wheel_directory, exist_ok=True)
    final = os.path.join(wheel_directory, name)
    tmp = os.path.join(wheel_directory, ".%s.tmp.%d" % (name, os.getpid()))
    w = _WheelWriter(tmp)
    try:
        if editable:
            _add_editable(w)
        else:
            for arc, src in _package_files():
                w.add(arc, VERSION_MODULE % _version().encode() if arc == "oomph/_version.py"
                      else _read(src))
            for n in NATIVE:
                src = os.path.join(_build_dir(), n)
                w.add("oomph/_native/" + n, _read(src), executable=(n == "oomph"))
        for arc, data in _dist_info_files(editable).items():
            w.add(arc, data)
        w.close(_dist_info_name())
        os.replace(tmp, final)
    except BaseException:
        try:
            w.zf.close()
        except Exception:
            pass
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return name


def _add_editable(w):
    """A .pth that imports a finder serving the `oomph` package from the
    checkout's python/oomph (nothing else of python/ becomes importable); the
    package then finds the command and library in the checkout's build/."""
    finder = (
        "# oomph editable install: serves the package from %(src)r\n"
        "import importlib.abc, importlib.util, sys\n"
        "SRC = %(src)r\n"
        "class _OomphFinder(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name != 'oomph':\n"
        "            return None\n"
        "        return importlib.util.spec_from_file_location(\n"
        "            name, SRC + '/__init__.py', submodule_search_locations=[SRC])\n"
        "if not any(type(f).__name__ == '_OomphFinder' for f in sys.meta_path):\n"
        "    sys.meta_path.append(_OomphFinder())\n" % {"src": PKG_SRC})
    w.add("_oomph_editable.py", finder.encode())
    w.add("_oomph_editable.pth", b"import _oomph_editable\n")


# ------------------------------------------------------------------ PEP 517 hooks

def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []


def get_requires_for_build_editable(config_settings=None):
    return []


def _prepare_metadata(metadata_directory, editable):
    d = os.path.join(metadata_directory, _dist_info_name())
    os.makedirs(d, exist_ok=True)
    for arc, data in _dist_info_files(editable).items():
        with open(os.path.join(metadata_directory, arc), "wb") as f:
            f.write(data)
    return _dist_info_name()


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    return _prepare_metadata(metadata_directory, editable=False)


def prepare_metadata_for_build_editable(metadata_directory, config_settings=None):
    return _prepare_metadata(metadata_directory, editable=True)


def _config_make(config_settings):
    if config_settings and isinstance(config_settings.get("make"), str):
        return config_settings["make"]
    return None


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    _make(_config_make(config_settings))
    return _write_wheel(wheel_directory)


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    _make(_config_make(config_settings))
    return _write_wheel(wheel_directory, editable=True)


def _sdist_members():
    """The checkout's files: git's list when this is a git checkout, else a walk."""
    try:
        r = subprocess.run(["git", "-C", ROOT, "ls-files", "-z", "--cached", "--others",
                            "--exclude-standard"], capture_output=True)
        if r.returncode == 0 and r.stdout:
            files = [p for p in r.stdout.decode("utf-8", "surrogateescape").split("\0") if p]
            return sorted(p for p in files if os.path.isfile(os.path.join(ROOT, p)))
    except OSError:
        pass
    out = []
    for dirpath, dirnames, filenames in os.walk(ROOT):
        dirnames[:] = sorted(d for d in dirnames if d not in SDIST_SKIP_DIRS)
        for fn in sorted(filenames):
            if fn.endswith(".pyc"):
                continue
            out.append(os.path.relpath(os.path.join(dirpath, fn), ROOT))
    return out


def build_sdist(sdist_directory, config_settings=None):
    base = "%s-%s" % (NAME, _version())
    name = base + ".tar.gz"
    os.makedirs(sdist_directory, exist_ok=True)
    final = os.path.join(sdist_directory, name)
    tmp = os.path.join(sdist_directory, ".%s.tmp.%d" % (name, os.getpid()))
    mtime = _epoch()

    def norm(ti):
        ti.uid = ti.gid = 0
        ti.uname = ti.gname = ""
        ti.mtime = mtime
        ti.mode = 0o755 if ti.mode & 0o111 else 0o644
        return ti

    try:
        with tarfile.open(tmp, "w:gz", format=tarfile.PAX_FORMAT) as tf:
            for rel in _sdist_members():
                tf.add(os.path.join(ROOT, rel), arcname=base + "/" + rel, recursive=False,
                       filter=norm)
            pkg_info = _metadata()
            ti = tarfile.TarInfo(base + "/PKG-INFO")
            ti.size = len(pkg_info)
            ti.mtime = mtime
            ti.mode = 0o644
            tf.addfile(ti, io.BytesIO(pkg_info))
        os.replace(tmp, final)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return name


# ------------------------------------------------------------------ command line

def main(argv):
    make = None
    if len(argv) >= 2 and argv[0] == "--make":
        make, argv = argv[1], argv[2:]
    if len(argv) != 2 or argv[0] not in ("wheel", "sdist"):
        sys.stderr.write("usage: oomph_build.py [--make MAKE] wheel|sdist OUTDIR\n")
        return 64
    try:
        if argv[0] == "wheel":
            name = build_wheel(argv[1], {"make": make} if make else None)
        else:
            name = build_sdist(argv[1])
    except BuildError as e:
        sys.stderr.write("oomph_build: %s\n" % e)
        return 1
    print(os.path.join(argv[1], name))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
