"""A class on a real JupyterHub: an instructor and five students, each a unix user.

The hub runs on loopback with ``hub/jupyterhub_config.py`` (PAM logins,
each server spawned as its user, the formgrader as a hub-managed service),
the environment ``make hub-env`` builds and configurable-http-proxy from npm.
Chromium, driven by Playwright, is every person: the students log in, pull the
self-study copy with nbgitpuller, fetch the section in the Assignments tab,
answer the code exercises, the graded quiz and the written task, and submit
(one late; one stops their server and starts it again first). The instructor
releases, collects, grades and returns with the ``trilateral`` command (run
as the instructor's unix user, sandboxed), and grades the written task by
hand in the formgrader. Each student fetches their own feedback. What each
student may not read is then tried through the OS, as that student.

Screenshots go to ``reports/hub/``. It needs root (it creates the accounts)
and skips without it, except under ``CI=true``.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import re
import shutil
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell

from browser_support import browser, need
from support_course import NOTEBOOK, SECTION, _meta, demo_notebook, make_course

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "hub"))
from local_class import LocalClass, run_as  # noqa: E402

pytestmark = pytest.mark.slow

VENV = Path(os.environ.get("TRILATERAL_HUB_VENV", "/opt/trilateral-hub/venv"))
CHP = REPO / "build/chp/node_modules/.bin/configurable-http-proxy"
SHOTS = REPO / "reports" / "hub"
INSTRUCTOR = "trl-teacher"
STUDENTS = ["trl-akiko", "trl-bora", "trl-chen", "trl-dmitri", "trl-emma"]
LATE = "trl-emma"
RESTARTS = "trl-akiko"

QUIZ_ID = "hub-quiz-1"
QUIZ_RIGHT = "Seoul"
QUIZ_BANK = f"""\
section: {SECTION}
title: Demo section
questions:
  - id: {QUIZ_ID}
    kind: multiple_choice
    graded: true
    prompt: Which city is the capital of South Korea?
    explanation: The government sits in Seoul; Sejong holds many ministries.
    options:
      - text: Busan
      - text: {QUIZ_RIGHT}
      - text: Incheon
