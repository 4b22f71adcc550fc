"""Provenance of the data package: every row sourced, every address well formed,
every resource licensed, every declared link between tables resolvable, and the
counts that data/README.md states equal to the files."""

from __future__ import annotations

import csv
import re
from urllib.parse import urlsplit

import pytest

from trilateral import data

from conftest import ROOT

DATA = ROOT / "data"
RESOURCES = data.resource_names()
YEAR = re.compile(r"\b(19|20)\d{2}\b")
EMBEDDED_URL = re.compile(r"https?://[^\s\"'<>]+")


def _rows(name: str) -> list[dict[str, str]]:
    path = DATA / data.resource(name)["path"]
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _url_fields(name: str) -> list[str]:
    return [f["name"] for f in data.resource(name)["schema"]["fields"] if f["name"].endswith("url")]


# --- 1. a source on every row -------------------------------------------------

# Fields that may hold a full citation where a row has no address: the
# publisher and a dated title (events, minilaterals) or a dated citation
# (glossary). Every other resource must give an address on every row.
CITATION_FIELDS = {
    "events": ("source_publisher", "source_title"),
    "minilaterals": ("source_publisher", "source_title"),
    "glossary": ("source",),
}


def _row_source_problem(name: str, row: dict[str, str]) -> str | None:
    """Why ``row`` of ``name`` has no source of its own, or None if it has one."""
    urls = [row[f].strip() for f in _url_fields(name) if row.get(f, "").strip()]
    # public_opinion keeps its address inside the source text
    urls += EMBEDDED_URL.findall(row.get("source", "")) if not _url_fields(name) else []
    if urls:
        return None
    fields = CITATION_FIELDS.get(name)
    if fields is None:
        return "no source address"
    values = [row.get(f, "").strip() for f in fields]
    if not all(values):
        return f"no address and an incomplete citation in {fields}"
    if not YEAR.search(values[-1]):
        return f"no address and the citation in {fields[-1]!r} gives no date"
    return None


def missing_sources(name: str, rows: list[dict[str, str]]) -> list[str]:
    key = data.resource(name)["schema"].get("primaryKey") or [next(iter(rows[0]))]
    out = []
    for row in rows:
        problem = _row_source_problem(name, row)
        if problem:
            out.append(f"{name} {[row[k] for k in key]}: {problem}")
    return out


@pytest.mark.parametrize("name", RESOURCES)
def test_every_row_has_a_source_of_its_own(name: str) -> None:
    assert missing_sources(name, _rows(name)) == []


def test_a_row_without_a_source_is_caught() -> None:
    rows = _rows("north_korea_missile_tests")
    rows[3]["source_url"] = ""
    assert missing_sources("north_korea_missile_tests", rows)
    events = _rows("events")
    events[0]["source_url"] = ""
    events[0]["source_title"] = "An undated title"
    assert missing_sources("events", events)


# --- 2. every address well formed ---------------------------------------------

SCRIPT = re.compile(r"(javascript|data|vbscript):|<script|%3cscript", re.IGNORECASE)
STRAY = set(' \t\r\n"<>`{}|\\^¥')  # an apostrophe is legal in a path


def url_problem(url: str) -> str | None:
    """Why ``url`` is not a well-formed http(s) address, or None."""
    if url != url.strip():
        return "leading or trailing whitespace"
    if SCRIPT.search(url) or "javascript" in url.lower():
        return "script fragment"
    if any(ch in STRAY for ch in url):
        return "stray character"
    for encoded in ("%22", "%3c", "%3e", "%c2%a5", "%20"):
        if encoded in url.lower():
            return f"encoded stray character {encoded}"
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"}:
        return "scheme is not http or https"
    host = parts.hostname or ""
    if not host or "." not in host:
        return "no real host"
    if parts.netloc.endswith(".") or host.endswith("."):
        return "host ends with a dot"
    if not re.fullmatch(r"[a-z0-9.-]+", host) or ".." in host or host.startswith(("-", ".")):
        return "malformed host"
    if url[-1] in ".,;:)]!?":
        return "trailing punctuation"
    return None


def _package_urls() -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    package = data.descriptor()
    for lic in package.get("licenses", []):
        found.append(("package licence", lic.get("path", "")))
    for res in package["resources"]:
        for src in res.get("sources", []):
            if src.get("path"):
                found.append((f"{res['name']} source", src["path"]))
        for lic in res.get("licenses", []):
            if lic.get("path"):
                found.append((f"{res['name']} licence", lic["path"]))
        if res["name"] not in RESOURCES:  # not a table (the map's GeoJSON)
            continue
        url_fields = _url_fields(res["name"])
        for i, row in enumerate(_rows(res["name"]), start=2):
            for field, value in row.items():
                if field in url_fields and value:
                    found.append((f"{res['path']} line {i} {field}", value))
                elif field not in url_fields:
                    for url in EMBEDDED_URL.findall(value):
                        found.append((f"{res['path']} line {i} {field}", url.rstrip(".,;)")))
    return found


