"""A hostile student against ``trilateral collect --lms``.

A student chooses the names and the contents of what they upload to Canvas,
Moodle or Blackboard; the platform puts its own prefix before the name and
zips the class. Each test here is one such upload: a file name that reads as
another student's in the platform's naming scheme, a link, a decompression
bomb, damaged data, a notebook or answers file that is not JSON, a duplicate,
a file meant to replace ``timestamp.txt``, names that differ only in case or
by a look-alike letter, an id of ``..``. The promise checked: only that
student is left out, with one line naming them and the file; everyone else
is collected exactly, and nothing collected before is lost.

Most tests read the download with :func:`lms.plan_download` alone (no
nbgrader); three run the real ``trilateral collect`` (one of them grades).
"""

from __future__ import annotations

import json
import shutil
import stat
import unicodedata
import warnings
import zipfile
from pathlib import Path

import pytest

from trilateral.grading import cli, lms

from support_course import (
    NOTEBOOK,
    QUIZ_RIGHT,
    SECTION,
    answers_file,
    isolated_env,
    released,
    released_quiz_course,
    run_cli,
    sandbox_works,
    solved,
)

ANSWERS = "answers.json"


def _zip(path: Path, entries: list[tuple[str | zipfile.ZipInfo, bytes]]) -> Path:
    """A zip of ``entries`` in order (a name may come twice, as in a damaged download)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "Duplicate name"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, data in entries:
                zf.writestr(name, data)
    return path


def _link(name: str, target: str) -> zipfile.ZipInfo:
    """A zip entry that unpacks as a symbolic link (as ``zip --symlinks`` stores one)."""
    info = zipfile.ZipInfo(name, date_time=(2026, 3, 1, 10, 0, 0))
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


@pytest.fixture
def release(tmp_path: Path) -> Path:
    folder = tmp_path / "release"
    folder.mkdir()
    (folder / NOTEBOOK).write_text('{"cells": []}', encoding="utf-8")
    return folder


NB = b'{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}'
GOOD_ANSWERS = b'{"demo-quiz-1": {"answer": "Seoul", "saved": "x", "fingerprint": "y"}}'


def _plan(download: Path, platform: str, release: Path) -> lms.Plan:
    return lms.plan_download(download, platform, release, quiz=True)


def _problems(plan: lms.Plan) -> list[str]:
    return [p for _k, a in sorted(plan.arrivals.items()) for p in a.problems]


# Names that claim another student ------------------------------------------------


def test_a_moodle_file_name_cannot_claim_another_participant(tmp_path: Path,
                                                            release: Path) -> None:
    """Akiko uploads ``x_5502_assignsubmission_file_demo.ipynb``: Moodle's flat download
    names it ``Akiko Nakamura_5501_assignsubmission_file_x_5502_assignsubmission_file_
    demo.ipynb``. It stays Akiko's (ignored); Bora's own notebook stays Bora's."""
    akiko = "Akiko Nakamura_5501_assignsubmission_file_"
    bora = "Bora Kim_5502_assignsubmission_file_"
    download = _zip(tmp_path / "moodle.zip", [
        (f"{akiko}{NOTEBOOK}", NB), (f"{akiko}{ANSWERS}", GOOD_ANSWERS),
        (f"{akiko}x_5502_assignsubmission_file_{NOTEBOOK}", b'{"cells": ["forged"]}'),
        (f"{bora}{NOTEBOOK}", NB), (f"{bora}{ANSWERS}", GOOD_ANSWERS),
    ])
    plan = _plan(download, "moodle", release)
    assert _problems(plan) == []
    assert plan.arrivals["5502"].files == {NOTEBOOK: f"{bora}{NOTEBOOK}",
                                           ANSWERS: f"{bora}{ANSWERS}"}
    assert plan.arrivals["5501"].ignored == [f"x_5502_assignsubmission_file_{NOTEBOOK}"]
    # Without Bora's own files, the forged name gives Bora nothing.
    alone = _zip(tmp_path / "alone.zip", [
        (f"{akiko}{NOTEBOOK}", NB), (f"{akiko}{ANSWERS}", GOOD_ANSWERS),
        (f"{akiko}x_5502_assignsubmission_file_{NOTEBOOK}", NB),
    ])
    assert sorted(_plan(alone, "moodle", release).arrivals) == ["5501"]


