"""Learners' errors as one clear line, in a real kernel: still errors, no course frames."""

from __future__ import annotations

import sys

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from trilateral.friendly import one_line

pytestmark = pytest.mark.slow


def _caught(fn):
    try:
        fn()
    except BaseException:  # noqa: BLE001 - the test wants whatever it raises
        return sys.exc_info()
    raise AssertionError("expected an exception")


def test_errors_from_the_course_lose_their_frames_and_paths() -> None:
    from trilateral import data

    line = one_line(*_caught(lambda: data.load("no_such_dataset")))
    assert line is not None and line.startswith("DataError: no dataset named")
    assert "\n" not in line and "/" not in line.split("the data package")[0]


def test_errors_of_the_learners_own_code_keep_their_traceback() -> None:
    assert one_line(*_caught(lambda: {}["key"])) is None


def _run(sources: list[str], tmp_path, **kwargs) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(s) for s in sources]
    NotebookClient(nb, kernel_name="python3", timeout=120,
                   resources={"metadata": {"path": str(tmp_path)}}, **kwargs).execute()
    return nb


def test_in_a_kernel_each_learner_error_is_one_line(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    monkeypatch.delenv("TRILATERAL_ANSWERS_DIR", raising=False)
    nb = _run([
        "import trilateral",
        "# YOUR CODE HERE\nraise NotImplementedError()",
        "assert isinstance(with_china, list), 'make two lists'",
        "from trilateral import answers\n\nanswers.require('xx-graded-1')",
        "x = 1\nassert x == 2",
        "{}['key']",
    ], tmp_path, allow_errors=True)
    errors = [o for c in nb.cells for o in c.outputs if o.output_type == "error"]
    assert [e.ename for e in errors] == [
        "NotImplementedError", "NameError", "AssertionError", "AssertionError", "KeyError"]
    for e in errors[:4]:
        assert len(e.traceback) == 1, e.traceback
        assert "answers.py" not in e.traceback[0] and str(tmp_path) not in e.traceback[0]
    assert "not answered yet" in errors[0].traceback[0]
    assert "not answered yet" in errors[1].traceback[0] and "with_china" in errors[1].traceback[0]
    assert "No saved answer to 'xx-graded-1'" in errors[2].traceback[0]
    assert "assert x == 2" in errors[3].traceback[0]
    assert len(errors[4].traceback) > 1, "the learner's own error keeps its traceback"


def test_a_one_line_error_still_fails_the_cell(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    monkeypatch.delenv("TRILATERAL_ANSWERS_DIR", raising=False)
    with pytest.raises(CellExecutionError):
        _run(["import trilateral", "assert False, 'still an error'"], tmp_path)


def test_not_installed_while_nbgrader_executes(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(s) for s in ["import trilateral", "assert False, 'x'"]]
    NotebookClient(nb, kernel_name="python3", timeout=120, allow_errors=True,
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    assert len(nb.cells[1].outputs[0].traceback) > 1
