"""Jupyter (issue 16): `oomph jupyter install` registers the kernel "Python 3
(oomph)" (the venv's Python under the oomph command); a real notebook executed
by `jupyter nbconvert --execute` on it: the %%oomph cell that allocates 100 MiB
reports 100 MiB at the cell's own line (numbered as in the cell), with inline
HTML and the flame graph.  In a kernel not run by oomph, %load_ext oomph says
how to switch.  Debian's ipykernel and nbconvert, seen from the venv.
"""
import json
import os
import shutil

import pytest

from conftest import MiB, assert_within, fresh_dir, require_oomph
from pyvenv import debian_venv, installed, require_control_api

CELL = """%%oomph
MiB = 1 << 20
data = b"x" * (100 * MiB)
len(data)"""
CELL_LINE = 3  # the allocation, counting the %%oomph line as line 1
MIME = "application/vnd.oomph.cell+json"


def _jupyter_env(base):
    return {"JUPYTER_DATA_DIR": str(base / "data"), "JUPYTER_CONFIG_DIR": str(base / "config"),
            "JUPYTER_RUNTIME_DIR": str(base / "runtime"), "IPYTHONDIR": str(base / "ipython")}


def _venv():
    require_oomph()
    venv = installed(debian_venv())
    r = venv.run([venv.python, "-c", "import ipykernel, nbconvert"])
    if r.returncode != 0:
        pytest.fail("Debian's python3-ipykernel and python3-nbconvert are needed "
                    "(run scripts/deps.sh): " + r.stderr[-300:])
    return venv


@pytest.fixture(scope="module")
def kernel():
    venv = _venv()
    base = fresh_dir("jupyter-")
    env = _jupyter_env(base)
    r = venv.run([venv.bin("oomph"), "jupyter", "install"], env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    return venv, base, env


def test_kernel_install(kernel):
    venv, base, env = kernel
    with open(base / "data" / "kernels" / "oomph" / "kernel.json") as f:
        spec = json.load(f)
    assert spec["display_name"] == "Python 3 (oomph)"
    argv = spec["argv"]
    r = venv.run([venv.python, "-c", "import oomph._native as n; print(n.command_path())"])
    assert argv[0] == r.stdout.strip() and os.access(argv[0], os.X_OK), argv
    assert argv[1] == "run"
    assert argv[argv.index("--python") + 1] == venv.python
    assert argv[-4:] == ["-m", "ipykernel_launcher", "-f", "{connection_file}"], argv


def _notebook(cells):
    return {"nbformat": 4, "nbformat_minor": 5, "metadata": {
        "kernelspec": {"name": "oomph", "display_name": "Python 3 (oomph)", "language": "python"}},
        "cells": [{"cell_type": "code", "id": "c%d" % i, "metadata": {}, "execution_count": None,
                   "outputs": [], "source": src} for i, src in enumerate(cells)]}


def test_notebook_cell_magic(kernel):
    require_control_api()
    venv, base, env = kernel
    cwd = fresh_dir("notebook-")
    with open(cwd / "nb.ipynb", "w") as f:
        json.dump(_notebook(["%load_ext oomph", CELL]), f)
    jupyter = shutil.which("jupyter")
    if jupyter is None:
        pytest.fail("`jupyter` is missing (jupyter-core, jupyter-nbconvert: scripts/deps.sh)")
    # Debian's own `jupyter nbconvert`: the kernel is found in JUPYTER_DATA_DIR,
    # and runs the venv's Python under oomph.
    r = venv.run([jupyter, "nbconvert", "--to", "notebook", "--execute",
                  "--ExecutePreprocessor.kernel_name=oomph", "--ExecutePreprocessor.timeout=300",
                  "--output", "out.ipynb", "nb.ipynb"], cwd=cwd, env=env, timeout=600)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-4000:]
    with open(cwd / "out.ipynb") as f:
        nb = json.load(f)
    outputs = nb["cells"][1]["outputs"]
    data = [o["data"] for o in outputs if o.get("output_type") == "display_data"
            and MIME in o.get("data", {})]
    assert data, json.dumps(outputs, indent=1)[:3000]
    rep = data[0][MIME]
    assert_within(rep["peak_above_start_bytes"], 100 * MiB, rel=0.02, what="the cell's peak")
    at_line = [t for t in rep["top"] if t["cell_line"] == CELL_LINE]
    assert at_line, rep["top"]
    assert_within(at_line[0]["bytes"], 100 * MiB, rel=0.02, what="cell line %d" % CELL_LINE)
    assert at_line[0]["source"] == 'data = b"x" * (100 * MiB)'
    html = data[0]["text/html"]
    html = "".join(html) if isinstance(html, list) else html  # nbformat splits lines
    assert "cell line %d" % CELL_LINE in html and "100.0 MiB" in html
    assert "<iframe" in html and "&lt;svg" in html, "the flame graph is inline"
    assert "http://" not in html.replace("http://www.w3.org/", ""), "self-contained"
    results = [o for o in outputs if o.get("output_type") == "execute_result"]
    assert results and "".join(results[0]["data"]["text/plain"]) == str(100 * MiB)


def test_load_ext_elsewhere_says_how_to_switch():
    venv = _venv()
    base = fresh_dir("ipython-")
    r = venv.run([venv.python, "-m", "IPython", "--no-banner", "-c", "%load_ext oomph"],
                 env=_jupyter_env(base))
    assert r.returncode == 0, r.stderr
    assert "oomph jupyter install" in r.stdout and "Python 3 (oomph)" in r.stdout, r.stdout
