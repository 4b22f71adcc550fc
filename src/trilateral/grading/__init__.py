"""The course's nbgrader setup and a thin, checked wrapper over its API.

nbgrader does the grading; this module only says how the course is laid out
(``notebooks/`` is the source folder, one folder per section) and turns the
API's ``{"success": False, ...}`` results into exceptions with nbgrader's own
log attached, so a failure is never silent.

The course root must be absolute: nbgrader resolves every other folder
(release/, submitted/, autograded/, feedback/) and the gradebook from it.
"""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..schemacheck import import_jsonschema

# nbgrader and nbformat import jsonschema; without its slow optional format
# checker, every grading command and worker starts seconds sooner.
import_jsonschema()

__all__ = [
    "CELL_TIMEOUT",
    "GradingError",
    "Score",
    "api",
    "assigned_sections",
    "autograde",
    "configure",
    "course_config",
    "export_grades",
    "export_platform_grades",
    "generate_assignment",
    "generate_feedback",
    "load_config",
    "notebook_names",
    "record_failure",
    "scores",
    "sections",
    "set_due_date",
    "submissions",
]

SOURCE_DIR = "notebooks"
COURSE_ID = "trilateral"
# Seconds one cell may run while grading: an infinite loop costs this, not the batch.
CELL_TIMEOUT = 30


class GradingError(RuntimeError):
    """An nbgrader step failed; the message carries nbgrader's log."""


@dataclass(frozen=True)
class Score:
    """One submission's scores as the gradebook holds them."""

    student: str
    score: float
    max_score: float
    code_score: float
    max_code_score: float
    needs_manual_grade: bool


def _root(root: str | Path) -> Path:
    path = Path(root).expanduser().resolve()
    if not (path / SOURCE_DIR).is_dir():
        raise ValueError(f"{path} is not a course folder: it has no {SOURCE_DIR}/ folder")
    return path


def configure(c: Any, root: str | Path) -> None:
    """Set the course's nbgrader options on config object ``c``.

    ``nbgrader_config.py`` at the top of the course calls this, and so do the
    tests and the helpers below, so the course has one configuration.
    """
    root = _root(root)
    c.CourseDirectory.root = str(root)
    c.CourseDirectory.source_directory = SOURCE_DIR
    c.CourseDirectory.course_id = COURSE_ID
    c.CourseDirectory.db_url = f"sqlite:///{root / 'gradebook.db'}"
    c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback"]
    c.ExecutePreprocessor.timeout = CELL_TIMEOUT
    c.ExecutePreprocessor.interrupt_on_timeout = True
    c.Execute.timeout = CELL_TIMEOUT
    c.ClearSolutions.code_stub = {
        "python": "# YOUR CODE HERE\nraise NotImplementedError()",
    }
    c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
    c.Autograde.autograde_preprocessors = _autograde_preprocessors()
    c.Autograde.sanitize_preprocessors = _sanitize_preprocessors()
    from .feedback import register
    from .sanitize import register_sanitize

    register(c)  # hide hidden tests
    register_sanitize(c)  # nbconvert's HTML cleaner in feedback and the formgrader


def _autograde_preprocessors() -> list:
    """nbgrader's autograde chain with the course's execution step and output caps.

    nbgrader's ``Execute`` runs the tests in the student's kernel; the course
    replaces it with :class:`~trilateral.grading.execute.CleanRoomExecute`,
    which runs the student's cells in the sandbox and the tests in the clean
    room. ``LimitOutputSize`` caps outputs by size as well as by lines (one
    huge line passes nbgrader's ``LimitOutput``).
    """
    from nbgrader.converters.autograde import Autograde
    from nbgrader.preprocessors import Execute, LimitOutput

    from .execute import CleanRoomExecute
    from .outputlimit import LimitOutputSize
    from .sanitize import SanitizeOutputs

    chain = [CleanRoomExecute if pp is Execute else pp
             for pp in Autograde.class_traits()["autograde_preprocessors"].default()]
    # Nothing a student's cell displayed runs in a feedback page or the formgrader.
    chain.insert(chain.index(CleanRoomExecute) + 1, SanitizeOutputs)
    chain.insert(chain.index(LimitOutput) + 1, LimitOutputSize)
    return chain


