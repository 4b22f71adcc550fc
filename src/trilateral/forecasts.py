"""Forecasts on the essay's open questions, and the Brier score that grades them.

In March 2021 the essay left several questions open: the April mayoral races,
North Korea's next tests, whether Tokyo and Seoul would mend their trade
quarrel. The ``forecast_questions`` dataset turns a few of them into yes/no
questions with known outcomes. A learner states a probability for each (in the
challenges notebook, with :func:`widget`), and the hindsight notebook scores
those probabilities with :func:`brier` against the naive forecasts of
:func:`baselines`.

Saving is always the learner's choice: the widget writes ``forecasts.json``
only when its button is clicked, never when a notebook cell runs, so an
automated run of the notebooks writes nothing. The file lives with the
learner's work, in the assignment folder of the section that asks for the
forecasts (``05_challenges_and_opportunities/forecasts.json``, found beside
the hindsight notebook's own folder), or in ``$TRILATERAL_HOME`` when that
is set; see :func:`forecasts_path`. A file saved by an earlier version in
``~/.trilateral`` is still read until the learner saves again.
"""

from __future__ import annotations

import functools
import json
import math
import os
import tempfile
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pandas and ipywidgets load only when used
    import ipywidgets
    import pandas as pd

__all__ = [
    "DATASET",
    "FILENAME",
    "baselines",
    "brier",
    "forecasts_path",
    "load",
    "questions",
    "save",
    "widget",
]

DATASET = "forecast_questions"
FILENAME = "forecasts.json"


def questions() -> pd.DataFrame:
    """The forecast questions with their outcomes, via :func:`trilateral.data.load`."""
    from . import data

    return data.load(DATASET)


SECTION = "05_challenges_and_opportunities"
LEGACY_DIR = ".trilateral"  # under the home folder, where earlier versions saved


def forecasts_path(cwd: str | Path | None = None) -> Path:
    """Where forecasts are saved: with the learner's work, never in a hidden folder.

    ``$TRILATERAL_HOME/forecasts.json`` when that is set; otherwise the
    forecasts section's folder beside the notebook's own (``cwd``, the
    kernel's working directory by default), so the challenges and hindsight
    notebooks share one file in the learner's ``05_challenges_and_opportunities``
    folder; otherwise the notebook's own folder.
    """
    home = os.environ.get("TRILATERAL_HOME")
    if home:
        return Path(home) / FILENAME
    here = Path(cwd) if cwd is not None else Path.cwd()
    section = here.parent / SECTION
    folder = section if here.name != SECTION and section.is_dir() else here
    return folder / FILENAME


def _legacy_path() -> Path:
    return Path.home() / LEGACY_DIR / FILENAME


def _check_probability(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{where}: a probability must be a number, not {value!r}")
    number = float(value)
    if math.isnan(number) or not 0.0 <= number <= 1.0:
        raise ValueError(f"{where}: a probability must lie between 0 and 1, not {value!r}")
    return number


def _check_outcome(value: Any, where: str) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)) and value in (0, 1):
        return int(value)
    raise ValueError(f"{where}: an outcome must be 0 (no) or 1 (yes), not {value!r}")


def _as_list(values: Any, what: str) -> list[Any]:
    if isinstance(values, (str, bytes, Mapping)):
        raise ValueError(f"{what} must be a sequence of numbers, not {type(values).__name__}")
    try:
        items = list(values)
    except TypeError:
        raise ValueError(f"{what} must be a sequence of numbers, not {values!r}") from None
    # numpy and pandas scalars become plain Python numbers
    return [
        v.item() if hasattr(v, "item") and not isinstance(v, (int, float)) else v for v in items
    ]


def brier(probabilities: Sequence[float], outcomes: Sequence[int]) -> float:
    """Mean squared difference between forecast probabilities and 0/1 outcomes.

    0 is a perfect score, 0.25 is what always saying 0.5 earns, and 1 is the
    worst (full confidence, always wrong). Raises :class:`ValueError` when the
    two sequences differ in length or are empty, when a probability lies
    outside [0, 1], or when an outcome is not 0 or 1.

    >>> brier([1.0, 0.0], [1, 0])
    0.0
    >>> brier([0.8, 0.3], [1, 0])
    0.065
    """
    probs = _as_list(probabilities, "probabilities")
    outs = _as_list(outcomes, "outcomes")
    if len(probs) != len(outs):
        raise ValueError(
            f"{len(probs)} probabilities but {len(outs)} outcomes: give one probability "
            "per question"
        )
    if not probs:
        raise ValueError("no forecasts to score: the sequences are empty")
    total = 0.0
    for i, (p, o) in enumerate(zip(probs, outs, strict=True)):
        total += (
            _check_probability(p, f"probability {i + 1}") - _check_outcome(o, f"outcome {i + 1}")
        ) ** 2
    return round(total / len(probs), 10)


def baselines(outcomes: Sequence[int]) -> dict[str, float]:
    """Brier scores of two naive forecasters on these outcomes.

    ``always_half`` says 0.5 to every question (always 0.25). ``base_rate``
    says, to every question, the share of questions that resolved yes: a
    forecaster who knew only how often such questions come true (in hindsight,
    so it is a generous baseline).

    >>> baselines([1, 1, 1, 0])
    {'always_half': 0.25, 'base_rate': 0.1875}
    """
    outs = [
        _check_outcome(o, f"outcome {i + 1}") for i, o in enumerate(_as_list(outcomes, "outcomes"))
    ]
    if not outs:
        raise ValueError("no outcomes to score: the sequence is empty")
    rate = sum(outs) / len(outs)
    return {
        "always_half": brier([0.5] * len(outs), outs),
        "base_rate": brier([rate] * len(outs), outs),
    }


