"""Charts in one consistent, colour-blind-safe style, each with its source.

Colours are the Okabe-Ito palette, which stays distinguishable for the common
forms of colour blindness; every chart has a title, axis labels with units and
a source line under it, so a chart copied into a slide still says where its
numbers come from.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING

from . import gcfreeze

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "OKABE_ITO",
    "CATEGORY_COLOURS",
    "ChartNote",
    "add_source",
    "bar_by_year",
    "style",
    "timeline",
]

OKABE_ITO = {
    "orange": "#E69F00",
    "sky blue": "#56B4E9",
    "bluish green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish purple": "#CC79A7",
    "black": "#000000",
}

CATEGORY_COLOURS = {
    "history": OKABE_ITO["reddish purple"],
    "trade": OKABE_ITO["orange"],
    "security": OKABE_ITO["vermillion"],
    "diplomacy": OKABE_ITO["blue"],
    "domestic politics": OKABE_ITO["bluish green"],
    "public opinion": OKABE_ITO["sky blue"],
}

# Marker shapes back up the colours, so categories differ without colour too.
_MARKERS = {
    "history": "s",
    "trade": "D",
    "security": "^",
    "diplomacy": "o",
    "domestic politics": "v",
    "public opinion": "P",
}


class ChartNote:
    """What a chart shows while nbgrader runs the notebook.

    Grading kernels draw nothing (their backend renders no image), so the
    feedback page would show matplotlib's ``<Figure size ...>`` text where
    the chart stood. A chart holds nothing to grade; this says so in a line.
    """

    def __init__(self, fig: Figure) -> None:
        titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
        self.title = titles[0] if titles else ""

    def __repr__(self) -> str:
        named = f" {self.title!r}" if self.title else ""
        return f"Chart{named} (not graded): run the notebook to see it."


def _show(fig: Figure) -> Figure:
    """Display ``fig`` once, now, and close it so no backend shows it again.

    Relying on the inline backend's end-of-cell display shows a figure twice
    under some kernels; one explicit display keeps stored outputs stable.
    Under nbgrader a one-line :class:`ChartNote` stands in for the figure.
    """
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:  # plain Python: leave the figure open for the caller
        return fig
    if get_ipython() is None:
        return fig
    import matplotlib.pyplot as plt

    display(ChartNote(fig) if os.environ.get("NBGRADER_EXECUTION") else fig)
    plt.close(fig)
    return fig


def style() -> None:
    """Apply the course style to matplotlib (idempotent)."""
    import matplotlib as mpl
    from cycler import cycler

    mpl.rcParams.update(
        {
            "axes.prop_cycle": cycler(color=list(OKABE_ITO.values())),
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.titlesize": 13,
            "axes.titleweight": "bold",
            # A fixed title height: where matplotlib places it anyway when no
            # ticks sit on top, without measuring every tick label at each draw
            # to check (a sixth of a chart's drawing time).
            "axes.titley": 1.0,
            "axes.labelsize": 11,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "figure.figsize": (9, 4.8),
            "figure.dpi": 100,
            "font.size": 10,
            "legend.frameon": False,
        }
    )
    gcfreeze.after_imports()  # matplotlib is imported by now


# Width of an average character of the source line (8-point DejaVu Sans), in
# points, rounded up so a wrapped line never runs past the figure's edge.
_SOURCE_CHAR_PT = 8 * 0.6


def add_source(fig: Figure, text: str) -> None:
    """Write a source line under the chart, left-aligned.

    The line is wrapped here, by characters for the figure's width, rather
    than by matplotlib's ``wrap=True``, which measures the text word by word
    at every draw: a fifth of the time it takes to draw a typical chart.
    """
    import textwrap

    if not text:
        raise ValueError("a chart needs a source line; pass the source text")
    fig.subplots_adjust(bottom=0.2)
    width = max(40, int(0.97 * fig.get_figwidth() * 72 / _SOURCE_CHAR_PT))
    fig.text(0.01, 0.01, textwrap.fill(text, width), ha="left", va="bottom", fontsize=8,
             color="#444444")


def timeline(
    events: pd.DataFrame,
    *,
    title: str,
    source: str,
    marks: Mapping[str, str] | None = None,
    ax: Axes | None = None,
) -> Figure:
    """Plot dated events in one lane per category.

    ``events`` needs ``date``, ``category`` and ``title`` columns (the
    ``events`` dataset). ``marks`` maps ISO dates to labels drawn as vertical
    lines, e.g. ``{"2021-03-18": "essay published"}``.
    """
    import matplotlib.pyplot as plt
    import pandas as pd

    missing = {"date", "category", "title"} - set(events.columns)
    if missing:
        raise ValueError(f"timeline() needs columns {sorted(missing)}")
    style()
    if ax is None:
        fig, ax = plt.subplots(figsize=(10, 4.8))
    else:
        fig = ax.figure
    cats = [c for c in CATEGORY_COLOURS if c in set(events["category"])]
    for lane, cat in enumerate(cats):
        sub = events[events["category"] == cat]
        ax.scatter(
            sub["date"],
            [lane] * len(sub),
            s=60,
            color=CATEGORY_COLOURS[cat],
            marker=_MARKERS[cat],
            edgecolor="black",
            linewidth=0.5,
            label=f"{cat} ({len(sub)})",
            zorder=3,
        )
    for when, label in (marks or {}).items():
        x = pd.Timestamp(when)
        ax.axvline(x, color="#333333", linestyle="--", linewidth=1)
        ax.annotate(label, (x, len(cats) - 0.5), rotation=90, ha="right", va="top", fontsize=8)
    ax.set_yticks(range(len(cats)), cats)
    ax.set_ylim(-0.7, len(cats) - 0.3)
    ax.set_xlabel("Date (year)")
    ax.set_title(title)
    ax.grid(axis="y", visible=False)
    add_source(fig, source)
    return _show(fig)


def bar_by_year(
    counts: pd.Series,
    *,
    title: str,
    ylabel: str,
    source: str,
    colour: str = OKABE_ITO["blue"],
    ax: Axes | None = None,
) -> Figure:
    """A bar chart of a series indexed by year, with every year labelled."""
    import matplotlib.pyplot as plt

    style()
    if ax is None:
        fig, ax = plt.subplots()
    else:
        fig = ax.figure
    years = [int(y) for y in counts.index]
    ax.bar(years, counts.to_numpy(), color=colour, edgecolor="black", linewidth=0.5, zorder=3)
    ax.set_xticks(years, [str(y) for y in years], rotation=0 if len(years) <= 12 else 45)
    ax.set_xlabel("Year")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(axis="x", visible=False)
    add_source(fig, source)
    return _show(fig)