def _sanitize_preprocessors() -> list:
    """nbgrader's sanitize chain, after the repair of honest mistakes (copied cells,
    extra grading metadata, a cell switched to markdown)."""
    from nbgrader.converters.autograde import Autograde

    from .forgive import ForgiveCopies

    return [ForgiveCopies, *Autograde.class_traits()["sanitize_preprocessors"].default()]


def course_config(root: str | Path):
    """A fresh traitlets ``Config`` with the course's options for ``root``."""
    from traitlets.config import Config

    c = Config()
    configure(c, root)
    return c


def load_config(root: str | Path, extra: Any = None):
    """The course's options, then ``nbgrader_config.py`` of ``root`` if any, then ``extra``.

    The course folder's own ``nbgrader_config.py`` is where an instructor sets
    the exchange, a late-submission policy or a different time limit; every
    command of the ``trilateral`` tool reads it.
    """
    from traitlets.config.loader import PyFileConfigLoader

    root = _root(root)
    config = course_config(root)
    if (root / "nbgrader_config.py").is_file():
        loader = PyFileConfigLoader("nbgrader_config.py", path=str(root))
        config.merge(loader.load_config())
    if extra is not None:
        config.merge(extra)
    return config


def _alembic_on_path() -> None:
    """Put this interpreter's bin/ first on PATH if ``alembic`` is not found.

    nbgrader runs the ``alembic`` executable by name when it creates or
    upgrades a gradebook; inside a virtual environment that was not activated
    it is not on PATH, and gradebook creation fails with FileNotFoundError.
    """
    if shutil.which("alembic"):
        return
    bindir = str(Path(sys.executable).parent)
    os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")


def api(root: str | Path, extra: Any = None):
    """An :class:`nbgrader.apps.NbGraderAPI` for the course at ``root``.

    ``extra`` (a traitlets ``Config``) is merged over the course's options.
    """
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    _alembic_on_path()
    config = load_config(root, extra)
    coursedir = CourseDirectory(config=config)
    return NbGraderAPI(coursedir=coursedir, config=config)


def sections(root: str | Path) -> list[str]:
    """Section folders in ``notebooks/`` (each is an nbgrader assignment)."""
    src = _root(root) / SOURCE_DIR
    return sorted(p.name for p in src.iterdir() if p.is_dir() and not p.name.startswith("."))


def _checked(result: dict[str, Any], what: str) -> dict[str, Any]:
    if not result.get("success"):
        detail = (result.get("error") or "") + (result.get("log") or "")
        raise GradingError(f"{what} failed:\n{detail.strip()}")
    return result


def _section(root: Path, section: str) -> str:
    known = sections(root)
    if section not in known:
        raise ValueError(f"unknown section {section!r}; the course has: {', '.join(known)}")
    return section


def generate_assignment(root: str | Path, section: str, *, database: bool = True) -> Path:
    """Generate the student version of ``section`` into ``release/``.

    ``database=False`` writes no gradebook (nbgrader's ``--no-db``, and its
    cell-saving step off): for student copies made outside a course, such
    as ``make student``, where creating a gradebook (an ``alembic``
    subprocess and three database set-ups per section) was most of the time.
    """
    root = _root(root)
    extra = None
    if not database:
        from traitlets.config import Config

        extra = Config({"GenerateAssignment": {"no_database": True},
                        "SaveCells": {"enabled": False}})
    result = api(root, extra).generate_assignment(_section(root, section), create=database)
    _checked(result, f"generating {section}")
    return root / "release" / section


def autograde(root: str | Path, section: str, student: str) -> None:
    """Autograde one student's submission of ``section`` (sandbox and clean room)."""
    from .batch import grade_section

    root = _root(root)
    (outcome,) = grade_section(root, _section(root, section), [student], force=True)
    if not outcome.ok:
        raise GradingError(f"autograding {student}/{section} failed: {outcome.reason}")


def generate_feedback(root: str | Path, section: str, student: str | None = None) -> None:
    """Write HTML feedback for one student (or all) into ``feedback/``."""
    root = _root(root)
    _checked(api(root).generate_feedback(section, student), f"feedback for {section}")


