"""Learning platforms' bulk downloads in, and their gradebook CSVs out.

A class that hands in through Canvas, Moodle or Blackboard gives the
instructor one zip of every student's files. Each platform names those files
its own way; this module reads the names, says whose file each one is and
which file of the release it is, and checks that every student sent what the
section needs (its notebooks, and ``answers.json`` when the section has a
graded quiz) before anything is written. nbgrader's ``ZipCollectApp`` then
copies the files into ``submitted/<student>/<section>/`` through
:class:`PlanCollector`, a collector plugin that follows the plan made here.

How each platform names the files of a bulk download:

* **Canvas** ("Download Submissions"): a flat zip whose entries are
  ``<name>_<user id>_<submission id>_<file name>``, with ``LATE_`` after the
  name for a late submission, e.g. ``studenttest_3143_207797_zipsubmission.zip``
  (instructure/canvas-lms issue 2406). A file submitted again gets ``-1``,
  ``-2``... before its extension (instructure/canvas-lms issue 2406 and
  course forums); that suffix is dropped here.
* **Moodle** ("Download all submissions"): entries named
  ``<full name>_<participant id>_assignsubmission_file_<file name>`` (Moodle's
  ``mod/assign/locallib.php``, ``download_submissions``), or with "Download
  submissions in folders" one folder per student,
  ``<full name>_<participant id>_assignsubmission_file_/`` holding the files
  under their own names (Moodle's ``downloadasfolders_help`` string). Other
  submission plugins (``assignsubmission_onlinetext_...``) are ignored.
* **Blackboard** (Grade Center, "Assignment File Download"):
  ``<assignment>_<username>_attempt_<date>_<file name>`` for every file and a
  receipt ``<assignment>_<username>_attempt_<date>.txt`` per attempt (the
  layout nbgrader's own ``FileNameCollectorPlugin`` help gives as its example).

A student chooses only the end of each name (the file name they uploaded), so
the first student id in a name is the one that counts: Canvas takes the
underscores out of any ``_<digits>_`` in a student's name (``sanitize_user_name``
in Canvas's ``lib/content_zipper.rb``) and Moodle turns every ``_`` of a full
name into a space (``download_submissions``), so a file named to look like
another student's stays its sender's. Nothing is unpacked but the checked files
of the students collected (:func:`_check_file`, :class:`PlanExtractor`).

Sources: https://github.com/instructure/canvas-lms/issues/2406 (Canvas names);
``download_submissions`` in https://github.com/moodle/moodle/blob/master/mod/assign/locallib.php
and the string changed in
https://github.com/moodle/moodle/commit/381bb721538cbba98ac84447a6da22fdb4dc94a2
(Moodle); nbgrader's ``FileNameCollectorPlugin.named_regexp`` help and
https://github.com/terr-steak/bb-file-cleanup (Blackboard names and receipts).
Gradebook CSVs: the Canvas import columns as Ohio State's Canvas guide lists
them (https://teaching.resources.osu.edu/toolsets/carmencanvas/guides/calculating-final-grades/import-csv-file-carmen-grades);
Moodle's ``grade/import/csv`` maps a column to a user by id, username, ID
number or email, and any column to a grade item.

The platform's id is the nbgrader student id unless a roster maps it:
a CSV with a ``student_id`` column and any of ``lms_id`` (Canvas user id,
Moodle participant id, Blackboard username), ``login_id``, ``name``, ``email``
and ``section``. The same roster fills the identity columns of the gradebook
CSVs written by :func:`write_gradebook_csv`.
"""

from __future__ import annotations

import csv
import json
import re
import stat
import zipfile
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath

from nbgrader.plugins import ExtractorPlugin, FileNameCollectorPlugin
from traitlets import Unicode

__all__ = [
    "ANSWERS_FILE",
    "PLATFORMS",
    "Arrival",
    "DownloadError",
    "Plan",
    "PlanCollector",
    "PlanExtractor",
    "Roster",
    "describe",
    "gradebook_rows",
    "has_graded_quiz",
    "plan_download",
    "read_roster",
    "release_files",
    "write_gradebook_csv",
]

ANSWERS_FILE = "answers.json"
PLATFORMS = ("canvas", "moodle", "blackboard")
_LABEL = {"canvas": "Canvas", "moodle": "Moodle", "blackboard": "Blackboard"}

