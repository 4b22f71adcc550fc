"""The triangle model: bounds, monotonicity, ordering of models, clear errors."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trilateral import triangle
from trilateral.triangle import LEGS, MODELS, cohesion, spillover, validate_legs, weakest_leg

strength = st.floats(min_value=0.0, max_value=10.0, allow_nan=False)
legs3 = st.tuples(strength, strength, strength)
model = st.sampled_from(sorted(MODELS))


def test_known_values() -> None:
    assert cohesion([7, 7, 3], "min") == 3
    assert cohesion([7, 7, 3], "mean") == pytest.approx(17 / 3)
    assert cohesion([8, 8, 1], "geometric") == pytest.approx(4.0)
    assert cohesion([9, 9, 0], "geometric") == 0.0
    assert weakest_leg([7, 7, 3]) == "Japan-ROK"
    assert weakest_leg([5, 5, 5]) == "US-Japan"


@given(legs3, model)
def test_cohesion_stays_within_the_legs(legs, name) -> None:
    score = cohesion(legs, name)
    assert min(legs) <= score <= max(legs)
    assert 0.0 <= score <= 10.0


@given(legs3)
def test_models_are_ordered(legs) -> None:
    low, mid, high = (cohesion(legs, m) for m in ("min", "geometric", "mean"))
    assert low <= mid + 1e-9
    assert mid <= high + 1e-9


@given(strength, model)
def test_equal_legs_give_that_value(value, name) -> None:
    assert cohesion([value] * 3, name) == pytest.approx(value)


@given(legs3, st.integers(min_value=0, max_value=2), strength, model)
def test_strengthening_a_leg_never_lowers_cohesion(legs, which, new, name) -> None:
    stronger = list(legs)
    stronger[which] = max(legs[which], new)
    assert cohesion(stronger, name) >= cohesion(legs, name) - 1e-9


@given(legs3, st.floats(min_value=0.0, max_value=1.0))
def test_spillover_pulls_towards_the_weakest(legs, rate) -> None:
    moved = spillover(legs, rate)
    low = min(legs)
    for before, after in zip(legs, moved, strict=True):
        assert low - 1e-9 <= after <= before + 1e-9
    assert min(moved) == pytest.approx(low)


def test_spillover_extremes() -> None:
    assert spillover([8, 6, 2], 0) == (8, 6, 2)
    assert spillover([8, 6, 2], 1) == (2, 2, 2)
    assert spillover([8, 6, 2], 0.5) == (5, 4, 2)


@pytest.mark.parametrize(
    "bad",
    [
        [1, 2],
        [1, 2, 3, 4],
        [1, 2, 11],
        [-0.1, 2, 3],
        [1, math.nan, 3],
        [1, True, 3],
        [1, "5", 3],
        "123",
        None,
    ],
)
def test_bad_legs_raise_value_error(bad) -> None:
    with pytest.raises(ValueError):
        validate_legs(bad)
    with pytest.raises(ValueError):
        cohesion(bad)


def test_bad_model_and_rate_raise_value_error() -> None:
    with pytest.raises(ValueError, match="unknown model"):
        cohesion([5, 5, 5], "median")
    for rate in (-0.1, 1.5, math.nan, True):
        with pytest.raises(ValueError):
            spillover([5, 5, 5], rate)


def test_bands_and_styles() -> None:
    assert [triangle.band(v) for v in (0, 3.9, 4, 6.9, 7, 10)] == [
        "weak",
        "weak",
        "middling",
        "middling",
        "strong",
        "strong",
    ]
    widths = [triangle.leg_style(v)["linewidth"] for v in range(11)]
    assert widths == sorted(widths)
    assert len({triangle.leg_style(v)["linestyle"] for v in (1, 5, 9)}) == 3


def test_draw_and_explorer(monkeypatch) -> None:
    monkeypatch.setenv("MPLBACKEND", "Agg")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = triangle.draw_triangle([7, 7, 3], "geometric", spill=0.5)
    assert "geometric" in fig.axes[0].get_title()
    plt.close(fig)
    box = triangle.explorer()
    sliders = box.children[:3]
    assert [s.description for s in sliders] == list(LEGS)
    sliders[2].value = 9.0  # redraws without error
    with pytest.raises(ValueError):
        triangle.explorer(model="median")