def scores(root: str | Path, section: str) -> dict[str, Score]:
    """Scores of every autograded submission of ``section``, by student id."""
    from nbgrader.api import Gradebook

    root = _root(root)
    out = {}
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", course_id=COURSE_ID) as gb:
        for sub in gb.assignment_submissions(section):
            out[sub.student.id] = Score(
                student=sub.student.id,
                score=float(sub.score),
                max_score=float(sub.max_score),
                code_score=float(sub.code_score),
                max_code_score=float(sub.max_code_score),
                needs_manual_grade=bool(sub.needs_manual_grade),
            )
    return out


def assigned_sections(root: str | Path) -> list[str]:
    """Sections the class was given: released into ``release/``, or with a submission.

    A section that is only in the gradebook (an old ``make lab`` registered
    every section there) was never assigned and must not give anyone a 0.
    """
    from nbgrader.api import Gradebook

    root = _root(root)
    released = {p.name for p in (root / "release").glob("*") if p.is_dir()}
    submitted: set[str] = set()
    if (root / "gradebook.db").is_file():
        with Gradebook(f"sqlite:///{root / 'gradebook.db'}", course_id=COURSE_ID) as gb:
            submitted = {a.name for a in gb.assignments if a.submissions}
    return sorted((released | submitted) & set(sections(root)))


def export_grades(root: str | Path, dest: str | Path) -> Path:
    """Export the grades of the sections assigned (:func:`assigned_sections`) to CSV,
    with nbgrader's own CSV exporter."""
    from nbgrader.api import Gradebook
    from nbgrader.plugins import CsvExportPlugin

    root = _root(root)
    dest = Path(dest).resolve()
    assigned = assigned_sections(root)
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", course_id=COURSE_ID) as gb:
        # nbgrader reads an empty list as "every assignment": name one that cannot exist.
        CsvExportPlugin(to=str(dest), assignment=assigned or ["\0none"]).export(gb)
    return dest


def export_platform_grades(root: str | Path, dest: str | Path, platform: str,
                           roster: str | Path | None = None) -> Path:
    """Write the gradebook import CSV of ``platform`` ("canvas" or "moodle") for the
    sections assigned (:func:`assigned_sections`); ``roster`` gives each student's
    identity on the platform (see :mod:`trilateral.grading.lms`)."""
    from . import lms

    root = _root(root)
    table = lms.read_roster(roster) if roster is not None else None
    return lms.write_gradebook_csv(root, Path(dest).resolve(), platform,
                                   assigned_sections(root), table)


def notebook_names(root: str | Path, section: str) -> list[str]:
    """File names of the notebooks of ``section`` (what a submission must contain)."""
    root = _root(root)
    folder = root / SOURCE_DIR / _section(root, section)
    return sorted(p.name for p in folder.glob("*.ipynb"))


def submissions(root: str | Path, section: str) -> list[str]:
    """Ids of the students with a folder ``submitted/<student>/<section>/``."""
    root = _root(root)
    base = root / "submitted"
    if not base.is_dir():
        return []
    return sorted(p.name for p in base.iterdir() if (p / section).is_dir())


def _gradebook(root: Path):
    from nbgrader.api import Gradebook

    return Gradebook(f"sqlite:///{root / 'gradebook.db'}", course_id=COURSE_ID)


def set_due_date(root: str | Path, section: str, due: str) -> None:
    """Set (or move) the due date of ``section`` in the gradebook."""
    root = _root(root)
    _alembic_on_path()
    with _gradebook(root) as gb:
        gb.update_or_create_assignment(_section(root, section), duedate=due)


def record_failure(root: str | Path, section: str, student: str) -> None:
    """Give a submission nbgrader could not grade a deterministic 0.

    Every automatic score of the submission becomes 0 and stops waiting for
    manual grading; scores an instructor entered by hand are kept. The
    submission row is created if nbgrader had not got that far.
    """
    root = _root(root)
    _alembic_on_path()
    with _gradebook(root) as gb:
        gb.update_or_create_student(student)
        submission = gb.update_or_create_submission(section, student)
        for notebook in submission.notebooks:
            for grade in notebook.grades:
                grade.auto_score = 0
                grade.needs_manual_grade = False
        gb.db.commit()
