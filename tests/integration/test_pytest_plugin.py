"""The pytest plugin (issue 16): a real test suite (programs/pytest_suite.py,
copied as test_memory.py) run by Debian's pytest from a venv where oomph was
pip-installed.  `pytest --oomph` runs itself again under `oomph run`; each test
is a phase; the table at the end and summary.json's phases give each test's own
peak; limit_memory, limit_leaks and --oomph-fail-over fail the tests over their
limits naming the lines; oom_limit runs a test in a 200 MiB memory cgroup where
the kernel's OOM killer ends it, and the session goes on.
"""
import json
import re

import pytest

from conftest import MiB, assert_within, fresh_dir, line_of, place_program, require_oomph
from pyvenv import debian_venv, installed, require_control_api

SUITE = "pytest_suite.py"
TESTFILE = "test_memory.py"
UNITS = {"B": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30}


def _size(text):
    n, unit = text.split()
    return float(n) * UNITS[unit]


def _run_suite(*args):
    require_oomph()
    venv = installed(debian_venv())
    cwd = fresh_dir("suite-")
    place_program(SUITE, cwd, TESTFILE)
    # Its own rootdir: no conftest.py or ini file above it is read.
    (cwd / "pytest.ini").write_text("[pytest]\n")
    r = venv.run([venv.python, "-m", "pytest", "-p", "no:cacheprovider", "-rfp"] + list(args)
                 + [TESTFILE], cwd=cwd, timeout=600)
    return r, cwd


def _table(stdout):
    """{nodeid: (peak, left live)} from the table `pytest --oomph` prints."""
    rows, inside = {}, False
    for line in stdout.splitlines():
        if "oomph: memory per test" in line:
            inside = True
            continue
        if inside:
            m = re.match(r"^\s*([\d.]+ [KMG]?i?B)\s+([\d.]+ [KMG]?i?B)\s+(\S+::\S+)$", line)
            if m:
                rows[m.group(3)] = (_size(m.group(1)), _size(m.group(2)))
            elif line.startswith("="):
                break
    return rows


def _line_size(text, marker):
    """Bytes shown for the suite's @marker line in a failure's text (or None)."""
    line = "%s:%d" % (TESTFILE, line_of(SUITE, marker))
    m = re.search(r"^\s*([\d.]+ \wiB)\s+%s " % re.escape(line), text, re.M)
    return _size(m.group(1)) if m else None


def _failure(stdout, test):
    """The text of one test's failure section."""
    m = re.search(r"_{3,} %s _{3,}\n(.*?)(?=\n_{3,} |\n={3,} )" % re.escape(test), stdout, re.S)
    assert m, "no failure section for %s in:\n%s" % (test, stdout[-4000:])
    return m.group(1)


@pytest.fixture(scope="module")
def oomph_session():
    require_oomph()
    require_control_api()
    r, cwd = _run_suite("--oomph", "--oomph-output", "report")
    return r, cwd


def test_session_exit_status_and_outcomes(oomph_session):
    r, cwd = oomph_session
    out = r.stdout
    assert r.returncode == 1, "pytest's status for failed tests\n" + out[-3000:] + r.stderr
    for t in ("test_big_limited", "test_leaks", "test_grows_without_bound"):
        assert re.search(r"^FAILED %s::%s" % (TESTFILE, t), out, re.M), out[-3000:]
    assert re.search(r"^3 failed, 5 passed", out.splitlines()[-1]) or \
        "3 failed, 5 passed" in out.splitlines()[-1], out[-2000:]


def test_table_and_summary_phases(oomph_session):
    r, cwd = oomph_session
    rows = _table(r.stdout)
    big = "%s::test_big" % TESTFILE
    assert big in rows, r.stdout[-3000:]
    assert_within(rows[big][0], 100 * MiB, rel=0.02, what="test_big in the table")
    # the tests that needed most memory come first
    peaks = [v[0] for v in rows.values()]
    assert peaks == sorted(peaks, reverse=True)
    assert "report: %s" % (cwd / "report" / "index.html") in r.stdout
    with open(cwd / "report" / "summary.json") as f:
        s = json.load(f)
    phases = {p["name"]: p for p in s.get("phases", [])}
    assert big in phases, sorted(phases)
    assert_within(phases[big]["peak_above_start_bytes"], 100 * MiB, rel=0.02,
                  what="test_big in summary.json's phases")
    leaks = phases["%s::test_leaks" % TESTFILE]
    assert_within(leaks["left_live_bytes"], 20 * MiB, rel=0.02, what="test_leaks left live")


def test_limit_memory_names_the_line(oomph_session):
    r, cwd = oomph_session
    text = _failure(r.stdout, "test_big_limited")
    assert "limit_memory" in text and "47.7 MiB" in text, text  # 50 MB
    held = _line_size(text, "limited")
    assert held is not None, "the line holding the memory is not named:\n" + text
    assert_within(held, 100 * MiB, rel=0.02, what="the @limited line")
    # the test within its own limit passed
    assert not re.search(r"^FAILED .*test_big_within_its_limit", r.stdout, re.M)


def test_limit_leaks_catches_a_module_level_list(oomph_session):
    r, cwd = oomph_session
    text = _failure(r.stdout, "test_leaks")
    assert "limit_leaks" in text, text
    leaked = _line_size(text, "leak")
    assert leaked is not None, "the leaking line is not named:\n" + text
    assert_within(leaked, 20 * MiB, rel=0.02, what="the @leak line")


def test_oom_limit_kills_and_the_session_goes_on(oomph_session):
    r, cwd = oomph_session
    text = _failure(r.stdout, "test_grows_without_bound")
    assert "oom-killed" in text, text
    grew = _line_size(text, "grow")
    assert grew is not None, "the growing line is not named:\n" + text
    assert grew > 100 * MiB, text
    # the tests after it ran, and passed
    for t in ("test_after_1", "test_after_2"):
        assert re.search(r"^PASSED %s::%s$" % (TESTFILE, t), r.stdout, re.M), r.stdout[-2000:]
    assert "%s::test_after_2" % TESTFILE in _table(r.stdout)
    assert list((cwd / "report" / "oom_limit").glob("*/summary.json")), \
        "the child's report is kept under the session's report"


def test_without_oomph_only_oom_limit_acts():
    """The plugin is inactive unless asked: no re-run, no table, limit_memory and
    limit_leaks ignored; an oom_limit marker still runs its test under the limit."""
    r, cwd = _run_suite("-k", "limited or leaks or grows or after")
    assert r.returncode == 1, r.stdout[-3000:] + r.stderr
    assert "oomph: memory per test" not in r.stdout
    assert "1 failed, 4 passed" in r.stdout.splitlines()[-1], r.stdout[-2000:]
    assert "oom-killed" in _failure(r.stdout, "test_grows_without_bound")


def test_fail_over_applies_to_every_test():
    require_oomph()
    require_control_api()
    r, cwd = _run_suite("--oomph", "--oomph-fail-over", "60MiB", "-k", "big")
    assert r.returncode == 1, r.stdout[-3000:] + r.stderr
    failed = set(re.findall(r"^FAILED %s::(\w+)" % TESTFILE, r.stdout, re.M))
    # test_big_within_its_limit has its own, larger limit_memory: it wins
    assert failed == {"test_big", "test_big_limited"}, r.stdout[-3000:]
    assert "--oomph-fail-over 60MiB (60.0 MiB)" in _failure(r.stdout, "test_big")
