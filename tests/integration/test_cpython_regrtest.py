"""CPython's own regression tests pass under `oomph run --exact` exactly as
they do without it: same exit status, and test case by test case the same
outcome (pass, fail, error, skip), read from regrtest's JUnit XML.

The selection covers what a preloaded allocator hook can break: threads,
signals, subprocesses (each a profiled Python), mmap, gc, multiprocessing's
start methods.  Both runs go at once (the tests mostly wait) with -j4; the
slowest modules are shared out between interpreters to keep the suite short.
Only interpreters that ship the full `test` package take part (pyenv's and
the sid root's do; Debian's python3 does not without libpython3-testsuite).
"""
import os
import shutil
import subprocess
import xml.etree.ElementTree as ET

import pytest

from conftest import OOMPH, clean_env, fresh_dir, require_oomph

# Run on every interpreter: threads, mmap, gc (about 20 s of tests).
CORE = ["test_mmap", "test_gc", "test_thread", "test_threading_local", "test_threadsignals",
        "test_threading"]
# The slow ones (20-50 s each, mostly waiting) run on one interpreter each,
# to keep the suite inside its budget (docs/testing.md);
# OOMPH_REGRTEST_FULL=1 runs all of them everywhere.
# test_subprocess stays off 3.9, whose subprocess forks (not vfork) before
# exec: some 2,700 profiled processes, a report of about 11 GB that takes a
# minute to render (3.9's fork-then-exec is covered by
# test_multiprocessing_main_handling's spawn tests there).
HEAVY = {
    9: ["test_multiprocessing_main_handling"],
    10: [],
    11: [],
    12: ["test_subprocess"],
    13: ["test_signal"],
    # the sid root's (libpython3.x-testsuite): the core only
    14: [],
    15: [],
}
ALL_HEAVY = ["test_signal", "test_subprocess", "test_multiprocessing_main_handling"]
# Slow without telling anything about a profiler: 30 s of waiting on 3.9.
IGNORE = ["*test_siginterrupt_off"]
TIMEOUT = 900


def has_test_package(interp):
    r = subprocess.run(interp.command([interp.path, "-c",
                                       "import test.libregrtest, test.test_mmap, test.test_signal"],
                                      "/"), capture_output=True)
    return r.returncode == 0


def regrtest_argv(py, xml, tests, match=()):
    argv = [py, "-m", "test", "-j4", "--timeout", "300", "--junit-xml", str(xml)]
    for pat in IGNORE:
        argv += ["-i", pat]
    for pat in match:
        argv += ["-m", pat]
    return argv + list(tests)


def start(interp, workdir, profiled, tests, match=()):
    workdir.mkdir(parents=True, exist_ok=True)
    py = interp.path
    argv = regrtest_argv(py, workdir / "junit.xml", tests, match)
    if profiled:
        argv = [str(OOMPH), "run", "--exact", "--quiet", "--python", py,
                "-o", str(workdir / "report"), "--"] + argv
    log = open(workdir / "log.txt", "wb")
    p = subprocess.Popen(interp.command(argv, workdir), cwd=str(workdir), env=clean_env(),
                         stdin=subprocess.DEVNULL,
                         stdout=log, stderr=subprocess.STDOUT)
    p.log = log
    p.workdir = workdir
    return p


def finish(p):
    try:
        p.wait(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        raise AssertionError("regrtest did not finish in %ds: %s" % (TIMEOUT, p.workdir))
    finally:
        p.log.close()
    return p.returncode


def outcomes(workdir):
    """{test id: "pass" | "fail" | "error" | "skip"} from the JUnit file."""
    xml = workdir / "junit.xml"
    assert xml.exists(), "no JUnit XML; log tail:\n" + tail(workdir)
    result = {}
    for case in ET.parse(str(xml)).iter("testcase"):
        kinds = [child.tag for child in case]
        name = case.get("name")
        if "failure" in kinds:
            result[name] = "fail"
        elif "error" in kinds:
            result[name] = "error"
        elif "skipped" in kinds:
            result[name] = "skip"
        else:
            result[name] = "pass"
    return result


def tail(workdir, n=40):
    try:
        with open(workdir / "log.txt", "rb") as f:
            return "\n".join(f.read().decode(errors="replace").splitlines()[-n:])
    except OSError:
        return ""


def differences(a, b):
    return sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))


def selection(version):
    minor = int(version.split(".")[1])
    if os.environ.get("OOMPH_REGRTEST_FULL"):
        return CORE + ALL_HEAVY
    return CORE + HEAVY.get(minor, ALL_HEAVY)


def test_regrtest_selection_passes_the_same_under_oomph_exact(python):
    require_oomph()
    if not has_test_package(python):
        pytest.skip("%s has no full `test` package" % python)
    tests = selection(python.version)
    base = fresh_dir("regrtest-")
    plain = start(python, base / "plain", False, tests)
    prof = start(python, base / "profiled", True, tests)
    plain_rc, prof_rc = finish(plain), finish(prof)
    want, got = outcomes(base / "plain"), outcomes(base / "profiled")
    assert len(want) > 300, "only %d test cases ran\n%s" % (len(want), tail(base / "plain"))
    diff = differences(want, got)
    if diff:
        # Timing-sensitive tests can flake on a busy machine: run what
        # differed once more, both ways, before calling it a difference.
        modules = sorted({d.split(".")[1] for d in diff})
        plain2 = start(python, base / "plain-again", False, modules, diff)
        prof2 = start(python, base / "profiled-again", True, modules, diff)
        finish(plain2), finish(prof2)
        want2, got2 = outcomes(base / "plain-again"), outcomes(base / "profiled-again")
        still = [d for d in differences(want2, got2) if d in diff]
        assert not still, (
            "under oomph --exact these tests end differently (plain -> profiled):\n  %s\n"
            "profiled log tail:\n%s" % (
                "\n  ".join("%s: %s -> %s" % (d, want2.get(d), got2.get(d)) for d in still),
                tail(base / "profiled-again")))
    # oomph exits with the command's status (regrtest: 0 all passed, 2 failures).
    assert prof_rc == plain_rc, "regrtest exited %d, under oomph %d\nprofiled log tail:\n%s" % (
        plain_rc, prof_rc, tail(base / "profiled", 8))
    # The report of the run is there (the profiled command was a real run).
    assert os.path.exists(base / "profiled" / "report" / "summary.json"), tail(base / "profiled")
    # Thousands of processes (each subprocess test starts some): do not keep
    # their reports once the run passed.
    for d in ("profiled", "profiled-again"):
        shutil.rmtree(base / d / "report", ignore_errors=True)