def test_every_url_is_well_formed() -> None:
    urls = _package_urls()
    assert len(urls) > 300
    bad = [f"{where}: {url!r} ({url_problem(url)})" for where, url in urls if url_problem(url)]
    assert bad == []


@pytest.mark.parametrize(
    "url",
    [
        "https://www.kjclub.com/jp/board/exc_board_9/view/id/4014826/page/%C2%A5%22javascript:void(0)",
        "https://note.com./hiroshifukumitsu/n/nd424023ce3d5",
        "ftp://example.org/file",
        "https://localhost/page",
        "https://example.org/page ",
        "javascript:alert(1)",
        "https://example.org/page).",
    ],
)
def test_malformed_urls_are_caught(url: str) -> None:
    assert url_problem(url)


# --- 3. a licence on every resource -------------------------------------------


@pytest.mark.parametrize("name", RESOURCES)
def test_every_resource_records_a_licence(name: str) -> None:
    licences = data.resource(name).get("licenses")
    assert licences, f"{name}: no licence recorded"
    for lic in licences:
        assert lic.get("name") and lic.get("title"), f"{name}: a licence lacks a name or title"
        assert lic.get("path") and not url_problem(lic["path"]), f"{name}: licence path"


def test_copied_datasets_carry_their_upstream_licence() -> None:
    names = {r: {lic["name"] for lic in data.resource(r)["licenses"]} for r in RESOURCES}
    assert "Apache-2.0" in names["north_korea_missile_tests"]  # nagix/nk-missile-tests
    assert "MIT" in names["japan_korea_trade"]  # kjayhan/kdiplo


# --- 4. links between tables --------------------------------------------------


def dangling_keys(package: dict, rows_of) -> list[str]:
    """Values of declared foreign keys that name no row of the referenced table."""
    out = []
    for res in package["resources"]:
        for fk in res.get("schema", {}).get("foreignKeys", []):
            fields = [fk["fields"]] if isinstance(fk["fields"], str) else fk["fields"]
            ref = fk["reference"]
            ref_fields = [ref["fields"]] if isinstance(ref["fields"], str) else ref["fields"]
            target = ref["resource"] or res["name"]
            known = {tuple(r[f] for f in ref_fields) for r in rows_of(target)}
            for row in rows_of(res["name"]):
                value = tuple(row[f] for f in fields)
                if all(value) and value not in known:
                    out.append(f"{res['name']}.{fields} = {value} not in {target}.{ref_fields}")
    return out


def test_foreign_keys_are_declared_and_resolve() -> None:
    package = data.descriptor()
    declared = {r["name"] for r in package["resources"] if r.get("schema", {}).get("foreignKeys")}
    assert {"events", "cost_sharing"} <= declared
    assert dangling_keys(package, _rows) == []
    assert any(r["place_id"] for r in _rows("events"))
    assert any(r["key_date_event_id"] for r in _rows("cost_sharing"))


def test_a_dangling_key_is_caught() -> None:
    def rows_of(name: str) -> list[dict[str, str]]:
        rows = _rows(name)
        if name == "events":
            rows[0]["place_id"] = "atlantis"
        return rows

    assert dangling_keys(data.descriptor(), rows_of)


def test_country_codes_name_known_countries() -> None:
    """Country codes are a closed list (no table of countries): each code used
    by one table is one the events schema allows, or a minilateral member."""
    countries = next(
        f for f in data.resource("events")["schema"]["fields"] if f["name"] == "countries"
    )
    allowed = set(re.findall(r"[A-Z]{3}", countries["constraints"]["pattern"]))
    assert allowed == {"JPN", "KOR", "USA", "CHN", "PRK"}
    used = {r["country"] for r in _rows("places")} | {
        r["country_code"] for r in _rows("defense_spending")
    }
    used |= {r["partner"] for r in _rows("cost_sharing")} | {
        r["country"] for r in _rows("us_forces")
    }
    used |= {r["country"] for r in _rows("public_opinion")}
    assert used <= allowed


# --- 5. the kinds of slip found by review -------------------------------------


def test_averages_are_not_stored_as_single_years() -> None:
    for row in _rows("cost_sharing"):
        start, end = int(row["fiscal_year"]), int(row["fiscal_year_end"])
        if row["is_average"] == "true":
            assert end > start, f"average for {row['partner']} {start} covers a single year"
        else:
            assert end == start, f"single-year payment for {row['partner']} {start} spans years"


def readme_count_mismatches(text: str) -> list[str]:
    out = []
    for section in re.split(r"^## ", text, flags=re.MULTILINE)[1:]:
        heading = section.splitlines()[0].strip()
        match = re.match(r"([a-z_]+)\.csv$", heading)
        if not match or match.group(1) not in RESOURCES:
            continue
        stated = re.search(r"\((\d+) rows\)", section)
        if stated is None:
            out.append(f"{heading}: no row count stated")
            continue
        actual = len(_rows(match.group(1)))
        if int(stated.group(1)) != actual:
            out.append(f"{heading}: README says {stated.group(1)} rows, the file has {actual}")
    return out


