"""An nbgrader preprocessor that grades honest notebook mistakes kindly.

Students change a notebook's structure without meaning to, and nbgrader's
sanitize chain (``ClearOutput``, ``DeduplicateIds``, ``OverwriteKernelspec``,
``OverwriteCells``, ``CheckCellMetadata``) handles some of those changes
badly:

- **A copied graded cell.** JupyterLab keeps a cell's metadata on copy and
  paste (and on "Duplicate"), so the copy carries the same ``grade_id``.
  ``DeduplicateIds`` keeps the *last* occurrence and sets the metadata of the
  earlier ones to ``{}``, which ``CheckCellMetadata`` then rejects as an
  outdated schema (``SchemaTooOldError``): the whole submission fails to
  autograde, and the log tells the instructor to run ``nbgrader update``.
- **A cell whose grading metadata the gradebook does not know** (a cell
  pasted from another notebook). ``OverwriteCells`` deletes only its
  ``grade_id``, so ``CheckCellMetadata`` raises "does not have a grade_id".
- **Metadata nbgrader cannot read** (not a dict, no ``grade_id``):
  ``DeduplicateIds`` raises ``AttributeError`` or ``KeyError``.
- **A graded cell whose type was switched** (an answer cell turned into
  markdown, a test cell into markdown). ``OverwriteCells`` switches it back,
  but only logs it; the student never learns why their markdown ran as code.

:class:`ForgiveCopies` runs first in the sanitize chain and reads the
notebook's source cells from the gradebook (as ``OverwriteCells`` does). For
every cell with nbgrader metadata:

- metadata that has no usable ``grade_id`` is removed; so is metadata whose
  ``grade_id`` is not one of the notebook's source cells: the cell is graded
  as an ordinary cell;
- of several cells with the same ``grade_id`` the first stays the graded
  cell and the later copies lose their nbgrader metadata (they run as
  ordinary cells). One exception, for answer cells: if the first is still
  the blank cell of the assignment and a later copy was edited, the first
  edited copy is the answer (nbgrader would otherwise score the blank one 0
  without asking for manual grading);
- the graded cell gets its nbgrader metadata back as the gradebook has it
  (flags, points, schema version), so a damaged flag cannot fail validation
  or change what is graded, and its type back if it was switched (a code
  cell gets ``outputs=[]`` and ``execution_count=None``; a markdown cell
  loses both).

Nothing here raises on bad metadata. Each change a student should know about
is appended, in plain English, to ``resources["trilateral_notes"]`` and
logged as a warning. ``resources`` live for one nbgrader pass only (the
sanitize pass), so whoever shows the notes to the student must collect them
there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from nbformat import NotebookNode
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode

from . import journal

__all__ = ["ForgiveCopies", "SourceCellInfo"]

NOTES_KEY = "trilateral_notes"
SCHEMA_VERSION = 3
# nbgrader's own rule for a grade_id (nbgraderformat/v3.json).
_GRADE_ID = re.compile(r"^[a-zA-Z0-9_\-]+$")
_CLAIMS = ("grade", "solution", "locked", "task")
_COUNTS = {2: "twice", 3: "three times"}


@dataclass(frozen=True)
class SourceCellInfo:
    """What the gradebook says about one of the instructor's cells."""

    cell_type: str
    source: str
    checksum: str | None
    locked: bool
    grade: bool
    solution: bool
    task: bool
    points: float | None

    def metadata(self, grade_id: str) -> dict[str, Any]:
        """The cell's nbgrader metadata as ``generate_assignment`` writes it."""
        meta: dict[str, Any] = {
            "grade": self.grade,
            "grade_id": grade_id,
            "locked": self.locked,
            "schema_version": SCHEMA_VERSION,
            "solution": self.solution,
            "cell_type": self.cell_type,
        }
        if self.task:
            meta["task"] = True
        if self.points is not None:
            meta["points"] = self.points
        if self.checksum:
            meta["checksum"] = self.checksum
        return meta


def _text(value: Any) -> str:
    if isinstance(value, list):
        return "".join(str(part) for part in value)
    return value if isinstance(value, str) else ""


def _set_cell_type(cell: NotebookNode, cell_type: str) -> None:
    """Make ``cell`` a valid ``cell_type`` cell, as ``OverwriteCells`` would."""
    cell.cell_type = cell_type
    if cell_type == "code":
        cell.outputs = []
        cell.execution_count = None
        cell.pop("attachments", None)  # code cells cannot have attachments
    else:
        cell.pop("outputs", None)
        cell.pop("execution_count", None)