"""
GOOD_1 = "def double(x):\n    return 2 * x"
GOOD_2 = "total = sum(range(10))"
WRITTEN = "Both governments need the other for deterrence, so each gives ground."
HAND_SCORE = 1.5
# Cells of the released notebook, by position.
CELL = {"setup": 1, "ex1": 3, "ex2": 6, "bank": 9, "quiz": 10, "written": 13}
# Student -> (answers, quiz choice, automatic score). Points: ex1 2, ex2 3, quiz 1, written 2.
WORK: dict[str, tuple[dict[str, str], str | None, float]] = {
    "trl-akiko": ({"ex1": GOOD_1, "ex2": GOOD_2, "written": WRITTEN}, QUIZ_RIGHT, 6.0),
    "trl-bora": ({"ex1": GOOD_1}, "Busan", 2.0),
    "trl-chen": ({"ex1": "def double(x):\n    return x + x + 0", "ex2": "total = 44"},
                 QUIZ_RIGHT, 3.0),
    "trl-dmitri": ({}, None, 0.0),
    "trl-emma": ({"ex1": GOOD_1, "ex2": GOOD_2}, QUIZ_RIGHT, 6.0),
}
MAX_SCORE = 8.0


def hub_notebook() -> nbformat.NotebookNode:
    """The test course's notebook plus a graded quiz answered with the course's widget."""
    nb = demo_notebook()
    quiz = [
        new_code_cell('from trilateral.questions import load_bank\n\n'
                      'bank = load_bank("questions.yaml")',
                      metadata=_meta("hub-bank", grade=False, solution=False, locked=True)),
        new_code_cell(f"bank.widget({QUIZ_ID!r})",
                      metadata=_meta("hub-quiz-widget", grade=False, solution=False,
                                     locked=True)),
        new_code_cell(f"from trilateral import answers\n\nanswers.require({QUIZ_ID!r})\n"
                      f"### BEGIN HIDDEN TESTS\nanswers.check({QUIZ_ID!r}, {QUIZ_RIGHT!r})\n"
                      "### END HIDDEN TESTS",
                      metadata=_meta("hub-quiz-tests", grade=True, solution=False, locked=True,
                                     points=1.0)),
        new_markdown_cell("### Graded question (1 point)"),
    ]
    # After exercise 2's tests (cell 7) and before the written task.
    nb.cells[8:8] = [quiz[3], quiz[0], quiz[1], quiz[2]]
    return nb


def write_course(root: Path) -> None:
    make_course(root)
    folder = root / "notebooks" / SECTION
    nbformat.write(hub_notebook(), folder / NOTEBOOK)
    (folder / "questions.yaml").write_text(QUIZ_BANK, encoding="utf-8")


def check_cells() -> None:
    """The positions in CELL are those of the notebook (so the browser edits the right cells)."""
    cells = hub_notebook().cells
    ids = {k: cells[i].metadata.get("nbgrader", {}).get("grade_id") for k, i in CELL.items()}
    assert ids == {"setup": "demo-setup", "ex1": "demo-ex1-solution", "ex2": "demo-ex2-solution",
                   "bank": "hub-bank", "quiz": "hub-quiz-widget",
                   "written": "demo-written-1"}, ids


# The browser side -------------------------------------------------------------------


OPEN: list[Person] = []


class Person:
    """One person's browser context, logged in to the hub."""

    def __init__(self, chromium, klass: LocalClass, user: str) -> None:
        OPEN.append(self)
        self.klass = klass
        self.user = user
        self.context = chromium.new_context(viewport={"width": 1280, "height": 900})
        self.context.set_default_timeout(60_000)
        self.page = self.context.new_page()
        self.shots = 0

    def shot(self, name: str) -> None:
        self.shots += 1
        self.page.screenshot(path=str(SHOTS / f"{self.user}-{self.shots:02d}-{name}.png"))

    def login(self) -> None:
        page = self.page
        page.goto(f"{self.klass.url}/hub/login")
        page.fill("#username_input", self.user)
        page.fill("#password_input", self.klass.passwords[self.user])
        page.click("#login_submit")
        page.wait_for_url(f"**/user/{self.user}/lab**", timeout=90_000)
        page.wait_for_selector(".jp-LabShell")

    def lab(self, path: str = "") -> str:
        return f"{self.klass.url}/user/{self.user}/lab{path}"

    def assignments(self) -> None:
        """Open the Assignments tab from nbgrader's menu."""
        page = self.page
        page.goto(self.lab("?reset"))
        page.wait_for_selector(".jp-LabShell")
        page.locator(".lm-MenuBar-itemLabel", has_text="Nbgrader").click()
        items = page.locator(".lm-Menu-itemLabel")
        items.filter(has_text="Assignment List").wait_for()
        shown = items.evaluate_all(  # the items drawn (a hidden item has no offsetParent)
            "els => els.filter(e => e.offsetParent !== null)"
            ".map(e => e.textContent.trim()).filter(t => t)")
        # A student's menu offers the assignments only (hub/student-config/ turns off
        # nbgrader's instructor interface for the students' servers).
        assert shown == ["Assignment List"], f"{self.user} sees the menu items {shown}"
        items.filter(has_text="Assignment List").click()
        page.wait_for_selector("#assignments")

    def fetch(self) -> None:
        self.assignments()
        page = self.page
        page.locator("#released_assignments_list .list_item", has_text=SECTION) \
            .get_by_role("button", name="Fetch").click()
        page.locator("#fetched_assignments_list .list_item", has_text=SECTION).first \
            .wait_for()
        self.shot("fetched")

    def open_notebook(self) -> None:
        page = self.page
        page.goto(self.lab(f"/tree/{SECTION}/{NOTEBOOK}?reset"))
        page.wait_for_selector('.jp-Notebook-ExecutionIndicator[data-status="idle"]',
                               timeout=90_000)

    def cell(self, key: str):
        return self.page.locator(".jp-Notebook .jp-Cell").nth(CELL[key])

    def write(self, key: str, text: str) -> None:
        cell = self.cell(key)
        if key == "written":
            cell.dblclick()  # a markdown cell opens its editor on double click
        cell.locator(".cm-content").click()
        self.page.keyboard.press("Control+a")
        self.page.keyboard.insert_text(text)
        self.page.keyboard.press("Escape")

    def run(self, key: str) -> None:
        self.cell(key).locator(".cm-content").click()
        self.page.keyboard.press("Control+Enter")
        self.page.wait_for_selector('.jp-Notebook-ExecutionIndicator[data-status="idle"]')

    def answer_quiz(self, choice: str) -> None:
        for key in ("setup", "bank", "quiz"):
            self.run(key)
        widget = self.cell("quiz").locator(".trilateral-graded")
        widget.get_by_label(choice, exact=True).check()
        widget.get_by_role("button", name="Submit answer").click()
        widget.get_by_text("Saved (").wait_for()

    def save(self, texts: list[str]) -> None:
        """Save with Ctrl+S and wait until the file on disk has every text."""
        self.page.keyboard.press("Control+s")
        path = self.klass.home(self.user) / SECTION / NOTEBOOK
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            saved = path.read_text(encoding="utf-8") if path.exists() else ""
            if all(text.split("\n")[-1] in saved for text in texts):
                return
            time.sleep(0.3)
        raise AssertionError(f"{self.user}'s notebook was not saved with their answers")

    def submit(self) -> None:
        self.assignments()
        page = self.page
        page.locator("#fetched_assignments_list .list_item", has_text=SECTION).first \
            .get_by_role("button", name="Submit").click()
        page.locator("#submitted_assignments_list .list_item", has_text=SECTION).first \
            .wait_for()
        self.shot("submitted")

    def restart_server(self) -> None:
        """Stop the server from the hub's home page, then start it again."""
        page = self.page
        page.goto(f"{self.klass.url}/hub/home")
        page.click("#stop")
        # The button goes once the hub has stopped the server (several seconds).
        page.locator("#stop").wait_for(state="hidden", timeout=60_000)
        self.shot("stopped")
        page.goto(f"{self.klass.url}/hub/home")  # the next day: the hub's home page
        page.click("#start")
        launch = page.get_by_role("button", name="Launch Server")
        deadline = time.monotonic() + 90
        while "/lab" not in page.url:
            # "Start My Server" leads to the "Server not running" page while the
            # hub still finishes the stop; its Launch Server button starts it.
            if launch.is_visible():
                launch.click()
            assert time.monotonic() < deadline, f"{self.user}'s server did not start again"
            page.wait_for_timeout(500)
        page.wait_for_selector(".jp-LabShell", timeout=90_000)

    def fetch_feedback(self) -> None:
        self.assignments()
        page = self.page
        item = page.locator("#submitted_assignments_list .list_item", has_text=SECTION).first
        item.get_by_role("button", name="Fetch Feedback").click()
        page.locator("#submitted_assignments_list", has_text="view feedback").wait_for()
        self.shot("feedback-fetched")

    def close(self) -> None:
        self.context.close()