def load(path: str | Path | None = None) -> dict[str, float] | None:
    """The saved forecasts as ``{question_id: probability}``, or ``None``.

    ``None`` when nothing has been saved yet or the file cannot be read as
    forecasts (a damaged file is treated like a missing one, never a crash).
    """
    target = Path(path) if path is not None else forecasts_path()
    if path is None and not target.exists() and not os.environ.get("TRILATERAL_HOME"):
        target = _legacy_path()  # saved by an earlier version; the next save moves it
    try:
        raw = json.loads(target.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    found = raw.get("forecasts") if isinstance(raw, dict) else None
    if not isinstance(found, dict):
        return None
    out: dict[str, float] = {}
    for key, value in found.items():
        try:
            out[str(key)] = _check_probability(value, str(key))
        except ValueError:
            return None
    return out


def save(forecasts: Mapping[str, float], path: str | Path | None = None) -> Path:
    """Write forecasts as JSON atomically (temporary file, then rename); return the path."""
    clean = {str(k): _check_probability(v, str(k)) for k, v in forecasts.items()}
    target = Path(path) if path is not None else forecasts_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "saved_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "forecasts": clean,
    }
    fd, tmp = tempfile.mkstemp(prefix=".forecasts-", suffix=".json", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(payload, handle, indent=2, ensure_ascii=False)
            handle.write("\n")
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


@functools.cache
def _widget_class() -> type:
    import ipywidgets as w

    from .staticcopy import StaticCopy, box_html, run_note

    class _ForecastWidget(StaticCopy, w.VBox):
        """One number box per question, a Save button and a feedback line.

        Its display carries a static copy naming the questions (see
        :mod:`trilateral.staticcopy`); the saved numbers are in the file.

        Number boxes, not sliders: an ipywidgets slider's handle has no
        accessible name (its label is not tied to it), so a screen reader
        could not say which question it sets; a box's label is.
        """

        def __init__(self, table: pd.DataFrame, path: Path | None = None) -> None:
            self.path = path
            saved = load(path) or {}
            self.sliders: dict[str, w.BoundedFloatText] = {}
            rows: list[w.Widget] = [
                w.HTML(
                    "<p><b>Your forecasts.</b> For each question, type the probability "
                    "(0 = surely not, 1 = surely yes) you would have given in March 2021, "
                    "before reading what happened. Nothing is saved until you click "
                    "<i>Save my forecasts</i>.</p>"
                )
            ]
            self._questions = [str(q) for q in table["question"]]
            questions = zip(table["question_id"], table["question"], strict=True)
            for n, (qid, text) in enumerate(questions, start=1):
                slider = w.BoundedFloatText(
                    value=float(saved.get(str(qid), 0.5)),
                    min=0.0,
                    max=1.0,
                    step=0.05,
                    continuous_update=False,
                    description=f"Q{n} probability",
                    style={"description_width": "9em"},
                    layout=w.Layout(width="min(18rem, 100%)"),
                )
                self.sliders[str(qid)] = slider
                rows += [
                    w.HTML(f"<p style='margin-bottom:0'>Q{n}. {_escape(str(text))}</p>"),
                    slider,
                ]
            self.button = w.Button(
                description="Save my forecasts",
                button_style="primary",
                tooltip="Write your forecasts to your own course folder",
                layout=w.Layout(width="auto"),
            )
            self.feedback = w.HTML("")
            self.button.on_click(lambda _b: self.save())
            super().__init__([*rows, self.button, self.feedback])
            self.add_class("trilateral-forecasts")

        @property
        def values(self) -> dict[str, float]:
            """The probabilities currently set, by question id."""
            return {qid: round(float(s.value), 4) for qid, s in self.sliders.items()}

        static_kind = "forecasts"

        def _static_html(self) -> str:
            return box_html(
                "Your forecasts.",
                [f"Q{n}. {text}" for n, text in enumerate(self._questions, start=1)],
                "Your saved forecasts are kept in your folder. "
                + run_note("see and change them"),
                kind="forecasts",
            )

        def save(self) -> bool:
            """What the button does: save, and say so (or say why not)."""
            try:
                where = save(self.values, self.path)
            except (OSError, ValueError) as exc:
                self.feedback.value = (
                    f"<p>Could not save your forecasts ({_escape(type(exc).__name__)}: "
                    f"{_escape(str(exc))}). Your sliders are unchanged; try again.</p>"
                )
                return False
            self.feedback.value = (
                f"<p>Saved {len(self.sliders)} forecasts to {_escape(str(where))}. "
                "The hindsight notebook will score them.</p>"
            )
            return True

    _ForecastWidget.__name__ = _ForecastWidget.__qualname__ = "ForecastWidget"
    return _ForecastWidget


def _escape(text: str) -> str:
    import html

    return html.escape(text)


def __getattr__(name: str) -> Any:
    if name == "ForecastWidget":
        return _widget_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def widget(path: str | Path | None = None) -> ipywidgets.VBox:
    """A box with one 0-1 number box per question and a *Save my forecasts* button.

    The boxes start at the saved forecasts when there are any, else at 0.5.
    Building the widget never writes; only clicking the button does.
    """
    target = Path(path) if path is not None else None
    return _widget_class()(questions(), target)
