"""ForgiveCopies: honest structural mistakes no longer break or misgrade a submission.

A real nbgrader course (the tiny demo course of ``support_course``) is
generated once, so the gradebook holds the instructor's source cells. Each
mistake is made in a copy of the released notebook with the answers filled
in, and the notebook goes through ForgiveCopies and then nbgrader's own
sanitize steps (``ClearOutput``, ``DeduplicateIds``, ``OverwriteCells``,
``CheckCellMetadata``), as in ``nbgrader autograde``. No kernel runs: what
matters is which cells end up graded, not what they print.

The same notebooks through nbgrader's steps alone show the faults this
fixes: a copied graded cell, a foreign graded cell or unreadable metadata
make the chain raise, and the submission is not graded at all.
"""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import nbformat
import pytest
from nbformat import NotebookNode
from nbformat.v4.nbbase import validate
from nbgrader.nbgraderformat import SchemaTooOldError, ValidationError
from nbgrader.preprocessors import (
    CheckCellMetadata,
    ClearOutput,
    DeduplicateIds,
    OverwriteCells,
)
from nbgrader.utils import determine_grade, is_grade

from trilateral import grading
from trilateral.grading.forgive import ForgiveCopies

from support_course import NOTEBOOK, SECTION, jupyter_home, make_course, released, solved

NOTEBOOK_ID = NOTEBOOK.removesuffix(".ipynb")
GRADED_IDS = ["demo-setup", "demo-ex1-solution", "demo-ex1-tests", "demo-ex2-solution",
              "demo-ex2-tests", "demo-written-1"]
# The nbgrader metadata that decides how a cell is graded (the checksum is nbgrader's).
FLAGS = ("grade", "solution", "locked", "task", "points", "grade_id", "schema_version")
TEST_SOURCE_1 = "assert double(2) == 4\n### BEGIN HIDDEN TESTS\nassert double(-21) == -42"


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The demo course, generated once: release/ and a gradebook with its source cells."""
    base = tmp_path_factory.mktemp("forgive")
    home = base / "home"
    home.mkdir()
    with pytest.MonkeyPatch.context() as mp:
        for name, value in jupyter_home(home).items():
            mp.setenv(name, value)
        root = make_course(base / "course")
        grading.generate_assignment(root, SECTION)
        yield root


def resources(root: Path) -> dict:
    """What nbgrader's converter passes to its preprocessors for one submission."""
    return {"nbgrader": {"student": "kim", "assignment": SECTION, "notebook": NOTEBOOK_ID,
                         "db_url": f"sqlite:///{root / 'gradebook.db'}"}}


def notebook(nb: dict) -> NotebookNode:
    """``nb`` read as nbgrader reads a submitted file."""
    return nbformat.reads(json.dumps(nb), as_version=4)


def position(nb: dict, grade_id: str) -> int:
    return next(i for i, cell in enumerate(nb["cells"])
                if cell["metadata"].get("nbgrader", {}).get("grade_id") == grade_id)


def copied_below(grade_id: str, source: str) -> Callable[[dict], dict]:
    """Copy the cell ``grade_id`` and paste it below, then edit the copy (JupyterLab)."""
    def mistake(nb: dict) -> dict:
        i = position(nb, grade_id)
        pasted = copy.deepcopy(nb["cells"][i])
        pasted["id"] = f"pasted-{len(nb['cells'])}"  # JupyterLab gives a pasted cell a new id
        pasted["source"] = source
        nb["cells"].insert(i + 1, pasted)
        return nb
    return mistake


def switched_to(grade_id: str, cell_type: str) -> Callable[[dict], dict]:
    """Change the type of cell ``grade_id`` (the toolbar's cell-type menu)."""
    def mistake(nb: dict) -> dict:
        cell = nb["cells"][position(nb, grade_id)]
        cell["cell_type"] = cell_type
        if cell_type == "code":
            cell.update(outputs=[], execution_count=None)
        else:
            cell.pop("outputs", None)
            cell.pop("execution_count", None)
        return nb
    return mistake


def added(cell: dict) -> Callable[[dict], dict]:
    """Add ``cell`` at the end of the notebook."""
    def mistake(nb: dict) -> dict:
        nb["cells"].append({"id": "added-cell", **copy.deepcopy(cell)})
        return nb
    return mistake


