"""Cross-checks for the defence-spending, cost-sharing and U.S.-forces tables
(notebooks 04, 05 and 07).

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


@pytest.fixture(scope="module")
def forces():
    return data.load("us_forces")


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


# --- us_forces (DMDC, September snapshots) ----------------------------------

BRANCHES = ["army", "navy", "marine_corps", "air_force", "space_force", "coast_guard"]


def test_forces_has_one_row_per_country_and_year(forces) -> None:
    assert not forces.duplicated(["country", "year"]).any()
    assert set(forces["country"]) == {"JPN", "KOR"}


def test_forces_years_are_continuous_2008_to_2025(forces) -> None:
    for code, rows in forces.groupby("country"):
        assert sorted(rows["year"].astype(int)) == list(range(2008, 2026)), code


def test_forces_snapshot_is_30_september_of_the_year(forces) -> None:
    assert (forces["snapshot"].dt.year == forces["year"]).all()
    assert ((forces["snapshot"].dt.month == 9) & (forces["snapshot"].dt.day == 30)).all()


def test_forces_branches_add_up_to_active_duty(forces) -> None:
    total = forces[BRANCHES].fillna(0).sum(axis=1)
    bad = forces.loc[total != forces["active_duty"], ["country", "year"]]
    assert bad.empty, bad.to_dict("records")


def test_forces_values_are_positive(forces) -> None:
    assert (forces["active_duty"] > 0).all()
    assert (forces[BRANCHES].fillna(0) >= 0).all().all()
    # Every service but the Navy in 2008-2009 Korea (documented) has people in both countries.
    assert (forces[["army", "marine_corps", "air_force", "coast_guard"]] > 0).all().all()


def test_space_force_is_counted_separately_only_from_2023(forces) -> None:
    has = forces["space_force"].notna()
    assert set(forces.loc[has, "year"].astype(int)) == {2023, 2024, 2025}
    assert (forces.loc[has, "space_force"] > 0).all()


def test_counting_basis_switches_once_between_2017_and_2018(forces) -> None:
    for code, rows in forces.sort_values("year").groupby("country"):
        before = rows.loc[rows["year"] <= 2017, "counting"]
        after = rows.loc[rows["year"] >= 2018, "counting"]
        assert set(before) == {"assigned_and_deployed"}, code
        assert set(after) == {"permanently_assigned"}, code


def test_forces_rows_name_their_dmdc_file(forces) -> None:
    yymm = forces["dmdc_file"].str.extract(r"Report_(\d{2})09")[0].astype(int)
    assert (yymm == forces["year"].astype(int) % 100).all()


def test_forces_flagged_rows_are_the_documented_ones(forces) -> None:
    flagged = forces.loc[forces["note"].notna(), ["country", "year"]]
    pairs = {(c, int(y)) for c, y in zip(flagged["country"], flagged["year"], strict=True)}
    assert pairs == {("JPN", 2016), ("JPN", 2017), ("KOR", 2008), ("KOR", 2009)}


def test_forces_spot_check_september_2016(forces) -> None:
    """Values checked by hand against the parse of DMDC's September 2016 file."""
    row = forces.set_index(["country", "year"]).loc[("JPN", 2016)]
    assert [int(row[b]) for b in ("army", "navy", "marine_corps", "air_force")] == [
        2717,
        11014,
        13521,
        11566,
    ]
    assert int(row["coast_guard"]) == 16 and int(row["active_duty"]) == 38834
    assert int(forces.set_index(["country", "year"]).loc[("KOR", 2016), "active_duty"]) == 24190
