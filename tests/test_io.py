"""Tests of quickscan._io: atomic writes."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from quickscan._io import atomic_write

posix = pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")


def test_io_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "tables.csv"
    target.write_text("old")

    def broken(tmp):
        Path(tmp).write_text("half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        atomic_write(target, broken)
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["tables.csv"]


@posix
def test_io_new_file_gets_the_permissions_of_a_plain_write(tmp_path):
    old = os.umask(0o022)
    try:
        path = atomic_write(tmp_path / "report.docx", lambda tmp: Path(tmp).write_bytes(b"x"))
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o644  # not the 0o600 of a temporary file


@posix
def test_io_replaced_file_keeps_its_permissions(tmp_path):
    target = tmp_path / "review.xlsx"
    target.write_bytes(b"old")
    target.chmod(0o640)
    atomic_write(target, lambda tmp: Path(tmp).write_bytes(b"new"))
    assert target.stat().st_mode & 0o777 == 0o640 and target.read_bytes() == b"new"
