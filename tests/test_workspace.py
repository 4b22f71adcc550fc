"""`make lab`'s student copies: created when missing, never overwritten."""

from __future__ import annotations

from pathlib import Path

import pytest

from trilateral.publishing import workspace

pytestmark = pytest.mark.slow


def test_creates_missing_files_and_keeps_learner_work(course: Path) -> None:
    first = workspace.build(course, "student")
    # The self-study copies never touch the instructor's gradebook or release/.
    assert not (course / "gradebook.db").exists() and not (course / "release").exists()
    notebook = course / "student" / "02_state_of_play" / "state_of_play.ipynb"
    assert notebook in first.created and not first.kept
    assert "BEGIN SOLUTION" not in notebook.read_text(encoding="utf-8")

    notebook.write_text("my work in progress", encoding="utf-8")
    bank = course / "student" / "02_state_of_play" / "questions.yaml"
    bank.unlink()

    second = workspace.build(course, "student")
    assert notebook.read_text(encoding="utf-8") == "my work in progress"
    assert notebook in second.kept
    assert second.created == [bank], "only the missing file is created again"


def test_cli_reports_what_it_did(course: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert workspace.main(["--course-root", str(course), "--into", "student"]) == 0
    out = capsys.readouterr().out
    assert "state_of_play.ipynb" in out and "left as they are" in out
    assert workspace.main(["--course-root", str(course / "nowhere")]) == 1
    assert "is not a course folder" in capsys.readouterr().err
