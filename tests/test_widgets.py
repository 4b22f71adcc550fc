"""Widgets answered by setting their controls, as a learner's clicks would."""

from __future__ import annotations

from pathlib import Path

import pytest

from trilateral import widgets
from trilateral.questions import Question, load_bank
from trilateral.widgets import exercise

from conftest import question_banks

# Self-checks only; graded questions have their own tests (test_graded_widgets.py).
QUESTIONS = [(path, q) for path in question_banks() for q in load_bank(path) if not q.graded]


def answer_right(widget: widgets.Exercise) -> None:
    q = widget.question
    if q.kind == "multiple_choice":
        widget.choices.value = next(i for i, o in enumerate(q.options) if o.correct)
    elif q.kind == "multiple_select":
        for box, opt in zip(widget.boxes, q.options, strict=True):
            box.value = opt.correct
    elif q.kind == "ordering":
        for slot, item in zip(widget.slots, q.items, strict=True):
            slot.value = item
    else:
        for pair in q.pairs:
            widget.selectors[pair.left].value = pair.right


def answer_wrong(widget: widgets.Exercise) -> str:
    """Give a wrong answer; return feedback text it must show."""
    q = widget.question
    if q.kind in ("multiple_choice", "multiple_select"):
        i, opt = next((i, o) for i, o in enumerate(q.options) if not o.correct)
        if q.kind == "multiple_choice":
            widget.choices.value = i
        else:
            widget.boxes[i].value = True
        return opt.feedback
    if q.kind == "ordering":
        items = list(q.items[1:]) + [q.items[0]]
        for slot, item in zip(widget.slots, items, strict=True):
            slot.value = item
        return q.item_feedback[1]
    rights = [p.right for p in q.pairs]
    rotated = rights[1:] + rights[:1]
    for pair, right in zip(q.pairs, rotated, strict=True):
        widget.selectors[pair.left].value = right
    return q.pairs[0].feedback


@pytest.mark.parametrize(
    ("path", "question"), QUESTIONS, ids=[f"{p.parent.name}:{q.id}" for p, q in QUESTIONS]
)
def test_right_then_wrong_then_right(path: Path, question: Question) -> None:
    widget = exercise(question)
    assert widget.check().answered is False, "a fresh widget has no answer selected"
    assert widget.feedback
    expected = answer_wrong(widget)
    widget._button.click()
    assert widget.result is not None and widget.result.correct is False
    assert expected in widget.feedback
    assert "&#10008;" in widget._feedback.value
    answer_right(widget)
    widget._button.click()
    assert widget.result.correct is True, widget.feedback
    assert widget.feedback.startswith("Correct")
    assert "&#10004;" in widget._feedback.value


def test_widgets_start_unanswered_and_shuffled() -> None:
    for _path, q in QUESTIONS:
        widget = exercise(q)
        if q.kind == "ordering":
            shown = [opt[1] for opt in widget.slots[0].options[1:]]
            assert shown != list(q.items), "the right order must not be the default"


def test_a_checking_bug_shows_a_message_not_a_traceback(monkeypatch) -> None:
    _path, question = QUESTIONS[0]
    widget = exercise(question)

    def broken(*_args):
        raise RuntimeError("boom")

    monkeypatch.setattr(widgets, "check", broken)
    answer_right(widget)
    result = widget.check()
    assert result.correct is False and "could not be checked" in result.message
    assert "Traceback" not in widget._feedback.value and "boom" not in widget._feedback.value
    assert widget.answer is not None, "the learner's choice is kept"


def test_repr_is_stable() -> None:
    _path, question = QUESTIONS[0]
    assert repr(exercise(question)) == repr(exercise(question))
    assert "0x" not in repr(exercise(question))


def test_exercise_rejects_non_questions() -> None:
    with pytest.raises(ValueError, match="needs a Question"):
        exercise("sop-claims-clause")