def test_a_blackboard_file_name_cannot_claim_another_attempt(tmp_path: Path,
                                                            release: Path) -> None:
    """Akiko uploads ``x_bora_attempt_<a later date>_demo.ipynb``; it does not become
    Bora's latest attempt."""
    akiko = "Week 1 demo_akiko_attempt_2026-03-01-10-00-00"
    bora = "Week 1 demo_bora_attempt_2026-03-02-09-00-00"
    forged = f"x_bora_attempt_2026-03-09-23-59-59_{NOTEBOOK}"
    download = _zip(tmp_path / "bb.zip", [
        (f"{akiko}.txt", b"receipt"), (f"{akiko}_{NOTEBOOK}", NB),
        (f"{akiko}_{ANSWERS}", GOOD_ANSWERS), (f"{akiko}_{forged}", NB),
        (f"{bora}.txt", b"receipt"), (f"{bora}_{NOTEBOOK}", NB),
        (f"{bora}_{ANSWERS}", GOOD_ANSWERS),
    ])
    plan = _plan(download, "blackboard", release)
    assert _problems(plan) == []
    assert plan.arrivals["bora"].files[NOTEBOOK] == f"{bora}_{NOTEBOOK}"
    assert plan.arrivals["bora"].timestamp == "2026-03-02 09:00:00"
    assert plan.arrivals["akiko"].ignored == [forged]


def test_a_canvas_file_name_cannot_claim_another_user(tmp_path: Path, release: Path) -> None:
    """Canvas's display name comes last: ``_LATE_1002_7777_demo.ipynb`` in it is Akiko's."""
    download = _zip(tmp_path / "canvas.zip", [
        (f"nakamuraakiko_1001_7000_{NOTEBOOK}", NB),
        (f"nakamuraakiko_1001_7001_{ANSWERS}", GOOD_ANSWERS),
        (f"nakamuraakiko_1001_7002_x_LATE_1002_7777_{NOTEBOOK}", NB),
    ])
    plan = _plan(download, "canvas", release)
    assert sorted(plan.arrivals) == ["1001"]
    assert plan.arrivals["1001"].ignored == [f"x_LATE_1002_7777_{NOTEBOOK}"]
    assert not plan.arrivals["1001"].late


def test_a_moodle_name_set_to_another_students(tmp_path: Path, release: Path) -> None:
    """A roster that matches Moodle's full names (participant ids change per assignment):
    Akiko renames herself "Bora Kim" in her profile. Neither folder becomes Bora's
    submission unnoticed; the clash is named."""
    roster = tmp_path / "roster.csv"
    roster.write_text("student_id,name\nakiko,Akiko Nakamura\nbora,Bora Kim\n",
                      encoding="utf-8")
    entries = []
    for pid in (5501, 5502):  # 5501 is Akiko, renamed
        folder = f"Bora Kim_{pid}_assignsubmission_file_"
        entries += [(f"{folder}/{NOTEBOOK}", NB), (f"{folder}/{ANSWERS}", GOOD_ANSWERS)]
    download = _zip(tmp_path / "moodle.zip", entries)
    plan = lms.plan_download(download, "moodle", release, quiz=True,
                             roster=lms.read_roster(roster))
    assert _problems(plan) == ["bora: Moodle ids 5501 and 5502 both match this student in "
                               "the roster; neither was collected"]


