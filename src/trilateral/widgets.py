"""Exercise widgets: one class per question kind, each wrapping :func:`check`.

The widgets hold no answer logic: they collect an answer, pass it to
:func:`trilateral.checkers.check` and show the message. A learner can change
the answer and check again as often as they like. Anything unexpected while
checking becomes a short message in the widget, never a traceback, and the
learner's choices stay where they were.

Tests (and curious learners) can drive a widget without a browser: set the
``value`` of its controls, call :meth:`Exercise.check` (what the button does)
and read :attr:`Exercise.feedback` or :attr:`Exercise.result`.
"""

from __future__ import annotations

import html
import logging
import random

import ipywidgets as w

from .checkers import Result, check
from .questions import Question

__all__ = [
    "Exercise",
    "MatchingExercise",
    "MultipleChoiceExercise",
    "MultipleSelectExercise",
    "OrderingExercise",
    "exercise",
]

log = logging.getLogger(__name__)

_STYLE = {
    True: "border-left:4px solid #009E73;padding:4px 8px;background:#e8f6f1",
    False: "border-left:4px solid #D55E00;padding:4px 8px;background:#fbeee6",
    None: "border-left:4px solid #999999;padding:4px 8px;background:#f4f4f4",
}
_FULL = w.Layout(width="auto", max_width="100%")


def _para(text: str) -> str:
    return html.escape(text).replace("\n", "<br>")


class Exercise(w.VBox):
    """Base class: a prompt, the answer controls, a Check button, feedback."""

    kind_label = "exercise"

    def __init__(self, question: Question, controls: list[w.Widget]) -> None:
        self.question = question
        self.result: Result | None = None
        self._prompt = w.HTML(f"<p><b>Self-check.</b> {_para(question.prompt)}</p>")
        self._button = w.Button(
            description="Check answer",
            button_style="primary",
            tooltip="Check your answer (you can change it and check again)",
            layout=w.Layout(width="auto"),
        )
        self._feedback = w.HTML("", layout=_FULL)
        self._button.on_click(lambda _b: self.check())
        super().__init__([self._prompt, *controls, self._button, self._feedback])
        self.add_class("trilateral-exercise")

    # What the subclasses provide ------------------------------------------------
    @property
    def answer(self):  # pragma: no cover - overridden
        """The learner's current answer, in the shape :func:`check` expects."""
        raise NotImplementedError

    # Behaviour ------------------------------------------------------------------
    @property
    def feedback(self) -> str:
        """The feedback text currently shown (plain text, no markup)."""
        return self.result.message if self.result else ""

    def check(self) -> Result:
        """Check the current answer, show the feedback and return the result."""
        try:
            result = check(self.question, self.answer)
        except Exception:  # a bug of ours must not show the learner a traceback
            log.exception("checking question %s failed", self.question.id)
            result = Result(
                False,
                0.0,
                "Sorry, this answer could not be checked. Your choices are kept; "
                "please tell your instructor which question this was.",
                answered=False,
            )
        self.result = result
        state = result.correct if result.answered else None
        mark = "&#10004; " if result.correct else ("" if not result.answered else "&#10008; ")
        self._feedback.value = (
            f'<div role="status" style="{_STYLE[state]}">{mark}{_para(result.message)}</div>'
        )
        return result

    def __repr__(self) -> str:
        # Stable text for stored notebook outputs (no widget ids).
        return f"<{self.kind_label} {self.question.id!r}>"


class MultipleChoiceExercise(Exercise):
    """Pick one option from radio buttons."""

    kind_label = "multiple-choice self-check"

    def __init__(self, question: Question) -> None:
        self.choices = w.RadioButtons(
            options=[(o.text, i) for i, o in enumerate(question.options)],
            value=None,
            layout=_FULL,
        )
        super().__init__(question, [self.choices])

    @property
    def answer(self) -> int | None:
        return self.choices.value


class MultipleSelectExercise(Exercise):
    """Tick any number of options."""

    kind_label = "multiple-select self-check"

    def __init__(self, question: Question) -> None:
        self.boxes = [
            w.Checkbox(value=False, description=o.text, indent=False, layout=_FULL)
            for o in question.options
        ]
        super().__init__(question, [w.VBox(self.boxes)])

    @property
    def answer(self) -> list[int]:
        return [i for i, box in enumerate(self.boxes) if box.value]


def _shuffled(items: list[str], seed: str) -> list[str]:
    """A fixed shuffle per question, so the right answer is never the default."""
    out = sorted(items)
    random.Random(seed).shuffle(out)
    if out == items and len(out) > 1:
        out = out[1:] + out[:1]
    return out


class OrderingExercise(Exercise):
    """Choose which item goes in each position, first to last."""

    kind_label = "ordering self-check"

    def __init__(self, question: Question) -> None:
        choices = _shuffled(list(question.items), question.id)
        self.slots = [
            w.Dropdown(
                options=[("(choose)", None)] + [(c, c) for c in choices],
                value=None,
                description=f"{i + 1}.",
                layout=_FULL,
                style={"description_width": "2.5em"},
            )
            for i in range(len(question.items))
        ]
        shown = w.HTML("<p>Items: " + "; ".join(_para(c) for c in choices) + "</p>", layout=_FULL)
        super().__init__(question, [shown, *self.slots])

    @property
    def answer(self) -> list[str | None]:
        return [slot.value for slot in self.slots]


class MatchingExercise(Exercise):
    """Choose a partner from a list for each item."""

    kind_label = "matching self-check"

    def __init__(self, question: Question) -> None:
        rights = _shuffled([p.right for p in question.pairs], question.id)
        self.selectors = {}
        rows = []
        for pair in question.pairs:
            label = w.HTML(f"<b>{_para(pair.left)}</b>", layout=_FULL)
            select = w.Dropdown(
                options=[("(choose)", None)] + [(r, r) for r in rights],
                value=None,
                layout=_FULL,
            )
            self.selectors[pair.left] = select
            rows.append(w.VBox([label, select]))
        super().__init__(question, rows)

    @property
    def answer(self) -> dict[str, str | None]:
        return {left: sel.value for left, sel in self.selectors.items()}


_CLASSES = {
    "multiple_choice": MultipleChoiceExercise,
    "multiple_select": MultipleSelectExercise,
    "ordering": OrderingExercise,
    "matching": MatchingExercise,
}


def exercise(question: Question) -> Exercise:
    """Build the widget for ``question`` according to its kind."""
    if not isinstance(question, Question):
        raise ValueError(f"exercise() needs a Question, got {type(question).__name__}")
    try:
        cls = _CLASSES[question.kind]
    except KeyError:
        raise ValueError(f"question {question.id!r} has unknown kind {question.kind!r}") from None
    return cls(question)
