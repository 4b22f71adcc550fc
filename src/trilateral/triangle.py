"""A toy model of a three-way partnership: how one weak leg affects the whole.

The "Trilateral Asymmetries" notebook uses this model in its triangle
explorer. A partnership of three states has three bilateral *legs*
(U.S.-Japan, U.S.-ROK, Japan-ROK), each given a strength from 0 (broken) to
10 (as close as allies get). A *cohesion* score, also 0 to 10, summarises the
triangle. How it does so is a modelling choice, and the point of the lesson
is to see how much that choice matters:

- ``"min"``: the triangle is only as strong as its weakest leg;
- ``"geometric"``: the geometric mean; one weak leg drags the score down
  hard, and a leg at 0 makes the whole 0, but strong legs still count;
- ``"mean"``: the arithmetic mean; legs make up for each other fully.

:func:`spillover` adds a second, separate assumption: that a weak leg pulls
the other two towards it (tension between two partners sours their dealings
with the third). None of these is an empirical finding; they are stated
assumptions for learners to criticise.

Everything here except :func:`draw_triangle` and :func:`explorer` is a pure
function of its arguments; those two import matplotlib and ipywidgets when
called.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from numbers import Real
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "LEGS",
    "MAX_STRENGTH",
    "MIN_STRENGTH",
    "MODELS",
    "band",
    "cohesion",
    "draw_triangle",
    "explorer",
    "leg_style",
    "spillover",
    "validate_legs",
    "weakest_leg",
]

LEGS: tuple[str, str, str] = ("US-Japan", "US-ROK", "Japan-ROK")
MIN_STRENGTH = 0.0
MAX_STRENGTH = 10.0
MODELS: dict[str, str] = {
    "min": "weakest leg: cohesion equals the weakest of the three legs",
    "geometric": "geometric mean: cube root of the product of the three legs",
    "mean": "arithmetic mean: the average of the three legs",
}

# Okabe-Ito colours (as in trilateral.plots) with a line style each, so the
# bands differ without colour too.
_BANDS = (
    (4.0, "weak", "#D55E00", ":"),
    (7.0, "middling", "#E69F00", "--"),
    (math.inf, "strong", "#009E73", "-"),
)


def validate_legs(legs: Sequence[float]) -> tuple[float, float, float]:
    """Return the three leg strengths as floats, or raise :class:`ValueError`.

    ``legs`` must hold exactly three real numbers (not booleans, not NaN),
    each from :data:`MIN_STRENGTH` to :data:`MAX_STRENGTH` inclusive, in the
    order of :data:`LEGS`.
    """
    if isinstance(legs, (str, bytes)) or not isinstance(legs, Sequence):
        raise ValueError("legs must be a sequence of three numbers (US-Japan, US-ROK, Japan-ROK)")
    if len(legs) != 3:
        raise ValueError(f"a triangle has three legs; got {len(legs)}")
    out = []
    for name, value in zip(LEGS, legs, strict=True):
        if isinstance(value, bool) or not isinstance(value, Real):
            raise ValueError(f"{name}: strength must be a number, not {value!r}")
        value = float(value)
        if math.isnan(value) or not MIN_STRENGTH <= value <= MAX_STRENGTH:
            raise ValueError(
                f"{name}: strength must be from {MIN_STRENGTH:g} to {MAX_STRENGTH:g}, not {value!r}"
            )
        out.append(value)
    return (out[0], out[1], out[2])


def cohesion(legs: Sequence[float], model: str = "min") -> float:
    """Cohesion of the triangle (0 to 10) under ``model`` (a key of :data:`MODELS`).

    For any legs, ``min <= geometric <= mean``; all three equal the common
    value when the legs are equal. Raises :class:`ValueError` for bad legs or
    an unknown model.
    """
    a, b, c = validate_legs(legs)
    if model == "min":
        return min(a, b, c)
    if model == "geometric":
        if 0.0 in (a, b, c):
            return 0.0
        value = math.exp((math.log(a) + math.log(b) + math.log(c)) / 3)
        # Keep the mathematical bounds exact despite rounding in exp/log.
        return min(max(value, min(a, b, c)), max(a, b, c))
    if model == "mean":
        # Clamp: (a + b + c) / 3 can exceed max(a, b, c) by one rounding step.
        return min(max((a + b + c) / 3, min(a, b, c)), max(a, b, c))
    raise ValueError(f"unknown model {model!r}; choose one of {sorted(MODELS)}")


def weakest_leg(legs: Sequence[float]) -> str:
    """Name of the weakest leg (the first in :data:`LEGS` order on a tie)."""
    values = validate_legs(legs)
    return LEGS[values.index(min(values))]


def spillover(legs: Sequence[float], rate: float) -> tuple[float, float, float]:
    """Legs after the weakest one pulls the others towards it.

    Each leg moves ``rate`` of the way from its strength down to the weakest
    leg's strength: ``rate=0`` changes nothing, ``rate=1`` makes every leg as
    weak as the weakest. ``rate`` must be from 0 to 1.
    """
    values = validate_legs(legs)
    if isinstance(rate, bool) or not isinstance(rate, Real) or not 0.0 <= float(rate) <= 1.0:
        raise ValueError(f"rate must be a number from 0 to 1, not {rate!r}")
    low = min(values)
    moved = [v - float(rate) * (v - low) for v in values]
    return (moved[0], moved[1], moved[2])


def band(strength: float) -> str:
    """``"weak"`` (below 4), ``"middling"`` (4 to below 7) or ``"strong"`` (7 and up)."""
    value = validate_legs([strength, MIN_STRENGTH, MIN_STRENGTH])[0]
    return next(name for limit, name, _c, _s in _BANDS if value < limit)


def leg_style(strength: float) -> dict[str, Any]:
    """Drawing style for a leg: line width grows with strength; colour and dash by band."""
    value = validate_legs([strength, MIN_STRENGTH, MIN_STRENGTH])[0]
    limit, name, colour, dash = next(b for b in _BANDS if value < b[0])
    return {"linewidth": 1.0 + 1.2 * value, "color": colour, "linestyle": dash, "band": name}


# Corners: the United States at the top, Japan and South Korea at the base.
_CORNERS = {"US": (0.5, 0.93), "Japan": (0.0, 0.0), "ROK": (1.0, 0.0)}
_ENDS = {"US-Japan": ("US", "Japan"), "US-ROK": ("US", "ROK"), "Japan-ROK": ("Japan", "ROK")}


def draw_triangle(
    legs: Sequence[float],
    model: str = "min",
    *,
    spill: float = 0.0,
    ax: Any = None,
) -> Figure:
    """Draw the triangle: each leg's width, colour and dash show its strength.

    With ``spill`` above 0, the legs are first passed through
    :func:`spillover`. The title gives the model and the cohesion score.
    Returns the figure (not displayed; the caller shows it).
    """
    import matplotlib.pyplot as plt

    values = spillover(legs, spill) if spill else validate_legs(legs)
    score = cohesion(values, model)
    if ax is None:
        fig, ax = plt.subplots(figsize=(6, 5.2))
    else:
        fig = ax.figure
    for name, value in zip(LEGS, values, strict=True):
        style = leg_style(value)
        (x0, y0), (x1, y1) = (_CORNERS[e] for e in _ENDS[name])
        ax.plot(
            [x0, x1],
            [y0, y1],
            color=style["color"],
            linestyle=style["linestyle"],
            linewidth=style["linewidth"],
            solid_capstyle="round",
            zorder=2,
        )
        ax.annotate(
            f"{name}\n{value:.1f} ({style['band']})",
            ((x0 + x1) / 2, (y0 + y1) / 2),
            ha="center",
            va="center",
            fontsize=9,
            bbox={"boxstyle": "round", "facecolor": "white", "edgecolor": "#999999"},
            zorder=3,
        )
    for label, (x, y) in _CORNERS.items():
        ax.annotate(
            label,
            (x, y),
            ha="center",
            va="bottom" if label == "US" else "top",
            xytext=(0, 8 if label == "US" else -8),
            textcoords="offset points",
            fontsize=11,
            fontweight="bold",
        )
    ax.set_xlim(-0.15, 1.15)
    ax.set_ylim(-0.15, 1.08)
    ax.set_aspect("equal")
    ax.axis("off")
    spill_note = f", spillover {spill:.0%}" if spill else ""
    ax.set_title(f"Cohesion {score:.1f} / 10 ({model} model{spill_note})")
    fig.text(
        0.01,
        0.01,
        "Illustrative model, not data: leg strengths are set by the learner.",
        fontsize=8,
        color="#444444",
    )
    from . import plots

    legs_said = ", ".join(
        f"{name} {value:.1f} ({leg_style(value)['band']})"
        for name, value in zip(LEGS, values, strict=True)
    )
    plots.describe(
        fig,
        f"Illustrative triangle, not data, with the United States at the top, Japan bottom "
        f"left and South Korea bottom right; each side's width shows its strength out of 10: "
        f"{legs_said}. Cohesion {score:.1f} out of 10 under the {model} model "
        f"({MODELS[model]}){spill_note}.",
    )
    return fig


_MODEL_LABELS = {"min": "weakest leg", "geometric": "geometric mean", "mean": "mean"}


def explorer(
    legs: Sequence[float] = (7.0, 7.0, 3.0),
    model: str = "min",
) -> Any:
    """The triangle explorer: three number boxes, a model switch, a spillover box.

    Number boxes rather than sliders: an ipywidgets slider's handle has no
    accessible name, so a screen reader could not say which leg it sets.

    Returns an ``ipywidgets.VBox``; its ``children[-1]`` is the
    ``ipywidgets.Output`` holding the drawing, redrawn on every change.
    """
    import ipywidgets as w
    import matplotlib.pyplot as plt
    from IPython.display import display

    start = validate_legs(legs)
    if model not in MODELS:
        raise ValueError(f"unknown model {model!r}; choose one of {sorted(MODELS)}")
    sliders = [
        w.BoundedFloatText(
            value=v,
            min=MIN_STRENGTH,
            max=MAX_STRENGTH,
            step=0.5,
            description=name,
            continuous_update=False,
            style={"description_width": "6em"},
        )
        for name, v in zip(LEGS, start, strict=True)
    ]
    chooser = w.ToggleButtons(
        options=[(label, key) for key, label in _MODEL_LABELS.items()],
        value=model,
        description="Model",
    )
    spill = w.BoundedFloatText(
        value=0.0,
        min=0.0,
        max=1.0,
        step=0.1,
        description="Spillover",
        continuous_update=False,
        style={"description_width": "6em"},
    )
    out = w.Output()

    def figure() -> Any:
        return draw_triangle([s.value for s in sliders], chooser.value, spill=spill.value)

    def redraw(_change: Any = None) -> None:
        out.clear_output(wait=True)
        with out:
            fig = figure()
            display(fig)
            plt.close(fig)

    for control in (*sliders, chooser, spill):
        control.observe(redraw, names="value")
    # The first drawing goes straight into the Output's outputs: capturing
    # with `with out:` while the cell still runs can leave a notebook runner
    # (Voilà's, nbclient issue 312) waiting for ever on this cell.
    first = figure()
    out.append_display_data(first)
    plt.close(first)
    from .staticcopy import box_html, run_note, vbox

    copy = box_html(
        "Triangle explorer.",
        [f"{s.description} leg: {s.value}" for s in sliders]
        + [f"Model: {_MODEL_LABELS[chooser.value]}", f"Spillover: {spill.value}"],
        run_note("change the legs, the model and the spillover"),
        kind="triangle",
    )
    return vbox([*sliders, chooser, spill, out], copy, "triangle")
