"""Graded widget exercises: the widget, and the whole way to the gradebook.

The widget is answered as a learner's clicks would answer it (set the
controls' ``value``, click the button). End to end: generate the student
version of a small fixture course, answer in the student's folder, submit
the folder, autograde with real kernels and read each item's score; then the
same with the answers file missing, empty, corrupt and edited by hand.
Reopening: answer, then start a new kernel, re-run, and the widget shows the
saved answer.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import nbformat
import pytest
from fixtures import graded_course as fx

from trilateral import answers, grading
from trilateral.questions import QuestionError, load_bank, parse_bank
from trilateral.widgets import (
    Exercise,
    GradedExercise,
    GradedPlaceholder,
    SelfCheckPlaceholder,
    exercise,
)

from conftest import ROOT, question_banks

COURSE_GRADED = [(p, q) for p in question_banks() for q in load_bank(p) if q.graded]


@pytest.fixture
def learner_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A student's assignment folder (the kernel's working directory)."""
    folder = tmp_path / "student" / fx.SECTION
    folder.mkdir(parents=True)
    (folder / "questions.yaml").write_text(json.dumps(fx.BANK), encoding="utf-8")
    monkeypatch.chdir(folder)
    monkeypatch.delenv(answers.ENV_DIR, raising=False)
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    return folder


def _bank(folder: Path):
    return load_bank(folder / "questions.yaml")


def answer(widget: GradedExercise, choice) -> None:
    """Choose like a learner: option text(s) -> control values, then click Submit."""
    texts = [o.text for o in widget.question.options]
    if widget.question.kind == "multiple_choice":
        widget.choices.value = texts.index(choice)
    else:
        for box, text in zip(widget.boxes, texts, strict=True):
            box.value = text in choice
    widget._button.click()


# The widget -----------------------------------------------------------------------


def test_submit_saves_at_once_and_says_saved_not_right(learner_folder: Path) -> None:
    widget = _bank(learner_folder).widget(fx.MC_ID)
    assert isinstance(widget, GradedExercise)
    assert "Not answered yet" in widget.status
    widget._button.click()
    assert "Choose an answer first" in widget.status
    assert not (learner_folder / answers.ANSWERS_FILE).exists()

    answer(widget, "Green")
    saved = json.loads((learner_folder / answers.ANSWERS_FILE).read_text("utf-8"))
    assert saved[fx.MC_ID]["answer"] == "Green"
    assert widget.status.startswith("Saved (") and "Green" in widget.status
    for verdict in ("Correct", "correct", "wrong", "Not quite", "right answer"):
        assert verdict not in widget.status, "a graded widget must not say right or wrong"

    widget.choices.value = 2
    assert "not saved" in widget.status
    widget._button.click()
    assert answers.entry(fx.MC_ID).answer == "Blue"


def test_multiple_select_saves_the_ticked_texts(learner_folder: Path) -> None:
    widget = _bank(learner_folder).widget(fx.MS_ID)
    answer(widget, ["One", "Three"])
    assert answers.entry(fx.MS_ID).answer == ("One", "Three")
    answers.check(fx.MS_ID, fx.MS_RIGHT)  # order does not matter


def test_recreated_widget_shows_the_saved_answer(learner_folder: Path) -> None:
    answer(_bank(learner_folder).widget(fx.MC_ID), "Green")
    answer(_bank(learner_folder).widget(fx.MS_ID), ["Two", "Four"])
    again = _bank(learner_folder).widget(fx.MC_ID)
    assert again.answer == "Green" and again.choices.value == 1
    assert again.status.startswith("Saved answer (") and "Green" in again.status
    ms = _bank(learner_folder).widget(fx.MS_ID)
    assert [b.value for b in ms.boxes] == [False, True, False, True]


