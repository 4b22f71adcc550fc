"""Autograde a whole class in parallel, safely, and write its feedback later.

Each submission is graded by nbgrader's own ``NbGraderAPI.autograde`` inside a
pool of worker processes, each with its kernels started through
:mod:`trilateral.sandbox`. The parent process only hands out students and
watches the clock:

* a worker gets one student at a time, so every submission is graded exactly
  once per run, by exactly one process;
* a submission that runs past its deadline is stopped by killing its worker
  (its kernel dies with it) and a fresh worker takes over the rest;
* a gradebook write that meets "database is locked" is retried;
* a submission nbgrader cannot grade (not a notebook, kernel died, a loop that
  ignores interrupts, ...) gets a deterministic 0 through
  :func:`trilateral.grading.record_failure`, a reason in plain words, and a
  feedback page saying what went wrong. Nothing else is touched.

What grading found out (who failed and why, what nbgrader silently repaired)
is kept in ``reports/<section>-grading.json``. Feedback is a separate step,
:func:`write_feedback`, run after the written tasks are graded by hand, so the
pages students get carry every score and comment; it reads those records to
put the grader's notes, or the reason for a 0, on each student's page.
"""

from __future__ import annotations

import html
import json
import multiprocessing as mp
import os
import random
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .. import grading
from . import journal, sandbox

__all__ = [
    "NOT_GRADED_YET",
    "FeedbackResult",
    "Outcome",
    "diagnose",
    "feedback_students",
    "grade_planned",
    "grade_section",
    "plan_run",
    "Run",
    "recorded_outcomes",
    "write_failure_feedback",
    "write_feedback",
]

_DB_TROUBLE = ("database is locked", "error accessing the nbgrader database")


@dataclass
class Outcome:
    """What happened to one submission."""

    student: str
    ok: bool
    reason: str = ""
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    attempts: int = 1
    details: list[dict] = field(default_factory=list)  # instructor only: why tests failed
    timings: dict[str, float] = field(default_factory=dict)  # seconds per grading step


def _extra_config(timeout: int | None, limits: sandbox.Limits, isolated: bool, scratch: str):
    from traitlets.config import Config

    extra = Config()
    extra.Execute.kernel_name = sandbox.KERNEL_NAME
    # A grading kernel is thrown away with its scratch folder: nothing is lost
    # by killing it at once, and a graceful shutdown costs every submission
    # a round of polling.
    extra.Execute.shutdown_kernel = "immediate"
    extra.CleanRoomExecute.output_chars = limits.output_chars
    extra.CleanRoomExecute.staging_root = scratch
    extra.CleanRoomExecute.require_sandbox = isolated
    if timeout is not None:
        extra.Execute.timeout = timeout
        extra.ExecutePreprocessor.timeout = timeout
    return extra


def _grade_one(root: str, section: str, student: str, force: bool, extra,
               retries: int = 6) -> dict:
    """Autograde one student's submission (runs in a worker)."""
    link = _symlink_in(Path(root) / "submitted" / student / section)
    if link is not None:  # nbgrader would follow it, as the grader, before any sandbox
        return {"ok": False, "log": "", "attempts": 1,
                "reason": f"the submission contains a symbolic link ({link}); links are not "
                          "accepted: hand in the files themselves"}
    api = grading.api(root, extra)
    before = _stamp(Path(root), section, student)
    settled = _settled_by_hand(Path(root), section, student)
    journal.reset()
    result, log, attempts = _retrying(
        lambda: api.autograde(section, student, force=force, create=True), retries)
    ok = bool(result.get("success")) and (Path(root) / "autograded" / student / section).is_dir()
    if ok and settled:
        _keep_settled(Path(root), section, student, settled)
    notes = _notes(Path(root), section, student, log) + journal.notes() if ok else []
    regraded = ok and _stamp(Path(root), section, student) != before
    return {"ok": ok, "log": log, "attempts": attempts, "notes": notes, "regraded": regraded,
            "details": journal.details() if ok else [], "timings": journal.timings()}


def _symlink_in(folder: Path) -> str | None:
    """The first symbolic link in a submission (the folder itself included), or None."""
    if folder.is_symlink():
        return folder.name
    for where, dirs, files in os.walk(folder):
        for name in dirs + files:
            if os.path.islink(os.path.join(where, name)):
                return os.path.relpath(os.path.join(where, name), folder)
    return None


