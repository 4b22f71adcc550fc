"""The students' tree holds nothing of the instructor's: every hidden test and key stays out.

Hubs, nbgitpuller and Binder are pointed at this tree, not at the
repository. The test builds it from the real course and reads every file
in it for every hidden-test line, every graded quiz key call, every
solution and every model answer of the source notebooks.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from trilateral.publishing import student_tree

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]


def _secrets() -> list[str]:
    """Lines only the instructor's notebooks hold: longer than 20 characters and with a
    literal (a quote or a digit), so generic code such as an import is not counted."""
    out: set[str] = set()
    for path in sorted((ROOT / "notebooks").glob("*/*.ipynb")):
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            src = "".join(cell["source"])
            meta = cell["metadata"].get("nbgrader", {})
            blocks = re.findall(r"BEGIN HIDDEN TESTS(.*?)### END HIDDEN TESTS", src, re.S)
            blocks += re.findall(r"BEGIN SOLUTION(.*?)### END SOLUTION", src, re.S)
            if meta.get("solution") and cell["cell_type"] == "markdown":
                blocks.append(src)  # a model answer
            for block in blocks:
                out.update(ln.strip() for ln in block.splitlines()
                           if len(ln.strip()) > 20 and re.search(r"[\"'0-9]", ln))
    return sorted(out)


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return student_tree.build(ROOT, tmp_path_factory.mktemp("deploy") / "trilateral-student")


def test_tree_has_what_students_need(tree: Path) -> None:
    assert (tree / "student" / "02_state_of_play" / "state_of_play.ipynb").is_file()
    assert (tree / "student" / "02_state_of_play" / "questions.yaml").is_file()
    assert (tree / "src" / "trilateral" / "data.py").is_file()
    assert (tree / "data" / "datapackage.json").is_file()
    assert (tree / "pyproject.toml").is_file()
    for instructor_only in ("notebooks", "docs", "tests", "benchmarks", ".git"):
        assert not (tree / instructor_only).exists(), instructor_only


def test_no_hidden_test_key_solution_or_model_answer_reaches_the_tree(tree: Path) -> None:
    secrets = _secrets()
    assert len(secrets) > 100  # the check reads the real course
    assert any("answers.check(" in s for s in secrets)  # the quiz keys are among them
    assert any("Camp David" in s for s in secrets)
    for path in sorted(p for p in tree.rglob("*") if p.is_file()):
        text = path.read_bytes().decode("utf-8", errors="replace")
        if path.relative_to(tree).parts[0] != "src":  # the grader's code names the markers
            for marker in ("BEGIN HIDDEN TESTS", "BEGIN SOLUTION", "instructor version only"):
                assert marker not in text, f"{marker!r} in {path.relative_to(tree)}"
        leaked = [s for s in secrets if s in text]
        assert not leaked, f"{path.relative_to(tree)} holds {leaked[:3]}"


def test_refuses_to_overwrite_a_folder_that_is_not_a_student_tree(tmp_path: Path) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(ValueError, match="not empty"):
        student_tree.build(ROOT, out)
    assert (out / "notes.txt").read_text(encoding="utf-8") == "keep me"
    assert student_tree.main([str(out), "--course-root", str(ROOT)]) == 1
