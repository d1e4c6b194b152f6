"""The Python package (issue 16): `pip install` of this checkout, offline, into a
fresh venv of Debian's python3 (--system-site-packages) and of pyenv's 3.12
(nothing installed, not even setuptools); then `oomph run`, `python -m oomph
run` and `import oomph` from the venv.  Also the wheel itself (RECORD, WHEEL,
entry points), the sdist, an editable install, and the control API seen from
Python: phases, current(), snapshot(), and the errors outside a run.
"""
import base64
import csv
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
import zipfile

import pytest

from conftest import MiB, REPO, assert_within, fresh_dir, require_oomph
from pyvenv import control_api_exported, debian_venv, installed, pyenv_venv, require_control_api

VENVS = ["debian", "cpython3.12"]
BACKEND = REPO / "python" / "backend" / "oomph_build.py"


def _venv(ident):
    require_oomph()
    return installed(debian_venv() if ident == "debian" else pyenv_venv(12))


@pytest.fixture(params=VENVS)
def venv(request):
    return _venv(request.param)


def test_pip_install_offline(venv):
    # pip built the wheel with our backend alone: no download, no setuptools.
    if venv.id != "debian":
        r = venv.run([venv.python, "-c", "import setuptools"])
        assert r.returncode != 0, "this venv was meant to have no setuptools"
    r = venv.run([venv.python, "-m", "pip", "show", "-f", "oomph"])
    assert r.returncode == 0, r.stderr
    for f in ("oomph/_native/oomph", "oomph/_native/liboomph.so", "oomph/__init__.py",
              "oomph/pytest_plugin.py"):
        assert f in r.stdout, r.stdout
    assert os.access(venv.bin("oomph"), os.X_OK)


SCRIPT = """\
import sys, oomph
data = bytearray(64 << 20)
print("exe", sys.executable)
print("prefix", sys.prefix)
print("active", oomph.active())
"""


def _check_run(venv, r, cwd):
    assert r.returncode == 0, r.stderr
    out = dict(line.split(" ", 1) for line in r.stdout.splitlines() if " " in line)
    # Not activated: the venv's oomph still runs the venv's Python.
    assert out["prefix"] == str(venv.path), r.stdout
    assert out["active"] == str(control_api_exported()), r.stdout + r.stderr
    with open(cwd / "report" / "summary.json") as f:
        s = json.load(f)
    assert s["verdict"] == "exited"
    top = {(x["file"], x["line"]): x["bytes"] for x in s["top"]}
    assert_within(top.get(("prog.py", 2), 0), 64 * MiB, rel=0.01, what="prog.py:2")


def test_oomph_run_from_venv(venv):
    cwd = fresh_dir()
    (cwd / "prog.py").write_text(SCRIPT)
    r = venv.run([venv.bin("oomph"), "run", "-q", "-o", "report", "prog.py"], cwd=cwd)
    _check_run(venv, r, cwd)


def test_python_m_oomph_run_from_venv(venv):
    cwd = fresh_dir()
    (cwd / "prog.py").write_text(SCRIPT)
    r = venv.run([venv.python, "-m", "oomph", "run", "-q", "-o", "report", "prog.py"], cwd=cwd)
    _check_run(venv, r, cwd)


def test_same_command_and_version(venv):
    a = venv.run([venv.bin("oomph"), "--version"])
    b = venv.run([venv.python, "-m", "oomph", "--version"])
    version = (REPO / "VERSION").read_text().strip()
    assert a.returncode == b.returncode == 0
    assert a.stdout == b.stdout and version in a.stdout
    c = venv.run([venv.python, "-c", "import oomph; print(oomph.__version__)"])
    assert c.stdout.strip() == version
    # Usage errors are the command's own, with its exit status.
    d = venv.run([venv.python, "-m", "oomph", "run", "--limit", "lots", "x.py"])
    assert d.returncode == 64 and d.stderr.startswith("oomph: "), d.stderr


