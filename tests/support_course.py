"""A tiny course for the grading tests: one section, fast cells, known points.

The real sections are long and change as the course grows; the robustness and
classroom tests need a course whose scores are known exactly and whose
cells run in milliseconds. This one has the same layout as the real course
(notebooks/<section>/<name>.ipynb, nbgrader_config.py calling
``trilateral.grading.configure``) and the same kinds of graded cell.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

SECTION = "01_demo"
NOTEBOOK = "demo.ipynb"
# Points of the autograded exercises, by test cell.
EX_POINTS = {"demo-ex1-tests": 2.0, "demo-ex2-tests": 3.0}
WRITTEN_POINTS = 2.0
MAX_SCORE = sum(EX_POINTS.values()) + WRITTEN_POINTS
CELL_TIMEOUT = 5

# The optional graded quiz (``make_course(..., quiz=True)``): a widget's saved answer in
# answers.json, checked by a hidden test, as the real sections do.
QUIZ_ID = "demo-quiz-1"
QUIZ_POINTS = 1.0
QUIZ_RIGHT = "Seoul"
QUIZ_TESTS = (f"from trilateral import answers\nanswers.require({QUIZ_ID!r})\n"
              f"### BEGIN HIDDEN TESTS\nanswers.check({QUIZ_ID!r}, {QUIZ_RIGHT!r})\n"
              "### END HIDDEN TESTS")

SOLUTION_1 = "def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION"
SOLUTION_2 = "### BEGIN SOLUTION\ntotal = sum(range(10))\n### END SOLUTION"
SECRET = "assert double(-21) == -42"


def jupyter_home(home: Path) -> dict[str, str]:
    """Variables that give a process a HOME and Jupyter folders of its own.

    nbgrader's own tests isolate HOME the same way, so no test reads or
    writes the machine's real Jupyter configuration, kernels or exchange.
    """
    return {
        "HOME": str(home),
        "JUPYTER_CONFIG_DIR": str(home / ".jupyter"),
        "JUPYTER_DATA_DIR": str(home / ".local" / "share" / "jupyter"),
        "JUPYTER_RUNTIME_DIR": str(home / ".local" / "share" / "jupyter" / "runtime"),
        "IPYTHONDIR": str(home / ".ipython"),
    }


def isolated_env(home: Path, mplbackend: str = "Agg") -> dict[str, str]:
    """This process's environment with :func:`jupyter_home` for a subprocess.

    The test session's answer key (``TRILATERAL_ANSWERS_DIR``) and nbgrader's
    execution flag are dropped: a learner's or grader's kernel never has them.
    """
    env = dict(os.environ)
    env.update(jupyter_home(home), MPLBACKEND=mplbackend)
    env.pop("TRILATERAL_ANSWERS_DIR", None)
    env.pop("NBGRADER_EXECUTION", None)
    return env


def sandbox_works() -> bool:
    """True when the grading sandbox starts on this machine (CI must have it)."""
    from trilateral.grading import sandbox

    try:
        sandbox.probe()
    except sandbox.SandboxUnavailable:
        return False
    return True


def _meta(grade_id: str, *, grade: bool, solution: bool, locked: bool, points: float = 0):
    nb = {"grade": grade, "solution": solution, "locked": locked, "grade_id": grade_id,
          "schema_version": 3}
    if grade:
        nb["points"] = points
    return {"nbgrader": nb}


def demo_notebook(quiz: bool = False) -> nbformat.NotebookNode:
    """The instructor version: solutions, visible and hidden tests, a written task
    (and with ``quiz``, a graded quiz read from answers.json)."""
    cells = [
        new_markdown_cell("# Demo section\n\nA two-exercise notebook for the grading tests."),
        new_code_cell("import math", metadata=_meta("demo-setup", grade=False, solution=False,
                                                    locked=True)),
        new_markdown_cell("### Exercise 1 (2 points)\n\nWrite `double(x)`."),
        new_code_cell(SOLUTION_1, metadata=_meta("demo-ex1-solution", grade=False, solution=True,
                                                 locked=False)),
        new_code_cell("assert double(2) == 4\n### BEGIN HIDDEN TESTS\n" + SECRET
                      + "\n### END HIDDEN TESTS",
                      metadata=_meta("demo-ex1-tests", grade=True, solution=False, locked=True,
                                     points=EX_POINTS["demo-ex1-tests"])),
        new_markdown_cell("### Exercise 2 (3 points)\n\nSet `total` to the sum of 0..9."),
        new_code_cell(SOLUTION_2, metadata=_meta("demo-ex2-solution", grade=False, solution=True,
                                                 locked=False)),
        new_code_cell("assert isinstance(total, int)\n### BEGIN HIDDEN TESTS\n"
                      "assert total == 45\n### END HIDDEN TESTS",
                      metadata=_meta("demo-ex2-tests", grade=True, solution=False, locked=True,
                                     points=EX_POINTS["demo-ex2-tests"])),
        new_markdown_cell("## Written task (2 points)\n\nIn two sentences, say why."),
        new_markdown_cell("Model answer: because the two answers agree.",
                          metadata=_meta("demo-written-1", grade=True, solution=True,
                                         locked=False, points=WRITTEN_POINTS)),
    ]
    if quiz:
        cells += [
            new_markdown_cell("### Quiz (1 point)\n\nWhich capital is this? Answer in the widget."),
            new_code_cell(QUIZ_TESTS, metadata=_meta("demo-quiz-tests", grade=True,
                                                     solution=False, locked=True,
                                                     points=QUIZ_POINTS)),
        ]
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    return nb


CONFIG = '''"""nbgrader configuration of the test course (short time limit)."""
import os

from trilateral.grading import configure

c = get_config()  # noqa: F821
configure(c, os.path.dirname(os.path.abspath(__file__)))
c.Execute.timeout = {timeout}
c.ExecutePreprocessor.timeout = {timeout}
c.Execute.iopub_timeout = 2
{extra}
'''


def make_course(root: Path, extra_config: str = "", quiz: bool = False) -> Path:
    """Write the demo course into ``root`` (with ``quiz``, a graded quiz too) and return it."""
    folder = root / "notebooks" / SECTION
    folder.mkdir(parents=True)
    nbformat.write(demo_notebook(quiz), folder / NOTEBOOK)
    (root / "nbgrader_config.py").write_text(
        CONFIG.format(timeout=CELL_TIMEOUT, extra=extra_config), encoding="utf-8")
    return root


def released(root: Path) -> dict:
    return json.loads((root / "release" / SECTION / NOTEBOOK).read_text(encoding="utf-8"))


def with_answers(nb: dict, answers: dict[str, str]) -> dict:
    """A copy of notebook ``nb`` whose cells ``grade_id -> source`` are replaced."""
    nb = json.loads(json.dumps(nb))
    for cell in nb["cells"]:
        gid = cell["metadata"].get("nbgrader", {}).get("grade_id")
        if gid in answers:
            cell["source"] = answers[gid]
    return nb


def solved(nb: dict) -> dict:
    return with_answers(nb, {
        "demo-ex1-solution": "def double(x):\n    return 2 * x",
        "demo-ex2-solution": "total = sum(range(10))",
        "demo-written-1": "Because the two answers say so.",
    })


def answers_file(answer: str) -> bytes:
    """An answers.json holding ``answer`` to the quiz, written as the widget writes it."""
    import tempfile

    from trilateral import answers

    with tempfile.TemporaryDirectory() as folder:
        answers.save_many({QUIZ_ID: answer}, folder)
        return (Path(folder) / answers.ANSWERS_FILE).read_bytes()


def run_cli(*args: str, cwd: Path | None = None, timeout: int = 300,
            env: dict | None = None) -> subprocess.CompletedProcess:
    """``trilateral ARGS`` as a subprocess (the console script's entry point)."""
    full_env = dict(os.environ if env is None else env)
    full_env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + full_env.get("PATH", "")
    return subprocess.run([sys.executable, "-m", "trilateral.grading.cli", *args], cwd=cwd,
                          env=full_env, capture_output=True, text=True, timeout=timeout)


def released_quiz_course(base: Path) -> Path:
    """The demo course with its graded quiz, released, under ``base/course``.

    Collect tests copy it per test (releasing takes seconds; copying does not).
    """
    root = make_course(base / "course", quiz=True)
    done = run_cli("--course-root", str(root), "release", SECTION, env=isolated_env(base / "home"))
    assert done.returncode == 0, done.stderr
    return root
