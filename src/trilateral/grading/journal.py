"""What the grading preprocessors learn about one submission, for the grader's record.

nbgrader runs the autograde preprocessors inside its API call and returns
only success and a log. The course's preprocessors (the clean room, the
honest-mistake repairs) write here instead: plain notes for the student's
feedback and the summary, and, for the instructor only, why each failed
test failed. The grading worker resets the journal before each submission
and reads it after (one submission at a time per worker process).
"""

from __future__ import annotations

from typing import Any

__all__ = ["details", "note", "notes", "record", "reset", "time", "timings"]

_notes: list[str] = []
_details: list[dict[str, Any]] = []
_timings: dict[str, float] = {}


def reset() -> None:
    """Forget the previous submission."""
    _notes.clear()
    _details.clear()
    _timings.clear()


def time(step: str, seconds: float) -> None:
    """Add ``seconds`` to the time the submission spent in ``step`` (for the benchmark)."""
    _timings[step] = _timings.get(step, 0.0) + seconds


def timings() -> dict[str, float]:
    return {k: round(v, 4) for k, v in _timings.items()}


def note(text: str) -> None:
    """A note in plain words for the student and the instructor (kept once)."""
    if text not in _notes:
        _notes.append(text)


def record(detail: dict[str, Any]) -> None:
    """Instructor-only detail of one test (never written into a notebook or page)."""
    _details.append(dict(detail))


def notes() -> list[str]:
    return list(_notes)


def details() -> list[dict[str, Any]]:
    return list(_details)