# Canvas: name, optional LATE, user id, submission (attachment) id, original name.
_CANVAS = re.compile(r"^(?P<name>[^/]+?)_(?:(?P<late>LATE)_)?(?P<uid>\d+)_(?P<sub>\d+)_"
                     r"(?P<file>[^/]+)$")
# Moodle: full name, participant id, plugin, then the file (flat) or a folder. Moodle turns
# every "_" of the full name into a space, so the first "_" ends the name; the file name,
# which the student chose, may hold "_5502_assignsubmission_file_" and still stays theirs.
_MOODLE = re.compile(r"^(?P<name>[^_/]+)_(?P<uid>\d+)_assignsubmission_(?P<plugin>[a-z]+)_"
                     r"(?:/(?P<infolder>.+)|(?P<flat>[^/]+))$")
# Blackboard: assignment, username, attempt date, then a file name or the receipt. The
# first "_<username>_attempt_<date>" counts: a later one is part of the student's file name.
_BLACKBOARD = re.compile(r"^(?P<assignment>[^/]+?)_(?P<uid>[^_/]+)_attempt_"
                         r"(?P<stamp>\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2})"
                         r"(?:_(?P<file>[^/]+)|(?P<receipt>\.txt))$")
_RESUBMITTED = re.compile(r"^(?P<stem>.+)-\d+(?P<ext>\.[^.]+)$")
_SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]*$")
# The most a submitted file may hold once unpacked: a notebook with its charts, a data file;
# answers.json is small (the grader reads at most 1 MB of it).
MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_ANSWERS_BYTES = 1024 * 1024


class DownloadError(ValueError):
    """The download as a whole cannot be read (not a zip, a name of no known layout)."""


@dataclass
class Arrival:
    """What one student sent: files by release name, and what went wrong."""

    student: str
    platform_id: str
    files: dict[str, str] = field(default_factory=dict)  # release name -> zip entry
    ignored: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    late: bool = False
    timestamp: str | None = None

    def line(self) -> str:
        """``student: file, file`` as collect prints it."""
        text = f"{self.student}: {', '.join(sorted(self.files)) or 'no files'}"
        if self.late:
            text += " (marked late by the platform)"
        if self.ignored:
            text += f"; ignored: {', '.join(sorted(self.ignored))}"
        return text


@dataclass
class Plan:
    """Every student's arrival in a download, and the zip entry each file comes from."""

    platform: str
    arrivals: dict[str, Arrival]

    def entries(self, students: Iterable[str]) -> dict[str, dict[str, str | None]]:
        """``{zip entry: {student_id, file_id, timestamp}}`` for the given students."""
        out: dict[str, dict[str, str | None]] = {}
        for sid in students:
            arrival = self.arrivals[sid]
            for name, entry in arrival.files.items():
                out[entry] = {"student_id": sid, "file_id": name,
                              "timestamp": arrival.timestamp}
        return out


@dataclass(frozen=True)
class Roster:
    """The class list: nbgrader student ids and the platform's identities for them."""

    rows: tuple[dict[str, str], ...]

    def find(self, **keys: str) -> str | None:
        """The student id whose column matches one of ``keys`` (tried in order)."""
        for column, value in keys.items():
            if not value:
                continue
            want = value.casefold()
            hits = {r["student_id"] for r in self.rows if r.get(column, "").casefold() == want}
            if len(hits) > 1:
                raise ValueError(f"the roster gives {column} {value!r} to more than one "
                                 f"student: {', '.join(sorted(hits))}")
            if hits:
                return hits.pop()
        return None

    def row(self, student: str) -> dict[str, str]:
        for r in self.rows:
            if r["student_id"] == student:
                return r
        return {}


