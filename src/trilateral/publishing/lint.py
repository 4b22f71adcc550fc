"""Check the course's notebooks against the rules nbgrader and learners rely on.

nbgrader trusts cell metadata; a typo there grades students wrongly without
any error. :func:`lint_notebook` reports, for one instructor notebook:

- graded cells without ``grade_id``, ``points`` or ``schema_version`` 3, and
  ``grade_id`` values used twice (also across the course, in :func:`lint_course`);
- solution code cells without ``### BEGIN SOLUTION`` / ``### END SOLUTION``;
- autograded test cells that are not locked, or that the clean room cannot
  run (not valid Python, or a call of the student's function on values the
  test computes itself that is not declared as a ``# probe:``);
- an "Exercise N (P points)" heading whose points differ from the points of
  the test cells named ``<prefix>-exN-...``, and written tasks likewise;
- self-check ids used in the notebook that its question bank does not have;
- graded widget exercises (questions with ``graded: true``) not laid out as
  "### Exercise N (P points)", a locked ungraded widget cell
  ``<prefix>-exN-widget`` and an autograded test cell ``<prefix>-exN-tests``
  that calls ``answers.require`` visibly and ``answers.check`` in its hidden
  tests with one of the question's options (and no solution cell);
- missing learning objectives, estimated time, discussion questions or references.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

from ..grading import testcells

__all__ = ["lint_course", "lint_notebook", "notebook_facts"]

_EXERCISE = re.compile(r"^#+\s*Exercise\s+(\d+)\s*\((\d+(?:\.\d+)?)\s+points?\)", re.M)
_WRITTEN = re.compile(r"^#+\s*Written task\s*\((\d+(?:\.\d+)?)\s+points?", re.M)
_WIDGET = re.compile(r"bank\.widget\(\s*['\"]([a-z0-9-]+)['\"]\s*\)")
_EX_ID = re.compile(r"-ex(\d+)-(solution|tests|widget)$")
_HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS", re.S)
_REQUIRED_TEXT = {
    "learning objectives": re.compile(r"^#+\s*Learning objectives", re.M | re.I),
    "estimated time": re.compile(r"\*\*Estimated time:\*\*\s*\d+", re.I),
    "discussion questions": re.compile(r"^#+\s*Discussion questions", re.M | re.I),
    "references": re.compile(r"^#+\s*References", re.M | re.I),
}


def _source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def _graded_ids(path: Path) -> set[str] | None:
    """Ids of graded questions in the bank beside ``path`` (None if unreadable)."""
    from ..questions import QuestionError, load_bank

    try:
        bank = load_bank(path.parent / "questions.yaml")
    except QuestionError:
        return None
    return {q.id for q in bank if q.graded}


def notebook_facts(path: str | Path) -> dict:
    """Counts a reviewer wants: self-checks, graded widgets, graded cells, points.

    ``self_checks`` lists ungraded widget ids only; ``graded_widgets`` the
    graded ones (by the question bank, else by the cell's ``-widget`` grade_id).
    ``exercises`` maps each exercise number to what its cells hold.
    """
    path = Path(path)
    nb = json.loads(path.read_text(encoding="utf-8"))
    graded_ids = _graded_ids(path)
    self_checks, graded_widgets, autograded, hidden, written = [], [], [], 0, []
    exercises: dict[int, dict] = {}
    for cell in nb["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        text = _source(cell)
        gid = meta.get("grade_id") or ""
        if cell["cell_type"] == "code":
            for qid in _WIDGET.findall(text):
                graded = qid in graded_ids if graded_ids is not None else gid.endswith("-widget")
                (graded_widgets if graded else self_checks).append(qid)
        match = _EX_ID.search(gid)
        if match:
            ex = exercises.setdefault(
                int(match.group(1)),
                {"solution": False, "tests": [], "hidden": False, "widget": None, "points": 0.0},
            )
            role = match.group(2)
            if role == "solution":
                ex["solution"] = True
            elif role == "widget":
                found = _WIDGET.findall(text)
                ex["widget"] = found[0] if found else None
            if meta.get("grade") and not meta.get("solution"):
                ex["tests"].append(gid)
                ex["hidden"] = ex["hidden"] or "### BEGIN HIDDEN TESTS" in text
                ex["points"] += float(meta.get("points", 0))
        if meta.get("grade") and not meta.get("solution") and cell["cell_type"] == "code":
            autograded.append((meta.get("grade_id"), meta.get("points", 0)))
            hidden += "### BEGIN HIDDEN TESTS" in text
        if meta.get("grade") and meta.get("solution") and cell["cell_type"] == "markdown":
            written.append((meta.get("grade_id"), meta.get("points", 0)))
    return {
        "self_checks": self_checks,
        "graded_widgets": graded_widgets,
        "autograded": autograded,
        "with_hidden_tests": hidden,
        "written": written,
        "exercises": exercises,
    }


def _lint_graded_widgets(nb: dict, bank, say) -> None:
    """Layout and key of every graded widget exercise (see the module docstring)."""
    graded = {q.id: q for q in bank if q.graded}
    cells = nb.get("cells", [])
    by_gid = {
        c.get("metadata", {}).get("nbgrader", {}).get("grade_id"): (i, c)
        for i, c in enumerate(cells)
        if c.get("metadata", {}).get("nbgrader", {}).get("grade_id")
    }
    shown: set[str] = set()
    for i, cell in enumerate(cells):
        if cell["cell_type"] != "code":
            continue
        text = _source(cell)
        meta = cell.get("metadata", {}).get("nbgrader", {})
        gid = meta.get("grade_id") or ""
        ids = _WIDGET.findall(text)
        for qid in ids:
            if qid not in graded:
                if gid.endswith("-widget"):
                    say(f"cell {i} ({gid}): {qid!r} is a self-check, not a graded question")
                continue
            shown.add(qid)
            match = re.search(r"^(.+)-ex(\d+)-widget$", gid)
            if not match:
                say(
                    f"cell {i}: graded question {qid!r} needs a widget cell with grade_id "
                    "'<prefix>-exN-widget'"
                )
                continue
            if meta.get("grade") or meta.get("solution") or not meta.get("locked"):
                say(f"cell {i} ({gid}): a graded widget cell must be locked, ungraded, no solution")
            if len(ids) > 1:
                say(f"cell {i} ({gid}): one graded widget per cell")
            prefix, num = match.groups()
            if f"{prefix}-ex{num}-solution" in by_gid:
                say(f"Exercise {num}: a graded widget exercise has no solution cell")
            tests = by_gid.get(f"{prefix}-ex{num}-tests")
            if tests is None:
                say(f"Exercise {num}: no test cell {prefix}-ex{num}-tests for {qid!r}")
                continue
            j, test_cell = tests
            src = _source(test_cell)
            visible = _HIDDEN.sub("", src)
            hidden = "".join(_HIDDEN.findall(src))
            if j < i:
                say(f"Exercise {num}: the test cell must come after the widget cell")
            if not re.search(rf"answers\.require\(\s*['\"]{re.escape(qid)}['\"]", visible):
                say(f"Exercise {num}: the test cell must call answers.require({qid!r}) visibly")
            key = _key_of(hidden, qid)
            if key is None:
                say(f"Exercise {num}: no answers.check({qid!r}, ...) in the hidden tests")
                continue
            texts = [o.text for o in graded[qid].options]
            chosen = [key] if isinstance(key, str) else list(key)
            if (graded[qid].kind == "multiple_choice") != isinstance(key, str):
                say(
                    f"Exercise {num}: the key of {qid!r} must be "
                    + ("one option text" if graded[qid].kind == "multiple_choice" else "a list")
                )
            for c in chosen:
                if c not in texts:
                    say(f"Exercise {num}: the key {c!r} is not an option of {qid!r}")
    for qid in sorted(set(graded) - shown):
        say(f"graded question {qid!r} is in the question bank but not in the notebook")


def _key_of(code: str, qid: str):
    """The expected value of ``answers.check(qid, ...)`` in ``code`` (None if none)."""
    import ast

    from ..answers import _is_answers_check

    try:
        tree = ast.parse(code)
    except SyntaxError:
        return None
    for node in ast.walk(tree):
        if _is_answers_check(node) and len(node.args) == 2:
            try:
                found, expected = (ast.literal_eval(a) for a in node.args)
            except ValueError:
                continue
            if found == qid:
                return expected
    return None


def lint_notebook(path: str | Path) -> list[str]:
    """Problems found in one instructor notebook (empty list when clean)."""
    path = Path(path)
    problems: list[str] = []
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        return [f"{path}: cannot be read as a notebook ({exc})"]

    def say(msg: str) -> None:
        problems.append(f"{path.name}: {msg}")

    ids: list[str] = []
    used: list[str] = []  # self-check ids the notebook shows
    points_by_ex: Counter[str] = Counter()
    written_points = 0.0
    text_all = ""
    for i, cell in enumerate(nb.get("cells", [])):
        text = _source(cell)
        if cell["cell_type"] == "markdown":
            text_all += text + "\n"
        else:
            used += _WIDGET.findall(text)
        meta = cell.get("metadata", {}).get("nbgrader")
        if not meta:
            continue
        where = f"cell {i}"
        gid = meta.get("grade_id")
        if not gid:
            say(f"{where}: nbgrader cell without grade_id")
            continue
        ids.append(gid)
        if meta.get("schema_version") != 3:
            say(f"{where} ({gid}): schema_version must be 3")
        if meta.get("grade") and "points" not in meta:
            say(f"{where} ({gid}): graded cell without points")
        markers = "### BEGIN SOLUTION" in text and "### END SOLUTION" in text
        if meta.get("solution") and cell["cell_type"] == "code" and not markers:
            say(f"{where} ({gid}): solution cell without BEGIN/END SOLUTION markers")
        if meta.get("grade") and not meta.get("solution") and not meta.get("locked"):
            say(f"{where} ({gid}): autograded test cell must be locked")
        if meta.get("grade") and not meta.get("solution") and cell["cell_type"] == "code":
            for problem in testcells.lint(gid, text):
                say(f"{where}: {problem}")
        match = re.search(r"-ex(\d+)-", gid)
        if meta.get("grade") and match:
            points_by_ex[match.group(1)] += float(meta.get("points", 0))
        if meta.get("grade") and meta.get("solution") and cell["cell_type"] == "markdown":
            written_points += float(meta.get("points", 0))

    for gid, n in Counter(ids).items():
        if n > 1:
            say(f"grade_id {gid!r} is used {n} times")

    stated = {num: float(pts) for num, pts in _EXERCISE.findall(text_all)}
    for num in sorted(set(stated) | set(points_by_ex)):
        if stated.get(num) != points_by_ex.get(num):
            say(
                f"Exercise {num}: the text says {stated.get(num, 'nothing')} points, "
                f"the test cells give {points_by_ex.get(num, 0)}"
            )
    stated_written = sum(float(p) for p in _WRITTEN.findall(text_all))
    if stated_written != written_points:
        say(f"written tasks: the text says {stated_written} points, the metadata {written_points}")

    for name, pattern in _REQUIRED_TEXT.items():
        if not pattern.search(text_all):
            say(f"no {name}")

    bank_path = path.parent / "questions.yaml"
    if used or bank_path.is_file():
        from ..questions import QuestionError, load_bank

        try:
            bank = load_bank(bank_path)
        except QuestionError as exc:
            say(str(exc))
        else:
            known = set(bank.ids())
            for qid in used:
                if qid not in known:
                    say(f"self-check {qid!r} is not in {bank_path.name}")
            _lint_graded_widgets(nb, bank, say)
    return problems


def lint_course(root: str | Path) -> list[str]:
    """Lint every notebook under ``root/notebooks``; grade_ids unique course-wide."""
    notebooks = sorted(Path(root, "notebooks").glob("[0-9][0-9]_*/*.ipynb"))
    problems = [p for nb in notebooks for p in lint_notebook(nb)]
    seen: dict[str, str] = {}
    for nb in notebooks:
        data = json.loads(nb.read_text(encoding="utf-8"))
        for cell in data.get("cells", []):
            gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
            if gid and gid in seen and seen[gid] != nb.name:
                problems.append(f"{nb.name}: grade_id {gid!r} also used in {seen[gid]}")
            elif gid:
                seen[gid] = nb.name
    return problems
