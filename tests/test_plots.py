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


# --- the map: Natural Earth shapes shipped in data/ --------------------------


def test_the_map_resource_validates_and_records_its_public_domain_source() -> None:
    import frictionless

    res = data.resource(plots.MAP_RESOURCE)
    assert res["format"] == "geojson"
    assert any("world-atlas 2.0.2" in s["title"] and "Natural Earth" in s["publisher"]
               for s in res["sources"])
    assert [lic["name"] for lic in res["licenses"]] == ["other-pd"]
    package = frictionless.Package(str(data.data_dir() / "datapackage.json"))
    report = package.get_resource(plots.MAP_RESOURCE).validate()
    assert report.valid, [e.message for task in report.tasks for e in task.errors]
    # The map is a resource, not a table: data.load's loops never see it.
    assert plots.MAP_RESOURCE not in data.resource_names()


def test_the_map_draws_coastlines_and_borders_from_the_resource() -> None:
    fig, ax = plt.subplots()
    plots.basemap(ax)
    (land,) = ax.collections
    rings = land.get_paths()
    assert len(rings) > 50  # the islands of Japan alone are dozens of rings
    west, east, south, north = plots.MAP_EXTENT
    assert ax.get_xlim() == (west, east) and ax.get_ylim() == (south, north)
    # Seoul and Tokyo are on land; a point in the Sea of Japan / East Sea is not.
    on_land = [any(r.contains_point(p) for r in rings) for p in [(126.99, 37.56), (139.69, 35.69),
                                                                 (134.5, 40.0)]]
    assert on_land == [True, True, False]
    plt.close(fig)


def test_the_map_needs_a_sensible_extent() -> None:
    fig, ax = plt.subplots()
    with pytest.raises(ValueError, match="west, east, south, north"):
        plots.basemap(ax, (147, 112, 24, 45))
    plt.close(fig)


# --- alt text in live pages ----------------------------------------------------


def test_alt_text_is_written_from_the_chart_unless_given() -> None:
    fig, ax = plt.subplots()
    ax.plot([1, 2], [3, 4], label="Japan")
    ax.set_title("Spending")
    ax.set_xlabel("Year")
    ax.set_ylabel("US$ bn")
    ax.legend()
    plots.add_source(fig, "Source: SIPRI")
    assert plots.alt_text(fig) == (
        "Chart: Spending. horizontal axis: Year, vertical axis: US$ bn, shows Japan. Source: SIPRI"
    )
    plots.describe(fig, "Line chart of Japan's military spending rising over two years.")
    assert plots.alt_text(fig).startswith("Line chart of Japan's")
    with pytest.raises(ValueError, match="describe the chart"):
        plots.describe(fig, "chart")
    plt.close(fig)


def test_a_chart_shown_in_a_kernel_is_an_image_with_alt_text() -> None:
    """Through IPython's own formatters, with the inline backend's PNG."""
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.core.pylabtools import select_figure_formats

    shell = InteractiveShell.instance()
    try:
        fig, ax = plt.subplots()
        ax.set_title("Visitors")
        # Without a PNG formatter (the Agg backend) there is no HTML view.
        plots.style()
        bundle, _ = shell.display_formatter.format(fig)
        assert "text/html" not in bundle and "image/png" not in bundle
        # What the inline backend does when it starts: it drops every figure
        # formatter and registers its own. style() then registers again.
        select_figure_formats(shell, {"png"})
        plots.style()
        plots.style()  # a second call adds nothing
        bundle, _ = shell.display_formatter.format(fig)
        html = bundle["text/html"]
        assert html.startswith('<img class="trilateral-chart" alt="Chart: Visitors')
        assert f'src="data:image/png;base64,{bundle["image/png"]}"' in html
        plt.close(fig)
    finally:
        InteractiveShell.clear_instance()


def test_a_marked_date_is_labelled_above_every_marker() -> None:
    events = data.load("events")
    recent = events[(events["date"] >= "2015-01-01") & (events["date"] <= "2021-03-18")]
    fig = plots.timeline(recent, title="2015-2021", source="Source: events",
                         marks={"2018-10-30": "first forced-labour ruling"})
    ax = fig.axes[0]
    fig.canvas.draw()
    (label,) = [t for t in ax.texts if t.get_text() == "first forced-labour ruling"]
    box = label.get_window_extent()
    assert box.x0 > ax.get_window_extent().x0, "the label stays inside the chart"
    for points in ax.collections:
        # A marker's radius in pixels (its size is an area in points squared),
        # and a little air: text that touches a marker is not readable either.
        gap = (points.get_sizes()[0] ** 0.5) / 2 * fig.dpi / 72 + 3
        for x, y in ax.transData.transform(points.get_offsets()):
            assert not (box.x0 - gap <= x <= box.x1 + gap and box.y0 - gap <= y <= box.y1 + gap), (
                "the label runs over a marker")
    plt.close(fig)


def test_close_events_in_a_lane_sit_apart() -> None:
    dates = pd.Series(pd.to_datetime(["2019-07-01", "2019-07-04", "2019-08-02", "2019-08-28",
                                      "2020-06-01"]))
    heights = plots._staggered(dates, 3)
    assert heights[:3] == [3.0, 3.24, 2.76]  # a run of close events: three rows
    assert heights[3] == 3.0 and heights[4] == 3.0  # a new cycle, and a lone event