OUTSIDE = """\
import oomph
assert oomph.active() is False
for call in (oomph.current, lambda: oomph.phase_begin("x"), lambda: oomph.snapshot("d"),
             lambda: oomph.phase("x").__enter__()):
    try:
        call()
    except oomph.NotTrackedError as e:
        assert "oomph run" in str(e), e
    else:
        raise AssertionError("no error outside a run")
print("ok")
"""


def test_import_outside_a_run(venv):
    r = venv.run([venv.python, "-c", OUTSIDE])
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stdout + r.stderr


API = """\
import json, oomph
c0 = oomph.current()
with oomph.phase("load") as load:
    keep = bytearray(100 << 20)      # left live at the end of the phase
    tmp = bytearray(50 << 20)        # part of the peak, freed
    del tmp
inner = oomph.phase_begin("outer")
nested = oomph.phase_begin("inner")
x = bytearray(30 << 20)
del x
oomph.phase_end(inner)               # ends the inner one too
c1 = oomph.current()
out = {
    "load": load.info()._asdict(),
    "load_peak_lines": [t._asdict() for t in load.top("peak")],
    "load_left_lines": [t._asdict() for t in load.top("left_live")],
    "outer": inner.info()._asdict(), "inner": nested.info()._asdict(),
    "c0": c0._asdict(), "c1": c1._asdict(),
}
print(json.dumps(out))
"""


def _run_api_program(name, text):
    """Run `text` as NAME under the venv's oomph; (its last stdout line as JSON, cwd)."""
    require_oomph()
    require_control_api()
    venv = _venv("debian")
    cwd = fresh_dir()
    (cwd / name).write_text(text)
    r = venv.run([venv.bin("oomph"), "run", "-q", "-o", "report", name], cwd=cwd)
    assert r.returncode == 0, r.stdout + r.stderr
    return json.loads(r.stdout.strip().splitlines()[-1]), cwd


def test_api_phases_and_current():
    d, cwd = _run_api_program("api.py", API)
    load = d["load"]
    assert_within(load["peak_above_start_bytes"], 150 * MiB, rel=0.01, what="load's peak")
    assert_within(load["left_live_bytes"], 100 * MiB, rel=0.01, what="load left live")
    assert load["end_s"] is not None and load["end_s"] >= load["start_s"]
    peak = {(os.path.basename(t["file"]), t["line"]): t["bytes"] for t in d["load_peak_lines"]}
    assert_within(peak.get(("api.py", 4), 0), 100 * MiB, rel=0.01, what="api.py:4 at the peak")
    assert_within(peak.get(("api.py", 5), 0), 50 * MiB, rel=0.01, what="api.py:5 at the peak")
    left = {(os.path.basename(t["file"]), t["line"]): t["bytes"] for t in d["load_left_lines"]}
    assert_within(left.get(("api.py", 4), 0), 100 * MiB, rel=0.01, what="api.py:4 left live")
    assert ("api.py", 5) not in left
    assert_within(d["outer"]["peak_above_start_bytes"], 30 * MiB, rel=0.02, what="outer")
    assert d["inner"]["end_s"] is not None, "ending the outer phase ends the inner one"
    assert d["c1"]["tracked_bytes"] - d["c0"]["tracked_bytes"] >= 100 * MiB
    assert d["c1"]["peak_bytes"] >= d["c0"]["tracked_bytes"] + 150 * MiB
    with open(cwd / "report" / "summary.json") as f:
        s = json.load(f)
    names = [p["name"] for p in s.get("phases", [])]
    assert names[:3] == ["load", "outer", "inner"], names
    p = s["phases"][0]
    assert_within(p["peak_above_start_bytes"], 150 * MiB, rel=0.01, what="summary: load")
    assert_within(p["left_live_bytes"], 100 * MiB, rel=0.01, what="summary: load left")


SNAP = """\
import json, os, oomph
keep = bytearray(80 << 20)
d = oomph.snapshot("snap")
with open(os.path.join(d, "summary.json")) as f:
    s = json.load(f)
print(json.dumps({"dir": d, "peak": s["peak_tracked_bytes"]}))
"""


