"""The one atomic write of every saved format, the artefact store and the CLI's JSON files: the
old file or the new one after a failure, no temporary file left, and the permissions a plain
``open(path, "w")`` would give (a published page's files must be readable by its server)."""

from __future__ import annotations

import os
import stat

import pytest

from cnnbook.saving import atomic
from cnnbook.saving.atomic import write_atomic


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_the_file_gets_the_permissions_of_a_plain_write(tmp_path):
    plain = tmp_path / "plain.txt"
    plain.write_bytes(b"x")
    written = tmp_path / "atomic.txt"
    write_atomic(written, b"x")
    assert stat.S_IMODE(written.stat().st_mode) == stat.S_IMODE(plain.stat().st_mode)
    assert stat.S_IMODE(written.stat().st_mode) & 0o044  # readable by group and others (umask 022)


def test_a_failed_write_leaves_the_old_file_and_no_temporary_one(tmp_path, monkeypatch):
    target = tmp_path / "data.json"
    write_atomic(target, b"old")

    def fail(*args):
        raise OSError("disk full")

    monkeypatch.setattr(atomic.os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        write_atomic(target, b"new")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["data.json"]
