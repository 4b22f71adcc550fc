"""``trilateral.filecache``: a file is read once while it is unchanged."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from trilateral.filecache import read_once


def _reader(path: Path, calls: list[str]):
    def read() -> str:
        calls.append(path.name)
        return path.read_text(encoding="utf-8")
    return read


def test_an_unchanged_file_is_read_once_and_an_edited_one_again(tmp_path: Path) -> None:
    path, cache, calls = tmp_path / "a.txt", {}, []
    path.write_text("one", encoding="utf-8")
    assert read_once(cache, path, _reader(path, calls)) == "one"
    assert read_once(cache, path, _reader(path, calls)) == "one"
    assert calls == ["a.txt"]
    path.write_text("two!", encoding="utf-8")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert read_once(cache, path, _reader(path, calls)) == "two!"
    assert calls == ["a.txt", "a.txt"]


def test_tags_keep_readings_of_one_file_apart(tmp_path: Path) -> None:
    path, cache = tmp_path / "a.txt", {}
    path.write_text("x", encoding="utf-8")
    assert read_once(cache, path, lambda: "first", tag=1) == "first"
    assert read_once(cache, path, lambda: "second", tag=2) == "second"
    assert read_once(cache, path, lambda: "never", tag=1) == "first"


def test_a_missing_file_is_left_to_the_reader(tmp_path: Path) -> None:
    cache: dict = {}
    with pytest.raises(FileNotFoundError):
        read_once(cache, tmp_path / "gone.txt", (tmp_path / "gone.txt").read_text)
    assert cache == {}


def test_the_cache_stays_within_its_limit(tmp_path: Path) -> None:
    cache: dict = {}
    for i in range(5):
        path = tmp_path / f"{i}.txt"
        path.write_text(str(i), encoding="utf-8")
        read_once(cache, path, path.read_text, limit=2)
        assert len(cache) <= 2
    with pytest.raises(ValueError, match="limit"):
        read_once(cache, path, path.read_text, limit=0)
