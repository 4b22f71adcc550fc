"""``trilateral.plots``: the course's chart helpers, checked without a browser."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from trilateral import data, plots  # noqa: E402


def _texts(fig) -> list[str]:
    return [t.get_text() for t in fig.texts]


def test_a_chart_needs_a_source_line() -> None:
    fig, _ = plt.subplots()
    with pytest.raises(ValueError, match="source line"):
        plots.add_source(fig, "")
    plt.close(fig)


def test_a_long_source_line_is_wrapped_to_the_figure() -> None:
    fig, _ = plt.subplots(figsize=(4, 3))
    plots.add_source(fig, "Source: " + "a long publisher name " * 20)
    lines = _texts(fig)[0].splitlines()
    assert len(lines) > 1
    assert max(len(line) for line in lines) <= int(0.97 * 4 * 72 / plots._SOURCE_CHAR_PT)
    plt.close(fig)


def test_bar_by_year_labels_every_year_and_carries_its_source() -> None:
    counts = pd.Series([3, 5, 2], index=[2019, 2020, 2021])
    fig = plots.bar_by_year(counts, title="Tests", ylabel="Count", source="Source: a test")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["2019", "2020", "2021"]
    assert [p.get_height() for p in ax.patches] == [3, 5, 2]
    assert _texts(fig) == ["Source: a test"]
    plt.close(fig)


def test_timeline_draws_one_lane_per_category_present() -> None:
    events = data.load("events")
    recent = events[events["date"] >= "2019-01-01"]
    fig = plots.timeline(recent, title="Since 2019", source="Source: events",
                         marks={"2021-03-18": "essay"})
    ax = fig.axes[0]
    lanes = [t.get_text() for t in ax.get_yticklabels()]
    assert lanes == [c for c in plots.CATEGORY_COLOURS if c in set(recent["category"])]
    plt.close(fig)


def test_timeline_names_the_columns_it_lacks() -> None:
    with pytest.raises(ValueError, match=r"\['category', 'title'\]"):
        plots.timeline(pd.DataFrame({"date": []}), title="x", source="y")


def test_chart_note_names_the_chart() -> None:
    fig, ax = plt.subplots()
    assert repr(plots.ChartNote(fig)) == "Chart (not graded): run the notebook to see it."
    ax.set_title("Visitors")
    assert repr(plots.ChartNote(fig)).startswith("Chart 'Visitors' (not graded)")
    plt.close(fig)
