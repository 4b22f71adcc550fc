"""A whole term on one machine: an instructor and six students share an exchange.

The instructor uses the ``trilateral`` command line (as a subprocess, the way
an instructor would); each student has a HOME of their own and uses
nbgrader's exchange (fetch, submit, fetch feedback) as nbgrader's own apps
do. One student submits after the due date. The exported CSV is asserted
exactly, every column, computed from what the students handed in.
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from nbgrader.utils import parse_utc

from support_course import (
    MAX_SCORE,
    NOTEBOOK,
    SECTION,
    isolated_env,
    make_course,
    run_cli,
    with_answers,
)

pytestmark = pytest.mark.slow

GOOD_1 = "def double(x):\n    return 2 * x"
GOOD_2 = "total = sum(range(10))"
WRITTEN = "Because both governments need the other for deterrence."

# Student id -> (answers by grade_id, expected automatic score)
WORK = {
    "akiko": ({"demo-ex1-solution": GOOD_1, "demo-ex2-solution": GOOD_2,
               "demo-written-1": WRITTEN}, 5.0),
    "bora": ({"demo-ex1-solution": GOOD_1}, 2.0),
    "chen": ({"demo-ex1-solution": "def double(x):\n    return x + x + 0",
              "demo-ex2-solution": "total = 44"}, 2.0),
    "dmitri": ({}, 0.0),
    "emma": ({"demo-ex1-solution": "raise ValueError('stuck')",
              "demo-ex2-solution": GOOD_2}, 3.0),
}
LATE = ("farid", {"demo-ex1-solution": GOOD_1, "demo-ex2-solution": GOOD_2}, 5.0)




class Student:
    """One learner: a HOME of their own, nbgrader's exchange apps."""

    def __init__(self, sid: str, base: Path, exchange: Path, monkeypatch) -> None:
        self.sid = sid
        self.home = base / sid
        self.home.mkdir(parents=True)
        self.exchange = exchange
        self.monkeypatch = monkeypatch

    def _run(self, app_class) -> None:
        from nbgrader.auth import Authenticator
        from nbgrader.coursedir import CourseDirectory
        from traitlets.config import Config

        for key, value in isolated_env(self.home).items():
            if key.startswith(("HOME", "JUPYTER", "IPYTHON")):
                self.monkeypatch.setenv(key, value)
        self.monkeypatch.chdir(self.home)
        c = Config()
        c.Exchange.root = str(self.exchange)
        c.CourseDirectory.root = str(self.home)
        c.CourseDirectory.course_id = "trilateral"
        c.CourseDirectory.assignment_id = SECTION
        c.CourseDirectory.student_id = self.sid
        app = app_class(coursedir=CourseDirectory(config=c),
                        authenticator=Authenticator(config=c), config=c)
        app.start()

    def fetch(self) -> None:
        from nbgrader.exchange.default import ExchangeFetchAssignment

        self._run(ExchangeFetchAssignment)
        assert (self.home / SECTION / NOTEBOOK).is_file()

    def work(self, answers: dict[str, str]) -> None:
        path = self.home / SECTION / NOTEBOOK
        nb = with_answers(json.loads(path.read_text(encoding="utf-8")), answers)
        path.write_text(json.dumps(nb), encoding="utf-8")

    def submit(self) -> None:
        from nbgrader.exchange.default import ExchangeSubmit

        self._run(ExchangeSubmit)

    def fetch_feedback(self) -> list[Path]:
        from nbgrader.exchange.default import ExchangeFetchFeedback

        self._run(ExchangeFetchFeedback)
        return sorted((self.home / SECTION / "feedback").glob("*/*.html"))


