"""The uncaught exception that ended a Python process, by name, in the
verdict, its own ending and summary.json (docs/deaths.md, "the exception"),
with real programs on every CPython of the suite: only an exception that
reached the interpreter's top level is named; sys.exit(), a normal exit,
an exception caught, and one raised by the program's own atexit handler
are not."""
import html
import json

import pytest

from conftest import run_oomph


def test_an_uncaught_exception_is_the_ending(python):
    res = run_oomph("exc_ending.py", args=["raise"], python=python)
    assert res.status == 1, res.describe()
    s = res.summary
    assert s["exit_code"] == 1 and s["verdict"] == "exited", res.describe()
    assert s["exception"] == {"type": "ValueError", "message": "bad row 7"}, s["exception"]
    assert s["verdict_text"] == "exited with code 1 (ValueError: bad row 7)", s["verdict_text"]
    assert s["processes"][0]["exception"] == s["exception"], s["processes"][0]
    # the terminal, index.html: the same sentence
    assert "exc_ending.py raise exited with code 1 (ValueError: bad row 7) after " in \
        res.text_err, res.text_err
    page = (res.dir / "index.html").read_text(encoding="utf-8")
    assert "The program exited with code 1 (ValueError: bad row 7) after " in page


def test_the_exception_is_named_by_its_class_and_its_first_line(python):
    res = run_oomph("exc_ending.py", args=["custom"], python=python)
    assert res.status == 1, res.describe()
    e = res.summary["exception"]
    # the qualified name in JSON, the class's own in the sentence; the
    # message's first non-empty line, its control characters made spaces
    assert e == {"type": "__main__.Outer.Boom", "message": "first line [31m"}, e
    assert res.summary["verdict_text"] == "exited with code 1 (Boom: first line [31m)"
    res = run_oomph("exc_ending.py", args=["long"], python=python)
    e = res.summary["exception"]
    # str(KeyError) quotes it: "'" and 99 "é" (2 bytes each) fit in 200 bytes
    assert e["type"] == "KeyError" and e["message"] == "'" + "\u00e9" * 99 + "...", e
    assert len(e["message"].encode()) == 1 + 198 + 3


def test_only_an_uncaught_exception_is_named(python):
    res = run_oomph("exc_ending.py", args=["family"], python=python)
    assert res.status == 3, res.describe()
    pids = json.loads(res.stdout)
    s = res.summary
    # sys.exit(3) is no exception
    assert s["exception"] is None and s["verdict_text"] == "exited with code 3", s
    by_pid = {p["pid"]: p for p in s["processes"]}
    assert set(pids.values()) <= set(by_pid), (pids, sorted(by_pid))
    assert by_pid[pids["raise"]]["exception"] == {"type": "ValueError", "message": "bad row 7"}
    # a fork child whose exception reached its top level: its own ending
    assert by_pid[pids["fork"]]["exception"] == {"type": "OSError",
                                                 "message": "[Errno 5] in child"}
    for mode in ("exit", "ok", "catch", "atexit"):
        assert by_pid[pids[mode]]["exception"] is None, (mode, by_pid[pids[mode]])
    # each child's own page says how it ended
    own = json.loads((res.dir / by_pid[pids["raise"]]["dir"] / "summary.json").read_text())
    assert own["verdict_text"].endswith("(ValueError: bad row 7)"), own["verdict_text"]
    assert own["exception"] == {"type": "ValueError", "message": "bad row 7"}
    page = html.unescape((res.dir / "index.html").read_text(encoding="utf-8"))
    assert "(ValueError: bad row 7)" in page and "(OSError: [Errno 5] in child)" in page
