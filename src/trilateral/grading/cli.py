"""``trilateral``: the instructor's command line, a thin layer over nbgrader.

    trilateral release [SECTION ...]          student versions (and the exchange, if set)
    trilateral due SECTION DATETIME           set or move a due date
    trilateral collect [SECTION ...]          from the exchange, or --zip FILE --lms PLATFORM
    trilateral grade [SECTION ...]            autograde, grades CSV, summary
    trilateral feedback [SECTION ...]         HTML feedback, after manual grading
    trilateral return [SECTION ...]           fresh feedback, released through the exchange
    trilateral export [--format F] [--csv FILE]  grades (with manual grades) to CSV
    trilateral lint                           check the source notebooks (tests included)
    trilateral student-tree OUT               the students' side only, for a hub or Binder

Every command works on the course folder given by ``--course-root`` (default:
the current folder) and reads its ``nbgrader_config.py``. Errors are one
line on standard error. The exit status is 0 when the tool did its job, even
if some students' code failed (those are reported and scored 0); 2 for a
usage error (missing course, unknown section, no submissions, a download that
cannot be read); 1 when an nbgrader step itself failed, or when ``collect``
left a student out of a platform's download (each named on standard error).
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

__all__ = ["main"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """A problem with what was asked: reported in one line, exit status 2."""


def _course(args) -> Path:
    from .. import grading

    root = Path(args.course_root).expanduser().resolve()
    if not root.is_dir():
        raise UsageError(f"course folder {root} does not exist")
    if not (root / grading.SOURCE_DIR).is_dir():
        raise UsageError(f"{root} is not a course folder: it has no {grading.SOURCE_DIR}/ folder")
    return root


def _sections(root: Path, asked: list[str]) -> list[str]:
    from .. import grading

    known = grading.sections(root)
    unknown = [s for s in asked if s not in known]
    if unknown:
        raise UsageError(f"unknown section {unknown[0]!r}; the course has: {', '.join(known)}")
    return asked or known


def _exchange_configured(root: Path) -> bool:
    from .. import grading

    config = grading.load_config(root)
    return "Exchange" in config and "root" in config.Exchange


def _checked(result: dict, what: str) -> dict:
    from .. import grading

    return grading._checked(result, what)


def cmd_release(args) -> int:
    from .. import grading

    root = _course(args)
    sections = _sections(root, args.sections)
    api = grading.api(root)
    exchange = _exchange_configured(root)
    for section in sections:
        _checked(api.generate_assignment(section, force=True), f"generating {section}")
        if args.due:
            grading.set_due_date(root, section, args.due)
        line = f"{section}: student version in release/{section}/"
        if exchange:
            if args.force:
                api.unrelease(section)
            _checked(api.release_assignment(section), f"releasing {section} to the exchange")
            line += ", released to the exchange"
        print(line)
    return EXIT_OK


def cmd_due(args) -> int:
    from nbgrader.utils import parse_utc

    from .. import grading

    root = _course(args)
    (section,) = _sections(root, [args.section])
    try:
        due = parse_utc(args.datetime)
    except (ValueError, OverflowError) as err:
        raise UsageError(f"cannot read the date {args.datetime!r}: {err}") from None
    grading.set_due_date(root, section, args.datetime)
    print(f"{section}: due {due.isoformat(sep=' ')} UTC")
    return EXIT_OK


def cmd_collect(args) -> int:
    from .. import grading

    root = _course(args)
    if args.zip:
        zip_path = Path(args.zip).expanduser().resolve()
        if not zip_path.is_file():
            raise UsageError(f"no such file: {zip_path}")
        if len(args.sections) != 1:
            raise UsageError("--zip needs exactly one SECTION (the assignment the download is for)")
        (section,) = _sections(root, args.sections)
        if args.lms:
            return _lms_collect(root, section, zip_path, args.lms, args.roster, args.force,
                                args.verbose)
        return _zip_collect(root, section, zip_path, args.regexp)
    if args.lms or args.roster:
        raise UsageError("--lms and --roster go with --zip FILE (a download from the platform)")
    if not _exchange_configured(root):
        raise UsageError("no exchange is configured (set c.Exchange.root in nbgrader_config.py), "
                         "or use --zip FILE for a download from your learning platform")
    api = grading.api(root)
    for section in _sections(root, args.sections):
        _checked(api.collect(section), f"collecting {section}")
        print(f"{section}: {len(grading.submissions(root, section))} submissions in submitted/")
    return EXIT_OK


def _zip_collect(root: Path, section: str, zip_path: Path, regexp: str) -> int:
    from nbgrader.apps import ZipCollectApp
    from traitlets.config import Config

    from .. import grading
    from . import lms

    if lms.has_graded_quiz(root / grading.SOURCE_DIR / section):
        raise UsageError(f"{section} has a graded quiz, whose answers.json a file-name pattern "
                         "would drop: use --lms canvas|moodle|blackboard")
    archive = root / "downloaded" / section / "archive"
    archive.mkdir(parents=True, exist_ok=True)
    shutil.copy2(zip_path, archive / zip_path.name)
    extra = Config()
    extra.FileNameCollectorPlugin.named_regexp = regexp
    extra.ZipCollectApp.force = True
    grading._alembic_on_path()
    app = ZipCollectApp(config=grading.load_config(root, extra))
    app.initialize([section])
    app.start()
    print(f"{section}: {len(grading.submissions(root, section))} submissions in submitted/")
    return EXIT_OK


def _lms_collect(root: Path, section: str, zip_path: Path, platform: str,
                 roster_path: str | None, force: bool, verbose: bool = False) -> int:
    """Collect a platform's bulk download with every file a submission needs.

    The whole download is checked first (:func:`lms.plan_download`); students
    whose files are incomplete, or who were collected before (without
    ``--force``), are reported and left out, and nbgrader's ``ZipCollectApp``
    copies the others into ``submitted/``, unpacking only their checked files
    (:class:`lms.PlanExtractor`). Each run keeps its download in
    ``downloaded/<section>/<run>/``, so an earlier one is never extracted again,
    and with ``--force`` the submissions it replaces in ``<run>/replaced/``.
    """
    import json
    from datetime import datetime, timezone

    from nbgrader.apps import ZipCollectApp
    from traitlets.config import Config

    from .. import grading
    from . import lms

    release = root / "release" / section
    if not release.is_dir():
        raise UsageError(f"{section} was never released (no release/{section}/): "
                         f"run `trilateral release {section}` first")
    try:
        roster = lms.read_roster(roster_path) if roster_path else None
        plan = lms.plan_download(zip_path, platform, release, roster=roster,
                                 quiz=lms.has_graded_quiz(root / grading.SOURCE_DIR / section))
    except ValueError as err:  # DownloadError too
        raise UsageError(str(err)) from None
    problems: list[str] = []
    good: list[str] = []
    for key, arrival in sorted(plan.arrivals.items()):
        if arrival.problems:
            problems.extend(arrival.problems)
            continue
        done = root / "submitted" / arrival.student / section
        if done.is_dir() and any(done.iterdir()) and not force:
            problems.append(f"{arrival.student}: already collected in submitted/{arrival.student}/"
                            f"{section}/; kept as it is (use --force to replace it)")
            continue
        good.append(key)
    if good:
        run = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
        base = root / "downloaded" / section / run
        archive, extracted = base / "archive", base / "extracted"
        archive.mkdir(parents=True)
        shutil.copy2(zip_path, archive / "download.zip")
        plan_file = base / "plan.json"
        plan_file.write_text(json.dumps(plan.entries(good), indent=1), encoding="utf-8")
        # --force: nbgrader replaces a folder only when told to; the old one is kept.
        replaced = _move_aside(root, section, [plan.arrivals[k].student for k in good],
                               base / "replaced")
        extra = Config()
        extra.ZipCollectApp.extractor_plugin = lms.PlanExtractor
        extra.PlanExtractor.plan_file = str(plan_file)
        extra.PlanExtractor.zip_file = str(archive / "download.zip")
        extra.ZipCollectApp.collector_plugin = lms.PlanCollector
        extra.ZipCollectApp.archive_directory = f"{run}/archive"
        extra.ZipCollectApp.extracted_directory = f"{run}/extracted"
        extra.PlanCollector.plan_file = str(plan_file)
        extra.PlanCollector.extracted_root = str(extracted)
        # Its step-by-step log would bury the per-student lines; --verbose shows it.
        extra.ZipCollectApp.log_level = "INFO" if verbose else "ERROR"
        grading._alembic_on_path()
        try:
            app = ZipCollectApp(config=grading.load_config(root, extra))
            app.initialize([section])
            app.start()
        except BaseException:
            _put_back(root, section, replaced)
            raise
    arrived = [plan.arrivals[k] for k in good]
    print(f"{section}: {len(arrived)} submissions collected from the {platform} download "
          "into submitted/")
    for arrival in arrived:
        print(f"  {arrival.line()}")
    for problem in problems:
        print(f"trilateral: error: {problem}", file=sys.stderr)
    return EXIT_FAILED if problems else EXIT_OK


def _move_aside(root: Path, section: str, students: list[str], keep: Path) -> dict[str, Path]:
    """Move the students' earlier submissions of ``section`` into ``keep/<student>``."""
    moved = {}
    for student in students:
        old = root / "submitted" / student / section
        if old.exists():
            keep.mkdir(parents=True, exist_ok=True)
            shutil.move(old, keep / student)
            moved[student] = keep / student
    return moved


