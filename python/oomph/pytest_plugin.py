"""oomph's pytest plugin (entry point `pytest11: oomph`); it does nothing unless asked.

  pytest --oomph [--oomph-output DIR] [--oomph-fail-over SIZE] [--oomph-top N]
      The session runs under the tracker: when pytest was not started by
      `oomph run`, it runs itself again as `oomph run -o DIR -- PYTHON -m pytest
      ARGS` (same arguments, same exit status).  Each test's call is a phase
      named by its node id; at the end a table shows the tests that needed the
      most memory (peak above what was live when the test began, and what it
      left live), with the report's path.  These markers are then enforced:
        @pytest.mark.limit_memory("24 MB")  the test's own peak must stay under
        @pytest.mark.limit_leaks("1 MB")    what it leaves live must stay under
      and --oomph-fail-over SIZE is a limit_memory for every test without one.

  @pytest.mark.oom_limit("200MiB")  (with or without --oomph)
      The test runs in a child process, `oomph run --limit SIZE -- python -m
      pytest NODEID`, in a private memory cgroup of that size, so the kernel's
      OOM killer acts as in production.  If the child is killed or meets
      MemoryError, the test fails with the verdict, its evidence and the lines
      live at the moment of death; the session goes on.  Where no cgroup can be
      made, oomph falls back to RLIMIT_DATA and the failure (and a warning)
      says so.
"""
import json
import os
import re
import subprocess
import sys
import time
import warnings

import pytest

from . import _control, _native, _report
from ._sizes import format_size, parse_size

ENV_SESSION = "OOMPH_PYTEST_SESSION"  # set by the re-running pytest: the report directory
ENV_CHILD = "OOMPH_PYTEST_CHILD"      # set for an oom_limit child: its result file
TRACKER_ENV = ("OOMPH_STATE_DIR", "OOMPH_SAMPLE_RATE", "OOMPH_ON_OOM",
               "OOMPH_OOM_THRESHOLD", ENV_SESSION)
DEATHS = ("oom-killed", "memory-error", "killed", "stopped-near-oom", "null-dereference",
          "signal")
TOP_LINES = 5


class OomphPytestWarning(pytest.PytestWarning):
    """Something oomph's pytest plugin could not do as asked."""


# ------------------------------------------------------------------ options, markers

def pytest_addoption(parser):
    g = parser.getgroup("oomph", "memory profiling and limits with oomph")
    g.addoption("--oomph", action="store_true", default=False,
                help="run the session under oomph's tracker: each test is a phase, the "
                     "tests that needed the most memory are listed at the end, and the "
                     "limit_memory and limit_leaks markers are enforced")
    g.addoption("--oomph-output", metavar="DIR", default=None,
                help="report directory of the session (default "
                     "oomph-report/pytest-<date>-<time>-<pid>/)")
    g.addoption("--oomph-fail-over", metavar="SIZE", default=None,
                help="with --oomph: fail every test whose own peak (above what was live "
                     "when it began) exceeds SIZE, e.g. 100MiB")
    g.addoption("--oomph-top", metavar="N", type=int, default=10,
                help="how many tests the table at the end shows (default 10)")


MARKERS = (
    "limit_memory(size): with --oomph, fail the test when its own peak memory (above "
    "what was live when it began) exceeds size, e.g. \"24 MB\"",
    "limit_leaks(size): with --oomph, fail the test when what it allocated and left "
    "live exceeds size",
    "oom_limit(size): run the test in a child process under a private memory cgroup of "
    "that size (oomph run --limit); fail it with the verdict if it is killed or meets "
    "MemoryError",
)


def pytest_configure(config):
    for m in MARKERS:
        config.addinivalue_line("markers", m)
    child = os.environ.get(ENV_CHILD)
    if child:
        config.pluginmanager.register(_ChildPlugin(child), "oomph-child")
        return
    config.pluginmanager.register(_OomLimitPlugin(config), "oomph-oom-limit")
    if config.getoption("oomph") and _control.active():
        fail_over = config.getoption("oomph_fail_over")
        try:
            fail_over = parse_size(fail_over, "--oomph-fail-over") if fail_over else None
        except ValueError as e:
            raise pytest.UsageError(str(e))
        config.pluginmanager.register(_SessionPlugin(config, fail_over), "oomph-session")