class ForgiveCopies(NbGraderPreprocessor):
    """Grade copied, foreign and retyped graded cells the way the student meant."""

    db_url = Unicode(
        "", help="The gradebook's URL (default: the one nbgrader passes in resources)"
    ).tag(config=True)
    course_id = Unicode(
        "", help="The course's id in the gradebook (default: CourseDirectory.course_id)"
    ).tag(config=True)

    # ------------------------------------------------------------------ gradebook
    def _course_id(self) -> str:
        if self.course_id:
            return self.course_id
        configured = self.config.get("CourseDirectory", {}).get("course_id")
        return configured if isinstance(configured, str) and configured else "default_course"

    def source_cells(self, resources: dict) -> dict[str, SourceCellInfo] | None:
        """The notebook's source cells by grade_id, or None if the gradebook has none."""
        from nbgrader.api import Gradebook, MissingEntry

        info = resources.get("nbgrader") or {}
        db_url = self.db_url or info.get("db_url") or ""
        notebook_id, assignment_id = info.get("notebook"), info.get("assignment")
        if not (db_url and notebook_id and assignment_id):
            self.log.warning("No gradebook notebook to compare with; only unreadable "
                             "grading metadata and copies are handled")
            return None
        with Gradebook(db_url, self._course_id()) as gb:
            try:
                notebook = gb.find_notebook(notebook_id, assignment_id)
            except MissingEntry:
                self.log.warning("Notebook %s/%s is not in the gradebook", assignment_id,
                                 notebook_id)
                return None
            grade = {cell.name: float(cell.max_score) for cell in notebook.grade_cells}
            task = {cell.name: float(cell.max_score) for cell in notebook.task_cells}
            solution = {cell.name for cell in notebook.solution_cells}
            return {
                cell.name: SourceCellInfo(
                    cell_type=cell.cell_type,
                    source=cell.source or "",
                    checksum=cell.checksum,
                    locked=bool(cell.locked),
                    grade=cell.name in grade,
                    solution=cell.name in solution,
                    task=cell.name in task,
                    points=grade.get(cell.name, task.get(cell.name)),
                )
                for cell in notebook.source_cells
            }

    # ------------------------------------------------------------------ notes
    def _note(self, resources: dict, text: str) -> None:
        resources.setdefault(NOTES_KEY, []).append(text)
        journal.note(text)  # for the student's feedback and the grading summary
        self.log.warning("%s", text)

    # ------------------------------------------------------------------ the rules
    def _readable_grade_id(self, cell: NotebookNode, number: int,
                           resources: dict) -> str | None:
        """The cell's grade_id, or None after removing metadata nbgrader cannot use."""
        metadata = cell.get("metadata")
        if not isinstance(metadata, dict) or "nbgrader" not in metadata:
            return None
        meta = metadata["nbgrader"]
        grade_id = meta.get("grade_id") if isinstance(meta, dict) else None
        if isinstance(grade_id, str) and _GRADE_ID.match(grade_id):
            return grade_id
        del metadata["nbgrader"]
        if not isinstance(meta, dict) or any(meta.get(key) for key in _CLAIMS):
            self._note(resources, f"cell {number} carried grading metadata that could not be "
                                  "read; it was graded as an ordinary cell")
        else:
            self.log.info("Removed empty grading metadata from cell %d", number)
        return None

    @staticmethod
    def _keeper(nb: NotebookNode, indices: list[int], source: SourceCellInfo | None) -> int:
        """Which of the cells sharing a grade_id stays the graded one."""
        first = indices[0]
        if source is None or not source.solution:
            return first

        def blank(index: int) -> bool:
            return _text(nb.cells[index].get("source")).strip() == source.source.strip()

        if blank(first):
            for index in indices[1:]:
                if not blank(index):
                    return index
        return first

    def _restore(self, cell: NotebookNode, grade_id: str, source: SourceCellInfo,
                 resources: dict) -> None:
        """Give the graded cell its gradebook metadata and type back."""
        wanted = source.metadata(grade_id)
        old = cell.metadata.get("nbgrader")
        if not isinstance(old, dict) or any(old.get(key) != wanted.get(key) for key in
                                            (*_CLAIMS, "points", "schema_version")):
            self.log.warning("Grading metadata of cell %s restored from the gradebook "
                             "(was %r)", grade_id, old)
        cell.metadata["nbgrader"] = NotebookNode(wanted)
        if cell.cell_type != source.cell_type:
            was = cell.cell_type
            _set_cell_type(cell, source.cell_type)
            graded_as = "code" if source.cell_type == "code" else "markdown"
            self._note(resources, f"cell {grade_id} had been changed to a {was} cell; it was "
                                  f"graded as {graded_as}")

    def preprocess(self, nb, resources):
        resources.setdefault(NOTES_KEY, [])
        sources = self.source_cells(resources)
        occurrences: dict[str, list[int]] = {}
        for index, cell in enumerate(nb.cells):
            grade_id = self._readable_grade_id(cell, index + 1, resources)
            if grade_id is None:
                continue
            if sources is not None and grade_id not in sources:
                del cell.metadata["nbgrader"]
                self._note(resources, "a cell you added carried grading metadata (grade_id "
                                      f"{grade_id!r}); it was graded as an ordinary cell")
                continue
            occurrences.setdefault(grade_id, []).append(index)

        for grade_id, indices in occurrences.items():
            source = sources.get(grade_id) if sources is not None else None
            keeper = self._keeper(nb, indices, source)
            if len(indices) > 1:
                for index in indices:
                    if index != keeper:
                        del nb.cells[index].metadata["nbgrader"]
                times = _COUNTS.get(len(indices), f"{len(indices)} times")
                if keeper == indices[0]:
                    rest = ("the copy was graded as an ordinary cell" if len(indices) == 2
                            else "the copies were graded as ordinary cells")
                else:
                    rest = ("the first was still blank, so your edited copy was graded as "
                            "the answer and " + ("the other as an ordinary cell"
                                                 if len(indices) == 2
                                                 else "the others as ordinary cells"))
                self._note(resources, f"cell {grade_id} appeared {times}; {rest}")
            if source is not None:
                self._restore(nb.cells[keeper], grade_id, source, resources)
        return nb, resources
