"""A test suite for `pytest --oomph` (tests/integration/test_pytest_plugin.py
copies it as test_memory.py).  The numbers are the checks: each test allocates
a known amount on a line marked for line_of()."""
import pytest

MiB = 1 << 20
KEPT = []  # what test_leaks leaves live


def test_small():
    x = [0] * 1000
    assert len(x) == 1000


def test_big():
    data = b"x" * (100 * MiB)  # @big
    assert len(data) == 100 * MiB
    del data


@pytest.mark.limit_memory("50 MB")
def test_big_limited():
    data = b"x" * (100 * MiB)  # @limited
    del data


@pytest.mark.limit_memory("200 MB")
def test_big_within_its_limit():
    data = b"x" * (100 * MiB)
    del data


@pytest.mark.limit_leaks("1 MB")
def test_leaks():
    KEPT.append(b"x" * (20 * MiB))  # @leak


@pytest.mark.oom_limit("200MiB")
def test_grows_without_bound():
    chunks = []
    while True:
        chunks.append(b"x" * (8 * MiB))  # @grow


def test_after_1():
    assert sum(range(10)) == 45


def test_after_2():
    data = b"y" * (5 * MiB)
    assert data[-1:] == b"y"
