"""The one atomic writer: the old file or the new one, never half, never a partial left."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import pytest

from deepscreen.core.files import atomic_writer, write_bytes_atomic, write_json_atomic


def test_a_failed_write_keeps_the_old_file_and_leaves_nothing_else(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    target.write_text("old\n")
    with pytest.raises(RuntimeError), atomic_writer(target, "w") as out:
        out.write("half of the new")
        raise RuntimeError("the export failed")
    assert target.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]


def test_a_finished_write_replaces_the_file_whole(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "out.csv"  # the folder is made
    with atomic_writer(target, "w", newline="") as out:
        out.write("a,b\r\n1,2\r\n")
    assert target.read_bytes() == b"a,b\r\n1,2\r\n"  # newline="" keeps what csv wrote
    write_bytes_atomic(target, b"\x00\x01")
    assert target.read_bytes() == b"\x00\x01"
    assert sorted(p.name for p in target.parent.iterdir()) == ["out.csv"]


def test_written_files_are_private_unless_asked_otherwise(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        write_bytes_atomic(tmp_path / "result", b"x")
        with atomic_writer(tmp_path / "export.csv", "w") as out:  # as ``open`` would
            out.write("x")
    finally:
        os.umask(old)
    assert (tmp_path / "result").stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "export.csv").stat().st_mode & 0o777 == 0o644


def test_json_is_written_without_non_finite_numbers(tmp_path: Path) -> None:
    write_json_atomic(tmp_path / "r.json", {"b": math.nan, "a": [1.5, math.inf]}, sort_keys=True)
    text = (tmp_path / "r.json").read_text()
    assert json.loads(text) == {"a": [1.5, None], "b": None}
    assert text.index('"a"') < text.index('"b"')
