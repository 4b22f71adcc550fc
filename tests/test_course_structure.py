"""Every notebook follows the course model, and the linter catches slips."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

from trilateral.publishing.lint import lint_course, lint_notebook, notebook_facts

from conftest import ROOT, read_notebook, section_notebooks

NOTEBOOKS = section_notebooks()
GLOSSARY = ROOT / "data" / "glossary.csv"


def test_course_lints_clean() -> None:
    assert lint_course(ROOT) == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.parent.name)
def test_every_notebook_has_the_required_exercises(path: Path) -> None:
    """Issue 3/4 and 10: the same minimum for every section, the start page included."""
    from trilateral.questions import load_bank

    facts = notebook_facts(path)
    bank = load_bank(path.parent / "questions.yaml")
    self_checks = set(facts["self_checks"])
    kinds = {bank[qid].kind for qid in self_checks}
    code = [
        n for n, ex in facts["exercises"].items() if ex["solution"] and ex["hidden"] and ex["tests"]
    ]
    widgets = [n for n, ex in facts["exercises"].items() if ex["widget"]]
    assert len(self_checks) >= 4, f"at least 4 ungraded self-checks, found {len(self_checks)}"
    assert len(kinds) >= 2, f"self-checks of at least 2 kinds, found {sorted(kinds)}"
    assert len(code) >= 2, "at least 2 autograded code exercises with hidden tests"
    assert len(facts["written"]) >= 1, "at least one hand-graded written task"
    assert len(facts["graded_widgets"]) >= 1, "at least one graded widget exercise"
    assert len(widgets) >= 1 and all(facts["exercises"][n]["hidden"] for n in widgets)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.parent.name)
def test_every_notebook_has_glossary_rows(path: Path) -> None:
    with GLOSSARY.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    folder, stem = path.parent.name, path.stem
    mine = [r for r in rows if folder in (r.get("notebook") or "") or r.get("notebook") == stem]
    assert mine, f"data/glossary.csv has no rows for {folder}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.parent.name)
def test_every_bank_question_is_used(path: Path) -> None:
    from trilateral.questions import load_bank

    bank = load_bank(path.parent / "questions.yaml")
    facts = notebook_facts(path)
    assert set(facts["self_checks"]) | set(facts["graded_widgets"]) == set(bank.ids())


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.parent.name)
def test_notebooks_do_not_touch_the_network_or_write_files(path: Path) -> None:
    code = "\n".join(
        "".join(c["source"]) for c in read_notebook(path)["cells"] if c["cell_type"] == "code"
    )
    for forbidden in ("http://", "https://", "requests.", "urlopen", "to_csv(", "open("):
        assert forbidden not in code, f"{path.name} code uses {forbidden!r}"


@pytest.fixture
def broken_copy(tmp_path: Path) -> Path:
    src = ROOT / "notebooks" / "02_state_of_play"
    dest = tmp_path / "notebooks" / "02_state_of_play"
    shutil.copytree(src, dest)
    return dest / "state_of_play.ipynb"


def _rewrite(path: Path, change) -> None:
    nb = json.loads(path.read_text(encoding="utf-8"))
    change(nb)
    path.write_text(json.dumps(nb), encoding="utf-8")


def _cell(nb: dict, grade_id: str) -> dict:
    return next(
        c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") == grade_id
    )


def test_lint_catches_points_mismatch(broken_copy: Path) -> None:
    _rewrite(
        broken_copy, lambda nb: _cell(nb, "sop-ex1-tests")["metadata"]["nbgrader"].update(points=5)
    )
    assert any(
        "Exercise 1: the text says 2.0 points, the test cells give 5.0" in p
        for p in lint_notebook(broken_copy)
    )


def test_lint_catches_duplicate_grade_id(broken_copy: Path) -> None:
    _rewrite(
        broken_copy,
        lambda nb: _cell(nb, "sop-ex2-tests")["metadata"]["nbgrader"].update(
            grade_id="sop-ex1-tests"
        ),
    )
    assert any("grade_id 'sop-ex1-tests' is used 2 times" in p for p in lint_notebook(broken_copy))


def test_lint_catches_unlocked_tests_and_unknown_self_check(broken_copy: Path) -> None:
    def change(nb):
        _cell(nb, "sop-ex1-tests")["metadata"]["nbgrader"]["locked"] = False
        nb["cells"].append(
            {
                "cell_type": "code",
                "metadata": {},
                "source": 'bank.widget("nope")',
                "outputs": [],
                "execution_count": None,
            }
        )

    _rewrite(broken_copy, change)
    problems = lint_notebook(broken_copy)
    assert any("must be locked" in p for p in problems)
    assert any("self-check 'nope' is not in questions.yaml" in p for p in problems)


def test_lint_catches_missing_references(broken_copy: Path) -> None:
    def change(nb):
        for c in nb["cells"]:
            if c["cell_type"] == "markdown":
                text = "".join(c["source"])
                c["source"] = text.replace("## References", "## Reading")

    _rewrite(broken_copy, change)
    assert any(p.endswith("no references") for p in lint_notebook(broken_copy))


# Graded widget exercises (issue 10), on the fixture course's notebook -----------------


@pytest.fixture
def widget_copy(tmp_path: Path) -> Path:
    import nbformat
    import yaml
    from fixtures import graded_course as fx

    folder = tmp_path / "notebooks" / fx.SECTION
    folder.mkdir(parents=True)
    nbformat.write(fx.notebook(), folder / fx.NOTEBOOK)
    (folder / "questions.yaml").write_text(yaml.safe_dump(fx.BANK), encoding="utf-8")
    return folder / fx.NOTEBOOK


def test_fixture_widget_exercises_lint_clean_and_count(widget_copy: Path) -> None:
    assert lint_notebook(widget_copy) == []
    facts = notebook_facts(widget_copy)
    assert facts["self_checks"] == ["fx-check"]
    assert facts["graded_widgets"] == ["fx-graded-1", "fx-graded-2"]
    assert facts["exercises"][2] == {
        "solution": False,
        "tests": ["fx-ex2-tests"],
        "hidden": True,
        "widget": "fx-graded-1",
        "points": 1.0,
    }


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda nb: _cell(nb, "fx-ex2-widget")["metadata"]["nbgrader"].update(locked=False),
            "a graded widget cell must be locked, ungraded, no solution",
        ),
        (
            lambda nb: _cell(nb, "fx-ex2-widget")["metadata"].pop("nbgrader"),
            "needs a widget cell with grade_id '<prefix>-exN-widget'",
        ),
        (
            lambda nb: _cell(nb, "fx-ex2-tests").update(
                source=_source(_cell(nb, "fx-ex2-tests")).replace("Blue", "Purple")
            ),
            "the key 'Purple' is not an option of 'fx-graded-1'",
        ),
        (
            lambda nb: _cell(nb, "fx-ex3-tests").update(
                source=_source(_cell(nb, "fx-ex3-tests")).replace("answers.check", "print")
            ),
            "no answers.check('fx-graded-2', ...) in the hidden tests",
        ),
        (
            lambda nb: _cell(nb, "fx-ex2-tests").update(
                source=_source(_cell(nb, "fx-ex2-tests")).replace("answers.require", "len")
            ),
            "must call answers.require('fx-graded-1') visibly",
        ),
        (
            lambda nb: _cell(nb, "fx-ex3-tests").update(
                source=_source(_cell(nb, "fx-ex3-tests")).replace("['Three', 'One']", "'One'")
            ),
            "the key of 'fx-graded-2' must be a list",
        ),
        (
            lambda nb: nb["cells"].remove(_cell(nb, "fx-ex3-widget")),
            "graded question 'fx-graded-2' is in the question bank but not in the notebook",
        ),
    ],
    ids=["unlocked", "no-metadata", "key-not-option", "no-check", "no-require", "ms-key", "unused"],
)
def test_lint_catches_graded_widget_slips(widget_copy: Path, change, expected: str) -> None:
    _rewrite(widget_copy, change)
    problems = lint_notebook(widget_copy)
    assert any(expected in p for p in problems), problems


def _source(cell: dict) -> str:
    src = cell["source"]
    return "".join(src) if isinstance(src, list) else src


def test_lint_catches_a_test_the_clean_room_cannot_run(broken_copy: Path) -> None:
    """An unprobed call of the student's function on a computed value, and bad Python."""
    def change(nb):
        cell = _cell(nb, "sop-ex2-tests")
        cell["source"] = "".join(cell["source"]).replace(
            "### END HIDDEN TESTS", '_start = "2019-07-04"\n'
            "assert days_between(_start, _start) == 0\n### END HIDDEN TESTS")
        _cell(nb, "sop-ex3-tests")["source"] = "assert change_2019 <"

    _rewrite(broken_copy, change)
    problems = lint_notebook(broken_copy)
    assert any("calls days_between(_start, _start)" in p and "# probe:" in p for p in problems)
    assert any("sop-ex3-tests is not valid Python" in p for p in problems)
