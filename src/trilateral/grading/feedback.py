"""nbgrader preprocessors that keep the answer key out of what students receive.

nbgrader's ``generate_feedback`` renders the autograded notebook, and that
notebook holds the full test cells, hidden tests included: their source, and
in a traceback the failing hidden line with the lines around it. A student
who reads their feedback would see the hidden tests.
:class:`HideHiddenTests` runs in ``GenerateFeedback`` (after ``GetGrades``,
which scores each cell) and, in every autograded test cell:

- replaces the hidden-test region of the source with one comment line;
- keeps an error raised by a visible line (the student's message stays), but
  drops the traceback's listing lines that belong to the hidden region;
- replaces an error raised by a hidden line with a short text that names the
  exception only. The message is kept when it comes from
  :mod:`trilateral.answers`, whose messages never give the answer away ("The
  saved answer to ... is not the right answer."); any other hidden message
  might quote the expected value, so it is dropped;
- drops results (``execute_result``, ``display_data``) of such cells.

Pass or fail, and the points, stay as nbgrader computed them.

:class:`ClearWidgetState` runs in ``GenerateAssignment``: it drops the widget
state that executing the instructor's notebook stores in its metadata, which
nbgrader would otherwise copy into the student version (a graded widget run
with the answer key would show the right answer there).

:func:`register` puts both into an nbgrader config; the course's
``grading.configure`` calls it.
"""

from __future__ import annotations

import re
from typing import Any

from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode

from .testcells import hidden_lines, strip_hidden

__all__ = ["ClearWidgetState", "HideHiddenTests", "register"]

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# The first frame of a cell's traceback: "Cell In[12], line 7" (IPython 8+),
# "Input In [12], in <cell line: 7>" (IPython 7.3x) or "<ipython-input-12-...> in <module>".
_CELL_FRAME = re.compile(
    r"^(?:Cell In\s*\[\d*\],\s*line (?P<a>\d+)"
    r"|Input In\s*\[\d*\],\s*in <cell line: (?P<b>\d+)>"
    r"|<ipython-input-[^>]*>)"
)
_LISTING_LINE = re.compile(r"^\s*(?:-*>\s*)?(\d+)(?:\s|$)")
_ANSWERS_FRAME = re.compile(r"trilateral[/\\]answers\.py")


def _plain(text: str) -> str:
    return _ANSI.sub("", text)


class HideHiddenTests(NbGraderPreprocessor):
    """Remove hidden-test source, and tracebacks that show it, from test cells."""

    begin_test_delimeter = Unicode(
        "BEGIN HIDDEN TESTS", help="The marker that opens a hidden-test region"
    ).tag(config=True)
    end_test_delimeter = Unicode(
        "END HIDDEN TESTS", help="The marker that closes a hidden-test region"
    ).tag(config=True)

    def _hidden_lines(self, source: str) -> set[int]:
        return hidden_lines(source, self.begin_test_delimeter, self.end_test_delimeter)

    def _strip_source(self, source: str) -> str:
        return strip_hidden(source, self.begin_test_delimeter, self.end_test_delimeter)

    @staticmethod
    def _failing_line(traceback: list[str]) -> int | None:
        """The line of the test cell that raised, or None when it cannot be told."""
        for chunk in traceback:
            first = _plain(chunk).lstrip().split("\n", 1)[0]
            match = _CELL_FRAME.match(first)
            if match:
                number = match.group("a") or match.group("b")
                return int(number) if number else None
        return None

    @staticmethod
    def _without_hidden_listing(chunk: str, hidden: set[int]) -> str:
        kept = []
        for line in chunk.split("\n"):
            match = _LISTING_LINE.match(_plain(line))
            if match and int(match.group(1)) in hidden:
                continue
            kept.append(line)
        return "\n".join(kept)

    def _sanitize_error(self, output: Any, hidden: set[int]) -> None:
        traceback = list(output.get("traceback", []))
        line = self._failing_line(traceback)
        if line is not None and line not in hidden:
            # A visible test failed: keep its message, drop hidden lines from
            # the listing of the cell's own frame (the first frame).
            new, done = [], False
            for chunk in traceback:
                if not done and _CELL_FRAME.match(_plain(chunk).lstrip().split("\n", 1)[0]):
                    chunk = self._without_hidden_listing(chunk, hidden)
                    done = True
                new.append(chunk)
            output["traceback"] = new
            return
        from_answers = any(_ANSWERS_FRAME.search(_plain(chunk)) for chunk in traceback)
        ename = output.get("ename", "Error")
        evalue = output.get("evalue", "") if from_answers else ""
        output["evalue"] = evalue
        output["traceback"] = [
            "A hidden test failed (hidden tests are not shown).",
            f"{ename}: {evalue}" if evalue else ename,
        ]

    def preprocess_cell(self, cell, resources, cell_index):
        if cell.cell_type != "code":
            return cell, resources
        source = cell.source
        if self.begin_test_delimeter not in source:
            return cell, resources
        hidden = self._hidden_lines(source)
        cell.source = self._strip_source(source)
        outputs = []
        for output in cell.get("outputs", []):
            if output.get("output_type") in ("execute_result", "display_data"):
                continue
            if output.get("output_type") == "error":
                self._sanitize_error(output, hidden)
            outputs.append(output)
        cell.outputs = outputs
        return cell, resources


class ClearWidgetState(NbGraderPreprocessor):
    """Drop stored widget state from the notebook's metadata (student release)."""

    def preprocess(self, nb, resources):
        nb.metadata.pop("widgets", None)
        return nb, resources


def _with(defaults: list, extra: type, after: str | None = None) -> list:
    """``defaults`` with ``extra`` inserted after the class named ``after`` (or appended)."""
    names = [getattr(pp, "__name__", str(pp).rsplit(".", 1)[-1]) for pp in defaults]
    if extra.__name__ in names:
        return list(defaults)
    out = list(defaults)
    position = names.index(after) + 1 if after in names else len(out)
    out.insert(position, extra)
    return out


def register(c: Any) -> None:
    """Add the preprocessors to nbgrader config ``c`` (feedback and release)."""
    from nbgrader.converters import GenerateAssignment, GenerateFeedback

    c.GenerateFeedback.preprocessors = _with(
        GenerateFeedback.class_traits()["preprocessors"].default(),
        HideHiddenTests,
        after="GetGrades",
    )
    c.GenerateAssignment.preprocessors = _with(
        GenerateAssignment.class_traits()["preprocessors"].default(), ClearWidgetState
    )