def read_roster(path: str | Path) -> Roster:
    """Read a roster CSV (``student_id`` plus optional identity columns).

    Raises :class:`ValueError` with a one-line reason for a bad file.
    """
    path = Path(path)
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            rows = [{k.strip(): (v or "").strip() for k, v in row.items() if k} for row in reader]
            header = [h.strip() for h in reader.fieldnames or []]
    except OSError as exc:
        raise ValueError(f"cannot read the roster {path}: {exc.strerror}") from None
    except (UnicodeDecodeError, csv.Error) as exc:
        raise ValueError(f"the roster {path} is not a readable CSV file: {exc}") from None
    if "student_id" not in header:
        raise ValueError(f"the roster {path} has no student_id column (it has: "
                         f"{', '.join(header) or 'nothing'})")
    for number, row in enumerate(rows, start=2):
        if not _SAFE_ID.match(row.get("student_id", "")):
            raise ValueError(f"the roster {path}, line {number}: student_id "
                             f"{row.get('student_id', '')!r} is not a usable id")
    return Roster(tuple(rows))


def release_files(release: Path) -> list[str]:
    """Every file of a released section (relative paths), notebooks included."""
    return sorted(p.relative_to(release).as_posix() for p in release.rglob("*")
                  if p.is_file() and ".ipynb_checkpoints" not in p.parts)


def has_graded_quiz(source: Path) -> bool:
    """True when a notebook of the source section grades saved quiz answers."""
    for nb_path in sorted(source.glob("*.ipynb")):
        nb = json.loads(nb_path.read_text(encoding="utf-8"))
        for cell in nb.get("cells", []):
            src = cell.get("source", "")
            src = "".join(src) if isinstance(src, list) else src
            graded = cell.get("metadata", {}).get("nbgrader", {}).get("grade")
            if graded and ("answers.require(" in src or "answers.check(" in src):
                return True
    return False


def _match(platform: str, entry: str) -> dict[str, str] | None:
    """Parse one zip entry: ``uid``, ``name``, ``file``, ``late``, ``stamp`` or None."""
    if platform == "canvas":
        m = _CANVAS.match(entry)
        if not m:
            return None
        return {"uid": m["uid"], "name": m["name"], "file": m["file"], "late": m["late"] or "",
                "sub": m["sub"]}
    if platform == "moodle":
        m = _MOODLE.match(entry)
        if not m:
            return None
        return {"uid": m["uid"], "name": m["name"], "file": m["infolder"] or m["flat"],
                "plugin": m["plugin"]}
    m = _BLACKBOARD.match(entry)
    if not m:
        return None
    return {"uid": m["uid"], "name": m["uid"], "file": m["file"] or "",
            "stamp": m["stamp"], "receipt": "1" if m["receipt"] else ""}


def _release_name(name: str, expected: set[str]) -> str | None:
    """The release file ``name`` stands for (``demo-1.ipynb`` is ``demo.ipynb``)."""
    if name in expected:
        return name
    m = _RESUBMITTED.match(name)
    if m and m["stem"] + m["ext"] in expected:
        return m["stem"] + m["ext"]
    return None


def _student(platform: str, parsed: dict[str, str], roster: Roster | None) -> tuple[str, str]:
    """(nbgrader id or "", how the platform names the student)."""
    label = _LABEL[platform]
    if platform == "canvas":
        who = f"{parsed['name']} (Canvas user {parsed['uid']})"
        keys = {"lms_id": parsed["uid"]}
    elif platform == "moodle":
        who = f"{parsed['name']} (Moodle participant {parsed['uid']})"
        keys = {"lms_id": parsed["uid"], "name": parsed["name"]}
    else:
        who = f"{parsed['uid']} ({label} username)"
        keys = {"login_id": parsed["uid"], "lms_id": parsed["uid"]}
    if roster is None:
        sid = parsed["uid"]
        return (sid if _SAFE_ID.match(sid) else ""), who
    return roster.find(**keys) or "", who


