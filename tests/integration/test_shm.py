"""Issue 11, item 3: shared memory is counted -- multiprocessing.shared_memory
(shm_open + ftruncate + mmap on /dev/shm) and os.memfd_create -- once per
segment across the job, at the line that sized it, under a synthetic
"[shared memory: ...]" frame; released when the segment is gone; listed in
summary.json's "shared_memory" with the lines that sized them; and named in
the death's story when a memfd drives an OOM kill.

Each program runs under every CPython of the suite (the deaths: Debian's and
the sid root's, inside a --limit cgroup the test asks for)."""
import html
import json
import signal

import pytest

from conftest import (DEBIAN_AND_SID, MiB, baseline_bytes, by_innermost_line, line_of, read_folded,
                      run_oomph, split_stack)


IMPORTS = 8 * MiB


def shared_stacks(folded):
    """{stack: bytes} of the stacks whose leaf is a shared-memory frame."""
    return {s: n for s, n in folded.items() if split_stack(s)[-1].startswith("[shared memory: ")}


def held_under(folded, program, marker):
    """Bytes of shared-memory stacks that pass through programs/<program>'s @marker line."""
    key = "%s:%d " % (program, line_of(program, marker))
    return sum(n for s, n in shared_stacks(folded).items()
               if any(f.startswith(key) for f in split_stack(s)))


def test_shared_memory_segment_is_in_the_peak_at_its_line(python):
    prog = "shm_shared_memory.py"
    res = run_oomph(prog, python=python)
    assert res.status == 0, res.describe()
    name = json.loads(res.stdout)["name"]
    folded = read_folded(res.dir / "peak.folded")
    stacks = shared_stacks(folded)
    assert len(stacks) == 1, stacks
    (stack, n), = stacks.items()
    assert split_stack(stack)[-1] == "[shared memory: /dev/shm/%s]" % name.lstrip("/"), stack
    # exactly the segment's pages, at the line that made it
    assert abs(held_under(folded, prog, "create") - 200 * MiB) <= 4096, res.describe()
    peak = res.summary["peak_tracked_bytes"]
    # the interpreter's baseline, this program's imports and its 1 MiB bytes
    upper = 200 * MiB + baseline_bytes(python) + IMPORTS
    assert 200 * MiB <= peak <= upper, "peak %.1f MiB, expected 200 .. %.1f MiB\n%s" % (
        peak / MiB, upper / MiB, res.describe())
    # after close() + unlink() the segment is released: the 64 MiB that
    # follow make no new peak (were it still counted, the peak would be 264)
    assert peak < 200 * MiB + 64 * MiB, res.describe()


def test_memfd_is_counted_at_its_ftruncate_and_released_when_closed(python):
    prog = "shm_memfd.py"
    res = run_oomph(prog, python=python)
    assert res.status == 0, res.describe()
    folded = read_folded(res.dir / "peak.folded")
    stacks = shared_stacks(folded)
    assert [split_stack(s)[-1] for s in stacks] == ["[shared memory: memfd 'big']"], stacks
    assert abs(held_under(folded, prog, "size") - 64 * MiB) <= 4096, res.describe()
    peak = res.summary["peak_tracked_bytes"]
    # 'big' gone before @after's 32 MiB and 'kept's 16 MiB: 64 MiB + imports
    assert 64 * MiB <= peak < 64 * MiB + 32 * MiB, res.describe()


def test_segment_attached_by_a_child_or_inherited_is_counted_once(python):
    prog = "shm_attach.py"
    res = run_oomph(prog, python=python)
    assert res.status == 0, res.describe()
    assert int(res.stdout) == 128 * MiB, res.describe()
    entries = res.process_entries()
    assert len(entries) >= 3, res.describe()  # parent, the attaching child, the fork
    total = 0
    for e in entries:
        f = res.process_folded(e)
        got = sum(shared_stacks(f).values())
        if e["parent"] is None:
            assert abs(held_under(f, prog, "create") - 128 * MiB) <= 4096, res.describe()
        else:
            assert got == 0, "process %d: %d shared bytes\n%s" % (e["pid"], got, res.describe())
        total += got
    assert abs(total - 128 * MiB) <= 4096, res.describe()


def test_segments_live_at_exit_are_in_summary_json_with_their_lines(python):
    prog = "shm_live_at_exit.py"
    res = run_oomph(prog, python=python)
    assert res.status == 0, res.describe()
    made = json.loads(res.stdout)
    sm = res.summary["shared_memory"]
    # what the program made and still held: its two segments, page for page
    want = made["shared_memory"]["bytes"] + made["memfd"]["bytes"]
    assert want == 64 * MiB
    assert sm["bytes"] == want, sm
    assert sm["count"] == 2, sm
    assert sm["sized"] == 3, sm  # 'gone' too, released before the end
    segs = {(g["kind"], g["name"]): g for g in sm["segments"]}
    assert set(segs) == {("tmpfs", made["shared_memory"]["name"]), ("memfd", "kept")}, sm
    shm = segs["tmpfs", made["shared_memory"]["name"]]
    # the program's own line, not multiprocessing's shared_memory.py below it
    assert (shm["file"], shm["line"], shm["function"], shm["bytes"]) == (
        prog, line_of(prog, "create"), "make", 40 * MiB), shm
    kept = segs["memfd", "kept"]
    assert (kept["file"], kept["line"], kept["bytes"]) == (prog, line_of(prog, "kept"), 24 * MiB)
    assert [g["bytes"] for g in sm["segments"]] == [40 * MiB, 24 * MiB]  # largest first
    # at the peak all three were live, exactly
    assert sm["peak_bytes"] == 72 * MiB, sm
    # a run that exited normally: not part of any death's story
    assert not any(e.startswith("shared memory:") for e in res.summary["evidence"]), res.summary
    assert "shared memory:" not in res.text_err


