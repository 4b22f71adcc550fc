"""The ``trilateral`` command line: help, one-line errors, exit status, release, zip collect.

Fast checks run ``main()`` in this process; one test runs the module as a
subprocess to prove the entry point and its exit status. The grading runs
are in test_bad_submissions.py and test_classroom.py.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from trilateral.grading import cli

from support_course import NOTEBOOK, SECTION, make_course, released, run_cli, solved

COMMANDS = ["release", "due", "collect", "grade", "feedback", "export", "return", "lint",
            "student-tree"]


@pytest.mark.parametrize("argv", [[], *[[c] for c in COMMANDS]], ids=["top", *COMMANDS])
def test_help_everywhere(argv: list[str], capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main([*argv, "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: trilateral")
    assert "--course-root" in out if not argv else "--help" in out


def test_console_script_is_declared() -> None:
    pyproject = (Path(__file__).resolve().parents[1] / "pyproject.toml").read_text("utf-8")
    assert 'trilateral = "trilateral.grading.cli:main"' in pyproject


def _error(capsys, argv: list[str]) -> tuple[int, str]:
    code = cli.main(argv)
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    return code, err.strip()


def test_missing_course_folder(tmp_path: Path, capsys) -> None:
    code, err = _error(capsys, ["--course-root", str(tmp_path / "nowhere"), "grade"])
    assert code == 2
    assert err == f"trilateral: error: course folder {tmp_path / 'nowhere'} does not exist"


def test_folder_that_is_not_a_course(tmp_path: Path, capsys) -> None:
    code, err = _error(capsys, ["--course-root", str(tmp_path), "release"])
    assert code == 2
    assert "is not a course folder: it has no notebooks/ folder" in err


def test_unknown_section(tmp_path: Path, capsys) -> None:
    root = make_course(tmp_path / "course")
    code, err = _error(capsys, ["--course-root", str(root), "grade", "99_nope"])
    assert code == 2
    assert err == f"trilateral: error: unknown section '99_nope'; the course has: {SECTION}"


def test_empty_submission_folder(tmp_path: Path, capsys) -> None:
    root = make_course(tmp_path / "course")
    (root / "submitted").mkdir()
    code, err = _error(capsys, ["--course-root", str(root), "grade", SECTION])
    assert code == 2
    assert f"no submissions for {SECTION}" in err
    code, err = _error(capsys, ["--course-root", str(root), "grade"])
    assert code == 2
    assert "no submissions to grade" in err


def test_collect_without_exchange(tmp_path: Path, capsys) -> None:
    root = make_course(tmp_path / "course")
    code, err = _error(capsys, ["--course-root", str(root), "collect"])
    assert code == 2
    assert "no exchange is configured" in err


def test_feedback_before_grading(tmp_path: Path, capsys) -> None:
    root = make_course(tmp_path / "course")
    code, err = _error(capsys, ["--course-root", str(root), "feedback"])
    assert code == 2
    assert "nothing graded yet" in err


def test_bad_due_date(tmp_path: Path, capsys) -> None:
    root = make_course(tmp_path / "course")
    code, err = _error(capsys, ["--course-root", str(root), "due", SECTION, "next tuesday-ish"])
    assert code == 2
    assert "cannot read the date" in err


def test_jobs_must_be_positive(capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["grade", "--jobs", "0"])
    assert exit_info.value.code == 2


@pytest.mark.slow
def test_release_and_zip_collect_as_a_subprocess(tmp_path: Path, isolated_home: Path) -> None:
    """The module runs as a program; release, then import an LMS download."""
    root = make_course(tmp_path / "course")
    done = run_cli("--course-root", str(root), "release", "--due", "2030-01-31 17:00:00 UTC")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"{SECTION}: student version in release/{SECTION}/"
    student_nb = json.dumps(solved(released(root)))
    download = tmp_path / "lms-download.zip"
    with zipfile.ZipFile(download, "w") as zf:
        zf.writestr("hana_demo.ipynb", student_nb)
        zf.writestr("ivan_demo.ipynb", json.dumps(released(root)))
        zf.writestr("readme.txt", "not a submission")
    done = run_cli("--course-root", str(root), "collect", SECTION, "--zip", str(download))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"{SECTION}: 2 submissions in submitted/"
    for student in ("hana", "ivan"):
        assert (root / "submitted" / student / SECTION / NOTEBOOK).is_file()
    # A section that does not exist: one line, status 2, from the real program.
    done = run_cli("--course-root", str(root), "release", "99_nope")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"trilateral: error: unknown section '99_nope'; the course has: {SECTION}"
    ]


def test_summary_statistics_and_histogram(tmp_path: Path) -> None:
    from trilateral.grading import Score, report
    from trilateral.grading.batch import Outcome

    values = {"a": 0.0, "b": 2.0, "c": 3.0, "d": 5.0, "e": 5.0}
    scores = {s: Score(s, v, 7.0, v, 5.0, s == "e") for s, v in values.items()}
    outcomes = [Outcome(s, s != "a", "demo.ipynb is an empty file" if s == "a" else "")
                for s in values]
    summary = report.summarize("01_demo", scores, outcomes)
    assert summary.lines() == [
        "01_demo: 5 submissions, out of 7 points",
        "  mean 3.00  median 3.00  min 0.00  max 5.00  sd 1.90",
        "  waiting for manual grading: 1 (e)",
        "  could not be graded (scored 0): 1",
        "    a: demo.ipynb is an empty file",
    ]
    png = report.histogram(summary, scores, tmp_path / "h.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_lint_reports_a_broken_test_cell(tmp_path: Path, capsys) -> None:
    root = make_course(tmp_path / "course")
    cli.main(["--course-root", str(root), "lint"])  # the demo course lacks a reading list
    assert "computes itself" not in capsys.readouterr().out
    path = root / "notebooks" / SECTION / NOTEBOOK
    nb = json.loads(path.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade_id") == "demo-ex1-tests":
            cell["source"] = "_x = 2\nassert double(_x) == 4"
    path.write_text(json.dumps(nb), encoding="utf-8")
    capsys.readouterr()
    assert cli.main(["--course-root", str(root), "lint"]) == 1
    assert "calls double(_x) with values it computes itself" in capsys.readouterr().out


@pytest.mark.slow
def test_grade_refuses_without_the_sandbox_unless_told(tmp_path: Path) -> None:
    """No bubblewrap on PATH: one line saying how to install it, and nothing graded.
    With --no-sandbox it grades, and says what is lost."""
    import os
    import sys

    from support_course import isolated_env

    root = make_course(tmp_path / "course")
    env = isolated_env(tmp_path / "home")
    assert run_cli("--course-root", str(root), "release", env=env).returncode == 0
    folder = root / "submitted" / "ana" / SECTION
    folder.mkdir(parents=True)
    (folder / NOTEBOOK).write_text(json.dumps(solved(released(root))), encoding="utf-8")
    env["PATH"] = str(Path(sys.executable).parent)  # no /usr/bin: no bwrap
    refused = run_cli("--course-root", str(root), "grade", env=env)
    assert refused.returncode == 2, refused.stderr
    err = refused.stderr.strip().splitlines()
    assert len(err) == 1 and "refusing to grade" in err[0]
    assert "apt-get install bubblewrap" in err[0]
    assert "--no-sandbox" in err[0]
    assert not (root / "autograded").exists()
    allowed = run_cli("--course-root", str(root), "grade", "--no-sandbox", env=env)
    assert allowed.returncode == 0, allowed.stderr[-2000:]
    assert "grading without the sandbox" in allowed.stderr
    assert "isolation: none (--no-sandbox)" in allowed.stdout
    assert os.path.isfile(root / "autograded" / "ana" / SECTION / NOTEBOOK)


@pytest.mark.slow
def test_grades_csv_has_no_rows_for_sections_never_assigned(tmp_path: Path) -> None:
    """A section only registered in the gradebook (as an old `make lab` did) gives no
    student a false 0 in the export."""
    import csv
    import shutil

    from trilateral import grading

    from support_course import isolated_env

    root = make_course(tmp_path / "course")
    shutil.copytree(root / "notebooks" / SECTION, root / "notebooks" / "02_other")
    env = isolated_env(tmp_path / "home")
    grading.generate_assignment(root, "02_other")  # registered in the gradebook ...
    shutil.rmtree(root / "release" / "02_other")  # ... but never handed out
    assert run_cli("--course-root", str(root), "release", SECTION, env=env).returncode == 0
    folder = root / "submitted" / "ana" / SECTION
    folder.mkdir(parents=True)
    (folder / NOTEBOOK).write_text(json.dumps(solved(released(root))), encoding="utf-8")
    graded = run_cli("--course-root", str(root), "grade", SECTION, "-q", env=env)
    assert graded.returncode == 0, graded.stderr[-2000:]
    with (root / "grades.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["assignment"], r["student_id"]) for r in rows] == [(SECTION, "ana")]
    assert grading.assigned_sections(root) == [SECTION]
