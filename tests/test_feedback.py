"""Feedback shows pass, fail and visible messages, never the hidden tests.

End to end on the fixture course: a submission that passes the visible tests
and fails the hidden ones, and one that fails a visible test, are autograded
and their feedback HTML generated through the course's configuration. The
hidden tests' source (which nbgrader's traceback would otherwise quote) must
not appear in it; the scores and the visible messages must.
"""

from __future__ import annotations

import html
import json
import re
import shutil
from pathlib import Path

import nbformat
import pytest
from fixtures import graded_course as fx
from nbformat.v4 import new_code_cell, new_notebook

from trilateral import answers, grading
from trilateral.grading.feedback import ClearWidgetState, HideHiddenTests, register
from trilateral.grading.testcells import HIDDEN_NOTE

from conftest import ROOT


def page_text(path: Path) -> str:
    """The text a reader of an HTML page sees (tags removed, entities decoded)."""
    raw = path.read_text(encoding="utf-8")
    raw = re.sub(r"<(script|style)\b.*?</\1>", " ", raw, flags=re.S | re.I)
    return html.unescape(re.sub(r"<[^>]+>", "", raw))


def test_register_adds_the_preprocessors() -> None:
    c = grading.course_config(ROOT)
    names = [getattr(p, "__name__", p) for p in c.GenerateFeedback.preprocessors]
    assert names.index("HideHiddenTests") == names.index("GetGrades") + 1
    assert ClearWidgetState in c.GenerateAssignment.preprocessors
    register(c)  # idempotent
    assert [getattr(p, "__name__", p) for p in c.GenerateFeedback.preprocessors] == names


def _executed(cells: list[str], monkeypatch: pytest.MonkeyPatch) -> nbformat.NotebookNode:
    """The cells run as nbgrader runs them: ``NBGRADER_EXECUTION`` set, so the
    learner's one-line errors (trilateral.friendly) stay off, as in grading."""
    from nbclient import NotebookClient

    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    nb = new_notebook(cells=[new_code_cell(src) for src in cells])
    nb.cells[-1].metadata["nbgrader"] = {"grade": True, "grade_id": "t", "points": 1}
    NotebookClient(nb, timeout=60, allow_errors=True).execute()
    return nb


def _plain(traceback: list[str]) -> str:
    return re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", "\n".join(traceback))


def _run(nb):
    return HideHiddenTests().preprocess(nb, {})[0].cells[-1]


@pytest.mark.slow
def test_tracebacks_of_hidden_and_visible_failures(monkeypatch: pytest.MonkeyPatch) -> None:
    tests = (
        "x = 1\n"
        "assert x == {visible}, 'x should be one'\n"
        "### BEGIN HIDDEN TESTS\n"
        "assert x == {hidden}, 'expected SECRET_2718'\n"
        "### END HIDDEN TESTS\n"
        "y = 2"
    )
    executed = _executed([tests.format(visible=1, hidden=3)], monkeypatch)
    assert "SECRET_2718" in _plain(executed.cells[-1].outputs[0]["traceback"]), "nbgrader's raw"
    hidden_fail = _run(executed)
    assert HIDDEN_NOTE in hidden_fail.source and "SECRET_2718" not in hidden_fail.source
    (err,) = hidden_fail.outputs
    text = _plain(err["traceback"])
    assert "SECRET_2718" not in text and "x == 3" not in text and err["evalue"] == ""
    assert "A hidden test failed" in text and "AssertionError" in text

    visible_fail = _run(_executed([tests.format(visible=5, hidden=3)], monkeypatch))
    (err,) = visible_fail.outputs
    text = _plain(err["traceback"])
    assert err["evalue"] == "x should be one" and "x should be one" in text
    assert "x == 5" in text, "the failing visible line is still shown"
    assert "SECRET_2718" not in text and "BEGIN HIDDEN" not in text

    # A message from trilateral.answers is safe to show: it never holds the key.
    from_answers = _run(
        _executed(
            [
                "from trilateral import answers\n"
                "### BEGIN HIDDEN TESTS\n"
                "answers.check('q-77', 'KEY_TEXT_5150')\n"
                "### END HIDDEN TESTS"
            ],
            monkeypatch,
        )
    )
    (err,) = from_answers.outputs
    text = _plain(err["traceback"])
    assert "No saved answer to 'q-77'" in text and "KEY_TEXT_5150" not in text


@pytest.mark.slow
def test_feedback_html_hides_hidden_tests(tmp_path: Path, isolated_home: Path, monkeypatch) -> None:
    monkeypatch.delenv(answers.ENV_DIR, raising=False)
    root = fx.build(tmp_path / "course", ROOT)
    release = grading.generate_assignment(root, fx.SECTION)
    students = {"hidden-fails": "answer = 41", "visible-fails": "answer = 'forty-two'"}
    for student, code in students.items():
        dest = root / "submitted" / student / fx.SECTION
        shutil.copytree(release, dest)
        nb = nbformat.read(dest / fx.NOTEBOOK, as_version=4)
        for cell in nb.cells:
            if cell.metadata.get("nbgrader", {}).get("grade_id") == "fx-ex1-solution":
                cell.source = code
        nbformat.write(nb, dest / fx.NOTEBOOK)
        answers.save_many({fx.MC_ID: "Red", fx.MS_ID: ["One", "Three"]}, dest)
        grading.autograde(root, fx.SECTION, student)
    grading.generate_feedback(root, fx.SECTION)

    source = (root / "notebooks" / fx.SECTION / fx.NOTEBOOK).read_text("utf-8")
    hidden_lines = [
        line.strip()
        for cell in json.loads(source)["cells"]
        for block in re.findall(
            r"BEGIN HIDDEN TESTS(.*?)### END HIDDEN TESTS", "".join(cell["source"]), re.S
        )
        for line in block.splitlines()
        if len(line.strip()) > 8
    ]
    assert hidden_lines
    for student in students:
        text = page_text(root / "feedback" / student / fx.SECTION / "fixture.html")
        for line in hidden_lines:
            assert line not in text, f"hidden test line shown to {student}: {line}"
        for marker in fx.HIDDEN_MARKERS:
            assert marker not in text
        assert HIDDEN_NOTE in text
        # Pass and fail still show, with the points.
        assert re.search(r"Grade cell:\s*fx-ex3-tests\s*Score:\s*2\.0 / 2\.0", text)
        assert re.search(r"Grade cell:\s*fx-ex2-tests\s*Score:\s*0\.0 / 1\.0", text)
        assert re.search(r"Grade cell:\s*fx-ex1-tests\s*Score:\s*0\.0 / 2\.0", text)
        # A wrong quiz answer fails a hidden check: the page says only that.
        assert "A hidden test failed" in text
    hidden = page_text(root / "feedback" / "hidden-fails" / fx.SECTION / "fixture.html")
    assert "A hidden test failed" in hidden
    visible = page_text(root / "feedback" / "visible-fails" / fx.SECTION / "fixture.html")
    assert "answer should be an int" in visible, "a visible test's message is kept"
