"""Exercise widgets: one class per question kind, each wrapping :func:`check`.

The widgets hold no answer logic: they collect an answer, pass it to
:func:`trilateral.checkers.check` and show the message. A learner can change
the answer and check again as often as they like. Anything unexpected while
checking becomes a short message in the widget, never a traceback, and the
learner's choices stay where they were.

Tests (and curious learners) can drive a widget without a browser: set the
``value`` of its controls, call :meth:`Exercise.check` (what the button does)
and read :attr:`Exercise.feedback` or :attr:`Exercise.result`.

Graded questions (``graded: true`` in the bank) get a :class:`GradedExercise`
instead: no right or wrong shown, a *Submit answer* button that saves the
answer at once to ``answers.json`` (see :mod:`trilateral.answers`), and the
saved answer selected again when the widget is re-created (after a kernel
restart or on reopening the notebook). Drive it the same way: set the
controls, call :meth:`GradedExercise.submit` (or click ``_button``), read
:attr:`GradedExercise.status`. While nbgrader runs the notebook
(``NBGRADER_EXECUTION`` set) a graded widget is a plain line of text: nothing
interactive, nothing read or waited for. So is a self-check: it is never
graded, and a feedback page cannot draw a widget, only a line saying what is
there and where to try it.
"""

from __future__ import annotations

import html
import logging
import os
import random

import ipywidgets as w

from .checkers import Result, check
from .questions import Question
from .staticcopy import StaticCopy, question_html, shown_time