def damaged(grade_id: str, **changes: object) -> Callable[[dict], dict]:
    """Change the nbgrader metadata of cell ``grade_id`` (None deletes a key)."""
    def mistake(nb: dict) -> dict:
        meta = nb["cells"][position(nb, grade_id)]["metadata"]["nbgrader"]
        for key, value in changes.items():
            if value is None:
                meta.pop(key, None)
            else:
                meta[key] = value
        return nb
    return mistake


FOREIGN_META = {"grade": True, "solution": False, "locked": True, "points": 2,
                "grade_id": "week3-ex4-tests", "schema_version": 3}
MISTAKES: dict[str, tuple[Callable[[dict], dict], str | None]] = {
    # name: (the mistake, a note the student gets)
    "duplicated-test": (copied_below("demo-ex1-tests", "assert double(3) == 6"),
                        "cell demo-ex1-tests appeared twice; the copy was graded as an "
                        "ordinary cell"),
    "duplicated-solution": (copied_below("demo-ex1-solution", "print(double(21))"),
                            "cell demo-ex1-solution appeared twice; the copy was graded as an "
                            "ordinary cell"),
    "extra-graded-cell": (added({"cell_type": "code", "source": "x = 1", "outputs": [],
                                 "execution_count": None,
                                 "metadata": {"nbgrader": FOREIGN_META}}),
                          "a cell you added carried grading metadata (grade_id "
                          "'week3-ex4-tests'); it was graded as an ordinary cell"),
    "solution-to-markdown": (switched_to("demo-ex1-solution", "markdown"),
                             "cell demo-ex1-solution had been changed to a markdown cell; it was "
                             "graded as code"),
    "test-to-markdown": (switched_to("demo-ex1-tests", "markdown"),
                         "cell demo-ex1-tests had been changed to a markdown cell; it was graded "
                         "as code"),
    "written-to-code": (switched_to("demo-written-1", "code"),
                        "cell demo-written-1 had been changed to a code cell; it was graded as "
                        "markdown"),
    "metadata-not-a-dict": (added({"cell_type": "code", "source": "y = 2", "outputs": [],
                                   "execution_count": None,
                                   "metadata": {"nbgrader": "grade me"}}),
                            "cell 11 carried grading metadata that could not be read; it was "
                            "graded as an ordinary cell"),
    "metadata-without-grade-id": (added({"cell_type": "markdown", "source": "Notes",
                                         "metadata": {"nbgrader": {
                                             "grade": True, "solution": True, "locked": False,
                                             "points": 1, "schema_version": 3}}}),
                                  "cell 11 carried grading metadata that could not be read; it "
                                  "was graded as an ordinary cell"),
    "unknown-id-old-schema": (added({"cell_type": "code", "source": "z = 3", "outputs": [],
                                     "execution_count": None,
                                     "metadata": {"nbgrader": {**FOREIGN_META,
                                                               "schema_version": 1}}}),
                              "a cell you added carried grading metadata (grade_id "
                              "'week3-ex4-tests'); it was graded as an ordinary cell"),
    "known-id-damaged-flags": (damaged("demo-ex2-tests", schema_version=2, locked=None,
                                       points="3"),
                               None),
}


def submission(root: Path, name: str) -> NotebookNode:
    mistake, _note = MISTAKES[name]
    return notebook(mistake(solved(released(root))))


def nbgrader_sanitize(nb: NotebookNode, res: dict) -> NotebookNode:
    """nbgrader's sanitize steps that read the grading metadata, in its order."""
    for step in (ClearOutput(), DeduplicateIds(), OverwriteCells(), CheckCellMetadata()):
        nb, res = step.preprocess(nb, res)
    return nb


def graded_cells(nb: NotebookNode) -> dict[str, list[int]]:
    """Positions of the cells that carry each grade_id."""
    out: dict[str, list[int]] = {}
    for index, cell in enumerate(nb.cells):
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid:
            out.setdefault(gid, []).append(index)
    return out


