"""Save notebooks with static copies of the course's widgets (a pre-save hook).

Every course widget's display carries a static HTML copy of itself and a
marker (see :mod:`trilateral.staticcopy`). When the course's Jupyter server
saves a notebook (``make lab`` and the class hub configure it), this hook
rewrites each marked output that still refers to a live widget:

- the reference to the live widget (``application/vnd.jupyter.widget-view+json``)
  is dropped, so a reopened notebook shows the copy instead of a widget the
  new kernel does not have ("model not found");
- a graded question's copy gets the answer saved in ``answers.json`` beside
  the notebook, read as the widget reads it, so the reopened notebook shows
  the saved answer before anything runs.

The open page is not touched: the live widgets stay live until the notebook
is closed. A hook that raises would stop the save, and a student would lose
work, so anything unexpected is logged and the notebook is saved unchanged.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from ..staticcopy import KEY, question_html, shown_time

__all__ = ["HOOK", "WIDGET_VIEW", "pre_save", "refresh"]

log = logging.getLogger(__name__)

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
#: What a Jupyter server's ``ContentsManager.pre_save_hook`` is set to.
HOOK = "trilateral.publishing.savehook.pre_save"
BANK = "questions.yaml"


def _graded_copy(qid: str, folder: Path) -> str | None:
    """The copy of graded question ``qid`` with its saved answer, or None."""
    from .. import answers
    from ..questions import QuestionError, load_bank

    try:
        question = load_bank(folder / BANK)[qid]  # read once while unchanged
    except (QuestionError, OSError, KeyError):
        return None
    if not question.graded:
        return None
    try:
        found = answers.entry(qid, folder)  # also checks it is one of the options
    except answers.AnswersFileError as exc:
        return question_html(question, problem=f"Your saved answer could not be read: {exc}")
    except OSError as exc:
        return question_html(question,
                             problem=f"Your saved answer could not be read ({exc.strerror}).")
    if found is None:
        return question_html(question, looked_up=True)
    return question_html(question, found.answer, saved_at=shown_time(found.saved),
                         looked_up=True)


def refresh(notebook: dict, folder: str | Path) -> int:
    """Turn the live widget outputs of ``notebook`` (nbformat 4, as a dict)
    into their static copies, in place; return how many were turned.

    ``folder`` is the notebook's folder, where ``questions.yaml`` and
    ``answers.json`` are read. Outputs without the marker or without a copy
    (a learner's own widgets) are left as they are.
    """
    if not isinstance(notebook, dict):
        raise ValueError(f"refresh() needs a notebook dict, got {type(notebook).__name__}")
    folder = Path(folder)
    turned = 0
    for cell in notebook.get("cells", []):
        for output in cell.get("outputs", []) or []:
            data = output.get("data")
            mark = (output.get("metadata") or {}).get(KEY)
            if not isinstance(data, dict) or not isinstance(mark, dict):
                continue
            if WIDGET_VIEW not in data or "text/html" not in data:
                continue
            if mark.get("static") == "graded" and isinstance(mark.get("question"), str):
                copy = _graded_copy(mark["question"], folder)
                if copy is not None:
                    data["text/html"] = copy
            del data[WIDGET_VIEW]
            turned += 1
    return turned


def pre_save(model: dict, path: str, contents_manager: Any, **kwargs: Any) -> None:
    """``ContentsManager.pre_save_hook``: static copies in every saved notebook."""
    try:
        if model.get("type") != "notebook" or not isinstance(model.get("content"), dict):
            return
        root = Path(getattr(contents_manager, "root_dir", "."))
        folder = (root / path.strip("/")).parent
        refresh(model["content"], folder)
    except Exception:  # never stop a save: the learner's work comes first
        log.exception("trilateral: static widget copies were not written for %s", path)