def test_unreadable_file_is_explained_and_kept(learner_folder: Path) -> None:
    answer(_bank(learner_folder).widget(fx.MS_ID), ["One"])
    (learner_folder / answers.ANSWERS_FILE).write_text("{not json", encoding="utf-8")
    widget = _bank(learner_folder).widget(fx.MC_ID)
    assert "could not be read" in widget.status and "not valid JSON" in widget.status
    answer(widget, "Red")
    assert "answers.unreadable.json" in widget.status and "submit your other" in widget.status
    assert (learner_folder / answers.UNREADABLE_FILE).read_text("utf-8") == "{not json"
    assert answers.entry(fx.MC_ID).answer == "Red"


def test_full_disk_keeps_the_old_answers(learner_folder: Path, monkeypatch) -> None:
    widget = _bank(learner_folder).widget(fx.MC_ID)
    answer(widget, "Red")
    before = (learner_folder / answers.ANSWERS_FILE).read_bytes()
    real_fdopen = os.fdopen

    class Full:
        def __init__(self, fh):
            self.fh = fh

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.fh.close()

        def write(self, text):
            raise OSError(28, "No space left on device")

    monkeypatch.setattr(answers.os, "fdopen", lambda fd, *a, **k: Full(real_fdopen(fd, *a, **k)))
    answer(widget, "Blue")
    assert widget.status.startswith("Not saved") and "No space left" in widget.status
    assert (learner_folder / answers.ANSWERS_FILE).read_bytes() == before
    assert sorted(p.name for p in learner_folder.iterdir()) == ["answers.json", "questions.yaml"]


def test_under_nbgrader_a_plain_line(learner_folder: Path, monkeypatch) -> None:
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    shown = _bank(learner_folder).widget(fx.MC_ID)
    assert isinstance(shown, GradedPlaceholder)
    assert repr(shown).startswith(f"Graded question {fx.MC_ID!r}")
    # A self-check is a plain line too: nothing to grade, nothing a feedback page can draw.
    check = _bank(learner_folder).widget("fx-check")
    assert isinstance(check, SelfCheckPlaceholder)
    assert repr(check).startswith("Self-check 'fx-check' (")
    assert "not graded" in repr(check)
    monkeypatch.delenv("NBGRADER_EXECUTION")
    assert isinstance(_bank(learner_folder).widget("fx-check"), Exercise)


def test_repr_is_stable(learner_folder: Path) -> None:
    assert repr(_bank(learner_folder).widget(fx.MC_ID)) == (
        f"<graded multiple-choice question {fx.MC_ID!r}>"
    )


@pytest.mark.parametrize(
    ("path", "question"), COURSE_GRADED, ids=[q.id for _p, q in COURSE_GRADED] or None
)
def test_course_graded_questions_save_and_restore(
    path: Path, question, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(answers.ENV_DIR, raising=False)
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    widget = exercise(question)
    first = question.options[0].text
    answer(widget, first if question.kind == "multiple_choice" else [first])
    assert widget.status.startswith("Saved")
    assert exercise(question).answer in (first, [first])


# The question data ------------------------------------------------------------------


def _graded_bank(**change) -> dict:
    question = {
        "id": "g1",
        "kind": "multiple_choice",
        "graded": True,
        "prompt": "Pick.",
        "options": [{"text": "A"}, {"text": "B"}],
    }
    question.update(change)
    return {"section": "99_example", "title": "Example", "questions": [question]}


def test_graded_question_parses_without_key() -> None:
    q = parse_bank(_graded_bank(), "b.yaml")["g1"]
    assert q.graded and [o.correct for o in q.options] == [None, None]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"options": [{"text": "A", "correct": True}, {"text": "B"}]},
            r"options\[0\]: a graded question's options take no 'correct'",
        ),
        (
            {"options": [{"text": "A", "feedback": "x"}, {"text": "B"}]},
            r"options\[0\]: .*no 'feedback'",
        ),
        (
            {"kind": "ordering", "items": [{"text": "a", "feedback": "b"}] * 3},
            r"graded: only multiple_choice and multiple_select questions can be graded",
        ),
        ({"graded": "yes"}, r"graded: 'yes' is not true or false"),
        ({"options": [{"text": "A", "hint": "x"}, {"text": "B"}]}, r"'hint' was unexpected"),
    ],
    ids=["correct-key", "feedback-key", "ordering", "not-boolean", "unknown-key"],
)
def test_bad_graded_questions_fail_clearly(change, message) -> None:
    with pytest.raises(QuestionError, match=r"^b\.yaml: questions\[0\].*" + message):
        parse_bank(_graded_bank(**change), "b.yaml")


