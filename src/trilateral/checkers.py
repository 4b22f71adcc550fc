"""Check a learner's answer to a question: pure logic, no widgets.

:func:`check` takes a :class:`~trilateral.questions.Question` and an answer
and returns a :class:`Result` with a message that teaches: which choice was
wrong and why, which item is out of place. It never raises for a learner's
answer, however odd (nothing chosen, an unknown option, a repeated item):
that is feedback, not an error. Only a non-question argument, or a graded
question (whose key is not in the bank), raises.

Answer shapes, by kind:

- ``multiple_choice``: the index of the chosen option, or ``None``.
- ``multiple_select``: an iterable of chosen option indices.
- ``ordering``: the item texts in the learner's order (``None`` for a gap).
- ``matching``: a mapping from each left item to the chosen right item.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .questions import Question

__all__ = ["Result", "check"]


@dataclass(frozen=True)
class Result:
    """The outcome of checking one answer.

    ``score`` is the share of the question answered right, from 0 to 1;
    ``answered`` is False when the learner has not given a full answer yet.
    """

    correct: bool
    score: float
    message: str
    answered: bool = True


def _unanswered(message: str) -> Result:
    return Result(False, 0.0, message, answered=False)


def _with_explanation(q: Question, text: str) -> str:
    return f"{text} {q.explanation}".strip() if q.explanation else text


# Feedback written in a bank often opens with its own verdict ("Right. ..."); the
# checker already says "Correct." or "Not quite.", so a second verdict is dropped.
_VERDICT = re.compile(r"^\s*(?:right|correct|yes|exactly|wrong|no|not quite|incorrect)[.!:,;]\s+",
                      re.IGNORECASE)


def _without_verdict(feedback: str) -> str:
    """``feedback`` without a leading "Right." or "Not quite." of its own."""
    rest = _VERDICT.sub("", feedback, count=1)
    if rest == feedback or not rest:
        return feedback
    return rest[:1].upper() + rest[1:]


def check(question: Question, answer: Any) -> Result:
    """Check ``answer`` against ``question`` and explain the outcome."""
    if not isinstance(question, Question):
        raise ValueError(f"check() needs a Question, got {type(question).__name__}")
    if question.graded:
        raise ValueError(
            f"question {question.id!r} is graded: its key is in the notebook's hidden tests "
            "(trilateral.answers.check), not in the question bank"
        )
    checker = {
        "multiple_choice": _multiple_choice,
        "multiple_select": _multiple_select,
        "ordering": _ordering,
        "matching": _matching,
    }.get(question.kind)
    if checker is None:
        raise ValueError(f"question {question.id!r} has unknown kind {question.kind!r}")
    return checker(question, answer)


def _index(answer: Any, size: int) -> int | None:
    if isinstance(answer, bool) or not isinstance(answer, int):
        return None
    return answer if 0 <= answer < size else None


def _multiple_choice(q: Question, answer: Any) -> Result:
    if answer is None:
        return _unanswered("Choose an answer, then check it.")
    idx = _index(answer, len(q.options))
    if idx is None:
        return _unanswered("That is not one of the options; choose one of them.")
    opt = q.options[idx]
    if opt.correct:
        return Result(True, 1.0, _with_explanation(q, f"Correct. {_without_verdict(opt.feedback)}"))
    return Result(False, 0.0, f"Not quite. {_without_verdict(opt.feedback)} Try again.")


def _multiple_select(q: Question, answer: Any) -> Result:
    if answer is None or isinstance(answer, (str, bytes)) or not isinstance(answer, Iterable):
        return _unanswered("Tick every option you think is right, then check.")
    chosen = set()
    for a in answer:
        idx = _index(a, len(q.options))
        if idx is None:
            return _unanswered("One of the ticked answers is not an option; tick from the list.")
        chosen.add(idx)
    if not chosen:
        return _unanswered("Tick every option you think is right, then check.")
    right = {i for i, o in enumerate(q.options) if o.correct}
    wrong_ticks = sorted(chosen - right)
    missed = sorted(right - chosen)
    hits = len(chosen & right)
    score = max(0.0, (hits - len(wrong_ticks)) / len(right))
    if not wrong_ticks and not missed:
        return Result(True, 1.0, _with_explanation(q, "Correct: you found all of them."))
    lines = []
    for i in wrong_ticks:
        lines.append(
            f"'{q.options[i].text}' does not belong: {_without_verdict(q.options[i].feedback)}"
        )
    if missed:
        n = len(missed)
        lines.append(f"{n} right answer{'s are' if n > 1 else ' is'} still unticked.")
    return Result(False, round(score, 4), " ".join(lines) + " Try again.")


def _ordering(q: Question, answer: Any) -> Result:
    if answer is None or isinstance(answer, (str, bytes)) or not isinstance(answer, Sequence):
        return _unanswered("Put every item in a position, then check.")
    placed = list(answer)
    if len(placed) != len(q.items) or any(a is None for a in placed):
        return _unanswered(f"Place all {len(q.items)} items, one in each position, then check.")
    unknown = [a for a in placed if a not in q.items]
    if unknown:
        return _unanswered(f"'{unknown[0]}' is not one of the items; choose from the list.")
    repeated = sorted({a for a in placed if placed.count(a) > 1})
    if repeated:
        return _unanswered(f"'{repeated[0]}' is placed twice; each item goes in one position.")
    right = [a == b for a, b in zip(placed, q.items, strict=True)]
    n_right = sum(right)
    if all(right):
        return Result(True, 1.0, _with_explanation(q, "Correct: that is the order."))
    # Every misplaced item, each with where it belongs and its own reason.
    misplaced = [
        f"'{item}' belongs at position {q.items.index(item) + 1}, not {pos + 1}: "
        f"{_without_verdict(q.item_feedback[q.items.index(item)])}"
        for pos, (item, ok) in enumerate(zip(placed, right, strict=True))
        if not ok
    ]
    msg = f"{n_right} of {len(q.items)} in the right place. " + " ".join(misplaced) + " Try again."
    return Result(False, round(n_right / len(q.items), 4), msg)


def _matching(q: Question, answer: Any) -> Result:
    if not isinstance(answer, Mapping):
        return _unanswered("Choose a partner for every item, then check.")
    lefts = [p.left for p in q.pairs]
    rights = {p.right for p in q.pairs}
    if any(answer.get(left) is None for left in lefts):
        return _unanswered("Choose a partner for every item, then check.")
    unknown = [answer[left] for left in lefts if answer[left] not in rights]
    if unknown:
        return _unanswered(f"'{unknown[0]}' is not one of the choices; choose from the list.")
    wrong = [p for p in q.pairs if answer[p.left] != p.right]
    if not wrong:
        return Result(True, 1.0, _with_explanation(q, "Correct: every pair matches."))
    n_right = len(q.pairs) - len(wrong)
    # Every wrong pair, each with the reason for its own right partner.
    mismatched = [
        f"'{p.left}' does not go with '{answer[p.left]}': {_without_verdict(p.feedback)}"
        for p in wrong
    ]
    msg = f"{n_right} of {len(q.pairs)} pairs right. " + " ".join(mismatched) + " Try again."
    return Result(False, round(n_right / len(q.pairs), 4), msg)
