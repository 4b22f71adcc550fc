"""Check the course's notebooks against the rules nbgrader and learners rely on.

nbgrader trusts cell metadata; a typo there grades students wrongly without
any error. :func:`lint_notebook` reports, for one instructor notebook:

- graded cells without ``grade_id``, ``points`` or ``schema_version`` 3, and
  ``grade_id`` values used twice (also across the course, in :func:`lint_course`);
- solution code cells without ``### BEGIN SOLUTION`` / ``### END SOLUTION``;
- autograded test cells that are not locked;
- an "Exercise N (P points)" heading whose points differ from the points of
  the test cells named ``<prefix>-exN-...``, and written tasks likewise;
- self-check ids used in the notebook that its question bank does not have;
- missing learning objectives, estimated time, discussion questions or references.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

__all__ = ["lint_course", "lint_notebook", "notebook_facts"]

_EXERCISE = re.compile(r"^#+\s*Exercise\s+(\d+)\s*\((\d+(?:\.\d+)?)\s+points?\)", re.M)
_WRITTEN = re.compile(r"^#+\s*Written task\s*\((\d+(?:\.\d+)?)\s+points?", re.M)
_WIDGET = re.compile(r"bank\.widget\(\s*['\"]([a-z0-9-]+)['\"]\s*\)")
_REQUIRED_TEXT = {
    "learning objectives": re.compile(r"^#+\s*Learning objectives", re.M | re.I),
    "estimated time": re.compile(r"\*\*Estimated time:\*\*\s*\d+", re.I),
    "discussion questions": re.compile(r"^#+\s*Discussion questions", re.M | re.I),
    "references": re.compile(r"^#+\s*References", re.M | re.I),
}


def _source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def notebook_facts(path: str | Path) -> dict:
    """Counts a reviewer wants: self-check ids, graded cells, points."""
    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    widgets, autograded, hidden, written = [], [], 0, []
    for cell in nb["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        text = _source(cell)
        if cell["cell_type"] == "code":
            widgets += _WIDGET.findall(text)
        if meta.get("grade") and not meta.get("solution") and cell["cell_type"] == "code":
            autograded.append((meta.get("grade_id"), meta.get("points", 0)))
            hidden += "### BEGIN HIDDEN TESTS" in text
        if meta.get("grade") and meta.get("solution") and cell["cell_type"] == "markdown":
            written.append((meta.get("grade_id"), meta.get("points", 0)))
    return {
        "self_checks": widgets,
        "autograded": autograded,
        "with_hidden_tests": hidden,
        "written": written,
    }


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
    if used:
        from .questions import QuestionError, load_bank

        try:
            known = set(load_bank(bank_path).ids())
        except QuestionError as exc:
            say(str(exc))
        else:
            for qid in used:
                if qid not in known:
                    say(f"self-check {qid!r} is not in {bank_path.name}")
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
