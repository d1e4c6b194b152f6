"""Python stacks as the report shows them: deep recursion, generators,
coroutines, async generators; file names; markup in names and source text.
"""
import re
import xml.etree.ElementTree as ET

from conftest import (DEBIAN, MiB, assert_within, frame_key, line_of, parse_frame, run_oomph,
                      split_stack)


def stacks_ending_at(res, program, marker):
    key = "%s:%d" % (program, line_of(program, marker))
    return {s: n for s, n in res.folded.items()
            if frame_key(split_stack(s)[-1], str(res.cwd)) == key}


def test_deep_recursion_keeps_every_frame(python):
    res = run_oomph("recursion.py", python=python)
    assert res.status == 0, res.describe()
    found = stacks_ending_at(res, "recursion.py", "rec_bottom")
    assert_within(sum(found.values()), 64 * MiB, rel=0.01, what="bottom of the recursion", res=res)
    stack = max(found, key=found.get)
    frames = [frame_key(f, str(res.cwd)) for f in split_stack(stack)]
    call = "recursion.py:%d" % line_of("recursion.py", "rec_call")
    bottom = "recursion.py:%d" % line_of("recursion.py", "rec_bottom")
    start = "recursion.py:%d" % line_of("recursion.py", "rec_start")
    dives = [f for f in split_stack(stack) if parse_frame(f) and parse_frame(f)[2] == "dive"]
    assert len(dives) == 801, "%d dive frames (want 801), stack has %d frames: ...%s" % (
        len(dives), len(frames), ";".join(frames[-3:]))
    assert frames.count(call) == 800 and frames[-1] == bottom, frames[:5]
    # Root first: main's call line comes before the first dive frame.
    assert frames.index(start) < frames.index(call)


def test_generators_and_async_code_charge_their_own_lines(python):
    res = run_oomph("gen_async.py", python=python)
    assert res.status == 0, res.describe()
    assert int(res.stdout) == (3 * 16 + 40 + 2 * 12) * MiB
    P = "gen_async.py"
    assert_within(res.line_bytes(P, "gen_yield"), 48 * MiB, rel=0.01, what="generator body", res=res)
    assert_within(res.line_bytes(P, "async_alloc"), 40 * MiB, rel=0.01, what="coroutine", res=res)
    assert_within(res.line_bytes(P, "agen_yield"), 24 * MiB, rel=0.01, what="async generator",
                  res=res)

    def parent_of(marker):
        found = stacks_ending_at(res, P, marker)
        stack = max(found, key=found.get)
        return frame_key(split_stack(stack)[-2], str(res.cwd))

    # A generator's caller is the frame that resumed it; a coroutine's is the
    # coroutine awaiting it.
    assert parent_of("gen_yield") == "%s:%d" % (P, line_of(P, "gen_consume"))
    assert parent_of("async_alloc") == "%s:%d" % (P, line_of(P, "async_await"))
    assert parent_of("agen_yield") == "%s:%d" % (P, line_of(P, "agen_consume"))


def test_file_names_are_relative_to_the_runs_cwd(tmp_path):
    (tmp_path / "sub").mkdir()
    res = run_oomph("recursion.py", args=["5"], cwd=tmp_path, name="sub/deep.py")
    assert res.status == 0, res.describe()
    files = {parse_frame(f)[0] for s in res.folded for f in split_stack(s) if parse_frame(f)}
    assert "sub/deep.py" in files, sorted(files)
    # Files outside the cwd (the standard library) keep their own path.
    assert not any(f.startswith(str(tmp_path)) for f in files), sorted(files)
    top = {t["file"] for t in res.summary["top"]}
    assert "sub/deep.py" in top, res.summary["top"]


HOSTILE = 'evil<svg onload=alert(1)>&"x".py'


def test_markup_in_file_names_and_source_stays_text(tmp_path):
    res = run_oomph("hostile.py", cwd=tmp_path, name=HOSTILE, python=DEBIAN)
    assert res.status == 0, res.describe()
    line = line_of("hostile.py", "hostile_alloc")
    assert_within(res.by_line().get("%s:%d" % (HOSTILE, line), 0), 40 * MiB, rel=0.01,
                  what="hostile line", res=res)
    top = [t for t in res.summary["top"] if t["line"] == line]
    assert top and top[0]["file"] == HOSTILE and "</script><svg onload=alert(1)>" in top[0]["source"]
    for name in ("index.html", "peak.svg"):
        text = (res.dir / name).read_text(encoding="utf-8")
        assert "<svg onload" not in text and "</script><svg" not in text, name
        assert "&lt;svg onload=alert(1)&gt;" in text, "%s does not show the escaped text" % name
    # The SVG is well-formed XML (a flame graph viewer parses it).
    ET.parse(str(res.dir / "peak.svg"))
    html = (res.dir / "index.html").read_text(encoding="utf-8")
    for pattern in (r"<script[^>]*\ssrc=", r"<link[^>]*\shref=[\"']?https?:",
                    r"<img[^>]*\ssrc=[\"']?https?:", r"@import"):
        assert not re.search(pattern, html), "index.html loads a resource (%s): it must be " \
            "self-contained" % pattern