def _answer_sources(root: Path, section: str, student: str) -> dict[tuple[str, str], str]:
    """``(notebook, grade_id) -> source`` of the graded cells in the student's autograded copy."""
    out = {}
    for path in (root / "autograded" / student / section).glob("*.ipynb"):
        for gid, cell in (_graded_cells(path) or {}).items():
            out[(path.stem, gid)] = _source(cell)
    return out


def _settled_by_hand(root: Path, section: str, student: str) -> dict[tuple[str, str], str]:
    """Cells an instructor has scored by hand and needs not see again, with their answers.

    nbgrader marks every hand-scored cell for review again when it regrades,
    in case the answer changed. Where the answer is the same, that review is
    noise: the summary would count work already done.
    """
    from nbgrader.api import MissingEntry

    sources = _answer_sources(root, section, student)
    if not sources:
        return {}
    settled = {}
    try:
        with grading._gradebook(root) as gb:
            submission = gb.find_submission(section, student)
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    key = (notebook.name, grade.name)
                    if grade.manual_score is not None and not grade.needs_manual_grade \
                            and key in sources:
                        settled[key] = sources[key]
    except MissingEntry:
        return {}
    return settled


def _keep_settled(root: Path, section: str, student: str,
                  settled: dict[tuple[str, str], str]) -> None:
    """After a regrade, clear the review flag of hand-scored cells whose answer is unchanged."""
    now = _answer_sources(root, section, student)
    with grading._gradebook(root) as gb:
        submission = gb.find_submission(section, student)
        for notebook in submission.notebooks:
            for grade in notebook.grades:
                key = (notebook.name, grade.name)
                if key in settled and now.get(key) == settled[key] \
                        and grade.manual_score is not None:
                    grade.needs_manual_grade = False
        gb.db.commit()


def _retrying(step: Callable[[], dict], retries: int) -> tuple[dict, str, int]:
    """Run an nbgrader API step, again while it fails on a locked gradebook.

    Returns nbgrader's result, its log (with the error) and how many attempts it took.
    """
    for attempt in range(1, retries + 1):
        result = step()
        log = (result.get("log") or "") + (result.get("error") or "")
        if result.get("success") or not any(t in log for t in _DB_TROUBLE):
            break
        time.sleep(0.2 + random.random() * attempt)
    return result, log, attempt


def _stamp(root: Path, section: str, student: str) -> tuple | None:
    """When the student's autograded copy was last written (None: there is none)."""
    folder = root / "autograded" / student / section
    try:
        return tuple(sorted((p.name, p.stat().st_mtime_ns) for p in folder.iterdir()))
    except OSError:
        return None


def _add_notes_to_feedback(root: Path, section: str, student: str, notes: list[str]) -> None:
    """Put the grader's notes at the top of each feedback page of the student."""
    items = "".join(f"<li>{html.escape(n)}</li>" for n in notes)
    box = (f'<div class="trilateral-grading-notes" role="note" style="border:2px solid #D55E00;'
           f'padding:0.5em 1em;margin:1em"><strong>Notes from the grader:</strong>'
           f"<ul>{items}</ul></div>")
    for page in (root / "feedback" / student / section).glob("*.html"):
        text = page.read_text(encoding="utf-8")
        if "trilateral-grading-notes" in text:
            continue
        at = text.find(">", text.find("<body")) + 1 if "<body" in text else 0
        page.write_text(text[:at] + box + text[at:], encoding="utf-8")


def _worker(root: str, section: str, force: bool, extra, jupyter_path: str,
            tasks, channel) -> None:
    os.environ["JUPYTER_PATH"] = jupyter_path + os.pathsep + os.environ.get("JUPYTER_PATH", "")
    os.environ.pop("TRILATERAL_ANSWERS_DIR", None)
    from .quiet import ENV, route_warnings

    route_warnings(os.environ.get(ENV))
    try:
        for student in iter(tasks.get, None):
            _send(channel, "start", student, None)
            try:
                payload = _grade_one(root, section, student, force, extra)
            except Exception as exc:  # the tool's own failure for this student, reported
                payload = {"ok": False, "log": f"{type(exc).__name__}: {exc}", "attempts": 1}
            _send(channel, "done", student, payload)
    finally:
        from .cleanroom import CleanRoom
        from .prefork import WarmServer

        WarmServer.close_all()
        CleanRoom.close_all()