def test_self_check_rules_still_hold_when_graded_is_false() -> None:
    data = _graded_bank(graded=False)
    with pytest.raises(QuestionError, match="'correct' is a required property"):
        parse_bank(data, "b.yaml")


def test_checker_refuses_graded_questions() -> None:
    from trilateral.checkers import check

    with pytest.raises(ValueError, match="is graded"):
        check(parse_bank(_graded_bank(), "b.yaml")["g1"], 0)


# End to end through nbgrader ------------------------------------------------------------


@pytest.fixture
def fixture_course(tmp_path: Path, isolated_home: Path, monkeypatch) -> Path:
    # Grading must read each submission's own file, never the session's key.
    monkeypatch.delenv(answers.ENV_DIR, raising=False)
    return fx.build(tmp_path / "course", ROOT)


def _submit(root: Path, student: str) -> Path:
    dest = root / "submitted" / student / fx.SECTION
    shutil.copytree(root / "release" / fx.SECTION, dest)
    return dest


def _answer_in(folder: Path, mc: str | None, ms: list[str] | None, monkeypatch) -> None:
    with monkeypatch.context() as m:
        m.chdir(folder)
        bank = load_bank(folder / "questions.yaml")
        if mc is not None:
            answer(bank.widget(fx.MC_ID), mc)
        if ms is not None:
            answer(bank.widget(fx.MS_ID), ms)


def _grades(root: Path, student: str) -> dict[str, float]:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", course_id=grading.COURSE_ID) as gb:
        return {
            gid: float(gb.find_grade(gid, fx.NOTEBOOK_ID, fx.SECTION, student).score)
            for gid in fx.POINTS
        }


def _error_text(root: Path, student: str, grade_id: str) -> str:
    nb = fx.read(root / "autograded" / student / fx.SECTION / fx.NOTEBOOK)
    cell = next(
        c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") == grade_id
    )
    return " ".join(o.get("evalue", "") for o in cell["outputs"] if o["output_type"] == "error")


