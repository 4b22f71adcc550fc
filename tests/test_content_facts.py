"""Content facts a test can hold: dates against the events table, quiz keys
against the course's data, ordering items that can be told apart, glossary
forms, and a reading list with a "start here" item in every notebook.

Why: issue 20 found slips of exactly these kinds (an explanation that
contradicted the events table, two ordering items on one date, a key resting
on figures the data did not support, a specific term given for a generic one).
"""

from __future__ import annotations

import calendar
import csv
import re
from datetime import date
from pathlib import Path

import nbformat
import pytest
import yaml

from trilateral import answers, data

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
BANKS = sorted(NOTEBOOKS.glob("*/questions.yaml"))
MONTHS = {name: i for i, name in enumerate(calendar.month_name) if name}
DATE = re.compile(r"(?:(\d{1,2})(?:[-–]\d{1,2})? )?(?:(" + "|".join(MONTHS) + r") )?(\d{4})\b")


def _bank(folder: str) -> dict:
    return yaml.safe_load((NOTEBOOKS / folder / "questions.yaml").read_text(encoding="utf-8"))


def _question(folder: str, qid: str) -> dict:
    matches = [q for q in _bank(folder)["questions"] if q["id"] == qid]
    assert len(matches) == 1, f"{folder}: no single question {qid!r}"
    return matches[0]


def _span(text: str) -> tuple[date, date]:
    """The first date in ``text`` as a (first day, last day) span."""
    match = DATE.search(text)
    assert match, f"no dated year in {text!r}"
    day, month, year = match.group(1), match.group(2), int(match.group(3))
    if month is None:
        return date(year, 1, 1), date(year, 12, 31)
    m = MONTHS[month]
    if day is None:
        return date(year, m, 1), date(year, m, calendar.monthrange(year, m)[1])
    return date(year, m, int(day)), date(year, m, int(day))


def _ordering_questions() -> list[tuple[str, dict]]:
    found = []
    for path in BANKS:
        for q in yaml.safe_load(path.read_text(encoding="utf-8"))["questions"]:
            if q["kind"] == "ordering" and "earliest first" in q["prompt"]:
                found.append((path.parent.name, q))
    return found


@pytest.mark.parametrize(
    "folder,question",
    _ordering_questions(),
    ids=lambda v: v["id"] if isinstance(v, dict) else v,
)
def test_ordering_items_fall_on_distinct_dates_in_order(folder: str, question: dict) -> None:
    spans = [_span(item["feedback"]) for item in question["items"]]
    texts = [item["text"] for item in question["items"]]
    for i in range(len(spans) - 1):
        assert spans[i][1] < spans[i + 1][0], (
            f"{folder}/{question['id']}: {texts[i]!r} ({spans[i]}) does not come strictly "
            f"before {texts[i + 1]!r} ({spans[i + 1]}); two items must not share a date"
        )


# Claims in question banks and notebooks that name a dated event: the date in
# the claim must be the date in data/events.csv.
CLAIMS = [
    (
        "05_challenges_and_opportunities/questions.yaml",
        "Phnom Penh Statement (13 November 2022)",
        "2022-phnom-penh-statement",
    ),
    (
        "05_challenges_and_opportunities/questions.yaml",
        "Phnom Penh Statement of 13 November\n      2022",
        "2022-phnom-penh-statement",
    ),
    (
        "05_challenges_and_opportunities/questions.yaml",
        "Camp David summit of 18\n      August 2023",
        "2023-camp-david-summit",
    ),
    (
        "05_challenges_and_opportunities/questions.yaml",
        "fully active on 19 December 2023",
        "2023-realtime-missile-warning-data-sharing",
    ),
    (
        "05_challenges_and_opportunities/challenges.ipynb",
        "Phnom Penh Statement of 13 November 2022",
        "2022-phnom-penh-statement",
    ),
    (
        "07_capstone/capstone.ipynb",
        "Phnom Penh Statement (13 November 2022)",
        "2022-phnom-penh-statement",
    ),
    (
        "02_state_of_play/questions.yaml",
        "agreed in principle on 7 March 2021",
        "2021-us-rok-sma-agreement-in-principle",
    ),
    (
        "02_state_of_play/questions.yaml",
        "initialled in Seoul on 18 March",
        "2021-us-rok-2plus2-seoul",
    ),
    ("02_state_of_play/questions.yaml", "signed on 8 April 2021", "2021-us-rok-sma-signed"),
    (
        "02_state_of_play/state_of_play.ipynb",
        "initialled in Seoul on 18 March 2021",
        "2021-us-rok-2plus2-seoul",
    ),
    (
        "02_state_of_play/state_of_play.ipynb",
        "formally signed only on 8 April 2021",
        "2021-us-rok-sma-signed",
    ),
    (
        "02_state_of_play/state_of_play.ipynb",
        "For Japan that was exact (24 February)",
        "2021-us-japan-hns-extension-signed",
    ),
    (
        "01_introduction/questions.yaml",
        "25 March 2021",
        "2021-nk-first-ballistic-launch-under-biden",
    ),
]


