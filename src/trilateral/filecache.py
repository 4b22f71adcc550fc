"""Keep what was read from a file for as long as the file is unchanged.

A lesson loads the same dataset or question bank several times (every graded
test cell reads its bank again), and a grading kernel forked from a warm
process inherits what that process read. Parsing and checking an unchanged
file again gives the same result, so it is kept, keyed by the file's path,
modification time and size: an edited file is read afresh.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any, TypeVar

__all__ = ["read_once"]

T = TypeVar("T")


def read_once(cache: dict[tuple, Any], path: Path, read: Callable[[], T], *,
              tag: Hashable = None, limit: int = 32) -> T:
    """``read()``'s result for ``path``, kept in ``cache`` while the file is unchanged.

    ``tag`` tells apart entries that read the same file in different ways. A
    file that cannot be examined is read every time, so ``read`` reports the
    problem itself. ``cache`` holds at most ``limit`` entries (it is emptied
    when full). Callers that hand out mutable results must copy them.
    """
    if limit < 1:
        raise ValueError(f"limit must be at least 1, not {limit}")
    try:
        stat = path.stat()
    except OSError:
        return read()
    key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size, tag)
    if key not in cache:
        value = read()
        if len(cache) >= limit:
            cache.clear()
        cache[key] = value
    return cache[key]