def test_snapshot_while_running():
    d, cwd = _run_api_program("snap.py", SNAP)
    assert os.path.samefile(d["dir"], cwd / "snap")
    assert d["peak"] >= 80 * MiB
    assert (cwd / "snap" / "index.html").exists()


# ------------------------------------------------------------------ the build itself

def _build(kind, out):
    r = subprocess.run([sys.executable, str(BACKEND), kind, str(out)], capture_output=True,
                       text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    return out / os.path.basename(r.stdout.strip())


def test_wheel_record_and_metadata():
    require_oomph()
    out = fresh_dir("wheel-")
    whl = _build("wheel", out)
    version = (REPO / "VERSION").read_text().strip()
    assert whl.name.startswith("oomph-%s-py3-none-linux_" % version), whl.name
    with zipfile.ZipFile(whl) as z:
        names = z.namelist()
        di = "oomph-%s.dist-info/" % version
        rows = list(csv.reader(io.StringIO(z.read(di + "RECORD").decode())))
        recorded = {r[0]: r for r in rows}
        assert set(recorded) == set(names), set(recorded) ^ set(names)
        for name in names:
            if name == di + "RECORD":
                assert recorded[name][1:] == ["", ""]
                continue
            data = z.read(name)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
            assert recorded[name][1] == "sha256=" + digest.decode(), name
            assert int(recorded[name][2]) == len(data), name
        wheel = z.read(di + "WHEEL").decode()
        assert "Root-Is-Purelib: false" in wheel and "Tag: py3-none-linux_" in wheel
        eps = z.read(di + "entry_points.txt").decode()
        assert "oomph = oomph.__main__:main" in eps and "oomph = oomph.pytest_plugin" in eps
        meta = z.read(di + "METADATA").decode()
        assert "Name: oomph\n" in meta and "Version: %s\n" % version in meta
        assert "Requires-Python: >=3.9" in meta
        mode = z.getinfo("oomph/_native/oomph").external_attr >> 16
        assert mode & 0o111, "the command must be executable in the wheel"
        # The binaries are the ones `make` built: the C build is the one source.
        assert z.read("oomph/_native/oomph") == (REPO / "build" / "oomph").read_bytes()
        assert z.read("oomph/_native/liboomph.so") == (REPO / "build" / "liboomph.so").read_bytes()
        assert b'version = "%s"' % version.encode() in z.read("oomph/_version.py")


def test_sdist_has_the_sources():
    out = fresh_dir("sdist-")
    sdist = _build("sdist", out)
    version = (REPO / "VERSION").read_text().strip()
    with tarfile.open(sdist) as t:
        names = set(t.getnames())
    base = "oomph-%s/" % version
    for f in ("PKG-INFO", "pyproject.toml", "Makefile", "VERSION", "python/oomph/__init__.py",
              "python/backend/oomph_build.py", "src/tracker/tracker.c"):
        assert base + f in names, f
    assert not any("/build/" in n or n.endswith(".pyc") for n in names)


def test_editable_install():
    """pip install -e: the package from python/oomph, the binaries from build/."""
    require_oomph()
    base = _venv("cpython3.12")
    path = fresh_dir("editable-") / "venv"
    r = subprocess.run([base.base_python, "-m", "venv", "--without-pip", str(path)],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    py = str(path / "bin" / "python")
    # The base interpreter's pip installs into the new venv (pip --python).
    r = base.run([base.base_python, "-m", "pip", "--python", py, "install", "--no-index",
                  "--no-cache-dir", "-e", str(REPO)])
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    r = base.run([py, "-c", "import oomph, oomph._native as n; print(oomph.__file__); "
                  "print(n.command_path())"])
    assert r.returncode == 0, r.stderr
    pkg, cmd = r.stdout.split()
    assert pkg == str(REPO / "python" / "oomph" / "__init__.py")
    assert cmd == str(REPO / "build" / "oomph")
    r = base.run([str(path / "bin" / "oomph"), "--version"])
    assert r.returncode == 0 and "oomph" in r.stdout, r.stderr
