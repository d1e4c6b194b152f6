"""Why RSS and tracked memory differ (issue 15, item 5): one sentence the
report computes for the run, from what the supervisor read of the main
process (/proc/PID/smaps_rollup, else /proc/PID/status) at its highest
tracked memory: pages allocated and never touched, memory freed but kept by
the allocator, file mappings.  Checked on programs where each is known."""
import html
import re

from conftest import MiB, run_oomph

PROGRAM = "rss_gap.py"


def gap_of(res):
    g = res.summary["rss_vs_tracked"]
    assert g is not None, res.describe()
    assert g["source"] in ("smaps_rollup", "status"), g
    # the parts add up to RSS (file-backed is what is neither anonymous
    # nor shared memory)
    parts = g["anon_bytes"] + g["file_bytes"] + g["shmem_bytes"]
    assert abs(parts - g["rss_bytes"]) <= 0.02 * g["rss_bytes"] + 2 * MiB, g
    # oomph's own state file is part of the shared memory the kernel counted
    own = g["oomph_state_bytes"]
    assert own is not None and 0 < own <= g["shmem_bytes"] + MiB, g
    # taken at the peak: the highest tracked memory the samples saw
    assert g["tracked_bytes"] >= 0.98 * res.summary["peak_tracked_bytes"], (
        g, res.summary["peak_tracked_bytes"])
    # the same sentence in the terminal and the page
    assert "oomph: RSS and tracked memory: " + g["text"] in res.text_err, res.text_err[-2000:]
    page = (res.dir / "index.html").read_text(encoding="utf-8")
    m = re.search(r'<p class="hint" id="oomph-rss-gap">Why RSS and tracked memory differ: (.*?)\.</p>',
                  page)
    assert m and html.unescape(m.group(1)) == g["text"], m and m.group(1)
    return g


def test_untouched_pages_and_a_file_mapping_are_said(debian_numpy):
    res = run_oomph(PROGRAM, args=["untouched"], python=debian_numpy)
    assert res.status == 0, res.describe()
    g = gap_of(res)
    # np.zeros(256 MiB) never written: tracked, not resident
    assert 200 * MiB <= g["untouched_bytes"] <= 270 * MiB, g
    assert g["kept_bytes"] == 0, g
    assert g["tracked_bytes"] - g["anon_bytes"] == g["untouched_bytes"], g
    # the 48 MiB file read through a mapping, and the interpreter's own
    assert g["file_bytes"] + g["shmem_bytes"] >= 48 * MiB, g
    assert re.search(r"RSS was [\d.]+ MiB and tracked memory [\d.]+ MiB: [\d.]+ MiB of what it "
                     r"had allocated was not touched yet, so the kernel had given it no pages "
                     r"\(calloc, np\.zeros and np\.empty", g["text"]), g["text"]
    assert "file-backed (the interpreter, shared libraries, mapped files)" in g["text"], g["text"]
    assert res.summary["peak_rss_bytes"] < res.summary["peak_tracked_bytes"] - 150 * MiB


def test_memory_freed_but_kept_by_the_allocator_is_said(debian_numpy):
    res = run_oomph(PROGRAM, args=["kept"], python=debian_numpy)
    assert res.status == 0, res.describe()
    g = gap_of(res)
    # 189 MiB of 1 KiB blocks freed between survivors: glibc keeps them
    assert g["kept_bytes"] >= 120 * MiB, g
    assert g["untouched_bytes"] == 0, g
    assert g["anon_bytes"] - g["tracked_bytes"] == g["kept_bytes"], g
    assert "above what it held: memory freed but kept by the allocator" in g["text"], g["text"]


def test_the_state_file_adds_little_to_a_small_programs_rss(python):
    """The tracker backs its tables before writing them (a full filesystem
    must not SIGBUS the program) and the pages it backs are resident: in a
    program that records a few stacks they must stay a small part of its
    RSS (2.5 MiB before the first chunks were made small, 0.3 MiB after)."""
    res = run_oomph("state_rss.py", python=python)
    assert res.status == 0, res.describe()
    words = [l.split() for l in res.text_out.splitlines() if l.startswith("state-rss ")]
    assert len(words) == 1, res.text_out
    kib, mappings = int(words[0][1]), int(words[0][2])
    assert mappings >= 1, res.text_out
    assert 0 < kib <= 768, "the state file holds %d KiB of the program's RSS" % kib