def _marker_value(item, name):
    m = item.get_closest_marker(name)
    if m is None:
        return None
    return m.args[0] if m.args else m.kwargs.get("size")


def _limit_text(value, nbytes):
    """`"50 MB" (47.7 MiB)`: the limit as written, and in the units of the report."""
    shown = format_size(nbytes)
    return shown if str(value) == shown else "%s (%s)" % (value, shown)


def _marker_size(item, name):
    value = _marker_value(item, name)
    if value is None:
        return None
    try:
        return parse_size(value, "@pytest.mark.%s" % name)
    except ValueError as e:
        raise pytest.UsageError("%s: %s" % (item.nodeid, e))


# ------------------------------------------------------------------ re-running under oomph

def _pytest_argv0():
    """How this pytest was started: [script] or ["-m", "pytest"]."""
    argv0 = sys.argv[0] if sys.argv else ""
    base = os.path.basename(argv0)
    if base == "__main__.py" and os.path.basename(os.path.dirname(argv0)) == "pytest":
        return ["-m", "pytest"]
    if base.startswith(("pytest", "py.test")) and os.path.isfile(argv0):
        return [argv0]
    return ["-m", "pytest"]


def _default_output(invocation_dir):
    name = time.strftime("pytest-%Y%m%d-%H%M%S-") + str(os.getpid())
    return os.path.join(invocation_dir, "oomph-report", name)


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config):
    if (not config.getoption("oomph") or os.environ.get(ENV_CHILD) or _control.active()
            or config.getoption("help", False) or config.getoption("version", False)
            or hasattr(config, "workerinput")):
        return None
    if os.environ.get(ENV_SESSION):
        raise pytest.UsageError(
            "--oomph: this pytest was started by `oomph run` but oomph's tracker is not "
            "active in it (was liboomph.so preloaded? see `oomph run --help`)")
    try:
        command = _native.command_path()
    except _native.NotBuiltError as e:
        raise pytest.UsageError(str(e))
    inv_dir = str(config.invocation_params.dir)
    out = config.getoption("oomph_output")
    out = os.path.abspath(os.path.join(inv_dir, out)) if out else _default_output(inv_dir)
    argv = [command, "run", "--quiet", "-o", out, "--", sys.executable] + _pytest_argv0() + \
        [str(a) for a in config.invocation_params.args]
    env = dict(os.environ)
    env[ENV_SESSION] = out
    capman = config.pluginmanager.getplugin("capturemanager")
    if capman is not None:
        capman.suspend_global_capture(in_=True)
    proc = subprocess.Popen(argv, cwd=inv_dir, env=env)
    while True:
        try:
            status = proc.wait()
            break
        except KeyboardInterrupt:
            continue  # Ctrl-C went to the whole process group: the session ends itself
    _after_session(out, status)
    return status


def _after_session(out, status):
    """After the re-run session: say how it ended when that was not an exit."""
    s = _report.load_summary(out)
    if s is None:
        sys.stderr.write("oomph: the session under oomph ended with status %d and left no "
                         "report in %s\n" % (status, out))
    elif s.get("verdict") != "exited":
        sys.stderr.write("oomph: the test session %s\n" % s.get("verdict_text", s.get("verdict")))
        for e in s.get("evidence") or []:
            sys.stderr.write("oomph:   %s\n" % e)
        sys.stderr.write("oomph: report: %s\n" % os.path.join(out, "index.html"))


def session_report_dir():
    """The report directory of the run this process belongs to, when known."""
    d = os.environ.get(ENV_SESSION)
    if d:
        return d
    state = os.environ.get("OOMPH_STATE_DIR")
    if state and os.path.basename(os.path.normpath(state)) == "state":
        return os.path.abspath(os.path.dirname(os.path.normpath(state)))
    return None