def _put_back(root: Path, section: str, moved: dict[str, Path]) -> None:
    """Undo :func:`_move_aside` after a failed collect (a half-copied folder goes)."""
    for student, kept in moved.items():
        dest = root / "submitted" / student / section
        shutil.rmtree(dest, ignore_errors=True)
        shutil.move(kept, dest)


def cmd_grade(args) -> int:
    from .. import grading
    from . import batch, report, sandbox

    root = _course(args)
    named = bool(args.sections)
    sections = _sections(root, args.sections)
    todo = {s: grading.submissions(root, s) for s in sections}
    if args.students:
        wanted = set(args.students.split(","))
        todo = {s: [x for x in v if x in wanted] for s, v in todo.items()}
    empty = [s for s, v in todo.items() if not v]
    if named and empty:
        raise UsageError(f"no submissions for {empty[0]} in {root / 'submitted'}/*/{empty[0]}/")
    todo = {s: v for s, v in todo.items() if v}
    if not todo:
        raise UsageError(f"no submissions to grade in {root / 'submitted'}/")
    try:
        limits = sandbox.Limits(memory_mb=args.memory_mb, file_mb=sandbox.Limits.file_mb,
                                output_chars=args.output_chars, processes=args.processes)
    except ValueError as err:
        raise UsageError(str(err)) from None
    if args.no_sandbox:
        print(f"trilateral: warning: {sandbox.LOST_WITHOUT_SANDBOX}", file=sys.stderr)
    try:
        run = batch.plan_run(root, timeout=args.timeout, deadline=args.deadline, limits=limits,
                             isolate=not args.no_sandbox)
    except sandbox.SandboxUnavailable as err:
        raise UsageError(f"refusing to grade: {err}; or pass --no-sandbox to grade without "
                         "isolation (not for untrusted code)") from None
    print(f"isolation: {run.isolation.describe()}")
    api = grading.api(root)
    reports = root / "reports"
    for section, students in todo.items():
        # nbgrader needs the assignment (and its cells) in the gradebook first;
        # an assignment already there is left as it is (scores stay comparable).
        if not _in_gradebook(root, section):
            _checked(api.generate_assignment(section, force=True), f"generating {section}")
        bar = _progress(len(students), section, args.quiet)
        outcomes = batch.grade_planned(root, section, students, run, jobs=args.jobs,
                                       force=args.force, timeout=args.timeout,
                                       progress=lambda _o, b=bar: b.update(1))
        bar.close()
        scores = grading.scores(root, section)
        summary = report.summarize(section, scores, outcomes)
        png = report.histogram(summary, scores, reports / f"{section}-histogram.png")
        for line in summary.lines():
            print(line)
        print(f"  histogram: {png.relative_to(root)}")
    csv_path = Path(args.csv) if args.csv else root / "grades.csv"
    if not csv_path.is_absolute():
        csv_path = root / csv_path
    grading.export_grades(root, csv_path)
    print(f"grades of every section: {csv_path}")
    if args.feedback:
        _write_feedback(root, todo, args.jobs, args.quiet)
    else:
        print("next: grade the written tasks (nbgrader formgrader), then `trilateral feedback` "
              "or `trilateral return`")
    return EXIT_OK


