"""Give a learner their own copies of the student notebooks, never overwriting.

``make lab`` runs this: nbgrader generates the student versions (no
solutions, no hidden tests) in a temporary copy of the course, so the
instructor's gradebook and ``release/`` are never touched; then every file
that the learner's folder (``student/`` by default) does not have yet is
copied there.
Files already in the learner's folder are left exactly as they are, so
re-running ``make lab`` after a course update adds new sections and never
touches work in progress.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

from .. import grading

__all__ = ["Report", "build", "main"]


@dataclass
class Report:
    """What :func:`build` did: files it created and files it left alone."""

    created: list[Path] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)


def build(root: str | Path, into: str | Path) -> Report:
    """Generate every section and copy the missing student files into ``into``."""
    import tempfile

    root = Path(root).resolve()
    into = Path(into)
    if not into.is_absolute():
        into = root / into
    sections = grading.sections(root)
    report = Report()
    with tempfile.TemporaryDirectory(prefix="trilateral-workspace-") as tmp:
        scratch = Path(tmp) / "course"
        shutil.copytree(root / grading.SOURCE_DIR, scratch / grading.SOURCE_DIR,
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
        for section in sections:
            release = grading.generate_assignment(scratch, section, database=False)
            for src in sorted(p for p in release.rglob("*") if p.is_file()):
                dest = into / section / src.relative_to(release)
                if dest.exists():
                    report.kept.append(dest)
                    continue
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, dest)
                report.created.append(dest)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m trilateral.publishing.workspace",
        description="Create the student copies of the course notebooks that are missing.",
    )
    parser.add_argument("--course-root", default=".", help="the course folder (has notebooks/)")
    parser.add_argument("--into", default="student", help="the learner's folder")
    args = parser.parse_args(argv)
    try:
        report = build(args.course_root, args.into)
    except (ValueError, grading.GradingError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for path in report.created:
        print(f"created {path}")
    print(
        f"{len(report.created)} file(s) created, "
        f"{len(report.kept)} already there and left as they are"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
