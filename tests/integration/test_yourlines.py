""""Your lines" (issue 15, item 1): every stack counts for its innermost
frame in the program's own code, found from the interpreter's directories
(the probe's, kept in run.meta) and the script's location.

On a numpy program whose arrays come from np.ones / np.zeros / np.full in
the program's functions, and on a pandas ETL (read, a datetime accessor, a
groupby, a merge), the first rows of summary.json's `top_program_lines` and
of the terminal summary are the program's lines, with the bytes that the
flame graph (peak.svg) draws for them, and those bytes agree with
peak.folded summed by hand.
"""
import html
import re

import pytest

from conftest import MiB, assert_within, line_of, parse_frame, run_oomph, split_stack

NUMPY_ARRAYS = {"ones": 96 * MiB, "zeros": 64 * MiB, "full": 32 * MiB}


def program_frame(frame):
    """(file, line, func) of a frame of the program's own code, else None:
    not the standard library, not a package, not a frozen module."""
    p = parse_frame(frame)
    if p is None:
        return None
    f = p[0]
    if f.startswith("<frozen ") or "/site-packages/" in f or "/dist-packages/" in f:
        return None
    if re.search(r"/lib/python3[.\d]*t?/", f):
        return None
    return p


def by_program_line(folded):
    out = {}
    for stack, n in folded.items():
        key, last = None, None  # innermost program frame; innermost Python frame
        for fr in split_stack(stack):
            p = program_frame(fr)
            # code with no file is the program's only when the program ran it
            if p and p[0].startswith("<") and last is not None and last != key:
                p = None
            if p:
                key = p
            last = parse_frame(fr) or last
        if key:
            out[key] = out.get(key, 0) + n
    return out


def svg_bytes(svg_text, label):
    """data-b of the flame graph's frames named `label` (summed)."""
    total, found = 0, False
    for m in re.finditer(r'data-b="(\d+)" data-d="\d+"[^>]* data-n="([^"]*)"', svg_text):
        if html.unescape(m.group(2)) == label:
            total += int(m.group(1))
            found = True
    return total if found else None


@pytest.fixture(scope="module")
def numpy_run():
    return run_oomph("yourlines_numpy.py")


@pytest.fixture(scope="module")
def etl_run():
    res = run_oomph("yourlines_etl.py")
    assert res.status == 0, res.describe()
    return res


def check_agrees_with_folded_and_graph(res, n):
    mine = res.summary["top_program_lines"]
    hand = by_program_line(res.folded)
    svg = (res.dir / "peak.svg").read_text()
    for t in mine[:n]:
        assert not t["synthetic"], mine
        key = (t["file"], t["line"], t["function"])
        assert t["bytes"] == hand[key], (t, hand.get(key))
        assert_within(t["share"], t["bytes"] / res.summary["peak_tracked_bytes"], rel=1e-4)
        label = "%s:%d (%s)" % key
        assert svg_bytes(svg, label) == t["bytes"], (label, svg_bytes(svg, label), t)


def test_numpy_your_lines_are_the_callers_of_np_ones_and_np_zeros(numpy_run):
    res = numpy_run
    assert res.status == 0, res.describe()
    mine = res.summary["top_program_lines"]
    want = [(m, line_of("yourlines_numpy.py", m)) for m in ("ones", "zeros", "full")]
    for (marker, line), t in zip(want, mine):
        assert (t["file"], t["line"]) == ("yourlines_numpy.py", line), mine
        assert_within(t["bytes"], NUMPY_ARRAYS[marker], rel=0.01, what=marker, res=res)
        assert "@" + marker in t["source"]
    # np.ones and np.full allocate inside numpy: the line says through what
    assert re.fullmatch(r"numpy/(_?core)/numeric\.py:\d+ \(ones\)", mine[0]["via"]), mine[0]
    # `top` still names the innermost frame, numpy's own
    assert res.summary["top"][0]["file"].endswith("numpy/core/numeric.py") or \
        res.summary["top"][0]["file"].endswith("numpy/_core/numeric.py"), res.summary["top"][0]
    check_agrees_with_folded_and_graph(res, 3)


def test_the_terminal_ranks_the_same_lines(numpy_run):
    err = numpy_run.text_err
    lines = err.splitlines()
    i = lines.index("oomph: your lines at the peak (the innermost line of the program's own code):")
    for k, marker in enumerate(("ones", "zeros", "full")):
        row = lines[i + 1 + k]
        t = numpy_run.summary["top_program_lines"][k]
        assert "yourlines_numpy.py:%d" % line_of("yourlines_numpy.py", marker) in row, row
        pct = float(row.split("%")[0].split()[-1])
        assert abs(pct - 100 * t["share"]) <= 0.051, (row, t)
        assert t["source"] in row
    assert "via numpy/" in lines[i + 1]


def test_etl_your_lines_are_the_programs_lines(etl_run):
    res = etl_run
    mine = res.summary["top_program_lines"]
    assert mine[0]["file"] == "yourlines_etl.py", mine
    assert mine[0]["line"] == line_of("yourlines_etl.py", "read"), mine
    assert mine[0]["via"].startswith("pandas/"), mine[0]
    # the innermost lines are pandas' and numpy's, never the program's
    assert not res.summary["top"][0]["file"].startswith("yourlines_etl"), res.summary["top"]
    check_agrees_with_folded_and_graph(res, 3)
    # an import is named by what it imported, with its line
    imports = [t for t in mine if t["source"].startswith("import pandas")]
    assert imports and imports[0]["function"] == "<module>", mine


def test_a_stack_without_a_program_line_is_named_by_its_import():
    # -c: the program's code is <string>; site's imports at start-up have
    # no line of the program and are named by what they imported
    res = run_oomph(command=["-c", "import json\nx = bytearray(8 << 20)\n"])
    assert res.status == 0, res.describe()
    mine = res.summary["top_program_lines"]
    assert (mine[0]["file"], mine[0]["line"]) == ("<string>", 2), mine
    assert_within(mine[0]["bytes"], 8 * MiB, rel=0.01, res=res)
    names = [t["file"] for t in mine if t["synthetic"]]
    assert all(n.startswith("[") for n in names), names