# The instructor's commands ----------------------------------------------------------


def trilateral(klass: LocalClass, *args: str) -> str:
    done = run_as(INSTRUCTOR, f"{klass.venv}/bin/trilateral", "--course-root", str(klass.course),
                  *args, cwd=klass.course, env={
                      "PATH": f"{klass.venv}/bin:/usr/bin:/bin",
                      "JUPYTER_CONFIG_PATH": str(klass.base / "hub/etc/jupyter")})
    return done.stdout


def cannot(user: str, *cmd: str) -> None:
    done = run_as(user, *cmd, check=False)
    assert done.returncode != 0, f"{user} could run {' '.join(cmd)}:\n{done.stdout[:500]}"
    assert "Permission denied" in done.stderr, done.stderr


def can(user: str, *cmd: str) -> str:
    return run_as(user, *cmd).stdout


# The test ---------------------------------------------------------------------------


def test_a_class_on_a_real_hub(tmp_path: Path) -> None:
    need(hasattr(os, "geteuid") and os.geteuid() == 0,
         "the hub test creates unix accounts: it needs root")
    need((VENV / "bin" / "jupyterhub").exists(),
         f"the shared hub environment is missing ({VENV}): run make hub-env")
    need(CHP.exists(), "configurable-http-proxy is missing: run make hub-env")
    need(shutil.which("runuser") is not None and shutil.which("useradd") is not None,
         "runuser and useradd are needed")
    check_cells()
    shutil.rmtree(SHOTS, ignore_errors=True)
    SHOTS.mkdir(parents=True)

    klass = LocalClass(VENV, CHP, INSTRUCTOR, list(STUDENTS))
    try:
        klass.create_accounts()
        klass.write_course(write_course)
        pull = self_study_repo(klass, tmp_path)
        klass.start()
        with browser(tmp_path / "chromium") as chromium:
            try:
                run_the_class(klass, chromium, pull)
            except BaseException:
                for person in OPEN:  # what each person saw when it failed
                    with contextlib.suppress(Exception):  # a closed page shows nothing
                        person.shot("FAILED")
                raise
        check_permissions(klass)
    except BaseException:
        if klass.log.exists():  # kept beside the screenshots
            shutil.copy(klass.log, SHOTS / "jupyterhub.log")
        raise
    finally:
        klass.close()
    for user in [INSTRUCTOR, *STUDENTS]:
        assert subprocess.run(["id", user], capture_output=True).returncode != 0, user


