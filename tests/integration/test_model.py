"""oomph model (issue 13): real programs whose laws are known, run at a few
small sizes; the predicted peak at a size 10-50x past the largest run is
checked against a real `oomph run` at that size, the top line and its law
against the program, and --limit's largest n by runs at 0.9x and 1.1x of it.
Bad input: each mistake has its own message and exit status."""
import json
import os
import subprocess

import pytest

from conftest import (DEBIAN_PYTHON, MiB, OOMPH, clean_env, fresh_dir, line_of, place_program,
                      require_oomph, run_oomph)

TIMEOUT = 600


def run_model(program, sizes, args=("{n}",), extra=(), cwd=None):
    """`oomph model --python PY --sizes ... -o DIR [extra] program args`:
    (status, stderr text, model.json or None, DIR, cwd)."""
    require_oomph()
    cwd = cwd or fresh_dir("model-")
    place_program(program, cwd)
    out = cwd / "model"
    argv = [str(OOMPH), "model", "--python", DEBIAN_PYTHON, "--sizes",
            ",".join(str(s) for s in sizes), "-o", str(out)] + list(extra) + [program] + list(args)
    p = subprocess.run(argv, cwd=str(cwd), env=clean_env(), stdin=subprocess.DEVNULL,
                       capture_output=True, timeout=TIMEOUT)
    path = out / "model.json"
    model = json.loads(path.read_text()) if path.exists() else None
    return p.returncode, p.stderr.decode("utf-8", "replace"), model, out, cwd


def real_peak(program, n, cwd):
    res = run_oomph(program, args=[n], python=DEBIAN_PYTHON, cwd=cwd, out_dir=cwd / ("real-%d" % n))
    assert res.status == 0, res.describe()
    return res.summary["peak_tracked_bytes"]


def top_line(model):
    return next(l for l in model["lines"] if not l["file"].startswith("["))


def check_model(program, sizes, predict, marker, law, exponent, tol, limit=None):
    extra = ["--predict", str(predict)] + (["--limit", limit] if limit else [])
    status, err, model, out, cwd = run_model(program, sizes, extra=extra)
    assert status == 0, err
    assert model is not None, err
    assert [r["n"] for r in model["runs"]] == sizes
    for r in model["runs"]:
        assert os.path.exists(os.path.join(r["dir"], "index.html")), r
        assert r["peak_tracked_bytes"] > 0
    assert model["predict_n"] == predict
    pred = model["predicted_peak_bytes"]
    assert model["predicted_peak_low_bytes"] <= pred <= model["predicted_peak_high_bytes"]
    truth = real_peak(program, predict, cwd)
    assert abs(pred - truth) <= tol * truth, "predicted %.1f MiB, real %.1f MiB at n=%d\n%s" % (
        pred / MiB, truth / MiB, predict, err)
    top = top_line(model)
    assert (top["file"], top["line"]) == (program, line_of(program, marker)), (top, err)
    assert top["law"] == law, (top, err)
    assert abs(top["exponent"] - exponent) <= 0.1, top
    # the terminal says the same, in words
    assert "predicted peak at n=%d:" % predict in err, err
    assert "%s:%d" % (program, line_of(program, marker)) in err, err
    assert (out / "index.html").exists() and (out / "predicted.svg").exists()
    html = (out / "index.html").read_text()
    assert "Memory against n" in html and "<polyline" in html and "Predicted flame graph" in html
    return model, cwd


def check_limit(program, model, cwd):
    assert model["limit_bytes"] > 0
    n = model["max_n_within_limit"]
    assert n and n > 0, model
    below, above = int(0.9 * n), int(1.1 * n)
    assert real_peak(program, below, cwd) <= model["limit_bytes"]
    assert real_peak(program, above, cwd) > model["limit_bytes"]


def test_a_linear_program_is_predicted_12x_past_its_runs():
    # (sizes large enough that the list's pymalloc arenas, 1 MiB each, are
    # many: at 5000 tuples one arena more or less is 20% of the line)
    model, cwd = check_model("model_linear.py", [16000, 40000, 80000, 160000], 2000000,
                             "TUPLES", "linear", 1.0, 0.15, limit="100MiB")
    lines = {(l["file"], l["line"]): l for l in model["lines"]}
    arr = lines[("model_linear.py", line_of("model_linear.py", "ARRAY"))]
    assert arr["law"] == "linear" and abs(arr["bytes_at_predict"] - 128e6) < 0.05 * 128e6, arr
    assert model["fits_limit"] is False
    check_limit("model_linear.py", model, cwd)


