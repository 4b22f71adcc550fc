"""The data package: it validates, loads with the right dtypes, fails clearly."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from trilateral import data
from trilateral.data import DataError

from conftest import ROOT, read_notebook, section_notebooks

DATA = ROOT / "data"
RESOURCES = data.resource_names()


def test_descriptor_lists_every_csv() -> None:
    described = {r["path"] for r in data.descriptor()["resources"] if r["path"].endswith(".csv")}
    on_disk = {p.name for p in DATA.glob("*.csv")}
    assert described <= on_disk, f"described but missing: {described - on_disk}"
    assert on_disk <= described, f"CSV files with no descriptor: {on_disk - described}"


def test_package_validates_with_frictionless() -> None:
    import frictionless

    report = frictionless.Package(str(DATA / "datapackage.json")).validate()
    errors = [e.message for task in report.tasks for e in task.errors] + [
        e.message for e in report.errors
    ]
    assert report.valid, "\n".join(errors[:20])


@pytest.mark.parametrize("name", RESOURCES)
def test_every_resource_names_its_sources(name: str) -> None:
    res = data.resource(name)
    assert res.get("description"), f"{name}: no description"
    assert res.get("sources"), f"{name}: no sources"
    for src in res["sources"]:
        assert src.get("title") and src.get("publisher"), f"{name}: a source lacks title/publisher"
    assert data.source_line(name).startswith("Source: ")


@pytest.mark.parametrize("name", RESOURCES)
def test_every_resource_loads_with_declared_types(name: str) -> None:
    frame = data.load(name)
    assert len(frame) > 0
    kinds = {
        "integer": "Int64",
        "number": "float64",
        "boolean": "boolean",
        "string": "string",
    }
    for field in data.resource(name)["schema"]["fields"]:
        dtype = frame[field["name"]].dtype
        if field["type"] == "date":
            assert pd.api.types.is_datetime64_any_dtype(dtype), field["name"]
        else:
            assert str(dtype) == kinds[field["type"]], (field["name"], dtype)


@pytest.mark.parametrize("name", RESOURCES)
def test_every_resource_is_used_by_a_notebook(name: str) -> None:
    pattern = re.compile(r"data\.load\(\s*['\"]" + re.escape(name) + r"['\"]")
    for path in section_notebooks():
        cells = read_notebook(path)["cells"]
        if any(pattern.search("".join(c["source"])) for c in cells if c["cell_type"] == "code"):
            return
    pytest.fail(f"no notebook loads the {name!r} dataset")


def test_events_cross_checks() -> None:
    events = data.load("events")
    assert len(events) >= 60
    assert events["date"].is_monotonic_increasing, "events must be sorted by date"
    assert events["date"].min() == pd.Timestamp("1965-06-22")
    # Dates with month or year precision sit on the first day of that period.
    coarse = events[events["date_precision"] != "day"]
    assert (coarse["date"].dt.day == 1).all()
    assert (coarse.loc[coarse["date_precision"] == "year", "date"].dt.month == 1).all()
    assert events["source_url"].dropna().str.match(r"^https?://").all()


# --- bad input: a copy of the package with one thing broken ------------------


@pytest.fixture
def package(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    shutil.copytree(DATA, folder, ignore=shutil.ignore_patterns("_staging"))
    return folder


def _edit_events(folder: Path, old: str, new: str) -> None:
    path = folder / "events.csv"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _edit_frame(folder: Path, change) -> None:
    """Rewrite events.csv after ``change`` edits it as a DataFrame of strings."""
    path = folder / "events.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    change(frame).to_csv(path, index=False)


def test_a_loaded_frame_is_the_callers_own(package: Path) -> None:
    first = data.load("events", package)
    first.loc[0, "title"] = "changed by a learner"
    assert data.load("events", package).loc[0, "title"] != "changed by a learner"


def test_an_edited_file_is_read_again(package: Path) -> None:
    data.load("events", package)  # now kept
    _edit_events(package, "1965-06-22", "22/06/1965")
    with pytest.raises(DataError, match=r"field 'date' expects a date"):
        data.load("events", package)


def test_missing_file_is_named(package: Path) -> None:
    (package / "events.csv").unlink()
    with pytest.raises(DataError, match=r"events\.csv: file for dataset 'events' is missing"):
        data.load("events", package)


def test_bad_date_names_field_and_line(package: Path) -> None:
    _edit_events(package, "1965-06-22", "22/06/1965")
    with pytest.raises(DataError, match=r"events\.csv: field 'date' expects a date .* at line 2"):
        data.load("events", package)


def test_missing_column_is_named(package: Path) -> None:
    _edit_frame(package, lambda frame: frame.drop(columns=["category"]))
    with pytest.raises(DataError, match=r"missing field\(s\) \['category'\]"):
        data.load("events", package)


def test_value_outside_enum_is_named(package: Path) -> None:
    _edit_events(package, ",diplomacy,", ",gossip,")
    with pytest.raises(DataError, match=r"field 'category' must be one of .* at line \d+"):
        data.load("events", package)


def test_duplicate_key_is_named(package: Path) -> None:
    _edit_frame(package, lambda frame: pd.concat([frame, frame.iloc[[0]]]))
    with pytest.raises(DataError, match=r"field 'event_id' must be unique"):
        data.load("events", package)


def test_empty_required_value_is_named(package: Path) -> None:
    _edit_frame(
        package, lambda frame: frame.assign(title=frame["title"].mask(frame.index == 3, ""))
    )
    with pytest.raises(DataError, match=r"field 'title' is required but empty at line 5"):
        data.load("events", package)


def test_broken_descriptor_and_unknown_dataset(package: Path) -> None:
    with pytest.raises(DataError, match=r"no dataset named 'nope'; the data package has: events"):
        data.load("nope", package)
    (package / "datapackage.json").write_text("{ not json", encoding="utf-8")
    data._read_descriptor.cache_clear()
    with pytest.raises(DataError, match=r"datapackage\.json: not valid JSON"):
        data.load("events", package)


def test_unsupported_type_is_named(package: Path) -> None:
    desc = json.loads((package / "datapackage.json").read_text(encoding="utf-8"))
    desc["resources"][0]["schema"]["fields"][1]["type"] = "geopoint"
    (package / "datapackage.json").write_text(json.dumps(desc), encoding="utf-8")
    with pytest.raises(DataError, match=r"field 'date' has unsupported type 'geopoint'"):
        data.load("events", package)
