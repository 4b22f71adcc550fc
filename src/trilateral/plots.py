"""Charts in one consistent, colour-blind-safe style, each with its source.

Colours are the Okabe-Ito palette, which stays distinguishable for the common
forms of colour blindness; every chart has a title, axis labels with units and
a source line under it, so a chart copied into a slide still says where its
numbers come from.

Every chart shown in a notebook carries alt text in the live page too.
JupyterLab's and Voila's image renderer reads only width and height from an
output's metadata, so a PNG output can never have an ``alt`` attribute there;
:func:`style` therefore adds an HTML view of each figure, an ``<img>`` with
the alt text, beside the PNG (both renderers prefer HTML). The text is what
:func:`describe` set, or else one written from the chart's title, axes,
series and source line.
"""

from __future__ import annotations

import html
import json
import math
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from . import gcfreeze

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "OKABE_ITO",
    "CATEGORY_COLOURS",
    "ChartNote",
    "MAP_EXTENT",
    "MAP_RESOURCE",
    "add_source",
    "alt_text",
    "bar_by_year",
    "basemap",
    "describe",
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


# Where a figure keeps the alt text given by describe().
_ALT_ATTR = "_trilateral_alt"


def describe(fig: Figure, alt: str) -> Figure:
    """Give ``fig`` the alt text a screen reader reads for it in the live page.

    Without it, :func:`alt_text` writes one from the chart's own labels.
    """
    if not isinstance(alt, str) or len(alt.strip()) < 20:
        raise ValueError("alt text should describe the chart in a sentence or more")
    setattr(fig, _ALT_ATTR, alt.strip())
    return fig


def _legend_labels(ax: Axes) -> list[str]:
    legend = ax.get_legend()
    if legend is not None:
        return [t.get_text() for t in legend.get_texts() if t.get_text()]
    return [
        label
        for artist in ax.get_lines() + ax.collections + ax.containers
        if (label := str(artist.get_label())) and not label.startswith("_")
    ]


def alt_text(fig: Figure) -> str:
    """The alt text of ``fig``: what :func:`describe` set, or one made from
    each panel's title, axis labels and series, and the figure's source line."""
    given = getattr(fig, _ALT_ATTR, None)
    if given:
        return given
    parts = []
    for ax in fig.axes:
        if not ax.get_visible() or not ax.axison and not ax.get_title():
            continue
        bits = [ax.get_title() or "Chart"]
        if ax.get_xlabel():
            bits.append(f"horizontal axis: {ax.get_xlabel()}")
        if ax.get_ylabel():
            bits.append(f"vertical axis: {ax.get_ylabel()}")
        lanes = [t.get_text() for t in ax.get_yticklabels() if t.get_text()] if ax.axison else []
        if ax.get_ylabel() == "" and lanes:
            bits.append("rows: " + ", ".join(lanes))
        labels = _legend_labels(ax)
        if labels:
            bits.append("shows " + "; ".join(labels))
        parts.append(". ".join([bits[0], ", ".join(bits[1:])]) if len(bits) > 1 else bits[0])
    suptitle = getattr(fig, "_suptitle", None)
    head = f"{suptitle.get_text()}. " if suptitle is not None and suptitle.get_text() else ""
    source = " ".join(t.get_text().replace("\n", " ") for t in fig.texts if t.get_text())
    text = "Chart: " + head + ". ".join(parts or ["a figure without a title"]) + "."
    return f"{text} {source}".strip()


def _enable_alt_html() -> None:
    """Show figures as an ``<img>`` with alt text, beside the usual PNG.

    The HTML view draws the PNG with the inline backend's own PNG formatter,
    looked up at display time (``%config InlineBackend`` may change it). With no PNG formatter (the
    ``Agg`` backend of test runs, plain Python) there is no image to
    describe and no HTML view. The PNG drawn for the HTML view is reused for
    the PNG output, so a chart is drawn once.
    """
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is None:
        return
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    # Pick the backend now: the inline backend, when it starts, removes every
    # formatter registered for figures (IPython's select_figure_formats), so
    # one registered before the first figure of a kernel would be lost.
    start_backend = getattr(plt, "_get_backend_mod", None)
    if start_backend is not None:
        start_backend()
    formatters = shell.display_formatter.formatters
    html_formatter, png_formatter = formatters["text/html"], formatters["image/png"]
    if getattr(html_formatter.type_printers.get(Figure), "_trilateral", False):
        return
    # The PNG last drawn for the HTML view, and its figure: IPython asks for
    # text/html just before image/png when it displays one object.
    drawn: list[Any] = [None, None]

    def inline_png() -> Any:
        """The backend's PNG formatter, wrapped (once) to reuse our drawing."""
        try:
            current = png_formatter.lookup_by_type(Figure)
        except KeyError:
            return None
        if getattr(current, "_trilateral", False):
            return current.inline

        def as_png(fig: Figure) -> Any:
            fig_drawn, png = drawn
            drawn[:] = [None, None]
            return png if fig_drawn is fig else current(fig)

        as_png._trilateral = True  # type: ignore[attr-defined]
        as_png.inline = current  # type: ignore[attr-defined]
        png_formatter.for_type(Figure, as_png)
        return current

    def as_html(fig: Figure) -> str | None:
        draw = inline_png()
        png = draw(fig) if draw is not None else None
        if png is None:
            return None
        drawn[:] = [fig, png]
        data = png[0] if isinstance(png, tuple) else png
        return (
            f'<img class="trilateral-chart" alt="{html.escape(alt_text(fig), quote=True)}" '
            f'src="data:image/png;base64,{data}">'
        )

    as_html._trilateral = True  # type: ignore[attr-defined]
    html_formatter.for_type(Figure, as_html)


