"""Cross-checks for the year-by-direction datasets of the State of Play notebook.

Each series must be continuous over the range its descriptor declares (gaps
are left out of the declared range, not hidden inside it), carry each year
once, and, where two directions are compared, have both in every shared year.
"""

from __future__ import annotations

import pandas as pd
import pytest

from trilateral import data

# Declared ranges: (dataset, key column, key value) -> (first year, last year).
RANGES = {
    ("visitors", "direction", "KOR_to_JPN"): (2012, 2024),
    ("visitors", "direction", "JPN_to_KOR"): (2011, 2019),
    ("japan_korea_trade", "direction", "KOR_to_JPN"): (2010, 2023),
    ("japan_korea_trade", "direction", "JPN_to_KOR"): (2010, 2023),
    # 2018 added from the JETRO table reproduced by Money1.
    ("export_control_goods", "good", "hydrogen_fluoride"): (2018, 2021),
    ("export_control_goods", "good", "photoresist"): (2018, 2020),
    ("boycott_goods", "indicator", "japanese_beer_imports"): (2018, 2023),
    ("boycott_goods", "indicator", "japanese_brand_car_registrations"): (2018, 2023),
}
DATASETS = sorted({name for name, _, _ in RANGES})


def _years(name: str, column: str, value: str) -> list[int]:
    frame = data.load(name)
    return [int(y) for y in frame.loc[frame[column] == value, "year"]]


@pytest.mark.parametrize("key", list(RANGES), ids=lambda k: f"{k[0]}-{k[2]}")
def test_series_is_continuous_over_its_declared_range(key: tuple[str, str, str]) -> None:
    first, last = RANGES[key]
    years = _years(*key)
    assert len(years) == len(set(years)), f"{key}: a year appears twice"
    assert sorted(years) == list(range(first, last + 1)), f"{key}: not continuous {first}-{last}"


@pytest.mark.parametrize("name", DATASETS)
def test_every_series_in_the_file_has_a_declared_range(name: str) -> None:
    frame = data.load(name)
    column = next(col for (ds, col, _) in RANGES if ds == name)
    declared = {value for (ds, _, value) in RANGES if ds == name}
    assert set(frame[column]) == declared


@pytest.mark.parametrize("name", DATASETS)
def test_year_bounds_in_the_descriptor_match_the_data(name: str) -> None:
    field = next(f for f in data.resource(name)["schema"]["fields"] if f["name"] == "year")
    years = data.load(name)["year"]
    assert int(years.min()) == field["constraints"]["minimum"]
    assert int(years.max()) == field["constraints"]["maximum"]


@pytest.mark.parametrize("name", ["visitors", "japan_korea_trade"])
def test_both_directions_present_in_every_shared_year(name: str) -> None:
    frame = data.load(name)
    lo = max(RANGES[(name, "direction", d)][0] for d in ("KOR_to_JPN", "JPN_to_KOR"))
    hi = min(RANGES[(name, "direction", d)][1] for d in ("KOR_to_JPN", "JPN_to_KOR"))
    shared = frame[frame["year"].between(lo, hi)]
    counts = shared.groupby("year")["direction"].nunique()
    assert list(counts.index) == list(range(lo, hi + 1))
    assert (counts == 2).all()


def test_trade_figures_match_the_published_deficit() -> None:
    """The Customs Service table gives a 2019 deficit of $19,160.64 million
    (47,580,853 - 28,420,213 thousand dollars; 19,161 from the rounded rows),
    and usd_million is usd_thousand rounded to the million."""
    frame = data.load("japan_korea_trade")
    thousand = frame.pivot(index="year", columns="direction", values="usd_thousand")
    assert int(thousand.loc[2019, "JPN_to_KOR"] - thousand.loc[2019, "KOR_to_JPN"]) == 19160640
    trade = frame.pivot(index="year", columns="direction", values="usd_million")
    deficit = trade["JPN_to_KOR"] - trade["KOR_to_JPN"]
    assert int(deficit[2019]) == 19161
    assert (deficit > 0).all(), "Korea ran a deficit with Japan in every year"
    rounded = [(int(k) + 500) // 1000 for k in frame["usd_thousand"]]
    assert rounded == [int(m) for m in frame["usd_million"]], "usd_million must round usd_thousand"


def test_boycott_rows_use_one_unit_per_indicator() -> None:
    goods = data.load("boycott_goods")
    units = goods.groupby("indicator")["unit"].unique()
    assert units["japanese_beer_imports"].tolist() == ["thousand USD"]
    assert units["japanese_brand_car_registrations"].tolist() == ["vehicles"]


def test_visitor_counts_name_the_right_agency() -> None:
    visitors = data.load("visitors")
    agency = visitors.set_index("direction")["counted_by"].groupby(level=0).unique()
    assert agency["KOR_to_JPN"].tolist() == ["JNTO"]
    assert agency["JPN_to_KOR"].tolist() == ["KTO"]
    assert pd.api.types.is_integer_dtype(visitors["visitors"])