def test_a_quadratic_matrix_beside_a_larger_table_is_found():
    model, cwd = check_model("model_quadratic.py", [80, 160, 320, 800], 8000,
                             "MATRIX", "quadratic", 2.0, 0.15, limit="150MiB")
    lines = {(l["file"], l["line"]): l for l in model["lines"]}
    table = lines[("model_quadratic.py", line_of("model_quadratic.py", "TABLE"))]
    # the table held more than the matrix in every run but the last
    assert table["measured_bytes"][0] > 4 * 80 * 80 * 5
    assert table["law"] == "linear", table
    check_limit("model_quadratic.py", model, cwd)


def test_memory_that_does_not_depend_on_n_is_constant():
    status, err, model, out, cwd = run_model("model_constant.py", [1000, 3000, 10000, 30000],
                                             extra=["--predict", "1000000"])
    assert status == 0, err
    truth = real_peak("model_constant.py", 1000000, cwd)
    pred = model["predicted_peak_bytes"]
    assert abs(pred - truth) <= 0.10 * truth, (pred, truth)
    top = top_line(model)
    assert (top["line"], top["law"]) == (line_of("model_constant.py", "FIXED"), "constant"), top
    assert top["exponent"] == 0
    assert "is constant" in err


def test_fewer_than_three_sizes_is_refused():
    status, err, model, _, _ = run_model("model_linear.py", [1000, 2000])
    assert status == 80 and model is None, err
    assert "a model needs at least 3 sizes, got 2" in err


def test_a_size_that_is_not_a_number_is_refused():
    status, err, _, _, _ = run_model("model_linear.py", ["1000", "2k", "4000"])
    assert status == 81, err
    assert "bad --sizes: '2k' is not a number" in err


def test_no_n_and_the_same_memory_everywhere_says_to_read_OOMPH_N():
    status, err, model, _, _ = run_model("model_linear.py", [1000, 3000, 10000], args=("5000",))
    assert status == 82, err
    assert "the program must read the size from its environment (OOMPH_N)" in err
    assert "every run needed the same memory" in err


def test_a_failing_run_is_named_and_its_report_kept():
    status, err, model, out, _ = run_model("model_fail.py", [100, 200, 400, 800])
    assert status == 83, err
    assert "the run at n=400 failed: the program exited with status 3" in err
    assert (out / "runs" / "400" / "index.html").exists()
    assert not (out / "runs" / "800").exists()


def test_memory_that_falls_with_n_is_noise():
    status, err, _, _, _ = run_model("model_shrinks.py", [100, 300, 1000])
    assert status == 84, err
    assert "the peaks do not grow with n" in err


def test_two_phases_that_never_overlap_the_later_quadratic_one_dominating_past_the_runs():
    # At every sampled size the linear phase holds the peak; the quadratic
    # phase after it is found as a phase of its own (from the tracker's
    # record of the total and what each stack held then) and holds the
    # prediction, 10x past the largest run.
    model, cwd = check_model("model_two_phases.py", [1000, 2000, 4000, 8000], 80000,
                             "QUADRATIC", "quadratic", 2.0, 0.15, limit="200MiB")
    assert len(model["phases"]) == 2, model["phases"]
    first, second = model["phases"]
    assert not first["holds_the_peak"] and second["holds_the_peak"], model["phases"]
    # the linear phase is the larger one in every run, the quadratic one past them
    assert all(a > b for a, b in zip(first["measured_bytes"], second["measured_bytes"])), model["phases"]
    assert second["bytes_at_predict"] > 5 * first["bytes_at_predict"], model["phases"]
    lines = {(l["file"], l["line"]): l for l in model["lines"]}
    assert ("model_two_phases.py", line_of("model_two_phases.py", "LINEAR")) not in lines or \
        lines[("model_two_phases.py", line_of("model_two_phases.py", "LINEAR"))]["bytes_at_predict"] == 0
    # the limit is reached by the quadratic phase, past the runs
    assert model["fits_limit"] is False
    check_limit("model_two_phases.py", model, cwd)