def self_study_repo(klass: LocalClass, tmp_path: Path) -> str:
    """``trilateral student-tree`` published for nbgitpuller; returns the link."""
    tree = tmp_path / "student-tree"
    subprocess.run([sys.executable, "-m", "trilateral.grading.cli", "student-tree", str(tree)],
                   check=True, capture_output=True, cwd=REPO)
    return klass.publish_self_study(tree)


def run_the_class(klass: LocalClass, chromium, pull: str) -> None:
    teacher = Person(chromium, klass, INSTRUCTOR)
    teacher.login()
    teacher.shot("lab")
    assert "released to the exchange" in trilateral(klass, "release", SECTION)

    people = {user: Person(chromium, klass, user) for user in STUDENTS}
    for user in STUDENTS:
        student = people[user]
        student.login()
        student.page.goto(klass.url + pull)
        student.page.wait_for_url("**/lab/tree/selfstudy/student**", timeout=90_000)
        student.page.get_by_text("00_start_here").first.wait_for()
        student.shot("nbgitpuller")
        copy = klass.home(user) / "selfstudy/student/00_start_here/start_here.ipynb"
        assert copy.stat().st_uid == _uid(user), "the self-study copy is the student's own"

        student.fetch()
        student.open_notebook()
        answers, choice, _ = WORK[user]
        if user == RESTARTS:
            # Day one: the first exercise, saved; the server stops; day two: still there.
            student.write("ex1", answers["ex1"])
            student.save([answers["ex1"]])
            student.restart_server()
            student.open_notebook()
            assert "return 2 * x" in student.cell("ex1").inner_text()
            student.shot("after-restart")
        for key, text in answers.items():
            student.write(key, text)
        if choice:
            student.answer_quiz(choice)
        student.save(list(answers.values()))
        student.shot("answered")
        if user == LATE:
            # The due date passes after the others' submissions; this one comes later.
            time.sleep(1.1)
            due = datetime.now(timezone.utc).replace(microsecond=0, tzinfo=None)
            trilateral(klass, "due", SECTION, f"{due:%Y-%m-%d %H:%M:%S} UTC")
            time.sleep(1.1)
        student.submit()

    collected = trilateral(klass, "collect", SECTION)
    assert f"{SECTION}: 5 submissions" in collected, collected
    graded = trilateral(klass, "grade", SECTION, "--jobs", "2", "-q")
    assert f"{SECTION}: 5 submissions, out of {MAX_SCORE:g} points" in graded, graded
    assert "could not be graded" not in graded, graded
    assert "waiting for manual grading: 1 (trl-akiko)" in graded, graded

    grade_by_hand(klass, teacher)
    returned = trilateral(klass, "return", SECTION)
    assert "feedback released to 5 students" in returned, returned
    trilateral(klass, "export", "--csv", "grades.csv")
    check_scores(klass)

    for user in STUDENTS:
        people[user].fetch_feedback()
        pages = sorted((klass.home(user) / SECTION / "feedback").glob("*/*.html"))
        assert [p.name for p in pages] == ["demo.html"], user
        text = can(user, "cat", str(pages[0]))
        raw = WORK[user][2] + (HAND_SCORE if user == RESTARTS else 0.0)
        # The page shows the score after the late penalty (all of it: 'zero').
        score = 0.0 if user == LATE else raw
        shown = re.search(r"Score: ([0-9.]+) / ([0-9.]+)", text)
        assert shown and (float(shown[1]), float(shown[2])) == (score, MAX_SCORE), \
            (user, shown and shown[0])
        people[user].page.goto(people[user].lab(f"/tree/{SECTION}/feedback"))
        people[user].shot("feedback")
    for person in [teacher, *people.values()]:
        person.close()