@pytest.mark.slow
@pytest.mark.parametrize("name", list(MISTAKES))
def test_mistakes_are_graded_as_meant(course: Path, name: str) -> None:
    original = notebook(solved(released(course)))
    nb = submission(course, name)
    res = resources(course)
    nb, res = ForgiveCopies(course_id=grading.COURSE_ID).preprocess(nb, res)
    for cell in nb.cells:  # every cell is valid for its type before nbgrader sees it
        validate(cell, f"{cell.cell_type}_cell")
    types = {cell.id: cell.cell_type for cell in original.cells}
    assert [c.cell_type for c in nb.cells if c.id in types] == list(types.values())
    nb = nbgrader_sanitize(nb, res)  # no exception

    positions = graded_cells(nb)
    assert sorted(positions) == sorted(GRADED_IDS)
    expected = graded_cells(original)
    for gid in GRADED_IDS:
        assert len(positions[gid]) == 1, gid
        graded, source = nb.cells[positions[gid][0]], original.cells[expected[gid][0]]
        assert graded.id == source.id, gid  # the original cell stays the graded one
        assert graded.cell_type == source.cell_type, gid
        for key in FLAGS:
            assert graded.metadata.nbgrader.get(key) == source.metadata.nbgrader.get(key), gid
    assert nb.cells[positions["demo-ex1-tests"][0]].source == TEST_SOURCE_1 + (
        "\n### END HIDDEN TESTS")
    note = MISTAKES[name][1]
    assert res["trilateral_notes"] == ([note] if note else [])


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("duplicated-test", SchemaTooOldError),
        ("duplicated-solution", SchemaTooOldError),
        ("extra-graded-cell", ValidationError),
        ("metadata-not-a-dict", AttributeError),
        ("metadata-without-grade-id", KeyError),
        ("unknown-id-old-schema", SchemaTooOldError),
        ("known-id-damaged-flags", SchemaTooOldError),
    ],
)
def test_nbgrader_alone_fails_the_whole_submission(course: Path, name: str,
                                                   error: type[Exception]) -> None:
    """The fault: without ForgiveCopies, nbgrader's chain raises and nothing is graded."""
    with pytest.raises(error):
        nbgrader_sanitize(submission(course, name), resources(course))


@pytest.mark.slow
def test_nbgrader_alone_keeps_the_last_copy_of_a_test(course: Path) -> None:
    """Before failing, DeduplicateIds grades the student's copy and drops the original."""
    nb = submission(course, "duplicated-test")
    original_index = position(solved(released(course)), "demo-ex1-tests")
    nb, _ = DeduplicateIds().preprocess(nb, resources(course))
    assert nb.cells[original_index].metadata.nbgrader == {}
    assert nb.cells[original_index + 1].metadata.nbgrader["grade_id"] == "demo-ex1-tests"


@pytest.mark.slow
@pytest.mark.parametrize("name", ["solution-to-markdown", "test-to-markdown", "written-to-code"])
def test_nbgrader_alone_switches_types_back_without_telling(course: Path, name: str) -> None:
    """nbgrader already restores a switched type; ForgiveCopies adds the student's note."""
    res = resources(course)
    nb = nbgrader_sanitize(submission(course, name), res)
    types = {gid: nb.cells[i[0]].cell_type for gid, i in graded_cells(nb).items()}
    assert types["demo-ex1-solution"] == types["demo-ex1-tests"] == "code"
    assert types["demo-written-1"] == "markdown"
    assert "trilateral_notes" not in res


@pytest.mark.slow
def test_blank_answer_with_an_edited_copy_grades_the_copy(course: Path) -> None:
    """A written answer left blank, with the answer typed into a duplicate of it."""
    nb = solved(released(course))
    blank = released(course)["cells"][position(nb, "demo-written-1")]["source"]
    nb = copied_below("demo-written-1", "Because the two answers say so.")(nb)
    nb["cells"][position(nb, "demo-written-1")]["source"] = blank
    res = resources(course)
    nb, res = ForgiveCopies(course_id=grading.COURSE_ID).preprocess(notebook(nb), res)
    nb = nbgrader_sanitize(nb, res)
    [index] = graded_cells(nb)["demo-written-1"]
    answer = nb.cells[index]
    assert answer.source == "Because the two answers say so."
    assert determine_grade(answer) == (None, 2.0)  # waits for manual grading, not 0
    assert res["trilateral_notes"] == [
        "cell demo-written-1 appeared twice; the first was still blank, so your edited copy "
        "was graded as the answer and the other as an ordinary cell"]