def cmd_export(args) -> int:
    from .. import grading

    root = _course(args)
    default = {"nbgrader": "grades.csv", "canvas": "canvas-grades.csv",
               "moodle": "moodle-grades.csv"}[args.format]
    csv_path = Path(args.csv) if args.csv else root / default
    if not csv_path.is_absolute():
        csv_path = root / csv_path
    if not (root / "gradebook.db").is_file():
        raise UsageError(f"no gradebook in {root}: grade something first")
    if args.format == "nbgrader":
        if args.roster:
            raise UsageError("--roster goes with --format canvas or moodle")
        grading.export_grades(root, csv_path)
        print(f"grades of every section: {csv_path}")
        return EXIT_OK
    try:
        grading.export_platform_grades(root, csv_path, args.format, args.roster)
    except ValueError as err:
        raise UsageError(str(err)) from None
    sections = grading.assigned_sections(root)
    print(f"{args.format} gradebook import of {', '.join(sections) or 'no section'}: {csv_path}")
    return EXIT_OK


def _in_gradebook(root: Path, section: str) -> bool:
    from nbgrader.api import Gradebook, MissingEntry

    from .. import grading

    if not (root / "gradebook.db").is_file():
        return False
    grading._alembic_on_path()
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", course_id=grading.COURSE_ID) as gb:
        try:
            return len(gb.find_assignment(section).notebooks) > 0
        except MissingEntry:
            return False


