"""The nbgrader workflow end to end, in a temporary copy of the course.

The shape follows nbgrader's own app tests: an isolated HOME, a real course
folder, generate, submit an untouched and a solved copy (and some in
between), autograde with real kernels, read the scores from the gradebook.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from trilateral import grading

pytestmark = pytest.mark.slow

SECTION = "02_state_of_play"
NOTEBOOK = "state_of_play.ipynb"
# Autograded points per exercise, from the test cells' metadata.
EXERCISES = {"sop-ex1": 2.0, "sop-ex2": 2.0, "sop-ex3": 2.0}
WRITTEN = 4.0


def _cells_by_id(path: Path) -> dict[str, dict]:
    nb = json.loads(path.read_text(encoding="utf-8"))
    out = {}
    for cell in nb["cells"]:
        gid = cell["metadata"].get("nbgrader", {}).get("grade_id")
        if gid:
            out[gid] = cell
    return out


def _submit(root: Path, student: str, notebook: dict | Path) -> None:
    """Put a submission in submitted/<student>/<section>/, as collect would."""
    dest = root / "submitted" / student / SECTION
    shutil.copytree(root / "release" / SECTION, dest)
    if isinstance(notebook, Path):
        shutil.copy2(notebook, dest / NOTEBOOK)
    else:
        (dest / NOTEBOOK).write_text(json.dumps(notebook), encoding="utf-8")


def _student_copy(root: Path, answers: dict[str, str]) -> dict:
    """The released notebook with some solution cells replaced by ``answers``."""
    nb = json.loads((root / "release" / SECTION / NOTEBOOK).read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        gid = cell["metadata"].get("nbgrader", {}).get("grade_id")
        if gid in answers:
            cell["source"] = answers[gid]
    return nb


def _nbgrader(root: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    return subprocess.run(
        [sys.executable, "-m", "nbgrader", *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_whole_workflow(course: Path) -> None:
    root = course
    release = grading.generate_assignment(root, SECTION)
    released = (release / NOTEBOOK).read_text(encoding="utf-8")
    assert (release / "questions.yaml").is_file(), "the question bank travels with the release"

    # The student version holds no solution and no hidden test.
    for secret in (
        "BEGIN SOLUTION",
        "BEGIN HIDDEN TESTS",
        "value_counts()",
        "ruling_to_controls == 247",
        "Model answer (instructor version only)",
    ):
        assert secret not in released, f"{secret!r} leaked into the student version"
    assert released.count("raise NotImplementedError()") == len(EXERCISES)
    assert "YOUR ANSWER HERE" in released

    source_cells = _cells_by_id(root / "notebooks" / SECTION / NOTEBOOK)
    solution = {gid: "".join(c["source"]) for gid, c in source_cells.items()}

    _submit(root, "solved", root / "notebooks" / SECTION / NOTEBOOK)
    _submit(root, "untouched", release / NOTEBOOK)
    _submit(
        root, "partial", _student_copy(root, {"sop-ex1-solution": solution["sop-ex1-solution"]})
    )
    _submit(
        root,
        "raises",
        _student_copy(
            root,
            {
                "sop-ex1-solution": solution["sop-ex1-solution"],
                "sop-ex2-solution": "raise RuntimeError('my code is broken')",
                "sop-ex3-solution": solution["sop-ex3-solution"],
            },
        ),
    )
    # Right type, wrong value: passes the visible tests, fails the hidden ones.
    _submit(
        root,
        "plausible",
        _student_copy(
            root,
            {
                "sop-ex1-solution": "per_category = events['category'].value_counts()",
                "sop-ex2-solution": solution["sop-ex2-solution"],
                "sop-ex3-solution": "change_2019 = -1.0",
            },
        ),
    )

    students = ["solved", "untouched", "partial", "raises", "plausible"]
    for student in students:
        grading.autograde(root, SECTION, student)

    scores = grading.scores(root, SECTION)
    autograded = {s: scores[s].code_score for s in students}
    assert autograded == {
        "solved": 6.0,
        "untouched": 0.0,
        "partial": 2.0,
        "raises": 4.0,
        "plausible": 2.0,
    }
    for s in students:
        assert scores[s].max_code_score == sum(EXERCISES.values())
        assert scores[s].max_score == sum(EXERCISES.values()) + WRITTEN
        # A written answer left as the stub scores 0 at once (nbgrader's rule);
        # a real answer waits for the instructor.
        assert scores[s].needs_manual_grade == (s == "solved"), s

    grading.generate_feedback(root, SECTION)
    for s in students:
        html = root / "feedback" / s / SECTION / NOTEBOOK.replace(".ipynb", ".html")
        assert html.is_file(), f"no feedback for {s}"
    broken = (root / "feedback" / "raises" / SECTION / "state_of_play.html").read_text("utf-8")
    assert "my code is broken" in broken, "feedback shows the student's own error"

    grades = grading.export_grades(root, root / "grades.csv")
    with grades.open(encoding="utf-8") as fh:
        rows = {row["student_id"]: row for row in csv.DictReader(fh)}
    assert set(rows) == set(students)
    for s in students:
        assert rows[s]["assignment"] == SECTION
        assert float(rows[s]["score"]) == autograded[s]
        assert float(rows[s]["max_score"]) == sum(EXERCISES.values()) + WRITTEN


def test_release_fails_its_own_tests_and_source_passes(course: Path) -> None:
    """`nbgrader validate --invert` proves the tests can fail at all."""
    grading.generate_assignment(course, SECTION)
    inverted = _nbgrader(course, "validate", "--invert", f"release/{SECTION}/{NOTEBOOK}")
    assert "Success! The notebook does not pass any tests." in inverted.stdout, inverted.stdout
    solved = _nbgrader(course, "validate", f"notebooks/{SECTION}/{NOTEBOOK}")
    assert "Success! Your notebook passes all the tests." in solved.stdout, solved.stdout


def test_unknown_section_and_bad_root(course: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown section '99_nope'; the course has: "):
        grading.generate_assignment(course, "99_nope")
    with pytest.raises(ValueError, match="is not a course folder"):
        grading.generate_assignment(tmp_path / "empty", SECTION)