@pytest.mark.slow
def test_graded_widgets_end_to_end(fixture_course: Path, monkeypatch) -> None:
    root = fixture_course
    release = grading.generate_assignment(root, fx.SECTION)
    released = (release / fx.NOTEBOOK).read_text("utf-8")
    for secret in (*fx.HIDDEN_MARKERS, "answers.check", "BEGIN HIDDEN TESTS"):
        assert secret not in released
    bank_text = (release / "questions.yaml").read_text("utf-8")
    assert "correct" not in yaml_graded_part(bank_text)
    assert "widgets" not in json.loads(released)["metadata"], "no stored widget state"

    solved_code = {"fx-ex1-solution": "answer = 42"}
    cases = {
        # student: (mc answer, ms answer, file damage) -> expected scores
        "right": ("Blue", ["One", "Three"], None),
        "wrong": ("Red", None, None),
        "missing": (None, None, None),
        "empty": ("Blue", ["One", "Three"], "empty"),
        "corrupt": ("Blue", ["One", "Three"], "corrupt"),
        "edited": ("Red", ["One", "Three"], "edited"),
    }
    for student, (mc, ms, damage) in cases.items():
        folder = _submit(root, student)
        nb = nbformat.read(folder / fx.NOTEBOOK, as_version=4)
        for cell in nb.cells:
            gid = cell.metadata.get("nbgrader", {}).get("grade_id")
            if gid in solved_code:
                cell.source = solved_code[gid]
        nbformat.write(nb, folder / fx.NOTEBOOK)
        _answer_in(folder, mc, ms, monkeypatch)
        path = folder / answers.ANSWERS_FILE
        if damage == "empty":
            path.write_text("", encoding="utf-8")
        elif damage == "corrupt":
            path.write_text(path.read_text("utf-8")[:-10], encoding="utf-8")
        elif damage == "edited":  # the learner types the right answer into the file
            data = json.loads(path.read_text("utf-8"))
            data[fx.MC_ID]["answer"] = "Blue"
            path.write_text(json.dumps(data), encoding="utf-8")
        grading.autograde(root, fx.SECTION, student)

    got = {s: _grades(root, s) for s in cases}
    full = {"fx-ex1-tests": 2.0, "fx-ex2-tests": 1.0, "fx-ex3-tests": 2.0}
    code_only = {"fx-ex1-tests": 2.0, "fx-ex2-tests": 0.0, "fx-ex3-tests": 0.0}
    assert got == {
        "right": full,
        "wrong": code_only,
        "missing": code_only,
        "empty": code_only,
        "corrupt": code_only,
        "edited": {"fx-ex1-tests": 2.0, "fx-ex2-tests": 0.0, "fx-ex3-tests": 2.0},
    }
    # Each zero says why.
    assert "A hidden test failed" in _error_text(root, "wrong", "fx-ex2-tests")
    assert "there is no answers.json" in _error_text(root, "missing", "fx-ex2-tests")
    assert "has no answer to it" in _error_text(root, "wrong", "fx-ex3-tests")
    assert "is empty" in _error_text(root, "empty", "fx-ex3-tests")
    assert "not valid JSON" in _error_text(root, "corrupt", "fx-ex2-tests")
    assert "changed outside the widget" in _error_text(root, "edited", "fx-ex2-tests")
    # The widget cell rendered as a line of text under grading, not a widget.
    nb = fx.read(root / "autograded" / "right" / fx.SECTION / fx.NOTEBOOK)
    widget_cell = next(
        c
        for c in nb["cells"]
        if c["metadata"].get("nbgrader", {}).get("grade_id") == "fx-ex2-widget"
    )
    data = widget_cell["outputs"][0]["data"]
    assert list(data) == ["text/plain"] and "Graded question" in "".join(data["text/plain"])


def yaml_graded_part(text: str) -> str:
    """The graded questions of a bank file, as YAML text."""
    import yaml

    data = yaml.safe_load(text)
    return yaml.safe_dump([q for q in data["questions"] if q.get("graded")])


@pytest.mark.slow
def test_reopening_shows_the_saved_answer(tmp_path: Path, monkeypatch) -> None:
    """Answer in one kernel; a new kernel re-runs the cells and shows the answer."""
    from nbclient import NotebookClient

    monkeypatch.delenv(answers.ENV_DIR, raising=False)
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    folder = tmp_path / fx.SECTION
    folder.mkdir()
    (folder / "questions.yaml").write_text(json.dumps(fx.BANK), encoding="utf-8")
    setup = 'from trilateral.questions import load_bank\nbank = load_bank("questions.yaml")'
    first = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell(setup),
            nbformat.v4.new_code_cell(
                f'w = bank.widget("{fx.MC_ID}")\nw.choices.value = 2\nw._button.click()\n'
                "print(w.status)"
            ),
        ]
    )
    again = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell(setup),
            nbformat.v4.new_code_cell(
                f'w = bank.widget("{fx.MC_ID}")\nprint(repr(w.answer), w.choices.value)\n'
                "print(w.status)"
            ),
        ]
    )
    resources = {"metadata": {"path": str(folder)}}
    NotebookClient(first, timeout=60, resources=resources).execute()
    assert first.cells[1].outputs[0]["text"].startswith("Saved (")
    NotebookClient(again, timeout=60, resources=resources).execute()
    shown = again.cells[1].outputs[0]["text"]
    assert shown.startswith("'Blue' 2\nSaved answer (") and "Blue" in shown