def plan_download(zip_path: str | Path, platform: str, release: Path, *,
                  quiz: bool, roster: Roster | None = None) -> Plan:
    """Read a platform's bulk download and say what each student sent.

    ``release`` is the released section (its files are what a submission may
    hold); ``quiz`` says whether ``answers.json`` is required. Raises
    :class:`DownloadError` when the file is not a zip, or an entry's name does
    not follow the platform's layout (so no file is ever given to the wrong
    student). Per-student problems (two notebooks under one name, a missing
    notebook or answers file, an id the roster does not know) are listed in
    each :class:`Arrival`'s ``problems``.
    """
    if platform not in PLATFORMS:
        raise ValueError(f"unknown platform {platform!r}; use one of {', '.join(PLATFORMS)}")
    zip_path = Path(zip_path)
    if not zipfile.is_zipfile(zip_path):
        raise DownloadError(f"{zip_path.name} is not a zip file; download the submissions "
                            f"again from {_LABEL[platform]}")
    notebooks = {n for n in release_files(release) if n.endswith(".ipynb")}
    expected = set(release_files(release)) | {ANSWERS_FILE}
    unknown_student: dict[str, Arrival] = {}
    with zipfile.ZipFile(zip_path) as zf:
        infos = [i for i in zf.infolist() if not i.is_dir()]
        by_entry = {i.filename: i for i in infos}
        arrivals = _read_arrivals(platform, infos, expected, roster, unknown_student)
        for arrival in arrivals.values():
            _check_arrival(arrival, notebooks, quiz)
            if not arrival.problems:
                for name, entry in sorted(arrival.files.items()):
                    problem = _check_file(zf, by_entry[entry], name)
                    if problem:
                        arrival.problems.append(f"{arrival.student}: {problem}; not collected")
                        break
    for who, arrival in unknown_student.items():
        arrivals[f"?{who}"] = arrival
    return Plan(platform=platform, arrivals=arrivals)


def _read_arrivals(platform: str, infos: list[zipfile.ZipInfo], expected: set[str],
                   roster: Roster | None, unknown_student: dict[str, Arrival]
                   ) -> dict[str, Arrival]:
    """Give every entry of the download to its student (by name only, nothing read)."""
    arrivals: dict[str, Arrival] = {}
    bb_attempts: dict[str, dict[str, list[tuple[str, str]]]] = {}
    for info in infos:
        entry = info.filename
        if entry.startswith("/") or ".." in PurePosixPath(entry).parts or "\\" in entry:
            raise DownloadError(f"{entry}: a path that leads out of the download; "
                                "nothing was collected")
        if PurePosixPath(entry).name.startswith(".") or entry.startswith("__MACOSX/"):
            continue
        parsed = _match(platform, entry)
        if parsed is None:
            raise DownloadError(f"{entry}: not named the way {_LABEL[platform]} names the "
                                f"files of a download (is this a {_LABEL[platform]} zip? "
                                "see --lms)")
        sid, who = _student(platform, parsed, roster)
        if not sid:
            arrival = unknown_student.setdefault(who, Arrival(student=who,
                                                              platform_id=parsed["uid"]))
            reason = ("is not in the roster" if roster is not None
                      else "is not a usable student id; give a roster (--roster)")
            if not arrival.problems:
                arrival.problems.append(f"{who} {reason}; its files were not collected")
            continue
        arrival = arrivals.setdefault(sid, Arrival(student=sid, platform_id=parsed["uid"]))
        if arrival.platform_id != parsed["uid"]:
            # Two platform ids for one student: one of them set a name (Moodle's full name,
            # which a student may edit) that the roster gives to someone else.
            clash = (f"{sid}: {_LABEL[platform]} ids {arrival.platform_id} and {parsed['uid']} "
                     "both match this student in the roster; neither was collected")
            if clash not in arrival.problems:
                arrival.problems.append(clash)
            continue
        if platform == "blackboard":
            attempts = bb_attempts.setdefault(sid, {})
            attempts.setdefault(parsed["stamp"], []).append((entry, parsed["file"]))
            continue
        if platform == "moodle" and parsed["plugin"] != "file":
            arrival.ignored.append(PurePosixPath(parsed["file"]).name)
            continue
        if platform == "canvas":
            arrival.late = arrival.late or bool(parsed["late"])
        _add_file(arrival, parsed["file"], entry, expected)
        # Canvas and Moodle put no time in the name: the zip entry's time stands in.
        stamp = datetime(*info.date_time).isoformat(sep=" ")
        arrival.timestamp = max(arrival.timestamp or stamp, stamp)
    for sid, attempts in bb_attempts.items():
        arrival = arrivals[sid]
        latest = max(attempts)
        stamp = datetime.strptime(latest, "%Y-%m-%d-%H-%M-%S")
        arrival.timestamp = stamp.isoformat(sep=" ")
        for entry, name in attempts[latest]:
            if name:  # the .txt receipt of the attempt is not a submitted file
                _add_file(arrival, name, entry, expected)
        if len(attempts) > 1:
            arrival.ignored.append(f"{len(attempts) - 1} earlier attempt(s)")
    return arrivals


