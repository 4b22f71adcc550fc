"""Submissions of the demo course (``tests/support_course.py``), good and bad.

Each :class:`Case` builds the files one student hands in, from the released
notebook, and says what grading must give: the automatic score (out of 5),
whether nbgrader can grade it at all, and a phrase the student's feedback
(or the summary) must contain. ``tests/test_bad_submissions.py`` grades all
of them in one batch beside the good ones.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

from support_course import NOTEBOOK, solved, with_answers

GOOD_1 = "def double(x):\n    return 2 * x"
GOOD_2 = "total = sum(range(10))"


@dataclass(frozen=True)
class Case:
    """One student's submission and what grading must make of it."""

    student: str
    build: Callable[[dict], dict[str, str | bytes]]
    score: float
    graded: bool = True  # False: nbgrader cannot grade it, it is recorded as 0
    feedback: str = ""  # a phrase the feedback page must contain
    notes: tuple[str, ...] = field(default_factory=tuple)  # phrases in the summary notes


def _nb(nb: dict, name: str = NOTEBOOK) -> dict[str, str]:
    return {name: json.dumps(nb)}


def _answers(ex1: str = GOOD_1, ex2: str = GOOD_2, **more: str):
    def build(rel: dict) -> dict[str, str]:
        return _nb(with_answers(rel, {"demo-ex1-solution": ex1, "demo-ex2-solution": ex2, **more}))
    return build


def _drop(*grade_ids: str):
    def build(rel: dict) -> dict[str, str]:
        nb = solved(rel)
        nb["cells"] = [c for c in nb["cells"]
                       if c["metadata"].get("nbgrader", {}).get("grade_id") not in grade_ids]
        return _nb(nb)
    return build


# Hostile code names the course by its absolute path (COURSE_ROOT, filled in
# when the submission is written), as a student who knows the layout would.
COURSE_ROOT = "@COURSE_ROOT@"

READ_SECRETS = '''leaked = ""
root = "@COURSE_ROOT@"
for path in [root + "/notebooks/01_demo/demo.ipynb", root + "/gradebook.db",
             root + "/source/01_demo/demo.ipynb"]:
    try:
        with open(path, errors="ignore") as fh:
            leaked += fh.read()
    except OSError as err:
        print("blocked:", type(err).__name__)

def double(x):
    # Right only if the hidden tests could be read from the instructor's copy.
    return 2 * x if "BEGIN HIDDEN TESTS" in leaked else x
'''

VANDAL = '''import glob
root = "@COURSE_ROOT@"
for path in [root + "/gradebook.db", *glob.glob(root + "/submitted/*/01_demo/*.ipynb"),
             *glob.glob(root + "/autograded/*/01_demo/*.ipynb"), root + "/grades.csv"]:
    if "vandal" in path:
        continue
    try:
        with open(path, "w") as fh:
            fh.write("overwritten by a student")
        print("WROTE", path)
    except OSError as err:
        print("blocked:", type(err).__name__)

def double(x):
    return 2 * x
'''

SWALLOW = '''import time
while True:
    try:
        time.sleep(0.05)
    except KeyboardInterrupt:
        pass
'''

HOG = '''chunks = []
while True:
    chunks.append(bytearray(50 * 1024 * 1024))
'''

FLOOD = '''for i in range(50_000):
    print("line", i)
print("x" * 3_000_000)

def double(x):
    return 2 * x
'''

def _copied_test_cell(rel: dict) -> dict[str, str]:
    """JupyterLab keeps a cell's metadata on copy and paste: a test cell, twice."""
    nb = solved(rel)
    index = next(i for i, c in enumerate(nb["cells"])
                 if c["metadata"].get("nbgrader", {}).get("grade_id") == "demo-ex1-tests")
    nb["cells"].insert(index + 1, json.loads(json.dumps(nb["cells"][index])))
    return _nb(nb)


