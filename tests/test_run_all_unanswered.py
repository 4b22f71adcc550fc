"""A new student's Run All: every released notebook runs top to bottom, unanswered.

The student versions are generated as ``make lab`` generates them, then each
is executed by nbclient *without* ``allow_errors``: an unanswered exercise
(nbgrader's ``raise NotImplementedError()`` stub) and its visible tests may
fail only in cells tagged ``raises-exception`` (which nbclient and
JupyterLab's Run All both go past), and each failure is one line that says
the exercise is not answered yet, never a traceback into the course.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from student_support import fresh_student_folder

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
SECTIONS = sorted(p.parent.name for p in (ROOT / "notebooks").glob("[0-9][0-9]_*/*.ipynb"))
TAG = "raises-exception"


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("fresh")
    home = base / "home"
    home.mkdir()
    return fresh_student_folder(base, home)


def test_every_solution_and_test_cell_carries_the_tag() -> None:
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*/*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader", {})
            if cell.cell_type == "code" and (meta.get("solution") or meta.get("grade")):
                assert TAG in cell.metadata.get("tags", []), (
                    f"{path.parent.name}: cell {meta.get('grade_id')} needs the {TAG} tag, "
                    "or Run All stops there in a student's unanswered copy"
                )


@pytest.mark.parametrize("section", SECTIONS)
def test_unanswered_notebook_runs_to_the_end(fresh: Path, section: str, monkeypatch) -> None:
    # A student's kernel: no answer key, not under nbgrader, no inline images needed.
    monkeypatch.delenv("TRILATERAL_ANSWERS_DIR", raising=False)
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    path = next((fresh / section).glob("*.ipynb"))
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, kernel_name="python3", timeout=300,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.get("execution_count") for c in code), "a code cell did not run"
    errors = [(c, o) for c in code for o in c.outputs if o.output_type == "error"]
    assert errors, "an unanswered notebook should show what is not answered yet"
    for cell, out in errors:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "?")
        assert len(out.traceback) == 1, f"{grade_id}: {len(out.traceback)}-line traceback"
        line = out.traceback[0]
        assert "not answered yet" in line or "No saved answer" in line, f"{grade_id}: {line}"
        assert ".py\"" not in line and "site-packages" not in line, f"{grade_id}: {line}"


def _type_checks(source: str):
    """``(assert node, isinstance call)`` for each ``assert isinstance(...)`` in ``source``."""
    import ast

    for node in ast.walk(ast.parse(source)):
        test = node.test if isinstance(node, ast.Assert) else None
        if isinstance(test, ast.Call) and getattr(test.func, "id", "") == "isinstance":
            yield node, test


def test_wrong_type_messages_name_variable_expected_and_received_type() -> None:
    """``assert isinstance(x, T), msg`` in a visible test: msg names x, T and x's type."""
    import ast

    checked = 0
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*/*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if not (cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("grade")):
                continue
            visible = cell.source.split("### BEGIN HIDDEN TESTS")[0]
            for node, test in _type_checks(visible):
                subject = ast.unparse(test.args[0])
                expected = ast.unparse(test.args[1]).split(".")[-1].lower()
                message = ast.unparse(node.msg) if node.msg else ""
                where = f"{path.parent.name}: {ast.unparse(node)[:90]}"
                assert f"type({subject}).__name__" in message, f"{where}: no received type"
                assert expected in message.lower(), f"{where}: no expected type"
                # The variable, or the function whose result it is (a private _copy of it).
                named = subject.split("(")[0].lstrip("_")
                assert named in message or named == "net_jpn", f"{where}: no variable name"
                checked += 1
    assert checked >= 20
