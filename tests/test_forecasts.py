"""Forecast questions, the Brier score and the save-only-on-click widget."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from trilateral import forecasts


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TRILATERAL_HOME", str(tmp_path / "tri"))
    return tmp_path / "tri"


def test_questions_load_with_binary_outcomes_and_sources() -> None:
    table = forecasts.questions()
    assert len(table) >= 5
    assert set(table["outcome"].tolist()) <= {0, 1}
    assert table["question_id"].is_unique
    assert table["source_url"].str.startswith("http").all()
    assert (table["resolves_by"] >= "2021-04-01").all()


def test_brier_known_values() -> None:
    assert forecasts.brier([1.0, 0.0], [1, 0]) == 0.0
    assert forecasts.brier([0.0, 1.0], [1, 0]) == 1.0
    assert forecasts.brier([0.8, 0.3], [1, 0]) == pytest.approx(0.065)
    assert forecasts.brier([0.5] * 3, [1, 0, 1]) == pytest.approx(0.25)


def test_brier_accepts_pandas_and_booleans() -> None:
    table = forecasts.questions()
    score = forecasts.brier([0.5] * len(table), table["outcome"])
    assert score == pytest.approx(0.25)
    assert forecasts.brier([0.9], [True]) == pytest.approx(0.01)


@pytest.mark.parametrize(
    ("probs", "outs", "message"),
    [
        ([0.5], [1, 0], "1 probabilities but 2 outcomes"),
        ([], [], "empty"),
        ([1.1], [1], "between 0 and 1"),
        ([-0.1], [0], "between 0 and 1"),
        ([float("nan")], [0], "between 0 and 1"),
        (["0.5"], [1], "must be a number"),
        ([0.5], [2], "0 (no) or 1 (yes)"),
        ("0.5", [1], "sequence"),
    ],
)
def test_brier_rejects_bad_input(probs, outs, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        forecasts.brier(probs, outs)


def test_baselines() -> None:
    assert forecasts.baselines([1, 1, 1, 0]) == {"always_half": 0.25, "base_rate": 0.1875}
    assert forecasts.baselines([1, 1])["base_rate"] == 0.0
    with pytest.raises(ValueError):
        forecasts.baselines([])


def test_path_follows_trilateral_home(home: Path) -> None:
    assert forecasts.forecasts_path() == home / "forecasts.json"


def test_path_is_in_the_learners_assignment_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """05 saves into its own folder; 09 finds that file beside its folder; never ~/."""
    monkeypatch.delenv("TRILATERAL_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    challenges = tmp_path / "student" / forecasts.SECTION
    hindsight = tmp_path / "student" / "09_hindsight"
    challenges.mkdir(parents=True)
    hindsight.mkdir()
    assert forecasts.forecasts_path(challenges) == challenges / "forecasts.json"
    assert forecasts.forecasts_path(hindsight) == challenges / "forecasts.json"
    assert forecasts.forecasts_path(tmp_path) == tmp_path / "forecasts.json"
    monkeypatch.chdir(hindsight)
    forecasts.save({"q1": 0.25})
    assert (challenges / "forecasts.json").is_file()
    assert not (tmp_path / "home").exists(), "nothing is saved outside the learner's work"


def test_forecasts_saved_by_an_earlier_version_are_still_read(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("TRILATERAL_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    forecasts.save({"q1": 0.5}, tmp_path / "home" / ".trilateral" / "forecasts.json")
    assert forecasts.load() == {"q1": 0.5}
    forecasts.save({"q1": 0.75})
    assert forecasts.load() == {"q1": 0.75}
    assert (tmp_path / "forecasts.json").is_file()


def test_load_missing_or_damaged_is_none(home: Path) -> None:
    assert forecasts.load() is None
    home.mkdir(parents=True)
    forecasts.forecasts_path().write_text("{not json", encoding="utf-8")
    assert forecasts.load() is None
    forecasts.forecasts_path().write_text(json.dumps({"forecasts": {"a": 3}}), encoding="utf-8")
    assert forecasts.load() is None


def test_save_then_load_round_trip(home: Path) -> None:
    path = forecasts.save({"seoul-mayor-2021": 0.7, "suga-2022": 0.2})
    assert path == home / "forecasts.json"
    assert forecasts.load() == {"seoul-mayor-2021": 0.7, "suga-2022": 0.2}
    assert not list(home.glob(".forecasts-*")), "temporary file left behind"
    with pytest.raises(ValueError):
        forecasts.save({"x": 1.5})
    assert forecasts.load() == {"seoul-mayor-2021": 0.7, "suga-2022": 0.2}


def test_widget_writes_only_when_clicked(home: Path) -> None:
    box = forecasts.widget()
    assert not forecasts.forecasts_path().exists(), "building the widget must not write"
    assert len(box.sliders) == len(forecasts.questions())
    assert all(s.min == 0.0 and s.max == 1.0 for s in box.sliders.values())
    box.sliders["suga-2022"].value = 0.25
    box.button.click()
    assert "Saved" in box.feedback.value
    assert forecasts.load()["suga-2022"] == 0.25
    again = forecasts.widget()
    assert again.sliders["suga-2022"].value == 0.25


def test_widget_reports_a_failed_save_without_raising(home: Path) -> None:
    home.parent.mkdir(parents=True, exist_ok=True)
    home.write_text("a file where the folder should be", encoding="utf-8")
    box = forecasts.widget()
    assert box.save() is False
    assert "Could not save" in box.feedback.value