def test_a_path_out_of_the_download(tmp_path: Path, release: Path) -> None:
    """An absolute name or a Windows-style one cannot come from the platform: the download
    is refused as a whole, before anything is written."""
    for bad in ("/Bora Kim_5502_assignsubmission_file_/demo.ipynb",
                "Bora Kim_5502_assignsubmission_file_/..\\..\\demo.ipynb"):
        download = _zip(tmp_path / "moodle.zip", [
            (f"Akiko Nakamura_5501_assignsubmission_file_/{NOTEBOOK}", NB), (bad, NB)])
        with pytest.raises(lms.DownloadError) as err:
            _plan(download, "moodle", release)
        assert str(err.value) == (f"{bad}: a path that leads out of the download; nothing "
                                  "was collected")


def test_an_id_of_dot_dot_is_not_a_folder(tmp_path: Path, release: Path) -> None:
    """A Blackboard username ``..`` never names a folder of submitted/; a roster whose
    student_id holds a slash is refused before anything is read."""
    base = "Week 1 demo_.._attempt_2026-03-01-10-00-00"
    download = _zip(tmp_path / "bb.zip", [(f"{base}_{NOTEBOOK}", NB),
                                          (f"{base}_{ANSWERS}", GOOD_ANSWERS)])
    plan = _plan(download, "blackboard", release)
    assert [k for k in plan.arrivals if not k.startswith("?")] == []
    assert _problems(plan) == [".. (Blackboard username) is not a usable student id; give a "
                               "roster (--roster); its files were not collected"]
    roster = tmp_path / "roster.csv"
    roster.write_text("student_id,lms_id\n../akiko,1001\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"line 2: student_id '../akiko' is not a usable id"):
        lms.read_roster(roster)


# Contents that are not what they claim -------------------------------------------


def _damaged(path: Path, entries: list[tuple[str, bytes]], spoil: bytes) -> Path:
    """A zip (stored, not deflated) in which the bytes ``spoil`` are flipped: a CRC error."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        for name, data in entries:
            zf.writestr(name, data)
    raw = bytearray(path.read_bytes())
    at = raw.find(spoil)
    raw[at:at + len(spoil)] = bytes(b ^ 0xFF for b in spoil)
    path.write_bytes(bytes(raw))
    return path


BOMB = 60 * 1024 * 1024  # more than lms.MAX_FILE_BYTES, some kilobytes when deflated

HOSTILE = {
    # case: (what Bora's entry for the file is, its bytes, Bora's error after "1002: ")
    "notebook not JSON": (NOTEBOOK, b"print('hello')",
                          "borakim_1002_7000_demo.ipynb is not a notebook (not JSON: line 1: "
                          "Expecting value)"),
    "notebook a JSON list": (NOTEBOOK, b"[1, 2]",
                             "borakim_1002_7000_demo.ipynb is not a notebook (a JSON list, "
                             "not an object)"),
    "answers not JSON": (ANSWERS, b"Seoul",
                         "borakim_1002_7001_answers.json is not an answers.json file (not "
                         "JSON: line 1: Expecting value)"),
    "answers not UTF-8": (ANSWERS, '{"demo-quiz-1": "Séoul"}'.encode("latin-1"),
                          "borakim_1002_7001_answers.json is not an answers.json file (it is "
                          "not UTF-8 text)"),
    "answers nested too deep": (ANSWERS, b"[" * 100_000 + b"]" * 100_000,
                                "borakim_1002_7001_answers.json is not an answers.json file "
                                "(JSON nested too deeply)"),
    "answers a bomb": (ANSWERS, b" " * (2 * 1024 * 1024) + b"{}",
                       "borakim_1002_7001_answers.json unpacks to 2 MB, more than the 1 MB a "
                       "submitted answers.json may hold"),
    "notebook a bomb": (NOTEBOOK, b'{"cells": [], "pad": "' + b"0" * BOMB + b'"}',
                        "borakim_1002_7000_demo.ipynb unpacks to 60 MB, more than the 50 MB a "
                        "submitted demo.ipynb may hold"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_a_file_that_is_not_what_it_claims(case: str, tmp_path: Path, release: Path) -> None:
    name, data, message = HOSTILE[case]
    bora = {NOTEBOOK: NB, ANSWERS: GOOD_ANSWERS, name: data}
    download = _zip(tmp_path / "canvas.zip", [
        (f"nakamuraakiko_1001_7100_{NOTEBOOK}", NB),
        (f"nakamuraakiko_1001_7101_{ANSWERS}", GOOD_ANSWERS),
        (f"borakim_1002_7000_{NOTEBOOK}", bora[NOTEBOOK]),
        (f"borakim_1002_7001_{ANSWERS}", bora[ANSWERS]),
    ])
    plan = _plan(download, "canvas", release)
    assert _problems(plan) == [f"1002: {message}; not collected"]
    assert plan.arrivals["1001"].problems == []


def test_a_link_or_damaged_data(tmp_path: Path, release: Path) -> None:
    """A symbolic link where answers.json should be, and a notebook whose bytes do not
    match the zip's checksum: each costs only its sender."""
    download = _zip(tmp_path / "canvas.zip", [
        (f"nakamuraakiko_1001_7100_{NOTEBOOK}", NB),
        (f"nakamuraakiko_1001_7101_{ANSWERS}", GOOD_ANSWERS),
        (f"borakim_1002_7000_{NOTEBOOK}", NB),
        (_link(f"borakim_1002_7001_{ANSWERS}", "../../../notebooks/01_demo/demo.ipynb"),
         b"../../../notebooks/01_demo/demo.ipynb"),
    ])
    plan = _plan(download, "canvas", release)
    assert _problems(plan) == ["1002: borakim_1002_7001_answers.json is a symbolic link, not "
                               "a file; not collected"]
    spoiled = b'"cells": ["chen"]'
    damaged = _damaged(tmp_path / "damaged.zip", [
        (f"nakamuraakiko_1001_7100_{NOTEBOOK}", NB),
        (f"nakamuraakiko_1001_7101_{ANSWERS}", GOOD_ANSWERS),
        (f"wangchen_1003_7200_{NOTEBOOK}", b'{' + spoiled + b'}'),
        (f"wangchen_1003_7201_{ANSWERS}", GOOD_ANSWERS),
    ], spoiled)
    problems = _problems(_plan(damaged, "canvas", release))
    assert problems == ["1003: wangchen_1003_7200_demo.ipynb cannot be unpacked from the "
                        "download (Bad CRC-32 for file 'wangchen_1003_7200_demo.ipynb'); "
                        "not collected"]


def test_look_alike_names_duplicates_and_a_second_timestamp(tmp_path: Path,
                                                            release: Path) -> None:
    """Moodle folders: a name in another case, with a Cyrillic letter, or decomposed;
    the same entry twice; and a ``timestamp.txt`` of the student's own."""
    def folder(name: str, pid: int) -> str:
        return f"{name}_{pid}_assignsubmission_file_"

    decomposed = unicodedata.normalize("NFD", "Jos\u00e9 Ramos")
    download = _zip(tmp_path / "moodle.zip", [
        (f"{folder('Akiko Nakamura', 5501)}/Demo.ipynb", NB),
        (f"{folder('Akiko Nakamura', 5501)}/{ANSWERS}", GOOD_ANSWERS),
        (f"{folder('Bora Kim', 5502)}/{NOTEBOOK}", NB),
        (f"{folder('Bora Kim', 5502)}/\u0430nswers.json", GOOD_ANSWERS),  # Cyrillic a
        (f"{folder('Chen Wang', 5503)}/{NOTEBOOK}", NB),
        (f"{folder('Chen Wang', 5503)}/{NOTEBOOK}", b'{"cells": ["second"]}'),
        (f"{folder('Chen Wang', 5503)}/{ANSWERS}", GOOD_ANSWERS),
        (f"{folder(decomposed, 5504)}/{NOTEBOOK}", NB),
        (f"{folder(decomposed, 5504)}/{ANSWERS}", GOOD_ANSWERS),
        (f"{folder(decomposed, 5504)}/timestamp.txt", b"2020-01-01 00:00:00"),
    ])
    plan = _plan(download, "moodle", release)
    assert _problems(plan) == [
        "5501: demo.ipynb did not arrive (it sent Demo.ipynb); not collected",
        "5502: demo.ipynb arrived without answers.json (the section has a graded quiz, so its "
        "answers would score 0); not collected",
        "5503: the download holds demo.ipynb twice, with no way to tell which is the "
        "submission; not collected",
    ]
    assert sorted(plan.arrivals["5504"].files) == [ANSWERS, NOTEBOOK]
    assert plan.arrivals["5504"].ignored == ["timestamp.txt"]


def test_a_name_that_is_not_utf8(tmp_path: Path, release: Path) -> None:
    """A zip entry named in a legacy code page (no UTF-8 flag) is read, not fatal."""
    path = _zip(tmp_path / "canvas.zip", [
        (f"nakamuraakiko_1001_7100_{NOTEBOOK}", NB),
        (f"nakamuraakiko_1001_7101_{ANSWERS}", GOOD_ANSWERS),
        ("nakamuraakiko_1001_7102_notes-XX.txt", b""),
    ])
    raw = path.read_bytes()
    assert raw.count(b"notes-XX") == 2  # local header and central directory
    path.write_bytes(raw.replace(b"notes-XX", b"notes-\xc4\xe3"))  # GBK, not UTF-8
    plan = _plan(path, "canvas", release)
    assert _problems(plan) == []
    assert plan.arrivals["1001"].ignored == ["notes-\u2500\u03c0.txt"]  # read as cp437


# The real collect ------------------------------------------------------------------


@pytest.fixture(scope="module")
def released_course(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return released_quiz_course(tmp_path_factory.mktemp("hostile"))


@pytest.fixture
def course(released_course: Path, tmp_path: Path) -> Path:
    root = tmp_path / "course"
    shutil.copytree(released_course, root)
    return root


def _collect(capsys, root: Path, download: Path, *extra: str) -> tuple[int, list[str],
                                                                        list[str]]:
    code = cli.main(["--course-root", str(root), "collect", SECTION, "--zip", str(download),
                     "--lms", "canvas", *extra])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out.strip().splitlines(), err.strip().splitlines()


def _nested_zip() -> bytes:
    """A zip inside the upload, holding a notebook named as another student's."""
    import io

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(f"wangchen_1003_7300_{NOTEBOOK}", b'{"cells": ["from eve"]}')
    return buf.getvalue()


def test_a_hostile_class_is_collected_except_the_hostile(course: Path, tmp_path: Path,
                                                         capsys) -> None:
    """One Canvas download: two honest students, one whose notebook is not JSON, and one
    whose extra files are a zip (naming another student's file inside) and a name too long
    for the disk. The honest ones and Eve's notebook are collected; nothing but the
    checked files is ever unpacked."""
    notebook = json.dumps(solved(released(course))).encode()
    answers = answers_file(QUIZ_RIGHT)
    long_name = "n" * 300 + ".txt"
    download = _zip(tmp_path / "submissions.zip", [
        (f"nakamuraakiko_1001_7000_{NOTEBOOK}", notebook),
        (f"nakamuraakiko_1001_7001_{ANSWERS}", answers),
        (f"kimbora_1002_7002_{NOTEBOOK}", b"import os; os.system('rm -rf ~')"),
        (f"kimbora_1002_7003_{ANSWERS}", answers),
        (f"wangchen_1003_7004_{NOTEBOOK}", notebook),
        (f"wangchen_1003_7005_{ANSWERS}", answers),
        (f"evans_1005_7006_{NOTEBOOK}", notebook),
        (f"evans_1005_7007_{ANSWERS}", answers),
        ("evans_1005_7008_notes.zip", _nested_zip()),
        (f"evans_1005_7009_{long_name}", b"x"),
    ])
    code, out, err = _collect(capsys, course, download)
    assert code == 1
    assert err == ["trilateral: error: 1002: kimbora_1002_7002_demo.ipynb is not a notebook "
                   "(not JSON: line 1: Expecting value); not collected"]
    assert out == [f"{SECTION}: 3 submissions collected from the canvas download into "
                   "submitted/",
                   f"  1001: {ANSWERS}, {NOTEBOOK}",
                   f"  1003: {ANSWERS}, {NOTEBOOK}",
                   f"  1005: {ANSWERS}, {NOTEBOOK}; ignored: {long_name}, notes.zip"]
    submitted = course / "submitted"
    assert sorted(p.name for p in submitted.iterdir()) == ["1001", "1003", "1005"]
    for sid in ("1001", "1003", "1005"):
        folder = submitted / sid / SECTION
        assert sorted(p.name for p in folder.iterdir()) == [ANSWERS, NOTEBOOK, "timestamp.txt"]
        assert (folder / NOTEBOOK).read_bytes() == notebook
    (run,) = (course / "downloaded" / SECTION).iterdir()
    unpacked = sorted(p.relative_to(run / "extracted").as_posix()
                      for p in (run / "extracted").rglob("*") if p.is_file())
    assert unpacked == [f"{sid}/{name}" for sid in ("1001", "1003", "1005")
                        for name in (ANSWERS, NOTEBOOK)]


def test_force_keeps_what_it_replaces(course: Path, tmp_path: Path, capsys) -> None:
    """A second download with --force replaces the collected work, and the replaced copy
    is kept beside that download."""
    first = json.dumps(solved(released(course))).encode()
    again = json.dumps(released(course)).encode()
    answers = answers_file(QUIZ_RIGHT)
    one = _zip(tmp_path / "one.zip", [(f"nakamuraakiko_1001_7000_{NOTEBOOK}", first),
                                      (f"nakamuraakiko_1001_7001_{ANSWERS}", answers)])
    two = _zip(tmp_path / "two.zip", [(f"nakamuraakiko_1001_7100_{NOTEBOOK}", again),
                                      (f"nakamuraakiko_1001_7101_{ANSWERS}", answers)])
    assert _collect(capsys, course, one)[0] == 0
    code, _out, err = _collect(capsys, course, two, "--force")
    assert (code, err) == (0, [])
    assert (course / "submitted" / "1001" / SECTION / NOTEBOOK).read_bytes() == again
    kept = list((course / "downloaded" / SECTION).glob(f"*/replaced/1001/{NOTEBOOK}"))
    assert [p.read_bytes() for p in kept] == [first]


@pytest.mark.slow
def test_a_collected_notebook_that_is_no_notebook_costs_only_its_grade(
        course: Path, tmp_path: Path, capsys) -> None:
    """``{}`` is JSON, so collect takes it; grading names that student as not graded and
    scores the other exactly (their answers.json also names another section's quiz)."""
    from trilateral import answers as answers_mod

    if not sandbox_works():
        pytest.fail("the grading sandbox does not start here (bubblewrap missing?)")
    notebook = json.dumps(solved(released(course))).encode()
    with_other = tmp_path / "answers"
    with_other.mkdir()
    answers_mod.save_many({"demo-quiz-1": QUIZ_RIGHT, "other-quiz-1": "Tokyo"}, with_other)
    download = _zip(tmp_path / "submissions.zip", [
        (f"nakamuraakiko_1001_7000_{NOTEBOOK}", notebook),
        (f"nakamuraakiko_1001_7001_{ANSWERS}", (with_other / ANSWERS).read_bytes()),
        (f"kimbora_1002_7002_{NOTEBOOK}", b"{}"),
        (f"kimbora_1002_7003_{ANSWERS}", answers_file(QUIZ_RIGHT)),
    ])
    assert _collect(capsys, course, download)[0] == 0
    done = run_cli("--course-root", str(course), "grade", SECTION, "-q",
                   env=isolated_env(tmp_path / "home"))
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stdout + done.stderr
    assert "  could not be graded (scored 0): 1\n    1002: " in done.stdout, done.stdout
    from trilateral import grading

    scores = {s: sc.score for s, sc in grading.scores(course, SECTION).items()}
    assert scores["1001"] == 6.0
    assert scores.get("1002", 0.0) == 0.0
