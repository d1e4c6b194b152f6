"""Buffers that grow by realloc, and anonymous memory maps (whole, partly
unmapped, remapped): each line holds what the program knows it holds.

Upper bounds use the interpreter's baseline (an empty program under oomph)
plus 16 MiB for the program's own imports; every designed mistake of the
tracker (a partial unmap ignored, a remap counted twice, ...) is off by 64 MiB
or more.
"""
import json

import pytest

from conftest import MiB, assert_report_complete, assert_within, baseline_bytes, run_oomph

IMPORTS = 16 * MiB


def check_peak(res, expected, python, what):
    peak = res.summary["peak_tracked_bytes"]
    upper = expected + baseline_bytes(python) + IMPORTS
    assert expected <= peak <= upper, "%s: peak %.2f MiB, expected %.2f MiB .. %.2f MiB\n%s" % (
        what, peak / MiB, expected / MiB, upper / MiB, res.describe())


@pytest.mark.parametrize("mode", ["default", "exact", "sample-1MiB"])
def test_realloc_growth_line_holds_the_final_capacity(python, mode):
    extra = {"default": (), "exact": ("--exact",), "sample-1MiB": ("--sample-rate", "1MiB")}[mode]
    res = run_oomph("realloc_growth.py", python=python, extra=extra)
    assert res.status == 0, res.describe()
    assert_report_complete(res)
    facts = json.loads(res.stdout)
    assert facts["bytes_len"] == 96 * MiB
    # The bytearray's and the list's allocated capacity (what __sizeof__ says)
    # is what their append lines hold; malloc may round up a page or so.
    assert_within(res.line_bytes("realloc_growth.py", "grow_bytes"), facts["bytes_capacity"],
                  rel=0.01, what="bytearray += line", res=res)
    assert_within(res.line_bytes("realloc_growth.py", "grow_list"), facts["list_capacity"],
                  rel=0.01, what="list.append line", res=res)
    check_peak(res, facts["bytes_capacity"] + facts["list_capacity"], python, "realloc growth")
    if mode == "sample-1MiB":
        assert res.summary["sample_rate_bytes"] == MiB, res.describe()
    if mode == "exact":
        assert res.summary["exact"] is True, res.describe()


def test_mmap_module_map_is_on_its_line_and_its_unmap_is_counted(python):
    res = run_oomph("mmap_module.py", python=python)
    assert res.status == 0, res.describe()
    assert_within(res.line_bytes("mmap_module.py", "mmap_big"), 256 * MiB, rel=0.001,
                  what="mmap.mmap line", res=res)
    # After close() the 64 MiB allocation is not part of the peak.
    assert res.line_bytes("mmap_module.py", "after_close") == 0, res.describe()
    check_peak(res, 256 * MiB, python, "mmap module")


@pytest.mark.parametrize("mode", ["default", "exact"])
def test_partial_munmap_is_accounted(python, mode):
    res = run_oomph("mmap_partial.py", python=python, extra=("--exact",) if mode == "exact" else ())
    assert res.status == 0, res.describe()
    got = {m: res.line_bytes("mmap_partial.py", m)
           for m in ("map_region", "alloc_c", "alloc_d", "alloc_f")}
    # The peak is after @alloc_d: half the region is left (two pieces), plus c and d.
    assert_within(got["map_region"], 128 * MiB, rel=0.001, what="region after partial unmaps",
                  res=res)
    assert_within(got["alloc_c"], 100 * MiB, rel=0.01, what="@alloc_c", res=res)
    assert_within(got["alloc_d"], 100 * MiB, rel=0.01, what="@alloc_d", res=res)
    # The final munmap over the rest (hole included) was counted: @alloc_f
    # (300 MiB, after everything else was freed) is not a new peak.
    assert got["alloc_f"] == 0, res.describe()
    check_peak(res, 328 * MiB, python, "partial munmap")


def test_mremap_grow_and_shrink_are_accounted(python):
    res = run_oomph("mremap_grow.py", python=python)
    assert res.status == 0, res.describe()
    held = (res.line_bytes("mremap_grow.py", "map_small")
            + res.line_bytes("mremap_grow.py", "remap_grow"))
    assert_within(held, 192 * MiB, rel=0.001, what="the remapped region", res=res)
    assert res.line_bytes("mremap_grow.py", "alloc_after") == 0, res.describe()
    check_peak(res, 192 * MiB, python, "mremap")


def test_python_realloc_of_a_malloc_block_is_not_read_as_a_pool(python):
    # PyMem_Realloc of blocks that came from malloc returns malloc blocks of
    # pool sizes: reading a "pool header" below one could fault (it did, once
    # in twenty runs of `python -m json.tool`).  5,000 of them, all sizes.
    res = run_oomph("realloc_shrink.py", python=python)
    assert res.status == 0, res.describe()
    # (nearly) every block moved, out of a pool size class into malloc
    moved = int(res.stdout.split()[-1])
    assert res.stdout.startswith(b"moved ") and moved >= 4900, res.describe()
    assert_report_complete(res)


def test_zlib_compress_and_decompress_keep_their_own_lines(python):
    res = run_oomph("zlib_compress.py", python=python)
    assert res.status == 0, res.describe()
    facts = json.loads(res.stdout)
    for marker, size in (("zlib_data", facts["data"]), ("zlib_compress", facts["packed"]),
                         ("zlib_decompress", facts["back"]), ("zlib_peak", facts["peak"])):
        assert_within(res.line_bytes("zlib_compress.py", marker), size, rel=0.01,
                      what="@" + marker, res=res)
    check_peak(res, sum(facts.values()), python, "zlib")