def style() -> None:
    """Apply the course style to matplotlib (idempotent), and give charts
    shown in a notebook their alt text (see the module's docstring)."""
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
    _enable_alt_html()
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
    _enable_alt_html()  # a chart drawn without style() gets its alt text too
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
        sub = events[events["category"] == cat].sort_values("date")
        ax.scatter(
            sub["date"],
            _staggered(sub["date"], lane),
            s=48,
            color=CATEGORY_COLOURS[cat],
            marker=_MARKERS[cat],
            edgecolor="black",
            linewidth=0.5,
            label=f"{cat} ({len(sub)})",
            zorder=3,
        )
    # Labels of marked dates sit in a band above the top lane, where no
    # marker is drawn, ending at their line.
    band = len(cats) - 0.3
    for when, label in (marks or {}).items():
        x = pd.Timestamp(when)
        ax.axvline(x, color="#333333", linestyle="--", linewidth=1, zorder=2)
        ax.annotate(label, (x, band + 0.25), xytext=(-3, 0), textcoords="offset points",
                    ha="right", va="center", fontsize=8,
                    bbox={"boxstyle": "square,pad=0.15", "facecolor": "white", "edgecolor": "none"})
    ax.set_yticks(range(len(cats)), cats)
    ax.set_ylim(-0.7, band + (0.55 if marks else 0))
    ax.set_xlabel("Date (year)")
    ax.set_title(title)
    ax.grid(axis="y", visible=False)
    add_source(fig, source)
    return _show(fig)


# Events closer than this in one lane are spread over three rows (on the
# lane's line, above it, below it), so markers that would cover each other
# stay apart.
_CLOSE_DAYS = 75
_ROWS = (0.0, 0.24, -0.24)


def _staggered(dates: pd.Series, lane: int) -> list[float]:
    """Heights for the sorted ``dates`` of one lane: the lane's own, except
    that each run of close events cycles through the three rows."""
    heights: list[float] = []
    previous = None
    step = 0
    for when in dates:
        close = previous is not None and (when - previous).days < _CLOSE_DAYS
        step = step + 1 if close else 0
        heights.append(lane + _ROWS[step % len(_ROWS)])
        previous = when
    return heights


# The area the course's map shows: longitude 112-147 E, latitude 24-45 N.
MAP_EXTENT = (112.0, 147.0, 24.0, 45.0)
MAP_RESOURCE = "east_asia_map"
_LAND = "#F2EFE6"
_SEA = "#DCEAF4"
_BORDER = "#6F6F6F"


def _map_features() -> list[dict[str, Any]]:
    """The countries of the map resource (GeoJSON), read from the data folder."""
    from . import data

    res = data.resource(MAP_RESOURCE)
    path = data.data_dir() / str(res["path"])
    with path.open(encoding="utf-8") as handle:
        collection = json.load(handle)
    if collection.get("type") != "FeatureCollection":
        raise ValueError(f"{res['path']} is not a GeoJSON FeatureCollection")
    return collection["features"]


def basemap(ax: Axes, extent: tuple[float, float, float, float] = MAP_EXTENT) -> Axes:
    """Draw land, sea, coastlines and borders of East Asia under a chart.

    The shapes are Natural Earth's 1:50m countries (public domain), clipped
    to the region and kept in ``data/`` (resource ``east_asia_map``), so the
    map draws offline. Longitude and latitude are the axes; the aspect is set
    so a degree of longitude is as long as it is at the map's middle
    latitude, as on an equirectangular map centred there.
    """
    from matplotlib.collections import PolyCollection

    west, east, south, north = extent
    if not (west < east and south < north):
        raise ValueError(f"extent must be (west, east, south, north), got {extent}")
    rings = [
        ring
        for feature in _map_features()
        for polygon in feature["geometry"]["coordinates"]
        for ring in polygon[:1]  # outer rings; lakes are not drawn
    ]
    ax.add_collection(
        PolyCollection(rings, facecolors=_LAND, edgecolors=_BORDER, linewidths=0.6, zorder=1)
    )
    ax.set_facecolor(_SEA)
    ax.set_xlim(west, east)
    ax.set_ylim(south, north)
    ax.set_aspect(1 / math.cos(math.radians((south + north) / 2)))
    ax.grid(True, color="white", alpha=0.6, linewidth=0.6)
    return ax


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