# ------------------------------------------------------------------ per-test phases

class _TestMemory:
    __slots__ = ("nodeid", "phase_id", "info", "tops")

    def __init__(self, nodeid, phase_id, info, tops):
        self.nodeid, self.phase_id, self.info, self.tops = nodeid, phase_id, info, tops


def pytest_collection_modifyitems(session, config, items):
    """Bad sizes in markers are usage errors, found before any test runs."""
    for item in items:
        for name in ("limit_memory", "limit_leaks", "oom_limit"):
            _marker_size(item, name)


class _SessionPlugin:
    """Active in a session under the tracker with --oomph."""

    def __init__(self, config, fail_over):
        self.config = config
        self.fail_over = fail_over
        self.tests = {}  # nodeid -> _TestMemory
        self.phases_off = None  # why phases stopped, if they did

    def _limits(self, item):
        """(limit on the test's own peak, its name, limit on what it leaves live)."""
        limit, what = _marker_size(item, "limit_memory"), "limit_memory"
        if limit is None and self.fail_over is not None:
            limit, what = self.fail_over, "--oomph-fail-over"
        return limit, what, _marker_size(item, "limit_leaks")

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_call(self, item):
        pid = None
        if self.phases_off is None:
            try:
                pid = _control.phase_begin(item.nodeid)
            except _control.OomphError as e:
                self.phases_off = str(e)
                warnings.warn(OomphPytestWarning(
                    "oomph: tests are no longer measured from %s on: %s" % (item.nodeid, e)))
        try:
            yield
        finally:
            if pid is not None:
                self._end(item, pid)

    def _end(self, item, pid):
        # The lines are read while the phase is still open: the tracker keeps the
        # pictures of closed phases only for the largest ones.
        limit, _, leaks = self._limits(item)
        tops = {}
        try:
            if limit is not None and _control.phase_info(pid).peak_above_start_bytes > limit:
                tops["peak"] = _control.phase_top(pid, "peak", TOP_LINES)
            if leaks is not None:
                tops["left_live"] = _control.phase_top(pid, "left_live", TOP_LINES)
        except _control.OomphError:
            pass
        try:
            _control.phase_end(pid)
            self.tests[item.nodeid] = _TestMemory(item.nodeid, pid, _control.phase_info(pid),
                                                  tops)
        except _control.OomphError as e:
            warnings.warn(OomphPytestWarning("oomph: %s: %s" % (item.nodeid, e)))

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        rep = outcome.get_result()
        if rep.when != "call" or not rep.passed:
            return
        t = self.tests.get(item.nodeid)
        if t is None:
            return
        limit, what, leaks = self._limits(item)
        problems = []
        if limit is not None and t.info.peak_above_start_bytes > limit:
            written = _marker_value(item, "limit_memory") if what == "limit_memory" else \
                self.config.getoption("oomph_fail_over")
            problems.append(self._explain(
                t, "peak", "%s %s: the test's peak was %s above what was live when it "
                "began" % (what, _limit_text(written, limit),
                           format_size(t.info.peak_above_start_bytes)),
                "lines that held it at the peak:"))
        if leaks is not None and t.info.left_live_bytes > leaks:
            problems.append(self._explain(
                t, "left_live", "limit_leaks %s: the test left %s live (allocated during "
                "it and not freed)" % (_limit_text(_marker_value(item, "limit_leaks"), leaks),
                                       format_size(t.info.left_live_bytes)),
                "lines that allocated what it left live:"))
        if problems:
            rep.outcome = "failed"
            rep.longrepr = "\n\n".join(problems)

    def _explain(self, t, which, headline, title):
        top = t.tops.get(which)
        if top is None:
            try:
                top = _control.phase_top(t.phase_id, which, TOP_LINES)
            except _control.OomphError as e:
                return "%s\n(its lines are unknown: %s)" % (headline, e)
        lines = [(x.bytes, x.file, x.line, x.function) for x in top]
        body = _report.describe_lines(lines, str(self.config.rootpath))
        return "%s\n%s\n%s" % (headline, title, "\n".join(body) or "  (none recorded)")

    def pytest_terminal_summary(self, terminalreporter):
        tr = terminalreporter
        tr.write_sep("=", "oomph: memory per test")
        n = max(self.config.getoption("oomph_top"), 0)
        ranked = sorted(self.tests.values(), key=lambda t: -t.info.peak_above_start_bytes)
        if not ranked:
            tr.write_line("no test was measured" + (": " + self.phases_off if self.phases_off
                                                    else ""))
        else:
            tr.write_line("%12s  %12s  %s" % ("peak", "left live", "test"))
            for t in ranked[:n]:
                tr.write_line("%12s  %12s  %s" % (format_size(t.info.peak_above_start_bytes),
                                                  format_size(t.info.left_live_bytes), t.nodeid))
            if len(ranked) > n:
                tr.write_line("(%d more tests; --oomph-top N shows more)" % (len(ranked) - n))
            tr.write_line("peak: the test's own peak above what was live when it began; "
                          "left live: allocated by the test and not freed (sampled)")
        d = session_report_dir()
        if d:
            tr.write_line("report: %s (written when the session ends)"
                          % os.path.join(d, "index.html"))


