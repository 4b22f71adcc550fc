"""Cross-checks for the defence-spending and cost-sharing tables (notebooks 05 and 07).

The schema checks in test_data.py cover types and ranges; these tests check
what an analysis relies on: one row per key, no gap in the declared range,
no negative amounts, and the stated changes agreeing with the amounts.
"""

from __future__ import annotations

import pytest

from trilateral import data


@pytest.fixture(scope="module")
def spending():
    return data.load("defense_spending")


@pytest.fixture(scope="module")
def cost():
    return data.load("cost_sharing")


def _range(name: str, field: str) -> tuple[int, int]:
    for f in data.resource(name)["schema"]["fields"]:
        if f["name"] == field:
            return f["constraints"]["minimum"], f["constraints"]["maximum"]
    raise KeyError(field)


def test_spending_has_no_duplicated_key(spending) -> None:
    assert not spending.duplicated(["year", "country_code"]).any()


def test_spending_is_continuous_over_declared_range(spending) -> None:
    first, last = _range("defense_spending", "year")
    expected = set(range(first, last + 1))
    for code, rows in spending.groupby("country_code"):
        assert set(rows["year"].astype(int)) == expected, f"{code}: years missing"


def test_spending_is_positive_and_ordered_sensibly(spending) -> None:
    assert (spending["milex_usd_bn"] > 0).all()
    wide = spending.pivot(index="year", columns="country_code", values="milex_usd_bn")
    # The United States outspends China, and China outspends Japan and Korea, every year.
    assert (wide["USA"] > wide["CHN"]).all()
    assert (wide["CHN"] > wide[["JPN", "KOR"]].max(axis=1)).all()


def test_only_china_is_a_sipri_estimate_and_north_korea_is_absent(spending) -> None:
    flagged = set(spending.loc[spending["sipri_estimate"], "country_code"])
    assert flagged == {"CHN"}
    assert "PRK" not in set(spending["country_code"])


def test_cost_sharing_has_no_duplicated_key_and_no_negative_amount(cost) -> None:
    assert not cost.duplicated(["partner", "fiscal_year"]).any()
    assert (cost["amount_bn"].dropna() >= 0).all()


def test_cost_sharing_currency_matches_partner(cost) -> None:
    pairs = set(zip(cost["partner"], cost["currency"], strict=True))
    assert pairs <= {("KOR", "KRW"), ("JPN", "JPY")}


def test_stated_changes_agree_with_amounts(cost) -> None:
    kor = cost[cost["partner"] == "KOR"].set_index("fiscal_year")
    for year in kor.index:
        prev = year - 1
        if prev in kor.index and kor.loc[[year, prev], "amount_bn"].notna().all():
            computed = 100 * (kor.loc[year, "amount_bn"] / kor.loc[prev, "amount_bn"] - 1)
            assert abs(computed - kor.loc[year, "change_pct"]) < 0.1, year