def _text(relative: str) -> str:
    path = NOTEBOOKS / relative
    if path.suffix == ".ipynb":
        nb = nbformat.read(path, as_version=4)
        return "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    return path.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "relative,snippet,event_id", CLAIMS, ids=[f"{c[0].split('/')[0]}:{c[2]}" for c in CLAIMS]
)
def test_dated_claims_agree_with_the_events_table(
    relative: str, snippet: str, event_id: str
) -> None:
    assert snippet in _text(relative), f"{relative} no longer says {snippet!r}"
    events = data.load("events").set_index("event_id")
    assert event_id in events.index, f"events.csv has no {event_id!r}"
    when = events.loc[event_id, "date"].date()
    flat = " ".join(snippet.split())
    if not re.search(r"\d{4}", flat):  # a claim without a year takes its event's year
        day_month = re.search(r"(\d{1,2}) (" + "|".join(MONTHS) + ")", flat)
        assert day_month, f"no day and month in {snippet!r}"
        flat = f"{day_month.group(0)} {when.year}"
    claimed = _span(flat)
    assert claimed[0] == when, (
        f"{relative}: {snippet!r} says {claimed[0]}, events.csv says {when} for {event_id}"
    )


def test_no_explanation_puts_all_mechanisms_at_camp_david() -> None:
    """The slip of issue 20: the missile-warning pledge came at Phnom Penh, before Camp David."""
    events = data.load("events").set_index("event_id")
    assert (
        events.loc["2022-phnom-penh-statement", "date"]
        < events.loc["2023-camp-david-summit", "date"]
    )
    assert "missile warning data" in events.loc["2022-phnom-penh-statement", "description"]
    question = _question("05_challenges_and_opportunities", "eco-mechanisms")
    assert "at or after the Camp David" not in question["explanation"]
    assert "Phnom Penh" in question["explanation"]


def _key(folder: str, qid: str) -> str | list[str]:
    notebook = next((NOTEBOOKS / folder).glob("*.ipynb"))
    return answers.answer_key(notebook)[qid]


def test_car_registration_key_follows_from_the_boycott_table() -> None:
    """``sop-graded-1``: the second halves are the annual totals minus the first halves."""
    question = _question("02_state_of_play", "sop-graded-1")
    first_halves = {2018: 21285, 2019: 23482}  # KAIDA via Kyeongin Ilbo, 7 January 2020
    for figure in ("23,482", "21,285", "13,179", "23,968", "Kyeongin Ilbo"):
        assert figure in question["explanation"], f"sop-graded-1 explanation should cite {figure}"
    boycott = data.load("boycott_goods")
    cars = boycott[boycott["indicator"] == "japanese_brand_car_registrations"].set_index("year")[
        "value"
    ]
    second = {year: int(cars[year]) - first_halves[year] for year in first_halves}
    assert second == {2018: 23968, 2019: 13179}
    change = round(100 * (second[2019] / second[2018] - 1))
    assert _key("02_state_of_play", "sop-graded-1") == f"They fell by about {abs(change)} per cent"
    assert change < 0


def test_trade_deficit_option_follows_from_the_trade_table() -> None:
    question = _question("02_state_of_play", "sop-trade-deficit")
    right = [o["text"] for o in question["options"] if o["correct"]]
    assert right == [
        "It narrowed to about 19.2 billion dollars,"
        " the smallest of the 2010s in the course's trade table"
    ]
    wide = data.load("japan_korea_trade").pivot(
        index="year", columns="direction", values="usd_million"
    )
    deficit = (wide["JPN_to_KOR"] - wide["KOR_to_JPN"]).astype(int)
    assert round(deficit[2019] / 1000, 1) == 19.2
    assert deficit[2019] == deficit.loc[2010:2019].min()
    assert deficit[2019] < deficit[2018]