@pytest.mark.slow
def test_three_copies_keep_the_first(course: Path) -> None:
    nb = solved(released(course))
    for text in ("assert double(5) == 10", "assert double(6) == 12"):
        nb = copied_below("demo-ex2-tests", text)(nb)
    res = resources(course)
    nb, res = ForgiveCopies(course_id=grading.COURSE_ID).preprocess(notebook(nb), res)
    nb = nbgrader_sanitize(nb, res)
    first = position(solved(released(course)), "demo-ex2-tests")
    assert graded_cells(nb)["demo-ex2-tests"] == [first]
    assert [c.source for c in nb.cells[first + 1:first + 3]] == [
        "assert double(6) == 12", "assert double(5) == 10"]
    assert res["trilateral_notes"] == [
        "cell demo-ex2-tests appeared three times; the copies were graded as ordinary cells"]


@pytest.mark.slow
def test_settings_come_from_the_course_config(course: Path) -> None:
    """In nbgrader the gradebook and course id come from the course's configuration."""
    pp = ForgiveCopies(config=grading.course_config(course))
    nb, res = pp.preprocess(submission(course, "extra-graded-cell"), resources(course))
    assert "nbgrader" not in nb.cells[-1].metadata
    assert len(res["trilateral_notes"]) == 1


@pytest.mark.slow
def test_notes_are_logged_as_warnings(course: Path, caplog: pytest.LogCaptureFixture) -> None:
    pp = ForgiveCopies(course_id=grading.COURSE_ID)
    with caplog.at_level(logging.WARNING):
        _, res = pp.preprocess(submission(course, "duplicated-test"), resources(course))
    assert res["trilateral_notes"][0] in caplog.text


@pytest.mark.slow
def test_notebook_missing_from_gradebook_only_fixes_what_breaks_nbgrader(course: Path) -> None:
    res = resources(course)
    res["nbgrader"]["notebook"] = "not-in-the-gradebook"
    nb = submission(course, "duplicated-test")
    nb.cells.append(nbformat.v4.new_code_cell("x", metadata={"nbgrader": ["bad"]}))
    nb, res = ForgiveCopies(course_id=grading.COURSE_ID).preprocess(nb, res)
    assert len(graded_cells(nb)["demo-ex1-tests"]) == 1
    assert "nbgrader" not in nb.cells[-1].metadata


# --- without a gradebook (fast) -------------------------------------------------


def test_without_a_gradebook_never_raises_on_bad_metadata() -> None:
    """No gradebook known: copies and unreadable metadata are still handled."""
    cells = [
        nbformat.v4.new_code_cell("a", metadata={"nbgrader": None}),
        nbformat.v4.new_code_cell("b", metadata={"nbgrader": {"grade": True, "grade_id": 7}}),
        # Claims nothing: removed without a note (nbgrader would still reject it).
        nbformat.v4.new_code_cell("c", metadata={"nbgrader": {"grade_id": "has space"}}),
        nbformat.v4.new_code_cell("d", metadata={"nbgrader": {}}),
        nbformat.v4.new_code_cell("e", metadata={"nbgrader": {"grade_id": "ok", "grade": True}}),
        nbformat.v4.new_code_cell("f", metadata={"nbgrader": {"grade_id": "ok", "grade": True}}),
    ]
    nb = nbformat.v4.new_notebook()
    nb.cells = cells
    nb, res = ForgiveCopies().preprocess(nb, {})
    assert [("nbgrader" in c.metadata) for c in nb.cells] == [False] * 4 + [True, False]
    assert res["trilateral_notes"] == [
        "cell 1 carried grading metadata that could not be read; it was graded as an ordinary "
        "cell",
        "cell 2 carried grading metadata that could not be read; it was graded as an ordinary "
        "cell",
        "cell ok appeared twice; the copy was graded as an ordinary cell",
    ]
    assert is_grade(nb.cells[4])
