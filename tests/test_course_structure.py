"""Every notebook follows the course model, and the linter catches slips."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import ROOT, read_notebook, section_notebooks

from trilateral.lint import lint_course, lint_notebook, notebook_facts

NOTEBOOKS = section_notebooks()
# Sections that teach a part of the essay (the start page only introduces).
TEACHING = [p for p in NOTEBOOKS if not p.parent.name.startswith("00_")]


def test_course_lints_clean() -> None:
    assert lint_course(ROOT) == []


@pytest.mark.parametrize("path", TEACHING, ids=lambda p: p.parent.name)
def test_teaching_notebooks_have_the_required_exercises(path: Path) -> None:
    facts = notebook_facts(path)
    kinds = set()
    from trilateral.questions import load_bank

    bank = load_bank(path.parent / "questions.yaml")
    for qid in facts["self_checks"]:
        kinds.add(bank[qid].kind)
    assert len(set(facts["self_checks"])) >= 3, "at least 3 self-checks"
    assert len(kinds) >= 2, "self-checks of at least 2 kinds"
    assert len(facts["autograded"]) >= 2, "at least 2 autograded exercises"
    assert facts["with_hidden_tests"] >= 2, "autograded exercises need hidden tests"
    assert len(facts["written"]) >= 1, "at least one hand-graded written task"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.parent.name)
def test_every_bank_question_is_used(path: Path) -> None:
    from trilateral.questions import load_bank

    bank = load_bank(path.parent / "questions.yaml")
    assert set(notebook_facts(path)["self_checks"]) == set(bank.ids())


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
