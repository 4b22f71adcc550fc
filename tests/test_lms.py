"""The LMS round trip: a platform's bulk download in, its gradebook CSV out.

Each download is built the way the platform lays it out (Canvas's flat
``name_userid_submissionid_file`` names with ``LATE`` and ``-1`` resubmission
suffixes, Moodle's folder per student, Blackboard's attempt names and
receipts), with each student's ``answers.json`` saved as the widget saves it.
The whole-term tests release the demo course (with a graded quiz), collect,
grade in the sandbox with the real ``trilateral grade``, grade one written
answer by hand through nbgrader's gradebook API, grade again with ``--force``
and export; the scores and both platforms' CSVs are asserted exactly. The
other tests plant each kind of bad download and check its one-line error and
that nothing collected before is lost.
"""

from __future__ import annotations

import csv
import json
import shutil
import zipfile
from pathlib import Path

import pytest

from trilateral.grading import cli

from support_course import (
    NOTEBOOK,
    QUIZ_RIGHT,
    SECTION,
    answers_file,
    isolated_env,
    make_course,
    released,
    released_quiz_course,
    run_cli,
    with_answers,
)

GOOD_1 = "def double(x):\n    return 2 * x"
GOOD_2 = "total = sum(range(10))"
WRITTEN = "Because each ally needs the other two for deterrence."

# student -> (cells, quiz answer, automatic score out of 2 + 3 + 1 automatic points)
WORK = {
    "akiko": ({"demo-ex1-solution": GOOD_1, "demo-ex2-solution": GOOD_2,
               "demo-written-1": WRITTEN}, QUIZ_RIGHT, 6.0),
    "bora": ({"demo-ex1-solution": GOOD_1}, "Tokyo", 2.0),
    "chen": ({"demo-ex1-solution": GOOD_1, "demo-ex2-solution": GOOD_2}, QUIZ_RIGHT, 6.0),
}
HAND_SCORE = 1.5  # akiko's written answer, out of 2
# The platform's identity of each student, as a roster gives it.
ROSTER = [
    # student_id, Canvas user id, Moodle participant id, login, name, section
    ("akiko", "1001", "5501", "akiko.n", "Nakamura, Akiko", "Seminar A"),
    ("bora", "1002", "5502", "bora.k", "Kim, Bora", "Seminar A"),
    ("chen", "1003", "5503", "chen.w", "Wang, Chen", "Seminar B"),
]


def _notebook(root: Path, sid: str) -> bytes:
    return json.dumps(with_answers(released(root), WORK[sid][0])).encode()


def _roster(path: Path, platform: str) -> Path:
    column = 1 if platform == "canvas" else 2
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["student_id", "lms_id", "login_id", "name", "email", "section"])
        for row in ROSTER:
            writer.writerow([row[0], row[column], row[3], row[4], f"{row[3]}@example.edu",
                             row[5]])
    return path


