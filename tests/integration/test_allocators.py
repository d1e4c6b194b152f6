"""Programs that preload another allocator (issue 11, item 8): jemalloc and
tcmalloc (Debian's libjemalloc2, libtcmalloc-minimal4; scripts/deps.sh).
They run under oomph, that allocator (not glibc) serves their blocks, and
each line holds what it allocated.

Sizes are whole size classes of every allocator (jemalloc rounds a large
request up to its class: 80 MiB + 1 byte is charged 96 MiB, what it
reserves), so the numbers are exact on all three.
"""
import json
import os

import pytest

from conftest import MiB, run_oomph

LIBDIR = "/usr/lib/x86_64-linux-gnu"
ALLOCATORS = {"jemalloc": "libjemalloc.so.2", "tcmalloc": "libtcmalloc_minimal.so.4"}


def preload(kind):
    path = os.path.join(LIBDIR, ALLOCATORS[kind])
    if not os.path.exists(path):
        pytest.fail("%s is missing (run scripts/deps.sh)" % path)
    return {"LD_PRELOAD": path}


def check(res, kind, lines):
    assert res.status == 0, res.describe()
    facts = json.loads(res.stdout.decode().strip().splitlines()[-1])
    # The preloaded allocator served the program's blocks (glibc did not).
    assert facts["served"] >= facts["held"], (facts, res.describe())
    for marker, size in lines.items():
        got = res.line_bytes("other_allocator.py", marker)
        assert size <= got <= size + 64 * 1024, "%s @%s: %.3f MiB, expected %d MiB\n%s" % (
            kind, marker, got / MiB, size // MiB, res.describe())
    # Its own arenas are not counted beside the blocks it hands out.
    assert res.summary["peak_tracked_bytes"] <= facts["held"] + 32 * MiB, res.describe()


@pytest.mark.parametrize("kind", sorted(ALLOCATORS))
def test_a_preloaded_allocator_serves_the_program_and_is_tracked(python, kind):
    res = run_oomph("other_allocator.py", args=(kind,), python=python, env=preload(kind))
    check(res, kind, {"ba48": 48 * MiB, "ba16": 16 * MiB})


@pytest.mark.parametrize("kind", sorted(ALLOCATORS))
def test_numpy_on_a_preloaded_allocator_is_tracked(numpy_python, kind):
    res = run_oomph("other_allocator.py", args=(kind, "numpy"), python=numpy_python,
                    env=preload(kind))
    check(res, kind, {"np64": 64 * MiB, "np32": 32 * MiB, "ba48": 48 * MiB, "ba16": 16 * MiB})
