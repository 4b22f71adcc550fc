"""One clear line for the errors a learner meets, instead of a traceback into the course.

In a notebook, an unanswered exercise raises ``NotImplementedError`` (nbgrader's
stub), its visible tests then raise ``NameError``, and a check in the course's
own modules (``trilateral.answers.require``) raises ``AssertionError`` from
several frames deep. IPython shows each as a traceback: a dozen lines, frames
of ``answers.py`` and this machine's paths, with the one useful line at the end.

:func:`install` registers a handler with the running IPython kernel so that
these errors are shown as one line that says what to do:

- the stub: ``NotImplementedError: not answered yet: ...``;
- a name the cell needs but nobody defined: ``NameError: name 'x' is not
  defined: not answered yet? ...``;
- a failed assertion: ``AssertionError: <its message>`` (and, for a bare
  ``assert``, the line that failed);
- any error raised inside the course's modules: ``<Type>: <message>``, with
  the line of the learner's cell that called into the course.

They stay errors: the cell still fails, the kernel reports an ``error``
output (nbgrader scores a failing test cell 0, and Run All honours the
``raises-exception`` tag as before). Errors from the learner's own code that
never touch the course keep IPython's full traceback: there the frames are
theirs and useful. Machine paths are removed from every line shown.

``import trilateral`` calls :func:`install` when it runs inside an IPython
kernel, except while nbgrader executes a notebook (``NBGRADER_EXECUTION`` is
set): grading sees exactly what IPython reports.
"""

from __future__ import annotations

import os
import re
import sys
import traceback
from pathlib import Path
from types import TracebackType
from typing import Any

__all__ = ["install", "one_line", "uninstall"]

PACKAGE_DIR = str(Path(__file__).resolve().parent)
_PATH = re.compile(r"(?<![\w.])(?:/[\w.@+~-]+){2,}/?")
_INSTALLED = "_trilateral_friendly_errors"


def _strip_paths(text: str) -> str:
    """``text`` with absolute paths cut to their last part (no machine paths)."""
    return _PATH.sub(lambda m: Path(m.group(0)).name or m.group(0), text)


def _frames(tb: TracebackType | None) -> list[traceback.FrameSummary]:
    return list(traceback.extract_tb(tb)) if tb is not None else []


def _is_course(frame: traceback.FrameSummary) -> bool:
    return str(Path(frame.filename).resolve()).startswith(PACKAGE_DIR + os.sep)


def _is_cell(frame: traceback.FrameSummary) -> bool:
    """A frame of a notebook cell (IPython names cells ``<ipython-input-...>`` or a temp file)."""
    name = frame.filename
    return name.startswith("<ipython-input") or "/ipykernel_" in name or "/ipython-input" in name


def _last_cell_line(frames: list[traceback.FrameSummary]) -> str:
    for frame in reversed(frames):
        if _is_cell(frame) and frame.lineno:
            return f" (line {frame.lineno} of the cell)"
    return ""


def one_line(etype: type[BaseException], value: BaseException,
             tb: TracebackType | None) -> str | None:
    """The one line shown for this error, or ``None`` to keep IPython's traceback."""
    frames = _frames(tb)
    name = etype.__name__
    text = _strip_paths(str(value)).replace("\n", " ").strip()
    in_course = any(_is_course(f) for f in frames)
    if issubclass(etype, NotImplementedError) and not in_course and not text:
        return (f"{name}: not answered yet: replace `raise NotImplementedError()` "
                "with your answer, then run the cell.")
    if issubclass(etype, NameError) and not in_course:
        missing = getattr(value, "name", None)
        what = f"name {missing!r} is not defined" if missing else text
        return (f"{name}: {what}: not answered yet? Write your answer in the exercise "
                "cell above and run it (or check the spelling).")
    if issubclass(etype, AssertionError):
        if text:
            return f"{name}: {text}"
        for frame in reversed(frames):
            if _is_cell(frame) and frame.line:
                return f"{name}: this check failed: {frame.line.strip()}"
        return f"{name}: a check failed{_last_cell_line(frames)}."
    if in_course:
        where = _last_cell_line(frames)
        return f"{name}: {text}{where}" if text else f"{name}{where}"
    return None


def _handler(shell: Any, etype: type[BaseException], value: BaseException,
             tb: TracebackType | None, tb_offset: int | None = None) -> list[str]:
    line = one_line(etype, value, tb)
    if line is None:
        stb = shell.InteractiveTB.structured_traceback(etype, value, tb, tb_offset=tb_offset)
    else:
        stb = [f"\x1b[0;31m{line}\x1b[0m"]
    shell._showtraceback(etype, value, stb)
    return stb


def install(shell: Any = None) -> bool:
    """Show learners' errors as one line in this IPython kernel; True if installed.

    Does nothing (and returns False) outside IPython, while nbgrader executes a
    notebook, or when another custom handler is already registered.
    """
    if os.environ.get("NBGRADER_EXECUTION"):
        return False
    if shell is None:
        ipython = sys.modules.get("IPython")
        shell = ipython.get_ipython() if ipython is not None else None
    if shell is None or not hasattr(shell, "set_custom_exc"):
        return False
    if getattr(shell, _INSTALLED, False):
        return True
    if getattr(shell, "custom_exceptions", ()):
        return False  # someone else's handler: leave it alone
    shell.set_custom_exc((Exception,), _handler)
    setattr(shell, _INSTALLED, True)
    return True


def uninstall(shell: Any) -> None:
    """Give ``shell`` back IPython's own tracebacks."""
    if getattr(shell, _INSTALLED, False):
        shell.set_custom_exc((), None)
        setattr(shell, _INSTALLED, False)
