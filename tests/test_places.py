"""The `places` dataset: plausible coordinates, both names where disputed."""

from __future__ import annotations

from math import asin, cos, radians, sin, sqrt

import pytest

from trilateral import data


@pytest.fixture(scope="module")
def places():
    return data.load("places").set_index("place_id")


def _km(a, b) -> float:
    p1, p2 = radians(a["latitude"]), radians(b["latitude"])
    dl = radians(b["longitude"] - a["longitude"])
    h = sin((p2 - p1) / 2) ** 2 + cos(p1) * cos(p2) * sin(dl / 2) ** 2
    return 2 * 6371 * asin(sqrt(h))


def test_places_the_notebooks_use_are_present(places) -> None:
    needed = {"washington", "tokyo", "seoul", "pyongyang", "beijing", "busan", "dokdo-takeshima"}
    assert needed <= set(places.index)


def test_asian_places_lie_in_northeast_asia_and_us_places_in_the_west(places) -> None:
    asia = places[places["country"] != "USA"]
    assert asia["latitude"].between(20, 45).all()
    assert asia["longitude"].between(110, 150).all()
    usa = places[places["country"] == "USA"]
    assert usa["longitude"].between(-125, -65).all()


def test_disputed_islets_carry_both_names_and_their_status(places) -> None:
    islets = places.loc["dokdo-takeshima"]
    assert "Dokdo" in islets["name"] and "Takeshima" in islets["name"]
    assert "독도" in islets["name_alt"] and "竹島" in islets["name_alt"]
    assert "South Korea" in islets["status"] and "Japan" in islets["status"]
    # The Korean and Japanese sources both put the islets at about 37°14'N 131°52'E.
    assert abs(islets["latitude"] - (37 + 14 / 60)) < 0.02
    assert abs(islets["longitude"] - (131 + 52 / 60)) < 0.02


def test_distances_match_known_orders_of_magnitude(places) -> None:
    assert 1100 < _km(places.loc["seoul"], places.loc["tokyo"]) < 1200
    assert 150 < _km(places.loc["seoul"], places.loc["pyongyang"]) < 250
    assert 10_000 < _km(places.loc["washington"], places.loc["seoul"]) < 12_000


def test_every_row_names_a_source(places) -> None:
    assert places["source_url"].str.match(r"^https?://").all()
    assert places["source_publisher"].str.len().gt(0).all()
    assert places["source_title"].str.len().gt(0).all()