def _check_arrival(arrival: Arrival, notebooks: set[str], quiz: bool) -> None:
    """Note a missing notebook, or a missing answers file when the section has a quiz."""
    if arrival.problems:
        return
    missing = sorted(notebooks - set(arrival.files))
    if missing:
        sent = f" (it sent {', '.join(sorted(arrival.ignored))})" if arrival.ignored else ""
        arrival.problems.append(f"{arrival.student}: {', '.join(missing)} did not arrive"
                                f"{sent}; not collected")
    elif quiz and ANSWERS_FILE not in arrival.files:
        names = ", ".join(sorted(set(arrival.files) & notebooks))
        arrival.problems.append(
            f"{arrival.student}: {names} arrived without {ANSWERS_FILE} (the section has a "
            "graded quiz, so its answers would score 0); not collected")


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.0f} MB" if size >= 1024 * 1024 else f"{size} bytes"


def _check_file(zf: zipfile.ZipFile, info: zipfile.ZipInfo, name: str) -> str | None:
    """Why the entry ``info`` (release file ``name``) cannot be collected, or None.

    A student chooses what they upload, so every file that would be copied is
    read here first: a link instead of a file, more than a submission may
    hold unpacked (a decompression bomb), damaged data, and a notebook or
    answers file that is not the JSON it must be. Files that are not
    collected (ignored) are never unpacked at all.
    """
    label = PurePosixPath(info.filename).name
    if stat.S_ISLNK(info.external_attr >> 16):
        return f"{label} is a symbolic link, not a file"
    limit = MAX_ANSWERS_BYTES if name == ANSWERS_FILE else MAX_FILE_BYTES
    if info.file_size > limit:
        return (f"{label} unpacks to {_megabytes(info.file_size)}, more than the "
                f"{_megabytes(limit)} a submitted {name} may hold")
    try:
        data = zf.read(info)
    except (zipfile.BadZipFile, zlib.error, EOFError, RuntimeError, NotImplementedError,
            OSError) as exc:
        return f"{label} cannot be unpacked from the download ({exc})"
    if name.endswith(".ipynb") or name == ANSWERS_FILE:
        what = "a notebook" if name.endswith(".ipynb") else f"an {ANSWERS_FILE} file"
        try:
            doc = json.loads(data.decode("utf-8"))
        except UnicodeDecodeError:
            return f"{label} is not {what} (it is not UTF-8 text)"
        except json.JSONDecodeError as exc:
            return f"{label} is not {what} (not JSON: line {exc.lineno}: {exc.msg})"
        except RecursionError:
            return f"{label} is not {what} (JSON nested too deeply)"
        if not isinstance(doc, dict):
            return f"{label} is not {what} (a JSON {type(doc).__name__}, not an object)"
    return None


def _add_file(arrival: Arrival, name: str, entry: str, expected: set[str]) -> None:
    release_name = _release_name(name, expected)
    if release_name is None:
        arrival.ignored.append(name)
        return
    if release_name in arrival.files:
        first = PurePosixPath(arrival.files[release_name]).name
        if arrival.files[release_name] == entry:  # a zip may hold one name twice
            arrival.problems.append(f"{arrival.student}: the download holds {first} twice, "
                                    "with no way to tell which is the submission; not collected")
            return
        arrival.problems.append(f"{arrival.student}: two files for {release_name} ({first} and "
                                f"{PurePosixPath(entry).name}); not collected")
        return
    arrival.files[release_name] = entry


def _planned(plan_file: str) -> dict[str, dict[str, str | None]]:
    """The plan of a collect run, by the path its extractor writes: ``student/file``."""
    plan = json.loads(Path(plan_file).read_text(encoding="utf-8"))
    return {f"{info['student_id']}/{info['file_id']}": dict(info, entry=entry)
            for entry, info in plan.items()}