def _zip(path: Path, entries: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return path


def canvas_download(root: Path, path: Path) -> Path:
    """Canvas's "Download Submissions": flat, name_userid_submissionid_file; chen sent
    both files again (Canvas adds -1) and late (Canvas adds LATE)."""
    entries = {}
    for n, (sid, uid, *_rest) in enumerate(ROSTER):
        name = sid + "student"
        late = "LATE_" if sid == "chen" else ""
        again = "-1" if sid == "chen" else ""
        entries[f"{name}_{late}{uid}_{70000 + n}_demo{again}.ipynb"] = _notebook(root, sid)
        entries[f"{name}_{late}{uid}_{80000 + n}_answers{again}.json"] = answers_file(WORK[sid][1])
    return _zip(path, entries)


def moodle_download(root: Path, path: Path) -> Path:
    """Moodle's "Download all submissions" in folders: one folder per student,
    ``Full Name_participantid_assignsubmission_file_/``; bora also typed online text."""
    entries = {}
    for sid, _uid, pid, _login, name, _section in ROSTER:
        first_last = " ".join(reversed(name.split(", ")))
        folder = f"{first_last}_{pid}_assignsubmission_file_"
        entries[f"{folder}/{NOTEBOOK}"] = _notebook(root, sid)
        entries[f"{folder}/answers.json"] = answers_file(WORK[sid][1])
        if sid == "bora":
            online = f"{first_last}_{pid}_assignsubmission_onlinetext_onlinetext.html"
            entries[online] = b"<p>See my notebook.</p>"
    return _zip(path, entries)


def _cli(root: Path, home: Path, *args: str):
    done = run_cli("--course-root", str(root), *args, env=isolated_env(home))
    assert done.returncode == 0, done.stderr[-3000:]
    return done


@pytest.mark.slow
@pytest.mark.parametrize("platform", ["canvas", "moodle"])
def test_a_term_through_the_platform(platform: str, tmp_path: Path) -> None:
    from nbgrader.api import Gradebook

    from trilateral import grading

    home = tmp_path / "home"
    root = make_course(tmp_path / "course", quiz=True)
    # A section registered in the gradebook but never handed out gets no column.
    shutil.copytree(root / "notebooks" / SECTION, root / "notebooks" / "02_other")
    grading.generate_assignment(root, "02_other")
    shutil.rmtree(root / "release" / "02_other")
    _cli(root, home, "release", SECTION)

    roster = _roster(tmp_path / "roster.csv", platform)
    build = canvas_download if platform == "canvas" else moodle_download
    download = build(root, tmp_path / f"{platform}.zip")
    collected = _cli(root, home, "collect", SECTION, "--zip", str(download), "--lms", platform,
                     "--roster", str(roster))
    lines = collected.stdout.strip().splitlines()
    ignored = "; ignored: onlinetext.html" if platform == "moodle" else ""
    late = " (marked late by the platform)" if platform == "canvas" else ""
    assert lines == [
        f"{SECTION}: 3 submissions collected from the {platform} download into submitted/",
        f"  akiko: answers.json, {NOTEBOOK}",
        f"  bora: answers.json, {NOTEBOOK}{ignored}",
        f"  chen: answers.json, {NOTEBOOK}{late}",
    ]
    for sid in WORK:
        folder = root / "submitted" / sid / SECTION
        assert sorted(p.name for p in folder.iterdir()) == ["answers.json", NOTEBOOK,
                                                            "timestamp.txt"]
        saved = json.loads((folder / "answers.json").read_text(encoding="utf-8"))
        assert saved["demo-quiz-1"]["answer"] == WORK[sid][1]

    graded = _cli(root, home, "grade", SECTION, "-q")
    assert f"{SECTION}: 3 submissions, out of 8 points" in graded.stdout
    assert "could not be graded" not in graded.stdout
    assert "waiting for manual grading: 1 (akiko)" in graded.stdout
    autos = {s: sc.score for s, sc in grading.scores(root, SECTION).items()}
    assert autos == {sid: work[2] for sid, work in WORK.items()}

    # The instructor grades akiko's written answer, as the formgrader's save does.
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", course_id="trilateral") as gb:
        grade = gb.find_grade("demo-written-1", "demo", SECTION, "akiko")
        grade.manual_score = HAND_SCORE
        grade.needs_manual_grade = False
        gb.db.commit()
    regraded = _cli(root, home, "grade", SECTION, "-q", "--force")
    assert f"{SECTION}: 3 submissions, out of 8 points" in regraded.stdout
    assert "waiting for manual grading" not in regraded.stdout, regraded.stdout

    _cli(root, home, "export", "--format", "canvas", "--roster", str(roster))
    _cli(root, home, "export", "--format", "moodle", "--roster", str(roster))
    _cli(root, home, "export")
    column = 1 if platform == "canvas" else 2
    assert (root / "canvas-grades.csv").read_text(encoding="utf-8") == (
        f"Student,ID,SIS User ID,SIS Login ID,Section,{SECTION}\n"
        f'"Nakamura, Akiko",{ROSTER[0][column]},,akiko.n,Seminar A,7.5\n'
        f'"Kim, Bora",{ROSTER[1][column]},,bora.k,Seminar A,2\n'
        f'"Wang, Chen",{ROSTER[2][column]},,chen.w,Seminar B,6\n'
    )
    assert (root / "moodle-grades.csv").read_text(encoding="utf-8") == (
        f"Username,Email address,{SECTION}\n"
        "akiko.n,akiko.n@example.edu,7.5\n"
        "bora.k,bora.k@example.edu,2\n"
        "chen.w,chen.w@example.edu,6\n"
    )
    with (root / "grades.csv").open(encoding="utf-8") as fh:
        rows = sorted((r["assignment"], r["student_id"], r["score"]) for r in csv.DictReader(fh))
    assert rows == [(SECTION, "akiko", "7.5"), (SECTION, "bora", "2.0"),
                    (SECTION, "chen", "6.0")]


@pytest.mark.slow
def test_blackboard_download_collects_the_last_attempt(tmp_path: Path) -> None:
    """Blackboard's Assignment File Download: every file and a .txt receipt per attempt;
    the latest attempt is collected and its date becomes nbgrader's timestamp."""
    home = tmp_path / "home"
    root = make_course(tmp_path / "course", quiz=True)
    _cli(root, home, "release", SECTION)
    entries = {}
    for sid, stamp in [("akiko", "2026-03-01-10-00-00"), ("bora", "2026-03-01-09-00-00"),
                       ("bora", "2026-03-02-18-30-05")]:
        base = f"Week 1 demo_{sid}_attempt_{stamp}"
        entries[f"{base}.txt"] = b"Name: ...\nSubmission Field: There is no student submission"
        entries[f"{base}_{NOTEBOOK}"] = _notebook(root, sid)
        quiz = QUIZ_RIGHT if stamp.startswith("2026-03-02") or sid == "akiko" else "Tokyo"
        entries[f"{base}_answers.json"] = answers_file(quiz)
    download = _zip(tmp_path / "gradebook_demo.zip", entries)
    done = _cli(root, home, "collect", SECTION, "--zip", str(download), "--lms", "blackboard")
    assert done.stdout.strip().splitlines() == [
        f"{SECTION}: 2 submissions collected from the blackboard download into submitted/",
        f"  akiko: answers.json, {NOTEBOOK}",
        f"  bora: answers.json, {NOTEBOOK}; ignored: 1 earlier attempt(s)",
    ]
    bora = root / "submitted" / "bora" / SECTION
    assert (bora / "timestamp.txt").read_text() == "2026-03-02 18:30:05"
    saved = json.loads((bora / "answers.json").read_text(encoding="utf-8"))
    assert saved["demo-quiz-1"]["answer"] == QUIZ_RIGHT
    assert sorted(p.name for p in bora.iterdir()) == ["answers.json", NOTEBOOK, "timestamp.txt"]


# Bad downloads ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def released_course(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo course with its graded quiz, released once for the bad-download tests."""
    return released_quiz_course(tmp_path_factory.mktemp("lms"))


@pytest.fixture
def course(released_course: Path, tmp_path: Path) -> Path:
    root = tmp_path / "course"
    shutil.copytree(released_course, root)
    return root


def _collect(capsys, root: Path, download: Path, *extra: str) -> tuple[int, str, list[str]]:
    code = cli.main(["--course-root", str(root), "collect", SECTION, "--zip", str(download),
                     *extra])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err.strip().splitlines()


def test_not_a_zip(course: Path, tmp_path: Path, capsys) -> None:
    bad = tmp_path / "submissions.zip"
    bad.write_text("<html>Session expired</html>", encoding="utf-8")
    code, _out, err = _collect(capsys, course, bad, "--lms", "canvas")
    assert code == 2
    assert err == ["trilateral: error: submissions.zip is not a zip file; download the "
                   "submissions again from Canvas"]
    assert not (course / "submitted").exists()


def test_a_name_of_no_known_layout_stops_everything(course: Path, tmp_path: Path,
                                                   capsys) -> None:
    download = _zip(tmp_path / "submissions.zip", {
        "akikostudent_1001_7000_demo.ipynb": _notebook(course, "akiko"),
        "akikostudent_1001_7001_answers.json": answers_file(QUIZ_RIGHT),
        "bora_demo.ipynb": _notebook(course, "bora"),
    })
    code, _out, err = _collect(capsys, course, download, "--lms", "canvas")
    assert code == 2
    assert err == ["trilateral: error: bora_demo.ipynb: not named the way Canvas names the "
                   "files of a download (is this a Canvas zip? see --lms)"]
    assert not (course / "submitted").exists()


def test_a_notebook_without_its_answers_is_not_collected(course: Path, tmp_path: Path,
                                                         capsys) -> None:
    download = _zip(tmp_path / "submissions.zip", {
        "akikostudent_1001_7000_demo.ipynb": _notebook(course, "akiko"),
        "akikostudent_1001_7001_answers.json": answers_file(QUIZ_RIGHT),
        "borastudent_1002_7002_demo.ipynb": _notebook(course, "bora"),
    })
    code, out, err = _collect(capsys, course, download, "--lms", "canvas")
    assert code == 1
    assert err == ["trilateral: error: 1002: demo.ipynb arrived without answers.json (the "
                   "section has a graded quiz, so its answers would score 0); not collected"]
    assert out.splitlines()[1:] == ["  1001: answers.json, demo.ipynb"]
    assert (course / "submitted" / "1001" / SECTION / "answers.json").is_file()
    assert not (course / "submitted" / "1002").exists()


def test_two_notebooks_for_one_student(course: Path, tmp_path: Path, capsys) -> None:
    download = _zip(tmp_path / "submissions.zip", {
        "akikostudent_1001_7000_demo.ipynb": _notebook(course, "akiko"),
        "akikostudent_1001_7003_demo-1.ipynb": _notebook(course, "bora"),
        "akikostudent_1001_7001_answers.json": answers_file(QUIZ_RIGHT),
    })
    code, _out, err = _collect(capsys, course, download, "--lms", "canvas")
    assert code == 1
    assert err == ["trilateral: error: 1001: two files for demo.ipynb "
                   "(akikostudent_1001_7000_demo.ipynb and akikostudent_1001_7003_demo-1.ipynb); "
                   "not collected"]
    assert not (course / "submitted" / "1001").exists()


def test_missing_notebook(course: Path, tmp_path: Path, capsys) -> None:
    download = _zip(tmp_path / "submissions.zip", {
        "Akiko Nakamura_5501_assignsubmission_file_/answers.json": answers_file(QUIZ_RIGHT),
        "Akiko Nakamura_5501_assignsubmission_file_/Demo (1).ipynb": _notebook(course, "akiko"),
    })
    code, _out, err = _collect(capsys, course, download, "--lms", "moodle")
    assert code == 1
    assert err == ["trilateral: error: 5501: demo.ipynb did not arrive (it sent "
                   "Demo (1).ipynb); not collected"]
    assert not (course / "submitted").exists() or not any((course / "submitted").iterdir())


def test_a_student_not_in_the_roster(course: Path, tmp_path: Path, capsys) -> None:
    roster = _roster(tmp_path / "roster.csv", "canvas")
    download = _zip(tmp_path / "submissions.zip", {
        "akikostudent_1001_7000_demo.ipynb": _notebook(course, "akiko"),
        "akikostudent_1001_7001_answers.json": answers_file(QUIZ_RIGHT),
        "strangerstudent_1999_7002_demo.ipynb": _notebook(course, "bora"),
        "strangerstudent_1999_7003_answers.json": answers_file(QUIZ_RIGHT),
    })
    code, out, err = _collect(capsys, course, download, "--lms", "canvas", "--roster",
                              str(roster))
    assert code == 1
    assert err == ["trilateral: error: strangerstudent (Canvas user 1999) is not in the "
                   "roster; its files were not collected"]
    assert out.splitlines()[1:] == ["  akiko: answers.json, demo.ipynb"]


def test_collected_work_is_kept_unless_forced(course: Path, tmp_path: Path, capsys) -> None:
    first = _zip(tmp_path / "first.zip", {
        "akikostudent_1001_7000_demo.ipynb": _notebook(course, "akiko"),
        "akikostudent_1001_7001_answers.json": answers_file(QUIZ_RIGHT),
    })
    assert _collect(capsys, course, first, "--lms", "canvas")[0] == 0
    kept = course / "submitted" / "1001" / SECTION / NOTEBOOK
    before = kept.read_bytes()
    second = _zip(tmp_path / "second.zip", {
        "akikostudent_1001_7100_demo.ipynb": _notebook(course, "bora"),
        "akikostudent_1001_7101_answers.json": answers_file("Tokyo"),
        "borastudent_1002_7102_demo.ipynb": _notebook(course, "bora"),
        "borastudent_1002_7103_answers.json": answers_file("Tokyo"),
    })
    code, out, err = _collect(capsys, course, second, "--lms", "canvas")
    assert code == 1
    assert err == ["trilateral: error: 1001: already collected in submitted/1001/01_demo/; "
                   "kept as it is (use --force to replace it)"]
    assert out.splitlines()[1:] == ["  1002: answers.json, demo.ipynb"]
    assert kept.read_bytes() == before
    # The first download is kept, and not collected again by the second run.
    assert len(list((course / "downloaded" / SECTION).glob("*/archive/download.zip"))) == 2
    code, out, err = _collect(capsys, course, second, "--lms", "canvas", "--force")
    assert (code, err) == (0, [])
    assert kept.read_bytes() == _notebook(course, "bora")


def test_the_file_name_pattern_refuses_a_section_with_a_quiz(course: Path, tmp_path: Path,
                                                            capsys) -> None:
    download = _zip(tmp_path / "plain.zip", {"akiko_demo.ipynb": _notebook(course, "akiko")})
    code, _out, err = _collect(capsys, course, download)
    assert code == 2
    assert err == ["trilateral: error: 01_demo has a graded quiz, whose answers.json a "
                   "file-name pattern would drop: use --lms canvas|moodle|blackboard"]


def test_a_bad_roster(course: Path, tmp_path: Path, capsys) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text("name,email\nAkiko,a@example.edu\n", encoding="utf-8")
    download = _zip(tmp_path / "s.zip", {"x_1_2_demo.ipynb": b"{}"})
    code, _out, err = _collect(capsys, course, download, "--lms", "canvas", "--roster",
                               str(roster))
    assert code == 2
    assert err == [f"trilateral: error: the roster {roster} has no student_id column "
                   "(it has: name, email)"]


def test_export_needs_a_known_format(capsys) -> None:
    with pytest.raises(SystemExit):
        cli.main(["export", "--format", "blackboard"])
    assert "invalid choice" in capsys.readouterr().err


def test_roster_csv_reads_a_byte_order_mark(tmp_path: Path) -> None:
    from trilateral.grading import lms

    path = tmp_path / "r.csv"
    path.write_bytes("\ufeffstudent_id,lms_id\nakiko,1001\n".encode())
    assert lms.read_roster(path).find(lms_id="1001") == "akiko"


def test_canvas_names_late_marks_and_resubmissions(tmp_path: Path) -> None:
    """Canvas's names, read without nbgrader: user id, LATE, the -1 of a file sent again,
    and a file the release does not have (ignored, not an error)."""
    from trilateral.grading import lms

    release = tmp_path / "release"
    release.mkdir()
    (release / NOTEBOOK).write_text("{}", encoding="utf-8")
    download = _zip(tmp_path / "submissions.zip", {
        "nakamuraakiko_1001_7000_demo.ipynb": b"{}",
        "nakamuraakiko_1001_7001_answers.json": b"{}",
        "kimbora_LATE_1002_7002_demo-2.ipynb": b"{}",
        "kimbora_LATE_1002_7003_answers-1.json": b"{}",
        "kimbora_LATE_1002_7004_notes.txt": b"",
    })
    plan = lms.plan_download(download, "canvas", release, quiz=True)
    assert lms.describe(plan.arrivals) == [
        "1001: answers.json, demo.ipynb",
        "1002: answers.json, demo.ipynb (marked late by the platform); ignored: notes.txt",
    ]
    assert all(not a.problems for a in plan.arrivals.values())
    assert plan.entries(["1002"])["kimbora_LATE_1002_7002_demo-2.ipynb"]["file_id"] == NOTEBOOK


def test_moodle_flat_names_and_other_plugins(tmp_path: Path) -> None:
    """Moodle's download without folders: the file name follows the plugin's prefix."""
    from trilateral.grading import lms

    release = tmp_path / "release"
    release.mkdir()
    (release / NOTEBOOK).write_text("{}", encoding="utf-8")
    download = _zip(tmp_path / "moodle.zip", {
        "Bora Kim_5502_assignsubmission_file_demo.ipynb": b"{}",
        "Bora Kim_5502_assignsubmission_file_answers.json": b"{}",
        "Bora Kim_5502_assignsubmission_onlinetext_onlinetext.html": b"",
        "Chen Wang_5503_assignsubmission_file_demo.ipynb": b"{}",
    })
    plan = lms.plan_download(download, "moodle", release, quiz=True)
    assert lms.describe(plan.arrivals) == [
        "5502: answers.json, demo.ipynb; ignored: onlinetext.html",
        "5503: demo.ipynb",
    ]
    assert plan.arrivals["5503"].problems == [
        "5503: demo.ipynb arrived without answers.json (the section has a graded quiz, so its "
        "answers would score 0); not collected"]
    assert lms.plan_download(download, "moodle", release, quiz=False).arrivals["5503"].problems \
        == []


def test_platform_csvs_leave_a_section_not_handed_in_empty(tmp_path: Path,
                                                           monkeypatch) -> None:
    """Two sections, one submission: a score in one column, an empty cell in the other,
    and without a roster the student id stands in for the platform's id."""
    import os
    import sys

    from nbgrader.api import Gradebook

    # nbgrader runs the alembic program to create a gradebook: this environment's.
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    from trilateral.grading import lms

    with Gradebook(f"sqlite:///{tmp_path / 'gradebook.db'}", course_id="trilateral") as gb:
        gb.add_assignment("01_demo")
        gb.add_assignment("02_other")
        gb.add_student("akiko")
        gb.add_submission("01_demo", "akiko")
    lms.write_gradebook_csv(tmp_path, tmp_path / "c.csv", "canvas", ["01_demo", "02_other"])
    lms.write_gradebook_csv(tmp_path, tmp_path / "m.csv", "moodle", ["01_demo"])
    assert (tmp_path / "c.csv").read_text(encoding="utf-8") == (
        "Student,ID,SIS User ID,SIS Login ID,Section,01_demo,02_other\n,akiko,,,,0,\n")
    assert (tmp_path / "m.csv").read_text(encoding="utf-8") == (
        "Username,Email address,01_demo\nakiko,,0\n")


def test_a_path_out_of_the_download_stops_everything(course: Path, tmp_path: Path,
                                                     capsys) -> None:
    entry = "Bora Kim_5502_assignsubmission_file_/../../../notebooks/01_demo/demo.ipynb"
    download = _zip(tmp_path / "moodle.zip", {
        "Akiko Nakamura_5501_assignsubmission_file_/demo.ipynb": _notebook(course, "akiko"),
        "Akiko Nakamura_5501_assignsubmission_file_/answers.json": answers_file(QUIZ_RIGHT),
        entry: b"{}",
    })
    source = (course / "notebooks" / SECTION / NOTEBOOK).read_bytes()
    code, _out, err = _collect(capsys, course, download, "--lms", "moodle")
    assert code == 2
    assert err == [f"trilateral: error: {entry}: a path that leads out of the download; "
                   "nothing was collected"]
    assert not (course / "submitted").exists()
    assert (course / "notebooks" / SECTION / NOTEBOOK).read_bytes() == source
