"""A full filesystem under the state file (issue 11, item 7): the program
keeps running (no SIGBUS from an unbacked page of the state), recording of
new stacks stops cleanly, and the report says when and why; with
OOMPH_TMPFS=off on a full disk, oomph fails to write the report with a
message, never by a signal.

Each test mounts a small tmpfs of its own (root only; unmounted in a
finally) and the program fills it (programs/fill_state_fs.py).
"""
import contextlib
import os
import subprocess

import pytest

from conftest import MiB, fresh_dir, run_oomph

PROGRAM = "fill_state_fs.py"
STOPPED = "recording of new stacks stopped"


@contextlib.contextmanager
def small_tmpfs(size):
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    d = fresh_dir("fs-")
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%s,mode=0755" % size, "tmpfs", str(d)],
                   check=True)
    try:
        yield d
    finally:
        subprocess.run(["umount", "-l", str(d)], check=False)


def check_program_ran(res):
    assert res.status == 0, res.describe()
    assert res.stdout.decode().strip() == "done 16000", res.describe()


def check_report_says_why(res):
    s = res.summary
    assert s is not None, res.describe()
    assert s["verdict"] == "exited", res.describe()
    why = [w for p in s["processes"] for w in p.get("incomplete", []) if STOPPED in w]
    assert why and "No space left on device" in why[0], (s["processes"], res.describe())
    assert STOPPED in res.text_err, res.describe()
    # What was recorded before the filesystem filled up is still there.
    early = res.line_bytes(PROGRAM, "early")
    assert 16 * MiB <= early <= 16 * MiB + 64 * 1024, res.describe()


def test_full_tmpfs_stops_recording_and_the_program_runs_on():
    # Above the supervisor's 512 MiB minimum, else it would not use it.
    with small_tmpfs("520m") as mnt:
        res = run_oomph(PROGRAM, args=(mnt,), extra=("--exact",), env={"OOMPH_TMPFS": str(mnt)})
        check_program_ran(res)
        check_report_says_why(res)


def test_full_disk_with_tmpfs_off_stops_recording_and_reports():
    with small_tmpfs("48m") as mnt:
        res = run_oomph(PROGRAM, args=(mnt,), extra=("--exact",), out_dir=mnt / "report",
                        env={"OOMPH_TMPFS": "off"})
        check_program_ran(res)
        check_report_says_why(res)


def test_report_on_a_full_disk_fails_with_a_message():
    with small_tmpfs("48m") as mnt:
        res = run_oomph(PROGRAM, args=(mnt, "keep"), extra=("--exact",),
                        out_dir=mnt / "report", env={"OOMPH_TMPFS": "off"})
        check_program_ran(res)  # oomph was not killed by a signal either
        assert "No space left on device" in res.text_err, res.describe()
        assert "incomplete" in res.text_err, res.describe()
