"""Notebook 09 dates what happened after the essay from the events table, not from memory.

Every day-precise date from 2021 on that the hindsight notebook's prose or its
question bank names must be the date of an event in ``data/events.csv`` (or a
date the sourced outcome note of ``data/forecast_questions.csv`` states), so a
date cannot drift from the row it rests on. A span such as "11-13 June 2021"
is checked by its first day. Publication dates in the reading list and
references are not events and are left out.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from conftest import ROOT, read_notebook

HINDSIGHT = ROOT / "notebooks" / "09_hindsight"
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]
DATE = re.compile(r"\b(\d{1,2})(?:[-–]\d{1,2})? (" + "|".join(MONTHS) + r") (\d{4})\b")
FIRST_YEAR = 2021


def _iso(day: str, month: str, year: str) -> str:
    return f"{year}-{MONTHS.index(month) + 1:02d}-{int(day):02d}"


def event_dates() -> set[str]:
    """Day-precise event dates, and the dates forecast outcome notes state."""
    with (ROOT / "data" / "events.csv").open(encoding="utf-8", newline="") as fh:
        known = {row["date"] for row in csv.DictReader(fh) if row["date_precision"] == "day"}
    with (ROOT / "data" / "forecast_questions.csv").open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            known |= {_iso(*found) for found in DATE.findall(row["outcome_note"])}
    return known


def prose(notebook: Path, bank: Path) -> str:
    """Markdown of the notebook up to its reading list, and the bank's text."""
    parts = []
    for cell in read_notebook(notebook)["cells"]:
        if cell["cell_type"] != "markdown":
            continue
        text = "".join(cell["source"])
        text = re.split(r"^## (?:Reading list|References)\b", text, flags=re.M)[0]
        parts.append(text)
    parts.append(bank.read_text(encoding="utf-8"))
    return "\n".join(parts)


def undated(text: str, known: set[str]) -> list[str]:
    """Dates in ``text`` (from FIRST_YEAR on) that no event in ``known`` has."""
    out = []
    for day, month, year in DATE.findall(text):
        if int(year) < FIRST_YEAR:
            continue
        if _iso(day, month, year) not in known:
            out.append(f"{day} {month} {year}")
    return out


def test_every_date_in_hindsight_is_an_event() -> None:
    text = prose(HINDSIGHT / "hindsight.ipynb", HINDSIGHT / "questions.yaml")
    assert undated(text, event_dates()) == []


def test_the_check_catches_a_date_the_table_does_not_hold() -> None:
    known = event_dates()
    assert undated("Trump said so on 26 January 2026.", known) == []
    assert undated("Trump said so on 27 January 2026.", known) == ["27 January 2026"]
    assert undated("The 1965 treaty was signed on 22 June 1965.", known) == []  # before 2021
    assert undated("Moon attended on 11-13 June 2021.", known) == []  # a span, by its first day
    assert undated("Moon attended on 12-13 June 2021.", known) == ["12 June 2021"]


@pytest.mark.parametrize(
    "event_id",
    [
        "2024-trump-cost-sharing-10bn-remark",
        "2025-nakatani-rules-out-hns-renegotiation",
        "2025-seoul-to-keep-12th-sma",
        "2025-us-japan-tariff-deal-announced",
        "2025-us-rok-tariff-deal-announced",
        "2026-trump-korea-tariff-increase-announced",
        "2026-supreme-court-ieepa-tariffs-ruling",
        "2020-covid-reciprocal-entry-curbs",
        "2025-china-advises-against-travel-to-japan",
    ],
)
def test_hindsight_covers_america_first_the_pandemic_and_china(event_id: str) -> None:
    """Issue 20: 09 answers every uncertainty the essay names, into 2026."""
    with (ROOT / "data" / "events.csv").open(encoding="utf-8", newline="") as fh:
        row = next(r for r in csv.DictReader(fh) if r["event_id"] == event_id)
    year, month, day = row["date"].split("-")
    written = f"{int(day)} {MONTHS[int(month) - 1]} {year}"
    text = prose(HINDSIGHT / "hindsight.ipynb", HINDSIGHT / "questions.yaml")
    assert written in text, f"09 does not date {event_id} ({row['date']})"