def _progress(total: int, section: str, quiet: bool):
    from tqdm import tqdm

    return tqdm(total=total, desc=section, unit="submission", disable=quiet, file=sys.stderr,
                leave=False)


def _write_feedback(root: Path, todo: dict[str, list[str] | None], jobs: int,
                    quiet: bool) -> int:
    """Fresh feedback pages for the given (default: every graded) students;
    returns how many sections had any."""
    from . import batch

    count = 0
    for section, asked in todo.items():
        students = batch.feedback_students(root, section) if asked is None else asked
        if not students:
            continue
        count += 1
        bar = _progress(len(students), f"{section} feedback", quiet)
        results = batch.write_feedback(root, section, students, jobs=jobs,
                                       progress=lambda _r, b=bar: b.update(1))
        bar.close()
        written = sum(r.ok for r in results)
        print(f"{section}: feedback written for {written} students "
              f"in feedback/<student>/{section}/")
        waiting = [r.student for r in results if r.reason == batch.NOT_GRADED_YET]
        for r in results:
            if not r.ok and r.reason != batch.NOT_GRADED_YET:
                print(f"  no feedback for {r.student}: {r.reason}")
        if waiting:
            print(f"  not graded yet, so no feedback: {', '.join(waiting)}")
    return count


def cmd_feedback(args) -> int:
    root = _course(args)
    sections = _sections(root, args.sections)
    if not _write_feedback(root, dict.fromkeys(sections), args.jobs, args.quiet):
        raise UsageError(f"nothing graded yet in {root / 'autograded'}/: "
                         "run `trilateral grade` first")
    return EXIT_OK


def cmd_return(args) -> int:
    from .. import grading

    root = _course(args)
    if not _exchange_configured(root):
        raise UsageError("no exchange is configured (set c.Exchange.root in nbgrader_config.py); "
                         "run `trilateral feedback` and hand out "
                         "feedback/<student>/<section>/ another way")
    sections = _sections(root, args.sections)
    # Written now, so the pages carry the scores and comments given by hand.
    _write_feedback(root, dict.fromkeys(sections), args.jobs, args.quiet)
    api = grading.api(root)
    for section in sections:
        released, skipped = 0, []
        feedback = root / "feedback"
        for student in grading.submissions(root, section):
            if not (feedback / student / section).is_dir():
                continue
            result = api.release_feedback(section, student)
            if result.get("success"):
                released += 1
            else:
                skipped.append(student)
        line = f"{section}: feedback released to {released} students"
        if skipped:
            line += f"; not released (not submitted through the exchange): {', '.join(skipped)}"
        print(line)
    return EXIT_OK


def cmd_lint(args) -> int:
    from ..publishing.lint import lint_course

    root = _course(args)
    problems = lint_course(root)
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} problem(s) in {root / 'notebooks'}", file=sys.stderr)
        return EXIT_FAILED
    print(f"{root / 'notebooks'}: every notebook follows the course's rules")
    return EXIT_OK