__all__ = [
    "Exercise",
    "GradedExercise",
    "GradedMultipleChoice",
    "GradedMultipleSelect",
    "GradedPlaceholder",
    "MatchingExercise",
    "MultipleChoiceExercise",
    "MultipleSelectExercise",
    "OrderingExercise",
    "SelfCheckPlaceholder",
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


def _option_buttons(question: Question) -> w.RadioButtons:
    """One radio button per option, none chosen; values are option indices."""
    return w.RadioButtons(
        options=[(o.text, i) for i, o in enumerate(question.options)],
        value=None,
        layout=_FULL,
    )


def _option_boxes(question: Question) -> list[w.Checkbox]:
    """One unticked checkbox per option, in the question's order."""
    return [
        w.Checkbox(value=False, description=o.text, indent=False, layout=_FULL)
        for o in question.options
    ]


class _QuestionCopy(StaticCopy):
    """The static copy of a question's widget, marked with the question's id.

    The copy a kernel makes names no saved answer; the course's save hook
    writes it in (:mod:`trilateral.publishing.savehook`).
    """

    question: Question

    def _static_html(self) -> str:
        return question_html(self.question)

    def _static_marker(self) -> dict:
        return {"question": self.question.id}


class Exercise(_QuestionCopy, w.VBox):
    """Base class: a prompt, the answer controls, a Check button, feedback.

    Its display also carries a static copy (see :mod:`trilateral.staticcopy`),
    which a reopened notebook shows until the cell runs again.
    """

    kind_label = "exercise"
    static_kind = "self-check"

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
        self.choices = _option_buttons(question)
        super().__init__(question, [self.choices])

    @property
    def answer(self) -> int | None:
        return self.choices.value


class MultipleSelectExercise(Exercise):
    """Tick any number of options."""

    kind_label = "multiple-select self-check"

    def __init__(self, question: Question) -> None:
        self.boxes = _option_boxes(question)
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
                # The description is the control's accessible name (a <label>
                # for the <select>): "Position 1", not a bare "1.".
                description=f"Position {i + 1}",
                layout=_FULL,
                style={"description_width": "6em"},
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
            # The bold text above is what a reader sees; the description is the
            # <select>'s accessible name, kept in a zero-width label so the
            # text is not shown twice.
            select = w.Dropdown(
                options=[("(choose)", None)] + [(r, r) for r in rights],
                value=None,
                description=f"Match for: {pair.left}",
                layout=_FULL,
                style={"description_width": "0px"},
            )
            self.selectors[pair.left] = select
            rows.append(w.VBox([label, select]))
        super().__init__(question, rows)

    @property
    def answer(self) -> dict[str, str | None]:
        return {left: sel.value for left, sel in self.selectors.items()}


# Graded questions -----------------------------------------------------------------

_SAVED_STYLE = "border-left:4px solid #0072B2;padding:4px 8px;background:#e6f1f8"


class GradedPlaceholder:
    """What a graded widget cell shows while nbgrader runs the notebook."""

    def __init__(self, question: Question) -> None:
        self.question = question

    def __repr__(self) -> str:
        return (
            f"Graded question {self.question.id!r}: the answer saved from its widget "
            "is graded by the test cell below."
        )


class GradedExercise(_QuestionCopy, w.VBox):
    """A graded question: Submit saves the answer; no right or wrong is shown.

    Its static copy names no answer: the course's server writes the answer
    saved in ``answers.json`` into it when the notebook is saved.
    """

    kind_label = "graded question"
    static_kind = "graded"

    def __init__(self, question: Question, controls: list[w.Widget]) -> None:
        from . import answers

        self._answers = answers
        self.question = question
        self.saved: str | tuple[str, ...] | None = None
        self._prompt = w.HTML(
            f"<p><b>Graded question.</b> {_para(question.prompt)}</p>", layout=_FULL
        )
        self._button = w.Button(
            description="Submit answer",
            button_style="primary",
            tooltip="Save this answer (you can change it and submit again)",
            layout=w.Layout(width="auto"),
        )
        self._status = w.HTML("", layout=_FULL)
        self._text = ""
        self._button.on_click(lambda _b: self.submit())
        super().__init__([self._prompt, *controls, self._button, self._status])
        self.add_class("trilateral-exercise")
        self.add_class("trilateral-graded")
        self._restore()
        for control in controls:
            self._watch(control)

    # What the subclasses provide ------------------------------------------------
    @property
    def answer(self):  # pragma: no cover - overridden
        """The chosen option text (or texts); ``None`` or ``[]`` when nothing is chosen."""
        raise NotImplementedError

    def _select(self, answer) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def _watch(self, control: w.Widget) -> None:
        if isinstance(control, w.Box):
            for child in control.children:
                self._watch(child)
        elif hasattr(control, "value"):
            control.observe(lambda _change: self._changed(), names="value")

    # Behaviour ------------------------------------------------------------------
    @property
    def status(self) -> str:
        """The message currently shown (plain text)."""
        return self._text

    def _show(self, text: str, saved: bool = False) -> None:
        self._text = text
        style = _SAVED_STYLE if saved else _STYLE[None]
        self._status.value = f'<div role="status" style="{style}">{_para(text)}</div>'

    @staticmethod
    def _describe(answer) -> str:
        return "; ".join(answer) if isinstance(answer, (list, tuple)) else str(answer)

    def _restore(self) -> None:
        try:
            found = self._answers.entry(self.question.id)
        except self._answers.AnswersFileError as exc:
            self._show(f"Your saved answer could not be read: {exc} Answer again and press Submit.")
            return
        except OSError as exc:
            self._show(f"Your saved answer could not be read ({exc.strerror}).")
            return
        if found is None:
            self._show("Not answered yet: choose, then press Submit answer to save.")
            return
        self.saved = found.answer
        self._select(found.answer)
        self._show(
            f"Saved answer ({shown_time(found.saved)}): {self._describe(found.answer)}. "
            "You can change it and submit again until you hand in the assignment; "
            "it is graded after that.",
            saved=True,
        )

    def _changed(self) -> None:
        current = self.answer
        if self.saved is not None and _same(current, self.saved):
            self._show(
                f"Saved answer: {self._describe(self.saved)}. It is graded after you hand in "
                "the assignment.",
                saved=True,
            )
        elif self.saved is not None:
            self._show("Changed but not saved: press Submit answer to save this answer.")

    def submit(self) -> bool:
        """Save the current answer (what the button does); True when saved."""
        answer = self.answer
        if not answer:
            self._show("Choose an answer first, then press Submit answer.")
            return False
        try:
            note = self._answers.save(self.question.id, answer)
        except self._answers.AnswersFileError as exc:
            self._show(f"Not saved: {exc}")
            return False
        except OSError as exc:
            log.exception("saving the answer to %s failed", self.question.id)
            self._show(
                f"Not saved: the answers file could not be written ({exc.strerror or exc}). "
                "Your earlier saved answers are unchanged; try again."
            )
            return False
        self.saved = tuple(answer) if isinstance(answer, list) else answer
        when = shown_time(str(self._answers.load().get(self.question.id, {}).get("saved", "")))
        text = (
            f"Saved ({when}): {self._describe(answer)}. You can change it and submit again "
            "until you hand in the assignment; it is graded after that."
        )
        self._show(f"{text} {note}".strip(), saved=True)
        return True

    def __repr__(self) -> str:
        return f"<{self.kind_label} {self.question.id!r}>"


def _same(a, b) -> bool:
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    return set(a or ()) == set(b or ())


class GradedMultipleChoice(GradedExercise):
    """A graded question: pick one option."""

    kind_label = "graded multiple-choice question"

    def __init__(self, question: Question) -> None:
        self.choices = _option_buttons(question)
        super().__init__(question, [self.choices])

    @property
    def answer(self) -> str | None:
        i = self.choices.value
        return None if i is None else self.question.options[i].text

    def _select(self, answer) -> None:
        texts = [o.text for o in self.question.options]
        if answer in texts:
            self.choices.value = texts.index(answer)


class GradedMultipleSelect(GradedExercise):
    """A graded question: tick every option that applies."""

    kind_label = "graded multiple-select question"

    def __init__(self, question: Question) -> None:
        self.boxes = _option_boxes(question)
        super().__init__(question, [w.VBox(self.boxes)])

    @property
    def answer(self) -> list[str]:
        pairs = zip(self.question.options, self.boxes, strict=True)
        return [o.text for o, box in pairs if box.value]

    def _select(self, answer) -> None:
        chosen = {answer} if isinstance(answer, str) else set(answer)
        for opt, box in zip(self.question.options, self.boxes, strict=True):
            box.value = opt.text in chosen


_GRADED = {
    "multiple_choice": GradedMultipleChoice,
    "multiple_select": GradedMultipleSelect,
}


_CLASSES = {
    "multiple_choice": MultipleChoiceExercise,
    "multiple_select": MultipleSelectExercise,
    "ordering": OrderingExercise,
    "matching": MatchingExercise,
}


class SelfCheckPlaceholder:
    """What a self-check cell shows while nbgrader runs the notebook.

    A self-check holds nothing to grade. Building the widget under nbgrader
    would cost every graded submission time, and its feedback page would show
    a widget reference that no browser can draw there.
    """

    def __init__(self, question: Question) -> None:
        self.question = question

    def __repr__(self) -> str:
        label = _CLASSES[self.question.kind].kind_label
        return (f"Self-check {self.question.id!r} ({label}, not graded): "
                "try it in the notebook.")


def exercise(question: Question):
    """Build the widget for ``question`` according to its kind.

    A graded question gives a :class:`GradedExercise`, or under nbgrader a
    :class:`GradedPlaceholder`; a self-check under nbgrader gives a
    :class:`SelfCheckPlaceholder`.
    """
    if not isinstance(question, Question):
        raise ValueError(f"exercise() needs a Question, got {type(question).__name__}")
    if question.graded:
        if os.environ.get("NBGRADER_EXECUTION"):
            return GradedPlaceholder(question)
        return _GRADED[question.kind](question)
    try:
        cls = _CLASSES[question.kind]
    except KeyError:
        raise ValueError(f"question {question.id!r} has unknown kind {question.kind!r}") from None
    if os.environ.get("NBGRADER_EXECUTION"):
        return SelfCheckPlaceholder(question)
    return cls(question)
