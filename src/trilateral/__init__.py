"""Trilateral: a Jupyter course on U.S.-Japan-South Korea relations.

The course teaches Daniel Aum and Elliot Silverberg, "Here's How America Can
Strengthen Relations with Japan and South Korea" (The National Interest,
March 2021). This package holds the helpers the notebooks use: data loading
(:mod:`trilateral.data`), question banks and their checkers
(:mod:`trilateral.questions`, :mod:`trilateral.checkers`), exercise widgets
(:mod:`trilateral.widgets`), plots (:mod:`trilateral.plots`) and the grading
workflow (:mod:`trilateral.grading`).

Submodules are imported on first use, so ``import trilateral`` stays cheap:
pandas, matplotlib and ipywidgets load only when a notebook needs them.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

# Learner-facing modules live at the top; the instructor's grading pipeline
# in ``trilateral.grading``; the Voila app, JupyterLite site, student
# workspace and course lint in ``trilateral.publishing``.
_SUBMODULES = (
    "answers",
    "checkers",
    "data",
    "forecasts",
    "friendly",
    "grading",
    "plots",
    "publishing",
    "questions",
    "simulation",
    "triangle",
    "widgets",
)

__all__ = ["__version__", *_SUBMODULES]


def _friendly_errors() -> None:
    """In a notebook kernel, show learners' errors as one clear line (see ``friendly``)."""
    import sys

    if "IPython" in sys.modules:
        from .friendly import install

        install()


_friendly_errors()


def __getattr__(name: str) -> object:
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