# ------------------------------------------------------------------ oom_limit

def _child_env(result_path):
    """This environment without the outer run's tracker, for a nested oomph run."""
    env = dict(os.environ)
    for k in TRACKER_ENV:
        env.pop(k, None)
    pre = [p for p in re.split(r"[: ]+", env.get("LD_PRELOAD", ""))
           if p and os.path.basename(p) != "liboomph.so"]
    if pre:
        env["LD_PRELOAD"] = " ".join(pre)
    else:
        env.pop("LD_PRELOAD", None)
    env[ENV_CHILD] = result_path
    return env


def _safe_name(s):
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", s)[:80].strip("_") or "test"


class _OomLimitPlugin:
    def __init__(self, config):
        self.config = config
        self.count = 0
        self.base = None

    def _out_dir(self, item):
        if self.base is None:
            run = session_report_dir()
            if run:
                self.base = os.path.join(run, "oom_limit")
            else:
                self.base = os.path.join(str(self.config.invocation_params.dir), "oomph-report",
                                         time.strftime("oom_limit-%Y%m%d-%H%M%S-")
                                         + str(os.getpid()))
        self.count += 1
        return os.path.join(self.base, "%03d-%s" % (self.count, _safe_name(item.name)))

    @pytest.hookimpl(tryfirst=True)
    def pytest_pyfunc_call(self, pyfuncitem):
        limit = _marker_size(pyfuncitem, "oom_limit")
        if limit is None:
            return None
        try:
            command = _native.command_path()
        except _native.NotBuiltError as e:
            pytest.fail("oom_limit: %s" % e, pytrace=False)
        out = self._out_dir(pyfuncitem)
        os.makedirs(os.path.dirname(out), exist_ok=True)
        result_path = out + ".results"
        rootdir = str(self.config.rootpath)
        argv = [command, "run", "--quiet", "--limit", str(limit), "-o", out, "--",
                sys.executable, "-m", "pytest", pyfuncitem.nodeid, "-q", "--no-header",
                "-p", "no:cacheprovider", "--rootdir", rootdir]
        inipath = getattr(self.config, "inipath", None)
        if inipath:
            argv += ["-c", str(inipath)]
        log_path = out + ".log"
        with open(log_path, "wb") as log:
            status = subprocess.call(argv, cwd=rootdir, env=_child_env(result_path),
                                     stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        results = _read_results(result_path)
        summary = _report.load_summary(out)
        _judge(limit, _marker_value(pyfuncitem, "oom_limit"), status, summary, results, out,
               log_path, rootdir)
        return True


def _read_results(path):
    out = []
    try:
        with open(path, encoding="utf-8") as f:
            for line in f:
                try:
                    out.append(json.loads(line))
                except ValueError:
                    pass
    except OSError:
        pass
    return out


def _log_tail(path, n=15):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return "".join(f.readlines()[-n:])
    except OSError:
        return ""


def _judge(limit, written, status, summary, results, out, log_path, rootdir):
    """Pass, skip or fail the parent's test from what the child left."""
    header = "oom_limit %s:" % _limit_text(written, limit)
    if summary is None:
        pytest.fail("%s oomph run ended with status %d and wrote no report in %s:\n%s"
                    % (header, status, out, _log_tail(log_path)), pytrace=False)
    fallback = summary.get("limit_mode") == "rlimit-data"
    if fallback:
        warnings.warn(OomphPytestWarning(
            "oom_limit: no memory cgroup could be made here, so the limit was RLIMIT_DATA: "
            "the test meets MemoryError (a failed allocation) instead of the OOM killer"))
    verdict = summary.get("verdict")
    if verdict in DEATHS:
        text = ["%s the test %s" % (header, summary.get("verdict_text", verdict)),
                "verdict: %s" % verdict]
        for e in summary.get("evidence") or []:
            text.append("  evidence: %s" % e)
        if summary.get("limit_bytes") and not summary.get("evidence"):
            text.append("limit in force: %s" % format_size(summary["limit_bytes"]))
        if fallback:
            text.append("no memory cgroup could be made here: oomph used RLIMIT_DATA, "
                        "so the death is a failed allocation, not the OOM killer")
        death = summary.get("death") or {}
        stacks, total, moment = None, None, "at its peak"
        folded = death.get("folded")
        if folded and os.path.exists(os.path.join(out, folded)):
            stacks = _report.read_folded(os.path.join(out, folded))
            total, moment = death.get("bytes"), "at the moment of death"
        elif os.path.exists(os.path.join(out, "peak.folded")):
            stacks = _report.read_folded(os.path.join(out, "peak.folded"))
            total = summary.get("peak_tracked_bytes")
        if stacks:
            text.append("lines live %s (%s in all):" % (moment, format_size(total)))
            text.extend(_report.describe_own_lines(stacks, rootdir, TOP_LINES))
        failed = [r for r in results if r.get("outcome") == "failed" and r.get("longrepr")]
        if failed:
            text.append("the test's own error:\n" + _last_lines(failed[-1]["longrepr"], 12))
        text.append("report: %s" % os.path.join(out, "index.html"))
        pytest.fail("\n".join(text), pytrace=False)
    by_when = {r.get("when"): r for r in results}
    for when in ("setup", "call", "teardown"):
        r = by_when.get(when)
        if r and r.get("outcome") == "failed":
            pytest.fail("%s the test failed (%s) in its child process under the limit:\n%s"
                        % (header, when, r.get("longrepr", "")), pytrace=False)
        if r and r.get("outcome") == "skipped":
            pytest.skip(r.get("skip_reason") or "skipped in the child process")
    if "call" not in by_when:
        pytest.fail("%s the child process ran no test (oomph run exited with status %d):\n%s"
                    % (header, status, _log_tail(log_path)), pytrace=False)


def _last_lines(text, n):
    lines = text.rstrip().splitlines()
    return "\n".join(lines[-n:])


class _ChildPlugin:
    """In the child process of an oom_limit test: record each report."""

    def __init__(self, path):
        self.path = path

    def pytest_runtest_logreport(self, report):
        rec = {"nodeid": report.nodeid, "when": report.when, "outcome": report.outcome}
        if report.failed:
            rec["longrepr"] = str(report.longrepr)
        elif report.skipped:
            lr = report.longrepr
            rec["skip_reason"] = lr[2] if isinstance(lr, tuple) and len(lr) == 3 else str(lr)
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(json.dumps(rec) + "\n")