def diagnose(root: str | Path, section: str, student: str, log: str = "") -> str:
    """A one-line, plain reason why nbgrader could not grade a submission."""
    root = Path(root)
    folder = root / "submitted" / student / section
    expected = grading.notebook_names(root, section)
    present = sorted(p.name for p in folder.glob("*.ipynb")) if folder.is_dir() else []
    for name in expected:
        path = folder / name
        if not path.exists():
            others = [p for p in present if p not in expected]
            if others:
                return (f"{name} is missing; the submission has {', '.join(others)} instead "
                        f"(renamed? the notebook must keep the name {name})")
            return f"{name} is missing from the submission"
        if path.stat().st_size == 0:
            return f"{name} is an empty file"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except UnicodeDecodeError:
            return f"{name} is not a text file"
        except json.JSONDecodeError as err:
            return f"{name} is not valid notebook JSON ({err.msg}, line {err.lineno})"
        if not isinstance(data, dict) or "cells" not in data:
            return f"{name} is JSON but not a notebook (no cells)"
    if "Timeout waiting for IOPub output" in log or "CellTimeoutError" in log:
        return ("a cell was still running after the time limit and did not stop when "
                "interrupted (for example a loop that catches KeyboardInterrupt)")
    if "DeadKernelError" in log or "Kernel died" in log or "kernel died" in log.lower():
        return ("the Python kernel stopped while running the notebook "
                "(for example os._exit() or a crash)")
    if "UnresponsiveKernelError" in log or "became unresponsive" in log:
        return "the kernel stopped responding and could not be interrupted"
    lines = [ln.strip() for ln in log.splitlines() if ln.strip()]
    errors = [ln for ln in lines if "Error" in ln or "error" in ln]
    return (errors or lines or ["nbgrader could not grade the submission"])[-1][:300]


def _graded_cells(path: Path) -> dict[str, dict] | None:
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
        return {c["metadata"]["nbgrader"]["grade_id"]: c for c in nb["cells"]
                if c.get("metadata", {}).get("nbgrader", {}).get("grade_id")}
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def _notes(root: Path, section: str, student: str, log: str) -> list[str]:
    """What the student changed that nbgrader silently repaired or skipped."""
    notes = []
    for name in grading.notebook_names(root, section):
        release = _graded_cells(root / "release" / section / name)
        mine = _graded_cells(root / "submitted" / student / section / name)
        if release is None or mine is None:
            continue
        deleted = sorted(set(release) - set(mine))
        edited = sorted(
            gid for gid, cell in release.items()
            if gid in mine and not cell["metadata"]["nbgrader"].get("solution")
            and cell["metadata"]["nbgrader"].get("locked", False)
            and _source(mine[gid]).strip() != _source(cell).strip()
        )
        if deleted:
            notes.append(f"{name}: deleted cells {', '.join(deleted)}; a deleted graded cell "
                         "scores 0 (start again from the released notebook to get them back)")
        if edited:
            notes.append(f"{name}: edited read-only cells {', '.join(edited)}; nbgrader "
                         "graded with the course's version instead")
    if "Skipping unknown notebook" in log:
        notes.append("extra notebooks in the submission were ignored")
    if "No submitted file" in log:
        notes.append("a notebook of the section is missing and scored 0")
    return notes


def write_failure_feedback(root: str | Path, section: str, student: str, reason: str) -> None:
    """An HTML feedback page, per notebook of the section, saying why it scored 0.

    The pages replace whatever feedback the student had for the section: pages
    from an earlier grading would contradict the 0.
    """
    root = Path(root)
    dest = root / "feedback" / student / section
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True, exist_ok=True)
    for name in grading.notebook_names(root, section):
        page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(name)}: not graded</title></head>