def _extra_graded_cell(rel: dict) -> dict[str, str]:
    nb = solved(rel)
    extra = json.loads(json.dumps(nb["cells"][1]))
    extra["source"] = "print('my own check')"
    extra["metadata"]["nbgrader"] = {"grade": True, "solution": False, "locked": True,
                                     "grade_id": "my-own-check", "points": 5,
                                     "schema_version": 3}
    nb["cells"].append(extra)
    return _nb(nb)


def _switched_to_markdown(rel: dict) -> dict[str, str]:
    nb = solved(rel)
    for cell in nb["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade_id") == "demo-ex2-solution":
            cell["cell_type"] = "markdown"
            cell.pop("outputs", None)
            cell.pop("execution_count", None)
    return _nb(nb)


GOOD = [
    Case("good", lambda rel: _nb(solved(rel)), 5.0),
    Case("untouched", lambda rel: _nb(rel), 0.0),
    Case("partial", _answers(ex2="total = None"), 2.0),
]

BAD = [
    Case("syntax-error", _answers(ex1="def double(x)\n    return 2 * x"), 3.0,
         feedback="SyntaxError"),
    Case("exception", _answers(ex1="raise ValueError('my code is broken')"), 3.0,
         feedback="my code is broken"),
    Case("infinite-loop", _answers(ex1="while True:\n    pass"), 3.0, feedback="Timeout"),
    Case("sys-exit", _answers(ex1="import sys\nsys.exit(3)"), 3.0, feedback="SystemExit"),
    # The kernel stops: what ran before is graded, every later test gets no values.
    Case("os-exit", _answers(ex1="import os\nos._exit(0)"), 0.0,
         feedback="kernel stopped", notes=("kernel stopped",)),
    Case("memory-hog", _answers(ex1=HOG), 3.0, feedback="MemoryError"),
    Case("huge-output", _answers(ex1=FLOOD), 5.0, feedback="Output truncated"),
    # nbgrader does not put deleted cells back: the deleted test cell scores 0.
    Case("deleted-cells", _drop("demo-ex1-tests", "demo-written-1"), 3.0,
         feedback="deleted cells", notes=("deleted cells",)),
    Case("edited-tests", _answers(ex1="def double(x):\n    return 0",
                                  **{"demo-ex1-tests": "assert True"}), 3.0,
         feedback="edited read-only cells", notes=("edited read-only cells demo-ex1-tests",)),
    Case("edited-locked", _answers(ex2="raise NotImplementedError()",
                                   **{"demo-setup": "import math\ntotal = 45"}), 2.0,
         notes=("edited read-only cells demo-setup",)),
    Case("renamed", lambda rel: _nb(solved(rel), "demo (1).ipynb"), 0.0, graded=False,
         feedback="renamed"),
    Case("missing", lambda rel: {"notes.txt": "I could not finish, sorry."}, 0.0,
         graded=False, feedback="missing"),
    Case("invalid-json", lambda rel: {NOTEBOOK: json.dumps(solved(rel))[:-40]}, 0.0,
         graded=False, feedback="not valid notebook JSON"),
    Case("empty-file", lambda rel: {NOTEBOOK: ""}, 0.0, graded=False,
         feedback="empty file"),
    # Honest mistakes are graded kindly: the original cells count, a note says what happened.
    Case("copied-test-cell", _copied_test_cell, 5.0, feedback="appeared twice",
         notes=("demo-ex1-tests appeared twice",)),
    Case("extra-graded-cell", _extra_graded_cell, 5.0, feedback="carried grading metadata",
         notes=("'my-own-check'",)),
    Case("switched-to-markdown", _switched_to_markdown, 5.0, feedback="graded as code",
         notes=("demo-ex2-solution had been changed to a markdown cell",)),
    Case("reads-solutions", _answers(ex1=READ_SECRETS), 3.0, feedback="blocked: "),
    Case("vandal", _answers(ex1=VANDAL), 5.0, feedback="blocked: "),
    Case("swallows-interrupt", _answers(ex1=SWALLOW), 0.0,
         feedback="did not stop when interrupted", notes=("did not stop when interrupted",)),
]

CASES = GOOD + BAD
