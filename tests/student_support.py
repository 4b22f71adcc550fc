"""Student folders for the browser and accessibility tests.

:func:`completed_student_folder` builds the student versions with nbgrader
(through ``python -m trilateral.publishing.workspace``, as ``make lab`` does) and then
does the work a diligent student would: types each instructor solution into
its answer cell and answers the graded widget questions. Running all cells of
such a notebook must then show no error at all.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

from trilateral.questions import Question, load_bank

from browser_support import isolated_env

__all__ = ["completed_student_folder", "first_self_check", "fresh_student_folder"]

ROOT = Path(__file__).resolve().parents[1]
_WIDGET = re.compile(r"bank\.widget\(\s*['\"]([a-z0-9-]+)['\"]\s*\)")


def _grade_ids(nb: dict) -> dict[str, dict]:
    return {
        c["metadata"]["nbgrader"]["grade_id"]: c
        for c in nb["cells"]
        if c.get("metadata", {}).get("nbgrader", {}).get("grade_id")
    }


def fresh_student_folder(base: Path, home: Path, sections: list[str] | None = None) -> Path:
    """A generated student folder as a new student gets it, nothing answered."""
    return _generated(base, home, sections)


def _generated(base: Path, home: Path, sections: list[str] | None) -> Path:
    course = base / "course"
    for folder in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*")):
        if sections is None or folder.name in sections:
            shutil.copytree(folder, course / "notebooks" / folder.name,
                            ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    shutil.copy2(ROOT / "nbgrader_config.py", course / "nbgrader_config.py")
    student = base / "student"
    done = subprocess.run(
        [sys.executable, "-m", "trilateral.publishing.workspace", "--course-root", str(course),
         "--into", str(student)],
        env=isolated_env(home), capture_output=True, text=True, timeout=600,
    )
    if done.returncode:
        raise RuntimeError(f"building the student folder failed:\n{done.stdout}\n{done.stderr}")
    return student


def completed_student_folder(
    base: Path, home: Path, sections: list[str] | None = None
) -> Path:
    """A generated student folder with every exercise done; returns its path.

    ``sections`` limits it to some section folders (all by default).
    """
    student = _generated(base, home, sections)
    course = base / "course"
    for source in sorted((course / "notebooks").glob("[0-9][0-9]_*/*.ipynb")):
        section = source.parent.name
        target = student / section / source.name
        src_nb = json.loads(source.read_text(encoding="utf-8"))
        stu_nb = json.loads(target.read_text(encoding="utf-8"))
        solutions = _grade_ids(src_nb)
        for cell in stu_nb["cells"]:
            meta = cell.get("metadata", {}).get("nbgrader", {})
            if meta.get("solution") and cell["cell_type"] == "code":
                cell["source"] = solutions[meta["grade_id"]]["source"]
        target.write_text(json.dumps(stu_nb, indent=1), encoding="utf-8")
        from trilateral import answers  # built for graded widgets

        key = answers.answer_key(source)
        if key:
            answers.save_many(key, target.parent)
    return student


def first_self_check(section_dir: Path) -> tuple[Question, int, int]:
    """The first ungraded multiple-choice self-check the notebook shows.

    Returns the question, the index of a wrong option and of the right one.
    """
    bank = load_bank(section_dir / "questions.yaml")
    nb = json.loads(next(section_dir.glob("*.ipynb")).read_text(encoding="utf-8"))
    code = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    for qid in _WIDGET.findall(code):
        q = bank[qid]
        if q.kind == "multiple_choice" and not getattr(q, "graded", False):
            right = next(i for i, o in enumerate(q.options) if o.correct)
            wrong = next(i for i, o in enumerate(q.options) if not o.correct)
            return q, wrong, right
    raise LookupError(f"{section_dir.name} shows no ungraded multiple-choice self-check")