def grade_by_hand(klass: LocalClass, teacher: Person) -> None:
    """The instructor gives akiko's written answer 1.5 points in the formgrader."""
    from nbgrader.api import Gradebook

    db = f"sqlite:///{klass.course / 'gradebook.db'}"
    with Gradebook(db, course_id="trilateral") as gb:
        notebook_id = gb.find_submission_notebook("demo", SECTION, RESTARTS).id
    page = teacher.page
    base = f"{klass.url}/services/formgrader-trilateral/formgrader"
    page.goto(f"{base}/gradebook/{SECTION}/demo")
    page.wait_for_selector("table")
    teacher.shot("formgrader-list")
    page.goto(f"{base}/submissions/{notebook_id}/?index=0")
    score = page.locator("input.score[id='demo-written-1']")
    score.wait_for()
    # The page binds its fields to the gradebook after loading (an autograded
    # cell's score becomes its placeholder); a score typed before is not saved.
    page.wait_for_function(
        "() => !!document.querySelector(\"input.score[id='demo-ex1-tests']\")"
        ".getAttribute('placeholder')")
    score.click()
    score.fill(str(HAND_SCORE))
    score.press("Tab")  # the formgrader saves a score when the field loses focus
    deadline = time.monotonic() + 30
    while True:
        with Gradebook(db, course_id="trilateral") as gb:
            grade = gb.find_grade("demo-written-1", "demo", SECTION, RESTARTS)
            saved = (grade.manual_score, grade.needs_manual_grade)
        if saved == (HAND_SCORE, False):
            break
        assert time.monotonic() < deadline, f"the formgrader did not save the hand score: {saved}"
        time.sleep(0.5)
    score.scroll_into_view_if_needed()
    teacher.shot("formgrader-graded")


def check_scores(klass: LocalClass) -> None:
    rows = list(csv.DictReader(io.StringIO((klass.course / "grades.csv").read_text())))
    got = {r["student_id"]: (float(r["raw_score"]), float(r["late_submission_penalty"]),
                             float(r["score"]), float(r["max_score"])) for r in rows}
    expected = {}
    for user, (_, _, auto) in WORK.items():
        raw = auto + (HAND_SCORE if user == RESTARTS else 0.0)
        penalty = raw if user == LATE else 0.0
        expected[user] = (raw, penalty, raw - penalty, MAX_SCORE)
    assert got == expected


def check_permissions(klass: LocalClass) -> None:
    """What a student may not read, tried as that student's own unix user."""
    exchange = klass.exchange / "trilateral"
    other, me = "trl-bora", "trl-akiko"
    my_feedback = next((klass.home(me) / SECTION / "feedback").glob("*/demo.html"))
    # The positive controls: the owner and the instructor can.
    assert can(me, "cat", str(my_feedback))
    assert can(INSTRUCTOR, "ls", str(klass.course / "submitted"))
    # Another student's fetched copy, submission and feedback, in their home.
    cannot(other, "cat", str(klass.home(me) / SECTION / NOTEBOOK))
    cannot(other, "cat", str(my_feedback))
    cannot(other, "ls", str(klass.home(me)))
    # The exchange's inbound (submissions) and feedback folders cannot be listed.
    cannot(other, "ls", str(exchange / "inbound"))
    cannot(other, "ls", str(exchange / "feedback"))
    # The instructor's course: source notebooks with the keys, the gradebook, collected work.
    cannot(other, "ls", str(klass.course))
    cannot(other, "cat", str(klass.course / "notebooks" / SECTION / NOTEBOOK))
    cannot(other, "cat", str(klass.course / "gradebook.db"))
    cannot(other, "ls", str(klass.course / "submitted" / me))


def _uid(user: str) -> int:
    import pwd

    return pwd.getpwnam(user).pw_uid


def test_the_guide_quotes_the_hub_config_in_full() -> None:
    """The instructor guide shows the configuration the hub test runs, word for word."""
    guide = (REPO / "docs" / "instructor-guide.md").read_text(encoding="utf-8")
    config = (REPO / "hub" / "jupyterhub_config.py").read_text(encoding="utf-8")
    assert f"```python\n{config}```" in guide
