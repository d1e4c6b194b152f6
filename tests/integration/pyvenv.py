"""Fresh virtual environments with oomph pip-installed from this checkout,
offline (`pip install --no-index`: no package index is reachable, and the
build must need none).  Made once per test session and shared by the test
files that need them (test_pypackage.py, test_pytest_plugin.py,
test_jupyter.py):

  debian_venv()  Debian's python3, --system-site-packages (pytest, numpy,
                 ipykernel and nbconvert come from Debian)
  pyenv_venv()   pyenv's CPython 3.12, nothing else installed (no setuptools)

Each is a Venv: .python, .bin(NAME), .run(argv, ...), .install (pip's output).
"""
import os
import subprocess
from pathlib import Path

import pytest

from conftest import DEBIAN_PYTHON, REPO, _find_pyenv_pythons, clean_env, fresh_dir

PIP_TIMEOUT = 600
_made = {}
_base = [None]


class Venv:
    def __init__(self, ident, path, base_python):
        self.id = ident
        self.path = Path(path)
        self.base_python = base_python
        self.python = str(self.path / "bin" / "python")
        self.install = None  # CompletedProcess of the pip install

    def bin(self, name):
        return str(self.path / "bin" / name)

    def env(self, extra=None, activated=False):
        """A clean environment; PATH without the venv unless `activated`."""
        env = clean_env(extra)
        env.pop("VIRTUAL_ENV", None)
        if activated:
            env["PATH"] = str(self.path / "bin") + os.pathsep + env.get("PATH", "")
            env["VIRTUAL_ENV"] = str(self.path)
        return env

    def run(self, argv, cwd=None, env=None, timeout=300, activated=False, **kw):
        return subprocess.run([str(a) for a in argv], cwd=str(cwd) if cwd else None,
                              env=self.env(env, activated), capture_output=True,
                              text=True, timeout=timeout, stdin=subprocess.DEVNULL, **kw)


def _base_dir():
    # Under the session's temporary directory (pytest keeps the last few).
    if _base[0] is None:
        _base[0] = fresh_dir("venvs-")
    return _base[0]


def _make(ident, base_python, system_site):
    if ident in _made:
        v = _made[ident]
        if isinstance(v, Exception):
            raise v
        return v
    path = Path(_base_dir()) / ident
    argv = [base_python, "-m", "venv"] + (["--system-site-packages"] if system_site else []) \
        + [str(path)]
    r = subprocess.run(argv, capture_output=True, text=True, timeout=PIP_TIMEOUT,
                       env=clean_env())
    if r.returncode != 0:
        err = AssertionError("%s failed (%d): %s" % (" ".join(argv), r.returncode,
                                                   r.stderr[-2000:]))
        _made[ident] = err
        raise err
    v = Venv(ident, path, base_python)
    # Offline: no index at all, no cache, and any attempt to reach a network
    # would go to a closed port.
    env = v.env({"PIP_NO_INDEX": "1", "PIP_NO_CACHE_DIR": "1",
                 "PIP_DISABLE_PIP_VERSION_CHECK": "1",
                 "http_proxy": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9"})
    v.install = subprocess.run([v.python, "-m", "pip", "install", "--no-index", str(REPO)],
                               capture_output=True, text=True, timeout=PIP_TIMEOUT, env=env)
    _made[ident] = v
    return v


def debian_venv():
    if not os.access(DEBIAN_PYTHON, os.X_OK):
        pytest.fail("%s is missing (run scripts/deps.sh)" % DEBIAN_PYTHON)
    return _make("debian", DEBIAN_PYTHON, system_site=True)


def pyenv_venv(minor=12):
    found = _find_pyenv_pythons().get((3, minor))
    if not found:
        pytest.skip("no pyenv CPython 3.%d on this machine" % minor)
    return _make("cpython3.%d" % minor, found[0], system_site=False)


def installed(venv):
    """The venv, after checking that pip installed oomph into it."""
    r = venv.install
    assert r.returncode == 0 and "Successfully installed oomph" in r.stdout, \
        "pip install --no-index %s into %s failed (%d):\n%s\n%s" % (
            REPO, venv.path, r.returncode, r.stdout[-3000:], r.stderr[-3000:])
    return venv


def control_api_exported():
    """build/liboomph.so exports the tracker's control API (phases, snapshots)."""
    r = subprocess.run(["nm", "-D", "--defined-only", str(REPO / "build" / "liboomph.so")],
                       capture_output=True, text=True)
    return r.returncode != 0 or "oomph_phase_begin" in r.stdout


def require_control_api():
    """Until the tracker exports the control API (issue 16 item 2), the tests
    that call it are skipped, with this reason."""
    if not control_api_exported():
        pytest.skip("build/liboomph.so does not export the control API yet")