# Generic terms: the glossary's first Japanese and Korean forms must be the
# generic word; a form a specific document used may follow it.
GENERIC_FORMS = {
    "joint-statement": ("共同声明", "공동성명"),
    "alliance": ("同盟", "동맹"),
    "korean-peninsula": ("朝鮮半島", "한반도"),
    "comfort-women": ("慰安婦", "위안부"),
    "dokdo-takeshima": ("竹島", "독도"),
    "sea-of-japan-east-sea": ("日本海", "동해"),
    "two-plus-two": ("「2+2」", "외교·국방 장관(2+2)회의"),
}


def _glossary() -> dict[str, dict[str, str]]:
    with (ROOT / "data" / "glossary.csv").open(encoding="utf-8", newline="") as handle:
        return {row["term_id"]: row for row in csv.DictReader(handle)}


@pytest.mark.parametrize("term_id", sorted(GENERIC_FORMS))
def test_glossary_gives_the_generic_form_first(term_id: str) -> None:
    row = _glossary()[term_id]
    japanese, korean = GENERIC_FORMS[term_id]
    assert row["japanese"].startswith(japanese), (
        f"{term_id}: Japanese should start with {japanese}, not {row['japanese']!r}"
    )
    assert row["korean"].startswith(korean), (
        f"{term_id}: Korean should start with {korean}, not {row['korean']!r}"
    )


def test_every_glossary_form_has_script_then_romanisation() -> None:
    kana_or_kanji = re.compile(r"[\u3040-\u30ff\u3400-\u9fff「]")
    hangul = re.compile(r"[\uac00-\ud7a3]")
    for term_id, row in _glossary().items():
        assert kana_or_kanji.match(row["japanese"]), (
            f"{term_id}: Japanese form should open in Japanese script"
        )
        assert hangul.match(row["korean"]), f"{term_id}: Korean form should open in Hangul"
        for column in ("japanese", "korean"):
            assert re.search(r"\([^)]*[A-Za-z][^)]*\)", row[column]), (
                f"{term_id}: {column} needs a romanisation in brackets"
            )


# Reading lists: every notebook ends with references or a reading list that
# marks one work "Start here" and cites it in full; every section notebook (not
# the pandas primer, whose topic has none) includes Japanese or Korean scholarship.
READING_HEADINGS = ("## References", "## Reading list")
CITATION = re.compile(
    r"^- .*\*[^*\n]+\*.*[A-Z][^:\n]*: [^,:\n]+, (?:[A-Z][a-z]+ )?(?:19|20)\d{2}", re.MULTILINE
)
CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7a3]")
NO_CJK_EXPECTED = {"00_pandas_primer"}


def _reading_section(path: Path) -> str:
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        starts = [cell.source.index(h) for h in READING_HEADINGS if h in cell.source]
        if starts:
            return cell.source[min(starts) :]
    raise AssertionError(f"{path.parent.name}: no References or Reading list section")


@pytest.mark.parametrize("path", sorted(NOTEBOOKS.glob("*/*.ipynb")), ids=lambda p: p.parent.name)
def test_every_notebook_has_a_reading_list_with_one_start_here(path: Path) -> None:
    section = _reading_section(path)
    assert section.count("Start here:") == 1, f"{path.parent.name}: mark exactly one 'Start here:'"
    start = next(line for line in section.splitlines() if "Start here:" in line)
    after = start.split("Start here:", 1)[1].lstrip("* ")
    surname = re.match(r"[A-Z][\w'-]+", after)
    assert surname, f"{path.parent.name}: the start-here item should open with its author"
    cited = [m.group(0) for m in CITATION.finditer(section) if surname.group(0) in m.group(0)]
    assert cited, f"{path.parent.name}: cite {after[:30]!r} in full (title, place: publisher, year)"
    if path.parent.name not in NO_CJK_EXPECTED:
        assert CJK.search(section), f"{path.parent.name}: list a Japanese or Korean scholar's work"


def test_china_japan_korea_summits_are_not_called_annual_throughout() -> None:
    """Issue 20: the summits were yearly only from 2008 to 2012; the row names its source."""
    rows = data.load("minilaterals").set_index("minilateral_id")
    notes = rows.loc["cjk", "notes"]
    assert "annual stand-alone summits from 2008" not in notes
    assert "every year from 2008 to 2012, then irregularly" in notes
    assert "gov.cn" in notes