<body>
<h1>{html.escape(section)}: your submission could not be graded</h1>
<p><strong>What went wrong:</strong> {html.escape(reason)}.</p>
<p>Every automatically graded item of this assignment is recorded as 0 points.
Fix the problem and resubmit before the due date, or ask your instructor,
who can grade a corrected copy again.</p>
</body></html>
"""
        (dest / (Path(name).stem + ".html")).write_text(page, encoding="utf-8")


def _fail(root: Path, section: str, student: str, reason: str) -> None:
    shutil.rmtree(root / "autograded" / student / section, ignore_errors=True)
    for attempt in range(10):
        try:
            grading.record_failure(root, section, student)
            break
        except Exception as exc:  # database is locked while workers write
            if "locked" not in str(exc) or attempt == 9:
                raise
            time.sleep(0.3 * (attempt + 1))
    write_failure_feedback(root, section, student, reason)


class _Channel:
    """A worker's reports to the batch: JSON lines on its own pipe.

    Read without blocking and line by line, so a worker killed halfway through
    a report leaves only a partial line, which is dropped with the worker;
    it never blocks the batch or garbles another worker's reports.
    """

    def __init__(self, conn) -> None:
        self.conn = conn
        os.set_blocking(conn.fileno(), False)
        self.buffer = b""

    def messages(self) -> list[tuple]:
        out = []
        while True:
            try:
                chunk = os.read(self.conn.fileno(), 1 << 16)
            except BlockingIOError:
                break
            except OSError:
                break
            if not chunk:
                break
            self.buffer += chunk
        *lines, self.buffer = self.buffer.split(b"\n")
        for line in lines:
            try:
                kind, student, payload = json.loads(line)
                out.append((str(kind), str(student), payload))
            except (ValueError, TypeError):
                continue
        return out


def _send(conn, *message) -> None:
    data = (json.dumps(message) + "\n").encode("utf-8")
    fd = conn.fileno()
    while data:
        data = data[os.write(fd, data):]


@dataclass(frozen=True)
class Run:
    """How one batch is graded: isolation, limits and time."""

    isolation: sandbox.Isolation
    limits: sandbox.Limits
    cell_timeout: int
    deadline: float


def grade_section(
    root: str | Path,
    section: str,
    students: list[str],
    *,
    jobs: int = 1,
    force: bool = False,
    timeout: int | None = None,
    deadline: float | None = None,
    limits: sandbox.Limits | None = None,
    isolate: bool = True,
    progress: Callable[[Outcome], None] | None = None,
) -> list[Outcome]:
    """Autograde ``students``' submissions of ``section`` with ``jobs`` workers.

    ``timeout`` is the per-cell limit (default: the course's), ``deadline``
    the limit for one whole submission in seconds (default: 10 cell timeouts
    plus a minute). With ``isolate`` (the default) kernels run in the
    sandbox, and :class:`~trilateral.grading.sandbox.SandboxUnavailable` is
    raised before anything is graded if it cannot start here.
    """
    run = plan_run(root, timeout=timeout, deadline=deadline, limits=limits, isolate=isolate)
    return grade_planned(Path(root).resolve(), section, students, run, jobs=jobs, force=force,
                  timeout=timeout, progress=progress)


def plan_run(root: str | Path, *, timeout: int | None = None, deadline: float | None = None,
             limits: sandbox.Limits | None = None, isolate: bool = True) -> Run:
    """Check the sandbox (when ``isolate``) and work out the limits of a batch."""
    isolation = sandbox.probe() if isolate else sandbox.Isolation(False, "watchdog")
    config = grading.load_config(Path(root).resolve())
    cell_timeout = timeout or int(config.Execute.get("timeout", grading.CELL_TIMEOUT))
    return Run(isolation, limits or sandbox.Limits(), cell_timeout,
               deadline or 10 * cell_timeout + 60)


def grade_planned(root: Path, section: str, students: list[str], run: Run, *, jobs: int = 1,
                  force: bool = False, timeout: int | None = None,
                  progress: Callable[[Outcome], None] | None = None) -> list[Outcome]:
    """:func:`grade_section` with a :class:`Run` already planned by :func:`plan_run`."""
    deadline = run.deadline
    kernels = tempfile.mkdtemp(prefix="trilateral-kernels-")
    batch_id = os.path.basename(kernels).rsplit("-", 1)[-1]
    sandbox.install_kernelspec(kernels, run.limits, run.isolation.sandbox, batch=batch_id)
    extra = _extra_config(timeout, run.limits, run.isolation.sandbox, kernels)
    ctx = mp.get_context("spawn")
    todo = list(students)
    workers: dict[int, tuple] = {}  # pid -> (process, task queue, channel)
    running: dict[int, tuple[str, float]] = {}
    outcomes: dict[str, Outcome] = {}
    previous = {s: o for s, o in recorded_outcomes(root, section).items() if o.ok}
    # However a batch goes, it ends: every submission's deadline, one after
    # another on each worker, and a minute to spare.
    batch_end = time.monotonic() + deadline * (len(todo) // max(1, jobs) + 1) + 60

    def start_worker() -> None:
        tasks = ctx.Queue()
        reader, writer = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=_worker, daemon=True,
                           args=(str(root), section, force, extra, kernels, tasks, writer))
        proc.start()
        writer.close()
        workers[proc.pid] = (proc, tasks, _Channel(reader))
        feed(proc.pid)

    def feed(pid: int) -> None:
        workers[pid][1].put(todo.pop(0) if todo else None)

    def finish(student: str, outcome: Outcome) -> None:
        outcomes[student] = outcome
        if progress:
            progress(outcome)

    def stop(pid: int, student: str, reason: str, seconds: float) -> None:
        proc, _, channel = workers.pop(pid)
        proc.kill()
        proc.join(5)
        channel.conn.close()
        running.pop(pid, None)
        _fail(root, section, student, reason)
        finish(student, Outcome(student, False, reason, [], seconds))

    def done(pid: int, student: str, payload: dict) -> None:
        _, started = running.pop(pid, (student, time.monotonic()))
        seconds = time.monotonic() - started
        ok = bool(payload.get("ok")) and (root / "autograded" / student / section).is_dir()
        log = str(payload.get("log", ""))
        if ok:
            notes, details = list(payload.get("notes", [])), list(payload.get("details", []))
            if payload.get("regraded"):  # earlier pages no longer match the scores
                shutil.rmtree(root / "feedback" / student / section, ignore_errors=True)
            elif student in previous:  # graded before and left alone: its record stands
                notes, details = previous[student].notes, previous[student].details
            finish(student, Outcome(student, True, "", notes, seconds,
                                    int(payload.get("attempts", 1)), details,
                                    dict(payload.get("timings", {}))))
        else:
            reason = str(payload.get("reason") or diagnose(root, section, student, log))
            _fail(root, section, student, reason)
            finish(student, Outcome(student, False, reason, [], seconds,
                                    int(payload.get("attempts", 1))))

    try:
        for _ in range(max(1, min(jobs, len(todo)))):
            start_worker()
        while len(outcomes) < len(students):
            time.sleep(0.05)
            for pid in list(workers):
                for kind, student, payload in workers[pid][2].messages():
                    if kind == "start" and student in students and student not in outcomes:
                        running[pid] = (student, time.monotonic())
                    elif kind == "done" and running.get(pid, ("",))[0] == student:
                        done(pid, student, payload if isinstance(payload, dict) else {})
                        feed(pid)
            now = time.monotonic()
            for pid, (proc, _, _) in list(workers.items()):
                task = running.get(pid)
                if task is None:
                    if not proc.is_alive():
                        workers.pop(pid)[2].conn.close()
                    continue
                if now - task[1] > deadline:
                    stop(pid, task[0], f"grading stopped after {deadline:.0f} seconds "
                         "(the notebook ran too long)", now - task[1])
                elif not proc.is_alive():
                    stop(pid, task[0], "the grading process crashed on this submission",
                         now - task[1])
                else:
                    continue
                if todo:
                    start_worker()
            if now > batch_end:
                for pid in list(workers):
                    task = running.get(pid)
                    if task is not None:
                        stop(pid, task[0], "grading ran out of time for the whole class",
                             now - task[1])
                for student in todo:
                    _fail(root, section, student, "grading ran out of time for the whole class")
                    finish(student, Outcome(student, False,
                                            "grading ran out of time for the whole class"))
                todo.clear()
            if not workers and todo:
                start_worker()
    finally:
        for proc, tasks, _ in workers.values():
            if proc.is_alive():
                tasks.put(None)
        for proc, _, channel in workers.values():
            proc.join(10)
            if proc.is_alive():
                proc.kill()
                proc.join(5)
            channel.conn.close()
        sandbox.remove_tree(kernels)
        sandbox.cleanup_batch(batch_id)
        _record(root, section, list(outcomes.values()), run.isolation)
    return [outcomes[s] for s in students]


def _records_path(root: Path, section: str) -> Path:
    return root / "reports" / f"{section}-grading.json"


def _record(root: Path, section: str, outcomes: list[Outcome],
            isolation: sandbox.Isolation | None = None) -> None:
    """Merge ``outcomes`` into the section's grading record (a re-run of a few
    students keeps everyone else's entry)."""
    if not outcomes:
        return
    path = _records_path(root, section)
    records = {o.student: o for o in recorded_outcomes(root, section).values()}
    records.update({o.student: o for o in outcomes})
    data = {"section": section,
            "isolation": isolation.describe() if isolation else "",
            "students": {s: {"ok": o.ok, "reason": o.reason, "notes": o.notes,
                             "failed_tests": o.details, "seconds": o.timings}
                         for s, o in sorted(records.items())}}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    tmp.replace(path)


def recorded_outcomes(root: str | Path, section: str) -> dict[str, Outcome]:
    """What the last grading runs of ``section`` recorded, by student id.

    Empty when the section was never graded through :func:`grade_section`
    (graded with nbgrader's own apps, say). A damaged record is treated as
    missing: feedback is still written, only without the grader's notes.
    """
    path = _records_path(Path(root), section)
    try:
        students = json.loads(path.read_text(encoding="utf-8"))["students"]
        return {s: Outcome(s, bool(r["ok"]), str(r.get("reason", "")), list(r.get("notes", [])),
                           details=list(r.get("failed_tests", [])))
                for s, r in students.items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def _feedback_one(root: str, section: str, student: str, notes: list[str],
                  retries: int = 6) -> dict:
    """nbgrader's feedback pages for one graded student, with the grader's notes."""
    api = grading.api(root)
    result, log, _ = _retrying(lambda: api.generate_feedback(section, student, force=True),
                               retries)
    ok = bool(result.get("success"))
    if ok and notes:
        _add_notes_to_feedback(Path(root), section, student, notes)
    return {"ok": ok, "log": log}


def _autograded(root: Path, section: str) -> list[str]:
    return sorted(p.parent.name for p in (root / "autograded").glob(f"*/{section}") if p.is_dir())


def _with_pages(graded: set[str], records: dict[str, Outcome]) -> list[str]:
    return sorted(graded | {s for s, o in records.items() if not o.ok})


def feedback_students(root: str | Path, section: str) -> list[str]:
    """Students who get a feedback page: graded ones, and those who scored 0
    because their submission could not be graded."""
    root = Path(root).resolve()
    return _with_pages(set(_autograded(root, section)), recorded_outcomes(root, section))


# FeedbackResult.reason for a student with nothing graded to write feedback about.
NOT_GRADED_YET = "not graded yet"


@dataclass
class FeedbackResult:
    """Feedback written (or not) for one student."""

    student: str
    ok: bool
    reason: str = ""


def write_feedback(
    root: str | Path,
    section: str,
    students: list[str] | None = None,
    *,
    jobs: int = 1,
    progress: Callable[[FeedbackResult], None] | None = None,
) -> list[FeedbackResult]:
    """Write ``feedback/<student>/<section>/*.html`` for graded submissions.

    Run it after manual grading, so the pages carry the written tasks' scores
    and comments. Students graded successfully get nbgrader's feedback (with
    the grader's notes on top); students whose submission could not be graded
    get a page saying why it scored 0. Students not graded yet are skipped.
    ``jobs`` pages are rendered at a time, in separate processes.
    """
    root = Path(root).resolve()
    if jobs < 1:
        raise ValueError(f"jobs must be at least 1, not {jobs}")
    records = recorded_outcomes(root, section)
    graded = set(_autograded(root, section))
    if students is None:
        students = _with_pages(graded, records)
    results: dict[str, FeedbackResult] = {}

    def done(result: FeedbackResult) -> None:
        results[result.student] = result
        if progress:
            progress(result)

    todo = []
    for student in students:
        record = records.get(student)
        if student in graded:
            todo.append((student, record.notes if record else []))
        elif record is not None and not record.ok:
            write_failure_feedback(root, section, student, record.reason)
            done(FeedbackResult(student, True))
        else:
            done(FeedbackResult(student, False, NOT_GRADED_YET))

    def finish(student: str, payload: dict) -> None:
        if payload["ok"]:
            done(FeedbackResult(student, True))
        else:
            lines = [ln for ln in payload["log"].splitlines() if ln.strip()]
            done(FeedbackResult(student, False, lines[-1].strip() if lines
                                else "nbgrader could not write the feedback"))

    if jobs == 1 or len(todo) < 2:
        for student, notes in todo:
            try:
                finish(student, _feedback_one(str(root), section, student, notes))
            except Exception as exc:  # reported for this student; the others go on
                finish(student, {"ok": False, "log": f"{type(exc).__name__}: {exc}"})
    else:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(min(jobs, len(todo)), mp_context=mp.get_context("spawn")) as pool:
            futures = {pool.submit(_feedback_one, str(root), section, s, n): s for s, n in todo}
            for future, student in futures.items():
                try:
                    finish(student, future.result())
                except Exception as exc:  # a dead worker breaks the pool: each student
                    # it leaves without a page is reported, and the pages written stay
                    finish(student, {"ok": False, "log": f"{type(exc).__name__}: {exc}"})
    return [results[s] for s in students]