def cmd_student_tree(args) -> int:
    from ..publishing import student_tree

    root = _course(args)
    try:
        out = student_tree.build(root, args.out)
    except ValueError as err:
        raise UsageError(str(err)) from None
    print(f"student tree written to {out} (no solutions, hidden tests or keys)")
    return EXIT_OK


def _feedback_options(p: argparse.ArgumentParser) -> None:
    """The options of the commands that write feedback (``feedback`` and ``return``)."""
    p.add_argument("--jobs", "-j", type=int, default=1, metavar="N",
                   help="write N students' feedback at a time (default 1)")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="trilateral",
        description="Run the Trilateral course for a class with nbgrader: release, collect, "
        "grade, return feedback.",
    )
    parser.add_argument("--course-root", default=".", metavar="DIR",
                        help="the course folder (with notebooks/ and nbgrader_config.py); "
                        "default: the current folder")
    parser.add_argument("--verbose", "-v", action="store_true",
                        help="show library warnings in the terminal (otherwise they go to "
                        "reports/trilateral.log)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser("release", help="generate the student versions (and release them to the "
                       "exchange when one is configured)",
                       description="Generate the student version of each SECTION (default: all) "
                       "into release/; with c.Exchange.root set, also release it to students.")
    p.add_argument("sections", nargs="*", metavar="SECTION")
    p.add_argument("--due", metavar="DATETIME",
                   help="due date, e.g. '2026-12-01 17:00:00 UTC' (submissions after it are late)")
    p.add_argument("--force", action="store_true", help="replace a release already in the exchange")
    p.set_defaults(func=cmd_release)

    p = sub.add_parser("due", help="set or move a section's due date",
                       description="Set or move the due date of SECTION (an extension, say).")
    p.add_argument("section", metavar="SECTION")
    p.add_argument("datetime", metavar="DATETIME", help="e.g. '2026-12-01 17:00:00 UTC'")
    p.set_defaults(func=cmd_due)

    p = sub.add_parser("collect", help="collect submissions from the exchange or an LMS zip",
                       description="Collect submissions into submitted/<student>/<section>/: "
                       "from the nbgrader exchange, or from a zip downloaded from Canvas, Moodle "
                       "or Blackboard (--lms), with each student's answers.json; students whose "
                       "files are incomplete are named and left out (exit status 1).")
    p.add_argument("sections", nargs="*", metavar="SECTION")
    p.add_argument("--zip", metavar="FILE",
                   help="a learning platform's bulk download of one SECTION")
    p.add_argument("--lms", choices=["canvas", "moodle", "blackboard"],
                   help="the platform the zip comes from: its file names are read the way it "
                   "writes them, and each student's answers.json travels with the notebook")
    p.add_argument("--roster", metavar="CSV",
                   help="class list mapping the platform's ids to student ids (columns "
                   "student_id and lms_id, login_id, name, email, section)")
    p.add_argument("--force", action="store_true",
                   help="replace students already collected for this section")
    p.add_argument("--regexp", metavar="REGEX",
                   default=r".*/(?P<student_id>[A-Za-z0-9.@-]+)_(?P<file_id>[^/]+)\.ipynb$",
                   help="without --lms: how a file name in the zip gives student_id and "
                   "file_id (default: STUDENT_notebook.ipynb; notebooks only)")
    p.set_defaults(func=cmd_collect)

    p = sub.add_parser("grade", help="autograde every submission and export grades.csv",
                       description="Autograde every submission of each SECTION (default: all "
                       "with submissions) in a sandbox, export grades.csv, and print a summary "
                       "per section with a histogram in reports/. Feedback is written "
                       "afterwards, by `trilateral feedback` or `trilateral return`, once the "
                       "written tasks are graded by hand (or at once with --feedback).")
    p.add_argument("sections", nargs="*", metavar="SECTION")
    p.add_argument("--jobs", "-j", type=int, default=1, metavar="N",
                   help="grade N submissions at a time (default 1)")
    p.add_argument("--force", action="store_true",
                   help="grade again submissions that are already graded")
    p.add_argument("--students", metavar="A,B,...", help="only these students")
    p.add_argument("--timeout", type=int, metavar="SECONDS",
                   help="time limit per cell (default: the course's)")
    p.add_argument("--deadline", type=float, metavar="SECONDS",
                   help="time limit per submission (default: 10 cell limits + 60)")
    p.add_argument("--memory-mb", type=int, default=2048, metavar="MB",
                   help="memory limit of a student's kernel (default 2048)")
    p.add_argument("--output-chars", type=int, default=200_000, metavar="N",
                   help="printed characters kept per submission (default 200000)")
    p.add_argument("--processes", type=int, default=64, metavar="N",
                   help="processes a submission may run at once (default 64)")
    p.add_argument("--no-sandbox", action="store_true",
                   help="grade without the sandbox (students' code can then read and change "
                   "this user's files); tests still run in the clean room")
    p.add_argument("--csv", metavar="FILE", help="where to export grades (default grades.csv)")
    p.add_argument("--feedback", action="store_true",
                   help="also write feedback now (for sections with nothing to grade by hand)")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_grade)

    p = sub.add_parser("feedback", help="write HTML feedback for every graded submission",
                       description="Write feedback/<student>/<section>/*.html for every "
                       "graded submission of each SECTION (default: all), with the scores and "
                       "comments given by hand so far. Run it after manual grading; a "
                       "submission that could not be graded gets a page saying why.")
    p.add_argument("sections", nargs="*", metavar="SECTION")
    _feedback_options(p)
    p.set_defaults(func=cmd_feedback)

    p = sub.add_parser("export", help="export every grade (with manual grades) to CSV",
                       description="Export every grade in the gradebook, including scores "
                       "entered in the formgrader, to a CSV file for a learning platform.")
    p.add_argument("--csv", metavar="FILE", help="where to export grades (default grades.csv, "
                   "canvas-grades.csv or moodle-grades.csv)")
    p.add_argument("--format", choices=["nbgrader", "canvas", "moodle"], default="nbgrader",
                   help="nbgrader's CSV (default), or the gradebook import CSV of Canvas or "
                   "Moodle (one row per student, one column per section assigned)")
    p.add_argument("--roster", metavar="CSV",
                   help="class list giving the platform's identity of each student (columns "
                   "student_id and lms_id, login_id, name, email, section)")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("lint", help="check the source notebooks against the course's rules",
                       description="Check every source notebook: grading metadata, points, "
                       "question banks, required sections, and that the clean room can run "
                       "every autograded test cell. Exit status 1 when anything is wrong.")
    p.set_defaults(func=cmd_lint)

    p = sub.add_parser("student-tree", help="write the students' side of the course into a "
                       "folder of its own (for a hub, nbgitpuller or Binder)",
                       description="Write the student notebooks, the helper package and the "
                       "data into OUT, with nothing of the instructor's (no solutions, hidden "
                       "tests, keys or guide). Deploy that folder, never the repository.")
    p.add_argument("out", metavar="OUT")
    p.set_defaults(func=cmd_student_tree)

    p = sub.add_parser("return", help="write fresh feedback and release it through the exchange",
                       description="Write the feedback of each SECTION afresh (so it carries "
                       "the scores and comments given by hand) and release it to the students "
                       "who submitted through the exchange.")
    p.add_argument("sections", nargs="*", metavar="SECTION")
    _feedback_options(p)
    p.set_defaults(func=cmd_return)
    return parser


def main(argv: list[str] | None = None) -> int:
    from .. import grading

    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "jobs", 1) < 1:
        parser.error("--jobs must be at least 1")
    root = Path(args.course_root).expanduser().resolve()
    if not args.verbose and (root / grading.SOURCE_DIR).is_dir():
        from .quiet import LOG_NAME, route_warnings

        route_warnings(root / "reports" / LOG_NAME)
    try:
        return args.func(args)
    except UsageError as err:
        print(f"trilateral: error: {err}", file=sys.stderr)
        return EXIT_USAGE
    except grading.GradingError as err:
        lines = [ln.strip() for ln in str(err).splitlines() if ln.strip()]
        first = lines[0] if lines else "an nbgrader step failed"
        errors = [ln for ln in lines[1:] if ln.startswith("[ERROR]")]
        detail = f" {errors[-1][len('[ERROR]'):].strip()}" if errors else ""
        print(f"trilateral: error: {first}{detail}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("trilateral: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
