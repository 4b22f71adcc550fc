"""The nbgrader workflow end to end, in a temporary copy of the course.

The shape follows nbgrader's own app tests: an isolated HOME, a real course
folder, generate, submit an untouched and a solved copy (and some in
between), autograde with real kernels, read the scores from the gradebook.
"""

from __future__ import annotations

import csv
import html
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from trilateral import answers, grading
from trilateral.grading.batch import grade_section
from trilateral.publishing.lint import notebook_facts

from conftest import section_notebooks

pytestmark = pytest.mark.slow

SECTION = "02_state_of_play"
NOTEBOOK = "state_of_play.ipynb"
SECTIONS = section_notebooks()


def _points(path: Path) -> tuple[dict[int, float], dict[int, float], float]:
    """(code exercise points, widget exercise points, written points) from metadata."""
    facts = notebook_facts(path)
    code = {n: ex["points"] for n, ex in facts["exercises"].items() if ex["solution"]}
    widget = {n: ex["points"] for n, ex in facts["exercises"].items() if ex["widget"]}
    return code, widget, sum(float(p) for _gid, p in facts["written"])


def _cells_by_id(path: Path) -> dict[str, dict]:
    nb = json.loads(path.read_text(encoding="utf-8"))
    out = {}
    for cell in nb["cells"]:
        gid = cell["metadata"].get("nbgrader", {}).get("grade_id")
        if gid:
            out[gid] = cell
    return out


def _submit(
    root: Path, student: str, notebook: dict | Path, section: str = SECTION, name: str = NOTEBOOK
) -> Path:
    """Put a submission in submitted/<student>/<section>/, as collect would."""
    dest = root / "submitted" / student / section
    shutil.copytree(root / "release" / section, dest)
    if isinstance(notebook, Path):
        shutil.copy2(notebook, dest / name)
    else:
        (dest / name).write_text(json.dumps(notebook), encoding="utf-8")
    return dest