def test_readme_row_counts_match_the_files() -> None:
    text = (DATA / "README.md").read_text(encoding="utf-8")
    assert readme_count_mismatches(text) == []
    assert readme_count_mismatches(text.replace("(8 rows)", "(7 rows)", 1))


def test_missile_counts_cite_a_readable_commit() -> None:
    for row in _rows("north_korea_missile_tests"):
        assert "a0cc65874d36a4a0fdf16b73919d23a3a8f5dac5" in row["source_url"]
        assert "18 April 2026" in row["source_title"]
    text = (DATA / "README.md").read_text(encoding="utf-8")
    assert "a0cc65874d36a4a0fdf16b73919d23a3a8f5dac5" in text


def test_published_exact_values_are_used() -> None:
    hf = {
        (r["good"], r["year"]): r["imports_from_japan_usd_thousand"]
        for r in _rows("export_control_goods")
    }
    assert hf[("hydrogen_fluoride", "2019")] == "36335"  # JETRO table reproduced by Money1
    beer = {(r["indicator"], r["year"]): r["value"] for r in _rows("boycott_goods")}
    assert beer[("japanese_beer_imports", "2023")] == "55516"  # Korea Customs Service via Maekyung


# Issues 20 and 21: the timeline reaches 2026, and official sources are official ----------

MILESTONES = [
    "2023-supreme-court-upholds-labour-rulings",  # the court rulings after 2018
    "2024-us-rok-12th-sma-signed",
    "2024-freedom-edge-second-round",
    "2024-lima-trilateral-summit-secretariat",
    "2025-normalisation-60th-anniversary",
    "2025-us-japan-tariff-deal-announced",
    "2025-us-rok-tariff-deal-announced",
    "2025-freedom-edge-third-round",
    "2025-supreme-court-nippon-steel-ruling",
    "2026-supreme-court-ieepa-tariffs-ruling",
]
_OFFICIAL_PUBLISHER = re.compile(
    r"\b(White House|Federal Register|Supreme Court of the United States|Prime Minister's Office"
    r"|Ministry of|Department of|Embassy|Korea\.net|World Trade Organization)\b"
)
_OFFICIAL_HOST = re.compile(r"(\.gov|\.go\.jp|\.go\.kr|\.mil|(^|\.)korea\.net|(^|\.)wto\.org)$")


def timeline_gaps(rows: list[dict[str, str]]) -> list[str]:
    """What the events table lacks: the milestones, five 2025 rows, three 2026 rows."""
    ids = {r["event_id"] for r in rows}
    out = [f"missing milestone {m}" for m in MILESTONES if m not in ids]
    for year, least in (("2025", 5), ("2026", 3)):
        found = [r for r in rows if r["date"].startswith(year) and r["source_url"].strip()]
        if len(found) < least:
            out.append(f"{len(found)} events with an address in {year}, at least {least} wanted")
    return out


def official_host_problems(rows: list[dict[str, str]]) -> list[str]:
    """Rows whose publisher is a government body but whose address is not a government site.

    A reprint says so in ``source_publisher`` ("via", "reprinted by") and is
    left alone; a row with no address is left to the source check above.
    """
    out = []
    for r in rows:
        publisher, url = r["source_publisher"], r["source_url"].strip()
        if not url or not _OFFICIAL_PUBLISHER.search(publisher):
            continue
        if re.search(r"\bvia\b|reprinted", publisher):
            continue
        host = urlsplit(url).hostname or ""
        if not _OFFICIAL_HOST.search(host):
            out.append(f"{r['event_id']}: {publisher!r} cited at {host}")
    return out


def test_events_reach_2026_with_the_milestones() -> None:
    rows = _rows("events")
    assert timeline_gaps(rows) == []
    assert any(r["date"] >= "2026-03-01" for r in rows), "the record runs to March 2026"


def test_a_thin_timeline_is_caught() -> None:
    rows = [r for r in _rows("events") if not r["date"].startswith("2026")]
    rows = [r for r in rows if r["event_id"] != "2024-lima-trilateral-summit-secretariat"]
    gaps = timeline_gaps(rows)
    assert "missing milestone 2024-lima-trilateral-summit-secretariat" in gaps
    assert "0 events with an address in 2026, at least 3 wanted" in gaps


def test_official_publishers_are_cited_on_official_sites() -> None:
    assert official_host_problems(_rows("events")) == []


def test_an_official_publisher_on_a_news_site_is_caught() -> None:
    row = next(r for r in _rows("events") if r["event_id"] == "2025-us-rok-joint-fact-sheet")
    bad = dict(row, source_url="https://koreajoongangdaily.joins.com/news/2025-11-14/x")
    assert official_host_problems([bad]) == [
        "2025-us-rok-joint-fact-sheet: 'The White House' cited at koreajoongangdaily.joins.com"
    ]
    reprint = dict(bad, source_publisher="The White House (via JoongAng)")
    assert official_host_problems([reprint]) == []