def _cli(root: Path, home: Path, *args: str):
    done = run_cli("--course-root", str(root), *args, env=isolated_env(home))
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def test_a_term_with_six_students(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    exchange = tmp_path / "exchange"
    exchange.mkdir()
    instructor = tmp_path / "instructor"
    instructor.mkdir()
    root = make_course(tmp_path / "course", extra_config="\n".join([
        f"c.Exchange.root = {str(exchange)!r}",
        "c.CollectApp.check_owner = False",
        "c.LateSubmissionPlugin.penalty_method = 'zero'",
    ]))

    _cli(root, instructor, "release", SECTION)
    students = {sid: Student(sid, tmp_path / "homes", exchange, monkeypatch)
                for sid in [*WORK, LATE[0]]}
    for sid, (answers, _) in WORK.items():
        students[sid].fetch()
        students[sid].work(answers)
        students[sid].submit()
    late = students[LATE[0]]
    late.fetch()
    late.work(LATE[1])

    # The deadline passes (a whole second after the last on-time submission),
    # then the last student submits.
    time.sleep(1.1)
    due = datetime.now(timezone.utc).replace(microsecond=0, tzinfo=None)
    _cli(root, instructor, "due", SECTION, f"{due:%Y-%m-%d %H:%M:%S} UTC")
    time.sleep(1.1)
    late.submit()

    collected = _cli(root, instructor, "collect", SECTION)
    assert f"{SECTION}: 6 submissions" in collected.stdout

    graded = _cli(root, instructor, "grade", SECTION, "--jobs", "2", "-q")
    assert f"{SECTION}: 6 submissions, out of {MAX_SCORE:g} points" in graded.stdout
    assert "could not be graded" not in graded.stdout
    assert "waiting for manual grading: 1 (akiko)" in graded.stdout

    # The instructor grades akiko's written answer (as the formgrader would).
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", course_id="trilateral") as gb:
        grade = gb.find_grade("demo-written-1", "demo", SECTION, "akiko")
        grade.manual_score = 1.5
        grade.needs_manual_grade = False  # as the formgrader's save does
        gb.db.commit()
    # Grading again keeps the hand score, and does not ask for it a second time.
    regraded = _cli(root, instructor, "grade", SECTION, "--jobs", "2", "-q", "--force")
    assert "waiting for manual grading" not in regraded.stdout, regraded.stdout
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", course_id="trilateral") as gb:
        grade = gb.find_grade("demo-written-1", "demo", SECTION, "akiko")
        assert (grade.manual_score, grade.needs_manual_grade) == (1.5, False)
    _cli(root, instructor, "export", "--csv", "term.csv")

    returned = _cli(root, instructor, "return", SECTION)
    assert "feedback released to 6 students" in returned.stdout
    for sid, student in students.items():
        pages = student.fetch_feedback()
        assert [p.name for p in pages] == ["demo.html"], sid
        page = pages[0].read_text(encoding="utf-8")
        assert "Score:" in page, sid
        assert ("stuck" in page) == (sid == "emma"), sid  # each gets their own feedback
        if sid == "akiko":  # written after manual grading, so it carries the score given by hand
            assert "Written response</a> (Score: 1.5 / 2.0)" in page

    # The exact CSV, every column computed from the submissions themselves.
    header = ("assignment,duedate,timestamp,student_id,last_name,first_name,email,"
              "raw_score,late_submission_penalty,score,max_score")
    expected = [header]
    autos = {sid: score for sid, (_, score) in WORK.items()} | {LATE[0]: LATE[2]}
    for sid in sorted(autos):
        stamp_text = (root / "submitted" / sid / SECTION / "timestamp.txt").read_text()
        stamp = parse_utc(stamp_text).replace(tzinfo=None)
        is_late = stamp > due
        assert is_late == (sid == LATE[0]), (sid, stamp, due)
        raw = autos[sid] + (1.5 if sid == "akiko" else 0.0)
        penalty = raw if is_late else 0.0
        expected.append(f"{SECTION},{due},{stamp},{sid},,,,"
                        f"{raw},{penalty},{raw - penalty},{MAX_SCORE}")
    lines = (root / "term.csv").read_text(encoding="utf-8").splitlines()
    # Rows come in the gradebook's order (the order grading finished): compare them sorted.
    assert lines[0] == expected[0]
    assert sorted(lines[1:]) == sorted(expected[1:])
    assert due - timedelta(seconds=60) < datetime.now(timezone.utc).replace(tzinfo=None)