def test_run_without_segments_has_an_empty_shared_memory_object():
    res = run_oomph("empty.py")
    assert res.status == 0, res.describe()
    assert res.summary["shared_memory"] == {"bytes": 0, "count": 0, "peak_bytes": 0, "sized": 0,
                                            "text": None, "segments": []}


@pytest.mark.parametrize("interp", DEBIAN_AND_SID)
def test_oom_kill_driven_by_a_memfd_names_the_segment_its_size_and_line(interp):
    prog = "shm_oom.py"
    res = run_oomph(prog, python=interp, extra=["--limit", "256MiB"], timeout=120)
    if res.summary and res.summary.get("limit_mode") == "rlimit-data":
        pytest.skip("no memory cgroup could be created here: %s" % res.summary["evidence"][-1:])
    assert res.status == 128 + signal.SIGKILL, res.describe()
    assert "survived" not in res.text_out
    s = res.summary
    assert s["verdict"] == "oom-killed", res.describe()
    line = line_of(prog, "size")
    sm = s["shared_memory"]
    assert sm["count"] == 1, sm
    (g,) = sm["segments"]
    assert (g["kind"], g["name"], g["file"], g["line"], g["function"]) == (
        "memfd", "big", prog, line, "main"), g
    assert abs(g["bytes"] - 300 * MiB) <= 0.02 * 300 * MiB, g
    assert sm["bytes"] == g["bytes"]
    # the story, in summary.json's evidence and on the terminal
    story = "shared memory: %s in 1 segment (memfd 'big') created at %s:%d" % (
        "300.0 MiB", prog, line)
    assert sm["text"] == story, sm
    assert s["evidence"][-1] == story, s["evidence"]
    assert any(l == "oomph:   - " + story for l in res.text_err.splitlines()), res.text_err
    with open(res.dir / "index.html", encoding="utf-8") as f:
        page = html.unescape(f.read())
    assert "<li>%s</li>" % story in page
    # the kill's own evidence is still there, before it
    assert any("oom_kill counter" in e or "kernel log names process" in e
               for e in s["evidence"][:-1]), s["evidence"]
    # the segment is what was live at the death, at its line
    death = read_folded(res.dir / "death.folded")
    assert abs(held_under(death, prog, "size") - g["bytes"]) <= 4096, res.describe()


def test_shared_anonymous_mapping_is_not_counted_again_in_fork_children(python):
    prog = "shm_anon_fork.py"
    res = run_oomph(prog, python=python)
    assert res.status == 0, res.describe()
    entries = res.process_entries()
    assert len(entries) == 3, res.describe()
    mapped = "%s:%d" % (prog, line_of(prog, "map"))
    own = "%s:%d" % (prog, line_of(prog, "own"))
    parent_peak = None
    for e in entries:
        folded = res.process_folded(e)
        lines = by_innermost_line(folded, str(res.cwd))
        if e["parent"] is None:
            assert abs(lines.get(mapped, 0) - 96 * MiB) <= 4096, lines
            assert abs(held_under(folded, prog, "seg") - 32 * MiB) <= 4096, lines
            assert e["peak_tracked_bytes"] >= 128 * MiB, e
            parent_peak = e["peak_tracked_bytes"]
        else:
            # a child shares the parent's pages: they are not its own
            assert lines.get(mapped, 0) == 0, (e["pid"], lines)
            assert held_under(folded, prog, "seg") == 0, (e["pid"], lines)
            assert abs(lines.get(own, 0) - 8 * MiB) <= 64 * 1024, (e["pid"], lines)
            assert e["peak_tracked_bytes"] < 96 * MiB, e
    # the job: the parent's mapping and segment once, and a child's own 8 MiB
    # beside them (what the children dropped at their fork is still the
    # parent's part of the job)
    job = res.summary["job"]["peak_tracked_bytes"]
    assert parent_peak + 6 * MiB <= job < parent_peak + 2 * 16 * MiB, (job, parent_peak)


def test_resizing_a_memfd_mapping_counts_the_segment_once(python):
    prog = "shm_resize.py"
    res = run_oomph(prog, python=python)
    assert res.status == 0, res.describe()
    assert int(res.stdout) == 64 * MiB
    sm = res.summary["shared_memory"]
    assert [(g["name"], g["bytes"]) for g in sm["segments"]] == [("grow", 64 * MiB)], sm
    folded = read_folded(res.dir / "peak.folded")
    assert abs(sum(shared_stacks(folded).values()) - 64 * MiB) <= 4096, res.describe()
    # the mremap of the file mapping is not counted as memory of its own
    lines = by_innermost_line(folded, str(res.cwd))
    assert lines.get("%s:%d" % (prog, line_of(prog, "resize")), 0) < MiB, lines
    peak = res.summary["peak_tracked_bytes"]
    assert 64 * MiB <= peak < 64 * MiB + IMPORTS + baseline_bytes(python), res.describe()