class PlanExtractor(ExtractorPlugin):
    """nbgrader extractor plugin that unpacks only the files a collect plan names.

    nbgrader's own extractor unpacks every entry of the download, and every
    zip inside it, under the names students chose; this one writes only the
    checked files of the students being collected, as
    ``extracted/<student>/<release file>``, so a file no one collects (a
    nested zip, a bomb, a name too long for the disk) is never written.
    """

    plan_file = Unicode("", help="JSON plan of the collect run").tag(config=True)
    zip_file = Unicode("", help="the download the plan was made from").tag(config=True)

    def extract(self, archive_path: str, extracted_path: str) -> None:  # noqa: D102
        with zipfile.ZipFile(self.zip_file) as zf:
            for rel, info in _planned(self.plan_file).items():
                dest = Path(extracted_path, *rel.split("/"))
                dest.parent.mkdir(parents=True, exist_ok=True)
                dest.write_bytes(zf.read(str(info["entry"])))


class PlanCollector(FileNameCollectorPlugin):
    """nbgrader collector plugin that follows a plan written by ``trilateral collect``.

    :class:`PlanExtractor` writes ``extracted/<student>/<file>``; the plan (a
    JSON file of ``{zip entry: {student_id, file_id, timestamp}}``) says
    whose each file is, and a file not in the plan is skipped.
    """

    plan_file = Unicode("", help="JSON plan of the collect run").tag(config=True)
    extracted_root = Unicode("", help="folder the zip was extracted into").tag(config=True)

    def collect(self, submitted_file: str) -> dict | None:  # noqa: D102
        rel = Path(submitted_file).relative_to(self.extracted_root).as_posix()
        info = _planned(self.plan_file).get(rel)
        if info is None:
            return None
        out = {"student_id": info["student_id"], "file_id": info["file_id"]}
        if info.get("timestamp"):
            out["timestamp"] = info["timestamp"]
        return out


# Grades out -----------------------------------------------------------------------


def _number(value: float) -> str:
    return f"{round(value, 4):g}"


def gradebook_rows(root: Path, sections: list[str]) -> dict[str, dict[str, float]]:
    """``{student: {section: score after late penalty}}`` for submissions of ``sections``."""
    from nbgrader.api import Gradebook

    from . import COURSE_ID

    out: dict[str, dict[str, float]] = {}
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", course_id=COURSE_ID) as gb:
        for student in gb.students:
            out.setdefault(student.id, {})
        for section in sections:
            for sub in gb.assignment_submissions(section):
                penalty = float(sub.late_submission_penalty or 0.0)
                out.setdefault(sub.student.id, {})[section] = float(sub.score) - penalty
    return out


def write_gradebook_csv(root: Path, dest: Path, platform: str, sections: list[str],
                        roster: Roster | None = None) -> Path:
    """Write the gradebook import CSV of ``platform`` ("canvas" or "moodle").

    One row per student, one column per section in ``sections`` (the sections
    assigned), the score after nbgrader's late penalty. A blank cell (no
    submission) leaves the platform's grade as it is.

    * Canvas ("Import grades in the Gradebook"): columns ``Student``, ``ID``,
      ``SIS User ID``, ``SIS Login ID``, ``Section``, then one per assignment
      (the layout of Canvas's own gradebook export; a student is matched by
      one of the first three, and ``SIS Login ID`` and ``Section`` must be
      present).
    * Moodle ("Import grades from CSV file"): ``Username``, ``Email address``,
      then one column per grade item; on the import page map
      "Identify user by" to the username (or email) and each section's column
      to its grade item.
    """
    if platform not in ("canvas", "moodle"):
        raise ValueError(f"no gradebook CSV for {platform!r}; use canvas or moodle")
    scores = gradebook_rows(root, sections)
    dest.parent.mkdir(parents=True, exist_ok=True)
    with dest.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        if platform == "canvas":
            writer.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section", *sections])
        else:
            writer.writerow(["Username", "Email address", *sections])
        for student in sorted(scores):
            row = roster.row(student) if roster else {}
            cells = [_number(scores[student][s]) if s in scores[student] else ""
                     for s in sections]
            if platform == "canvas":
                writer.writerow([row.get("name", ""), row.get("lms_id") or student, "",
                                 row.get("login_id", ""), row.get("section", ""), *cells])
            else:
                writer.writerow([row.get("login_id") or student, row.get("email", ""), *cells])
    return dest


def describe(mapping: Mapping[str, Arrival]) -> list[str]:
    """The per-student lines of a plan, in student order."""
    return [a.line() for k, a in sorted(mapping.items()) if not k.startswith("?")]