def _student_copy(root: Path, answers_by_id: dict[str, str]) -> dict:
    """The released notebook with some solution cells replaced by ``answers_by_id``."""
    nb = json.loads((root / "release" / SECTION / NOTEBOOK).read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        gid = cell["metadata"].get("nbgrader", {}).get("grade_id")
        if gid in answers_by_id:
            cell["source"] = answers_by_id[gid]
    return nb


def _page_text(path: Path) -> str:
    raw = path.read_text(encoding="utf-8")
    raw = re.sub(r"<(script|style)\b.*?</\1>", " ", raw, flags=re.S | re.I)
    return html.unescape(re.sub(r"<[^>]+>", "", raw))


def _hidden_lines(path: Path) -> list[str]:
    lines = []
    for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
        src = "".join(cell["source"])
        for block in re.findall(r"BEGIN HIDDEN TESTS(.*?)### END HIDDEN TESTS", src, re.S):
            lines += [ln.strip() for ln in block.splitlines() if len(ln.strip()) > 12]
    return lines


def _nbgrader(root: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ if env is None else env)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    return subprocess.run(
        [sys.executable, "-m", "nbgrader", *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def course(course: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The course copy, with grading reading only each submission's own answers."""
    monkeypatch.delenv(answers.ENV_DIR, raising=False)
    return course


@pytest.mark.parametrize("path", SECTIONS, ids=lambda p: p.parent.name)
def test_solution_gets_full_marks_and_untouched_gets_zero(course: Path, path: Path) -> None:
    section, name = path.parent.name, path.name
    release = grading.generate_assignment(course, section)
    source = course / "notebooks" / section / name
    solved = _submit(course, "solved", source, section, name)
    answers.write_key([source], solved)  # the right answers, as the widgets would save them
    _submit(course, "untouched", release / name, section, name)
    # One batch for both, as `trilateral grade` runs them: one sandbox start.
    outcomes = grade_section(course, section, ["solved", "untouched"], force=True)
    assert all(o.ok for o in outcomes), [o.reason for o in outcomes]
    code, widget, written = _points(source)
    scores = grading.scores(course, section)
    total = sum(code.values()) + sum(widget.values())
    assert scores["solved"].code_score == total == scores["solved"].max_code_score
    assert scores["untouched"].code_score == 0.0
    assert scores["untouched"].max_score == total + written


def test_whole_workflow(course: Path) -> None:
    root = course
    release = grading.generate_assignment(root, SECTION)
    released = (release / NOTEBOOK).read_text(encoding="utf-8")
    assert (release / "questions.yaml").is_file(), "the question bank travels with the release"
    source = root / "notebooks" / SECTION / NOTEBOOK
    code, widget, written = _points(source)
    assert {1, 2, 3} <= set(code), "the cases below use exercises 1-3"

    # The student version holds no solution, no hidden test, no stored widget state.
    for secret in (
        "BEGIN SOLUTION",
        "BEGIN HIDDEN TESTS",
        "value_counts()",
        "ruling_to_controls == 247",
        "answers.check",
        "Model answer (instructor version only)",
        *_hidden_lines(source),
    ):
        assert secret not in released, f"{secret!r} leaked into the student version"
    assert "widgets" not in json.loads(released)["metadata"]
    assert released.count("raise NotImplementedError()") == len(code)
    assert "YOUR ANSWER HERE" in released

    source_cells = _cells_by_id(source)
    solution = {gid: "".join(c["source"]) for gid, c in source_cells.items()}
    every_solution = {gid: src for gid, src in solution.items() if gid.endswith("-solution")}

    solved = _submit(root, "solved", source)
    answers.write_key([source], solved)
    _submit(root, "untouched", release / NOTEBOOK)
    _submit(
        root, "partial", _student_copy(root, {"sop-ex1-solution": solution["sop-ex1-solution"]})
    )
    _submit(
        root,
        "raises",
        _student_copy(
            root, {**every_solution, "sop-ex2-solution": "raise RuntimeError('my code is broken')"}
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
    max_code = sum(code.values()) + sum(widget.values())
    assert autograded == {
        "solved": max_code,
        "untouched": 0.0,
        "partial": code[1],
        "raises": sum(code.values()) - code[2],
        "plausible": code[2],
    }
    for s in students:
        assert scores[s].max_code_score == max_code
        assert scores[s].max_score == max_code + written
        # A written answer left as the stub scores 0 at once (nbgrader's rule);
        # a real answer waits for the instructor.
        assert scores[s].needs_manual_grade == (s == "solved"), s

    grading.generate_feedback(root, SECTION)
    for s in students:
        html = root / "feedback" / s / SECTION / NOTEBOOK.replace(".ipynb", ".html")
        assert html.is_file(), f"no feedback for {s}"
    broken = (root / "feedback" / "raises" / SECTION / "state_of_play.html").read_text("utf-8")
    assert "my code is broken" in broken, "feedback shows the student's own error"
    # Hidden tests failed for "plausible": the feedback says so but never shows them.
    plausible = _page_text(root / "feedback" / "plausible" / SECTION / "state_of_play.html")
    for line in _hidden_lines(source):
        assert line not in plausible, f"hidden test shown in feedback: {line}"
    assert "A hidden test failed" in plausible
    # Grading kernels draw no image: a chart is a one-line note, not a Figure repr.
    assert "Chart 'Japan–South Korea–U.S. events, 2015 to March 2021' (not graded)" in plausible
    assert "<Figure size" not in plausible

    grades = grading.export_grades(root, root / "grades.csv")
    with grades.open(encoding="utf-8") as fh:
        rows = {row["student_id"]: row for row in csv.DictReader(fh)}
    assert set(rows) == set(students)
    for s in students:
        assert rows[s]["assignment"] == SECTION
        assert float(rows[s]["score"]) == autograded[s]
        assert float(rows[s]["max_score"]) == max_code + written


def test_release_fails_its_own_tests_and_source_passes(course: Path) -> None:
    """`nbgrader validate --invert` proves the tests can fail at all."""
    grading.generate_assignment(course, SECTION)
    inverted = _nbgrader(course, "validate", "--invert", f"release/{SECTION}/{NOTEBOOK}")
    assert "Success! The notebook does not pass any tests." in inverted.stdout, inverted.stdout
    key = course / "answer-key"
    answers.write_key([course / "notebooks" / SECTION / NOTEBOOK], key)
    env = {**os.environ, answers.ENV_DIR: str(key)}
    solved = _nbgrader(course, "validate", f"notebooks/{SECTION}/{NOTEBOOK}", env=env)
    assert "Success! Your notebook passes all the tests." in solved.stdout, solved.stdout


def test_unknown_section_and_bad_root(course: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown section '99_nope'; the course has: "):
        grading.generate_assignment(course, "99_nope")
    with pytest.raises(ValueError, match="is not a course folder"):
        grading.generate_assignment(tmp_path / "empty", SECTION)


def test_nbgrader_validate_passes_on_sources_and_inverts_on_releases(course: Path) -> None:
    """An instructor's ordinary check: the source passes every test (the graded quiz
    against the source's own key, read in memory), the release passes none."""
    section, name = "00_start_here", "start_here.ipynb"
    before = sorted(p.name for p in (course / "notebooks" / section).iterdir())
    source = _nbgrader(course, "validate", f"notebooks/{section}/{name}")
    assert "Success! Your notebook passes all the tests." in source.stdout, source.stdout[-3000:]
    assert sorted(p.name for p in (course / "notebooks" / section).iterdir()) == before
    grading.generate_assignment(course, section)
    inverted = _nbgrader(course, "validate", "--invert", f"release/{section}/{name}")
    assert "Success! The notebook does not pass any tests." in inverted.stdout, \
        inverted.stdout[-3000:]
