"""App mode: a section's self-checks as a web page, served by Voilà.

Self-learners who do not want to see code can answer a section's self-check
questions in the browser. :func:`selfcheck_notebook` builds a small notebook
that holds the section's title, a note on how the page works and one widget
cell per ungraded self-check, in the order the lesson shows them; Voilà runs
it and serves the widgets without any code cell. Graded questions are left
out: they belong to the assignment, not to practice.

Run it with ``make app SECTION=02_state_of_play`` or
``python -m trilateral.publishing.app 02_state_of_play``. Voilà serves it
with the course's page template (:func:`voila_launch`), which the tests use
too.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

__all__ = [
    "VOILA_DATA", "VOILA_TEMPLATE", "build", "main", "selfcheck_ids", "selfcheck_notebook",
    "voila_launch",
]

# The course's Voilà page: Voilà's "lab" page with links in the text
# underlined (share/voila/templates/trilateral). Voilà finds templates in the
# Jupyter data folders, so this folder goes first on JUPYTER_PATH.
VOILA_DATA = Path(__file__).resolve().parent / "share"
VOILA_TEMPLATE = "trilateral"

_WIDGET = re.compile(r"bank\.widget\(\s*['\"]([a-z0-9-]+)['\"]\s*\)")
_TITLE = re.compile(r"^#\s+(.+)$", re.M)


def _section_dir(root: Path, section: str) -> Path:
    folder = root / "notebooks" / section
    if not re.fullmatch(r"[0-9]{2}_[a-z_]+", section) or not folder.is_dir():
        known = sorted(p.name for p in (root / "notebooks").glob("[0-9][0-9]_*") if p.is_dir())
        raise ValueError(f"unknown section {section!r}; the course has: {', '.join(known)}")
    return folder


def _lesson(folder: Path) -> dict:
    notebooks = sorted(folder.glob("*.ipynb"))
    if len(notebooks) != 1:
        raise ValueError(f"{folder.name} should hold one notebook, found {len(notebooks)}")
    return json.loads(notebooks[0].read_text(encoding="utf-8"))


def _text(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def selfcheck_ids(folder: Path) -> list[str]:
    """Ids of the ungraded self-checks the lesson shows, in order, once each."""
    from ..questions import load_bank

    bank = load_bank(folder / "questions.yaml")
    seen: list[str] = []
    for cell in _lesson(folder)["cells"]:
        if cell["cell_type"] != "code":
            continue
        for qid in _WIDGET.findall(_text(cell)):
            if qid not in seen and not getattr(bank[qid], "graded", False):
                seen.append(qid)
    return seen


def selfcheck_notebook(folder: Path):
    """The app notebook for one section folder (an ``nbformat`` notebook)."""
    import nbformat.v4 as v4

    lesson = _lesson(folder)
    title = next(
        (m.group(1).strip() for c in lesson["cells"] if c["cell_type"] == "markdown"
         for m in [_TITLE.search(_text(c))] if m),
        folder.name,
    )
    ids = selfcheck_ids(folder)
    if not ids:
        raise ValueError(f"{folder.name} has no self-check questions to serve")
    cells = [
        v4.new_markdown_cell(
            f"# Self-checks: {title}\n\n"
            "Answer each question and press **Check answer**: the feedback says what is "
            "right or wrong and why. You can change an answer and check again as often as "
            "you like. Nothing is saved or graded on this page; the full lesson, with its "
            "data and exercises, is the notebook of the same name."
        ),
        v4.new_code_cell(
            "from trilateral.questions import load_bank\n\nbank = load_bank(\"questions.yaml\")"
        ),
    ]
    for n, qid in enumerate(ids, 1):
        cells.append(v4.new_markdown_cell(f"## Question {n}"))
        cells.append(v4.new_code_cell(f'bank.widget("{qid}")'))
    nb = v4.new_notebook(cells=cells)
    # The browser tab's title (Voila's page <title>); otherwise it is the file name.
    nb.metadata["title"] = f"Self-checks: {title}"
    nb.metadata["kernelspec"] = {
        "name": "python3", "display_name": "Python 3", "language": "python"
    }
    return nb


def build(root: str | Path, section: str, out: str | Path | None = None) -> Path:
    """Write the app notebook and its question bank; return the notebook path.

    ``out`` defaults to ``build/app`` under the course root (git-ignored).
    """
    import nbformat

    root = Path(root).resolve()
    folder = _section_dir(root, section)
    target = Path(out) if out else root / "build" / "app"
    target = target / section
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy2(folder / "questions.yaml", target / "questions.yaml")
    path = target / "selfchecks.ipynb"
    nbformat.write(selfcheck_notebook(folder), str(path))
    return path


def voila_launch(
    notebook: str | Path, port: int, env: Mapping[str, str] | None = None, *extra: str
) -> tuple[list[str], dict[str, str]]:
    """The command and environment that serve ``notebook`` with Voilà on
    127.0.0.1:``port`` with the course's page template.

    ``env`` defaults to this process's environment; ``extra`` are more
    command-line options (a token, say). ``make app`` and the tests both
    start Voilà this way, so the tests check the page learners get.
    """
    env = dict(os.environ if env is None else env)
    env["JUPYTER_PATH"] = os.pathsep.join(
        [str(VOILA_DATA)] + ([env["JUPYTER_PATH"]] if env.get("JUPYTER_PATH") else [])
    )
    cmd = [
        sys.executable, "-m", "voila", str(notebook), "--no-browser", f"--port={port}",
        "--Voila.ip=127.0.0.1", f"--VoilaConfiguration.template={VOILA_TEMPLATE}", *extra,
    ]
    return cmd, env


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m trilateral.publishing.app",
        description="Serve a section's self-checks as a web page (Voila), without code.",
    )
    parser.add_argument("section", help="a section folder name, e.g. 02_state_of_play")
    parser.add_argument("--course-root", default=".", help="the course folder (has notebooks/)")
    parser.add_argument("--port", type=int, default=8866, help="port on 127.0.0.1 (default 8866)")
    parser.add_argument("--build-only", action="store_true", help="write the page, do not serve")
    args = parser.parse_args(argv)
    try:
        path = build(args.course_root, args.section)
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {path}")
    if args.build_only:
        return 0
    cmd, env = voila_launch(path, args.port)
    try:
        return subprocess.call(cmd, cwd=path.parent, env=env)
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
