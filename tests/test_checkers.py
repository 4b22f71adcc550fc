"""The pure checkers: right, wrong, unanswered and odd answers, every kind."""

from __future__ import annotations

import re

import pytest

from trilateral.checkers import Result, check
from trilateral.questions import parse_bank

BANK = parse_bank(
    {
        "section": "99_example",
        "title": "Example",
        "questions": [
            {
                "id": "mc",
                "kind": "multiple_choice",
                "prompt": "Which?",
                "explanation": "Because B.",
                "options": [
                    {"text": "A", "correct": False, "feedback": "A is wrong here."},
                    {"text": "B", "correct": True, "feedback": "B fits."},
                ],
            },
            {
                "id": "ms",
                "kind": "multiple_select",
                "prompt": "Which ones?",
                "options": [
                    {"text": "A", "correct": True, "feedback": "A fits."},
                    {"text": "B", "correct": True, "feedback": "B fits."},
                    {"text": "C", "correct": False, "feedback": "C is a decoy."},
                ],
            },
            {
                "id": "ord",
                "kind": "ordering",
                "prompt": "Order them.",
                "items": [
                    {"text": "first", "feedback": "comes first"},
                    {"text": "second", "feedback": "comes second"},
                    {"text": "third", "feedback": "comes last"},
                ],
            },
            {
                "id": "match",
                "kind": "matching",
                "prompt": "Match them.",
                "pairs": [
                    {"left": "x", "right": "1", "feedback": "x is 1"},
                    {"left": "y", "right": "2", "feedback": "y is 2"},
                ],
            },
        ],
    }
)


def test_multiple_choice() -> None:
    right = check(BANK["mc"], 1)
    assert right == Result(True, 1.0, "Correct. B fits. Because B.")
    wrong = check(BANK["mc"], 0)
    assert (wrong.correct, wrong.score, wrong.answered) == (False, 0.0, True)
    assert "A is wrong here." in wrong.message and "Try again" in wrong.message
    assert "Because B" not in wrong.message, "the explanation is for after a right answer"


@pytest.mark.parametrize("answer", [None, 7, -1, "B", True, 1.0])
def test_multiple_choice_odd_answers_are_feedback(answer) -> None:
    result = check(BANK["mc"], answer)
    assert result.answered is False and result.correct is False and result.message


def test_multiple_select() -> None:
    assert check(BANK["ms"], [0, 1]).correct
    assert check(BANK["ms"], {1, 0}).correct
    partial = check(BANK["ms"], [0])
    assert partial.score == 0.5 and "1 right answer is still unticked" in partial.message
    decoy = check(BANK["ms"], [0, 1, 2])
    assert not decoy.correct and "'C' does not belong: C is a decoy." in decoy.message
    assert decoy.score == 0.5
    assert check(BANK["ms"], [2]).score == 0.0
    for odd in (None, [], "01", [9], 3):
        assert check(BANK["ms"], odd).answered is False


def test_ordering() -> None:
    assert check(BANK["ord"], ["first", "second", "third"]).correct
    wrong = check(BANK["ord"], ["second", "first", "third"])
    assert wrong.score == pytest.approx(1 / 3, abs=1e-4)
    assert "1 of 3 in the right place" in wrong.message
    # Every misplaced item is named, each with its own reason.
    assert "'second' belongs at position 2, not 1: comes second" in wrong.message
    assert "'first' belongs at position 1, not 2: comes first" in wrong.message
    assert "'third'" not in wrong.message
    assert "placed twice" in check(BANK["ord"], ["first", "first", "third"]).message
    assert check(BANK["ord"], ["first", None, "third"]).answered is False
    assert check(BANK["ord"], ["first", "second"]).answered is False
    assert "not one of the items" in check(BANK["ord"], ["first", "second", "fourth"]).message
    assert check(BANK["ord"], "first second third").answered is False


def test_matching() -> None:
    assert check(BANK["match"], {"x": "1", "y": "2"}).correct
    wrong = check(BANK["match"], {"x": "2", "y": "1"})
    assert wrong.score == 0.0
    assert "'x' does not go with '2': x is 1" in wrong.message
    assert "'y' does not go with '1': y is 2" in wrong.message
    assert check(BANK["match"], {"x": "1"}).answered is False
    assert check(BANK["match"], {"x": "1", "y": "9"}).answered is False
    assert check(BANK["match"], ["1", "2"]).answered is False


def test_feedback_that_opens_with_its_own_verdict_is_not_doubled() -> None:
    bank = parse_bank({
        "section": "99_example", "title": "Example",
        "questions": [{
            "id": "v", "kind": "multiple_choice", "prompt": "Which?",
            "options": [
                {"text": "A", "correct": True, "feedback": "Right. A is the one."},
                {"text": "B", "correct": False, "feedback": "Not quite: b is a decoy."},
            ],
        }],
    })
    assert check(bank["v"], 0).message == "Correct. A is the one."
    assert check(bank["v"], 1).message == "Not quite. B is a decoy. Try again."


def test_no_bank_feedback_says_its_verdict_twice() -> None:
    from pathlib import Path

    from trilateral.questions import load_bank

    doubled = re.compile(
        r"^(Correct|Not quite)\W+(right|correct|yes|wrong|no|not quite)[.!:,;]", re.I
    )
    seen = 0
    for path in sorted((Path(__file__).parents[1] / "notebooks").glob("*/questions.yaml")):
        for question in load_bank(path):
            if question.graded or question.kind != "multiple_choice":
                continue
            for i in range(len(question.options)):
                seen += 1
                message = check(question, i).message
                assert not doubled.match(message), f"{question.id}: {message}"
    assert seen > 20


def test_check_rejects_non_questions() -> None:
    with pytest.raises(ValueError, match="needs a Question"):
        check({"kind": "multiple_choice"}, 0)
