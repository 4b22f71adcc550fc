"""Red team: hostile submissions of two real sections, graded in one batch.

The corpus (``tests/redteam/corpus.py``, one line per attack class in
``tests/redteam/README.md``) is handed in to a temporary copy of the real
course, beside a correct, a blank and a wrong submission of each section,
and graded through the ``trilateral`` command line in one batch (both
sections, ``--jobs 2``), then its feedback written. The batch runs with a
10 s cell limit and a 45 s submission deadline, while this test listens on
the network for anything a submission sends.

Each claim of the guide's "Isolation and its limits" is one test over that
batch: the batch completes; every score is exact; nothing outside the
grading outputs changes (the course, the submissions, the grader's HOME);
the gradebook holds one submission per student; no process a submission
started survives; no hidden test, quiz key or grader secret reaches a
notebook or page; no student's text is in an executable place of a page;
the listener hears nothing. A second, ordered batch (``--jobs 1``) attacks
the submission graded next by the same worker.

A test that fails here is a hole in the grading, not in the test: see the
assertion's message for what the attack achieved.
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import json
import os
import re
import secrets
import select
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest

from trilateral import answers, grading
from trilateral.grading import sandbox, testcells

from redteam.corpus import CASES, CROSS, SECTIONS, START, Case, Target, hand_in
from support_course import isolated_env, run_cli

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
CELL_TIMEOUT = 10  # the real cells need about 2 s at most
DEADLINE = 45  # per submission; an honest one of these sections takes about 5 s
SECRET_VAR = "TRILATERAL_REDTEAM_GRADER_SECRET"
# What grading writes in the course folder; everything else must not change.
OUTPUTS = {"autograded", "feedback", "gradebook.db", "gradebook.db-journal", "reports",
           "grades.csv"}
# The grader's own kernel connection files come and go in its HOME.
HOME_OUTPUTS = (os.path.join(".local", "share", "jupyter", "runtime"),)
HOSTILE = [c for c in CASES if c.kind == "hostile"]


# --------------------------------------------------------------------------- helpers
def _require_sandbox() -> None:
    """Skip without bubblewrap; under CI a missing sandbox is a failure, never a skip."""
    try:
        sandbox.probe()
    except sandbox.SandboxUnavailable as exc:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true and the grading sandbox cannot start: {exc}", pytrace=False)
        pytest.skip(f"the grading sandbox cannot start here: {exc}")


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _snapshot(top: Path, skip: tuple[str, ...] | set[str]) -> dict[str, str]:
    """Every file, link and folder under ``top`` (links not followed), but ``skip``."""
    out: dict[str, str] = {}
    for folder, dirs, files in os.walk(top):
        rel_folder = os.path.relpath(folder, top)
        for name in sorted(dirs + files):
            path = os.path.join(folder, name)
            rel = os.path.normpath(os.path.join(rel_folder, name))
            if rel in skip:
                if name in dirs:
                    dirs.remove(name)
                continue
            if os.path.islink(path):
                out[rel] = "link -> " + os.readlink(path)
            elif os.path.isfile(path):
                out[rel] = _digest(Path(path))
            else:
                out[rel] = "folder"
    return out


def _differences(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return sorted(f"{p}: {before.get(p, 'absent')} -> {after.get(p, 'absent')}"
                  for p in set(before) | set(after) if before.get(p) != after.get(p))


def _processes(token: str) -> list[tuple[int, str]]:
    """Processes whose command line carries ``token``."""
    out = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if token.encode() in cmd:
            out.append((int(pid), cmd.replace(b"\0", b" ").decode(errors="replace")[:200]))
    return out


def _survivors(token: str, grace: float = 2.0) -> list[tuple[int, str]]:
    """Marked processes still there ``grace`` seconds after the batch (a kill is not instant)."""
    end = time.monotonic() + grace
    while (found := _processes(token)) and time.monotonic() < end:
        time.sleep(0.1)
    return found


def _end(processes: list[tuple[int, str]]) -> None:
    """Kill, by id, processes this test's batch started and left behind."""
    for pid, _cmd in processes:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)


def _host_addresses() -> tuple[str, ...]:
    found = {"127.0.0.1"}
    with contextlib.suppress(OSError), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.connect(("192.0.2.1", 9))  # no packet: only picks the outgoing interface
        found.add(s.getsockname()[0])
    with contextlib.suppress(OSError):
        found.update(socket.gethostbyname_ex(socket.gethostname())[2])
    return tuple(sorted(found))


class Listener:
    """TCP (IPv4 and IPv6), UDP and an abstract unix socket; records whatever arrives."""

    def __init__(self, token: str) -> None:
        self.received: list[tuple[str, str]] = []
        self.tcp = socket.create_server(("", 0), family=socket.AF_INET6, dualstack_ipv6=True) \
            if socket.has_dualstack_ipv6() else socket.create_server(("0.0.0.0", 0))
        self.port = self.tcp.getsockname()[1]
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("0.0.0.0", 0))
        self.udp_port = self.udp.getsockname()[1]
        self.unix_name = f"trilateral-redteam-{token}"
        self.unix = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.unix.bind("\0" + self.unix_name)
        self.unix.listen(8)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        kinds = {self.tcp: "tcp", self.udp: "udp", self.unix: "unix"}
        while not self._stop.is_set():
            ready, _, _ = select.select(list(kinds), [], [], 0.2)
            for sock in ready:
                if sock is self.udp:
                    data, peer = sock.recvfrom(65536)
                    self.received.append(("udp", f"{peer}: {data[:100]!r}"))
                    continue
                conn, peer = sock.accept()
                with conn:
                    conn.settimeout(1)
                    try:
                        data = conn.recv(65536)
                    except OSError:
                        data = b""
                self.received.append((kinds[sock], f"{peer}: {data[:100]!r}"))

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        for sock in (self.tcp, self.udp, self.unix):
            sock.close()


def _course(root: Path) -> Path:
    """A copy of the real course (notebooks, the guide, nbgrader_config.py) with a short
    cell limit."""
    shutil.copytree(REPO / "notebooks", root / "notebooks",
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    shutil.copytree(REPO / "docs", root / "docs")
    config = (REPO / "nbgrader_config.py").read_text(encoding="utf-8")
    config += (f"\nc.Execute.timeout = {CELL_TIMEOUT}\n"
               f"c.ExecutePreprocessor.timeout = {CELL_TIMEOUT}\n")
    (root / "nbgrader_config.py").write_text(config, encoding="utf-8")
    return root


def _env(base: Path, token: str) -> dict[str, str]:
    """The grader's environment: its own HOME and temporary folder, and a secret."""
    env = isolated_env(base / "home")
    env["TMPDIR"] = str(base / "tmp")
    env[SECRET_VAR] = f"grader-secret-{token}"
    for name in ("home", "tmp", "outside"):
        (base / name).mkdir()
    # Made by the grader's own IPython (empty); made now, so the snapshot sees only
    # what is put in it.
    (base / "home" / ".ipython").mkdir()
    # The grader builds matplotlib's font list in its HOME on first use; build it now,
    # so the HOME is already as grading leaves it.
    subprocess.run([sys.executable, "-c", "import matplotlib.font_manager"], env=env,
                   check=True, capture_output=True, timeout=120)
    return env


def _notebook(root: Path, case: Case) -> dict | None:
    path = root / "autograded" / case.student / case.section / SECTIONS[case.section]
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def _output_text(output: dict) -> str:
    parts = [output.get("text", ""), output.get("ename", ""), output.get("evalue", ""),
             *(output.get("traceback") or [])]
    data = output.get("data") or {}
    parts += [v if isinstance(v, str) else json.dumps(v) for v in data.values()]
    return "\n".join("".join(p) if isinstance(p, list) else str(p) for p in parts)


def _notebook_text(nb: dict | None) -> str:
    """What grading wrote into a notebook: outputs, metadata, and the source of every
    cell that is not the student's answer."""
    if nb is None:
        return ""
    parts = [json.dumps(nb.get("metadata", {}))]
    for cell in nb.get("cells", []):
        if not (cell.get("metadata", {}).get("nbgrader") or {}).get("solution"):
            parts.append(_source(cell))
        parts += [_output_text(o) for o in cell.get("outputs", [])]
    return "\n".join(parts)


def _pages(root: Path, case: Case) -> dict[Path, str]:
    folder = root / "feedback" / case.student / case.section
    return {p: p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.html"))}


def _page_text(raw: str) -> str:
    """A page as a reader sees it (tags removed, entities decoded), scripts included."""
    return html.unescape(re.sub(r"<[^>]+>", "", raw))


_HIDDEN_BLOCK = re.compile(r"BEGIN HIDDEN TESTS(.*?)END HIDDEN TESTS", re.S)


@dataclass
class Secrets:
    """What no notebook or page a student gets may contain."""

    hidden_lines: dict[str, str] = field(default_factory=dict)  # line -> section
    quiz_keys: list[str] = field(default_factory=list)
    hidden_probes: list[str] = field(default_factory=list)
    other: list[str] = field(default_factory=list)  # the grader's secret, /etc/shadow

    @classmethod
    def of(cls, root: Path, sections: list[str], env: dict[str, str]) -> Secrets:
        found = cls()
        for section in sections:
            name = SECTIONS[section]
            source = root / "notebooks" / section / name
            released = json.loads((root / "release" / section / name).read_text("utf-8"))
            public = "\n".join(_source(c) for c in released["cells"])
            nb = json.loads(source.read_text(encoding="utf-8"))
            for cell in nb["cells"]:
                src = _source(cell)
                for block in _HIDDEN_BLOCK.findall(src):
                    for line in block.splitlines()[1:-1]:
                        line = line.strip()
                        if len(line) > 12 and line not in public:
                            found.hidden_lines[line] = section
                if testcells.is_autograded_test(cell):
                    gid = cell["metadata"]["nbgrader"]["grade_id"]
                    every = testcells.plan(gid, src).probes
                    visible = testcells.plan(gid, testcells.strip_hidden(src)).probes
                    found.hidden_probes += [p for p in every if p not in visible]
            for expected in answers.answer_key(source).values():
                found.quiz_keys += [expected] if isinstance(expected, str) else list(expected)
        found.other.append(env[SECRET_VAR])
        with contextlib.suppress(OSError, IndexError):
            found.other.append(Path("/etc/shadow").read_text().splitlines()[0])
        return found

    def leaked(self, text: str) -> list[str]:
        out = [f"hidden test ({s}): {line}" for line, s in self.hidden_lines.items()
               if line in text]
        out += [f"quiz key: {key}" for key in self.quiz_keys if key in text]
        out += [f"grader secret: {s[:40]}" for s in self.other if s and s in text]
        return out


class _Executable(HTMLParser):
    """What in a page could run: script elements, on* and srcdoc attributes, script URLs."""

    _SCRIPT_URL = re.compile(r"^(?:javascript|vbscript|data:text/html)", re.I)

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.script = 0
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self.script += 1
        for name, value in attrs:
            if value is None:
                continue
            url = re.sub(r"[\x00-\x20\x7f]+", "", value)
            if name.startswith("on") or name == "srcdoc" or self._SCRIPT_URL.match(url):
                self.found.append(f"<{tag} {name}={value}>")

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self.script = max(0, self.script - 1)

    def handle_data(self, data: str) -> None:
        if self.script:
            self.found.append(f"<script>{data}</script>")


def _executable(raw: str) -> list[str]:
    parser = _Executable()
    parser.feed(raw)
    parser.close()
    return parser.found


def _max_code(root: Path, section: str) -> float:
    nb = json.loads((root / "notebooks" / section / SECTIONS[section]).read_text("utf-8"))
    return float(sum(c["metadata"]["nbgrader"].get("points", 0) for c in nb["cells"]
                     if testcells.is_autograded_test(c)))


@dataclass
class Batch:
    """One graded batch and everything the tests read from it."""

    root: Path
    base: Path
    target: Target
    cases: list[Case]
    grade: subprocess.CompletedProcess
    feedback: subprocess.CompletedProcess | None
    seconds: float
    course_before: dict[str, str]
    course_after: dict[str, str]
    home_before: dict[str, str]
    home_after: dict[str, str]
    survivors: list[tuple[int, str]]
    received: list[tuple[str, str]]
    secrets: Secrets
    scores: dict[str, dict[str, grading.Score]]
    records: dict[str, dict]
    _texts: dict[str, dict[str, str]] = field(default_factory=dict)

    def texts(self, case: Case) -> dict[str, str]:
        """Everything the student gets back: the autograded notebook and each page."""
        key = f"{case.student}/{case.section}"
        if key not in self._texts:
            out = {"autograded notebook": _notebook_text(_notebook(self.root, case))}
            out.update({f"feedback {p.name}": _page_text(raw)
                        for p, raw in _pages(self.root, case).items()})
            self._texts[key] = out
        return self._texts[key]

    def record(self, case: Case) -> str:
        entry = self.records.get(case.section, {}).get(case.student, {})
        return " ".join([str(entry.get("reason", "")), *map(str, entry.get("notes", []))])


def _grade(base: Path, cases: list[Case], sections: list[str], jobs: int,
           feedback: bool) -> Batch:
    """Hand in ``cases`` to a fresh course copy under ``base`` and grade them in one batch."""
    token = secrets.token_hex(6)
    env = _env(base, token)
    root = _course(base / "course")
    cli = ("--course-root", str(root))
    released = run_cli(*cli, "release", *sections, env=env)
    assert released.returncode == 0, released.stderr[-3000:]
    listener = Listener(token)
    try:
        target = Target(str(root), env["HOME"], str(REPO), str(base / "outside"), token,
                        listener.port, listener.udp_port, listener.unix_name,
                        _host_addresses())
        for case in cases:
            hand_in(root, case, target)
        course_before = _snapshot(root, OUTPUTS)
        home_before = _snapshot(Path(env["HOME"]), HOME_OUTPUTS)
        started = time.monotonic()
        grade = run_cli(*cli, "grade", *sections, "--jobs", str(jobs), "-q",
                        "--deadline", str(DEADLINE), env=env, timeout=900)
        pages = run_cli(*cli, "feedback", *sections, "--jobs", str(jobs), "-q", env=env,
                        timeout=600) if feedback else None
        seconds = time.monotonic() - started
        survivors = _survivors(token)
    except BaseException:
        _end(_processes(token))  # whatever the submissions left running, before giving up
        raise
    finally:
        listener.close()
    records = {}
    for section in sections:
        with contextlib.suppress(OSError, ValueError):
            path = root / "reports" / f"{section}-grading.json"
            records[section] = json.loads(path.read_text(encoding="utf-8"))["students"]
    return Batch(root, base, target, cases, grade, pages, seconds, course_before,
                 _snapshot(root, OUTPUTS), home_before,
                 _snapshot(Path(env["HOME"]), HOME_OUTPUTS), survivors,
                 list(listener.received), Secrets.of(root, sections, env),
                 {s: grading.scores(root, s) for s in sections}, records)


def _cleanup(found: Batch) -> None:
    """End what the batch left running, and remove trees shutil cannot (too deep)."""
    _end(_processes(found.target.token))
    subprocess.run(["rm", "-rf", "--", str(found.base / "tmp")], check=False, timeout=120)


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory):
    _require_sandbox()
    found = _grade(tmp_path_factory.mktemp("redteam"), CASES, list(SECTIONS), jobs=2,
                   feedback=True)
    yield found
    _cleanup(found)


@pytest.fixture(scope="module")
def cross(tmp_path_factory: pytest.TempPathFactory):
    _require_sandbox()
    found = _grade(tmp_path_factory.mktemp("redteam-cross"), CROSS, [START], jobs=1,
                   feedback=False)
    yield found
    _cleanup(found)


def _ids(case: Case) -> str:
    return case.student


# --------------------------------------------------------------------------- 1. the batch
def test_sandbox_is_required_under_ci() -> None:
    """Under CI=true the sandbox must start: these tests may not quietly skip there."""
    if os.environ.get("CI", "").lower() != "true":
        pytest.skip("outside CI the sandbox is optional")
    _require_sandbox()


def test_batch_completes(batch: Batch) -> None:
    for name, done in (("grade", batch.grade), ("feedback", batch.feedback)):
        assert done is not None and done.returncode == 0, f"{name}: {done.stderr[-3000:]}"
        assert "Traceback" not in done.stdout, f"{name}: {done.stdout[-3000:]}"
    for section in SECTIONS:
        count = sum(c.section == section for c in CASES)
        assert f"{section}: {count} submissions, out of" in batch.grade.stdout, \
            batch.grade.stdout[-3000:]
        assert f"{section}: feedback written for {count} students" in batch.feedback.stdout, \
            batch.feedback.stdout[-3000:]
    assert "isolation: bubblewrap sandbox" in batch.grade.stdout


# --------------------------------------------------------------------------- 2. scores
@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_score_is_exact(batch: Batch, case: Case) -> None:
    score = batch.scores[case.section].get(case.student)
    assert score is not None, f"{case.student} has no score"
    max_code = _max_code(batch.root, case.section)
    assert score.max_code_score == max_code
    expected = case.expected_code_score(max_code)
    assert score.code_score == expected, (
        f"{case.student} scored {score.code_score} of {max_code} code points, not "
        f"{expected}: {case.tries or case.kind}")


@pytest.mark.parametrize("case", [c for c in HOSTILE if not c.quiet], ids=_ids)
def test_attack_ran(batch: Batch, case: Case) -> None:
    """Each attack really ran (its marker is in its outputs): no check passes by default."""
    # The notebook's text leaves out the student's own answers: this is output.
    text = batch.texts(case)["autograded notebook"]
    assert batch.target.marker(case.student) in text, f"{case.student}'s code did not run"


@pytest.mark.parametrize("case", [c for c in CASES if c.record], ids=_ids)
def test_limit_is_named(batch: Batch, case: Case) -> None:
    """A submission stopped by a limit is stopped by that limit, and the record says so."""
    record = batch.record(case)
    assert any(phrase in record for phrase in case.record), record


# --------------------------------------------------------------------------- 3. nothing changed
def test_course_and_home_are_unchanged(batch: Batch) -> None:
    changed = _differences(batch.course_before, batch.course_after)
    assert not changed, "grading changed files outside its outputs:\n" + "\n".join(changed)
    changed = _differences(batch.home_before, batch.home_after)
    assert not changed, "grading changed the grader's HOME:\n" + "\n".join(changed)
    outside = sorted(p.name for p in (batch.base / "outside").iterdir())
    assert not outside, f"a submission wrote outside its sandbox: {outside}"


def test_gradebook_has_one_submission_each(batch: Batch) -> None:
    with sqlite3.connect(batch.root / "gradebook.db") as db:
        rows = db.execute(
            "SELECT student.id, assignment.name, COUNT(*) FROM submitted_assignment "
            "JOIN student ON student.id = submitted_assignment.student_id "
            "JOIN assignment ON assignment.id = submitted_assignment.assignment_id "
            "GROUP BY student.id, assignment.name").fetchall()
    assert {(s, a): n for s, a, n in rows} == {(c.student, c.section): 1 for c in CASES}
    for section in SECTIONS:
        expected = {c.student: c.expected_code_score(_max_code(batch.root, section))
                    for c in CASES if c.section == section}
        got = {s: score.code_score for s, score in batch.scores[section].items()}
        assert got == expected


# --------------------------------------------------------------------------- 4. processes
def test_no_marked_process_survives(batch: Batch) -> None:
    assert not batch.survivors, f"processes outlived the batch: {batch.survivors}"


# --------------------------------------------------------------------------- 5. leaks
@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_no_hidden_test_or_key_leaks(batch: Batch, case: Case) -> None:
    leaks = {where: found for where, text in batch.texts(case).items()
             if (found := batch.secrets.leaked(text))}
    assert not leaks, f"{case.student} got back what it must not see: {leaks}"


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_hidden_probe_inputs_stay_hidden(batch: Batch, case: Case) -> None:
    """The inputs of hidden tests (their probes) are hidden tests too."""
    leaks = {where: [p for p in batch.secrets.hidden_probes if p in text]
             for where, text in batch.texts(case).items()}
    leaks = {w: p for w, p in leaks.items() if p}
    assert not leaks, (
        f"{case.student} got back the inputs of hidden tests: {leaks} (the stub that stands "
        "for a test in the kernel copy lists all its probes, hidden ones included, where "
        "student code can read it: In, a pre-run hook)")


def test_forged_names_stay_out_of_the_clean_room(batch: Batch) -> None:
    """A forged export names only what the test reads: it cannot rebind the clean room's
    builtins (``__builtins__``, ``isinstance``) in the namespace the test runs in."""
    case = next(c for c in CASES if c.student == "rt-replace-export")
    nb = _notebook(batch.root, case) or {"cells": []}
    verdicts = [_output_text(o) for c in nb["cells"] if testcells.is_autograded_test(c)
                for o in c.get("outputs", [])]
    assert verdicts, "no verdicts"
    inside = [v for v in verdicts if "internal function" in v or "SystemError" in v]
    assert not inside, (
        "a forged export put names the test never reads (here __builtins__) into the clean "
        f"room's namespace, and the test ran with a forged builtins object: {inside}")


@pytest.mark.parametrize("case", HOSTILE, ids=_ids)
def test_nothing_reaches_another_student(batch: Batch, case: Case) -> None:
    """A submission's marker is in no other student's notebook or page."""
    mark = batch.target.marker(case.student)
    hit = [f"{other.student} ({where})" for other in batch.cases if other is not case
           for where, text in batch.texts(other).items() if mark in text]
    assert not hit, f"{case.student}'s text reached {hit}"


# --------------------------------------------------------------------------- 6. pages run nothing
@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_no_student_script_in_pages(batch: Batch, case: Case) -> None:
    pages = _pages(batch.root, case)
    assert pages, f"no feedback page for {case.student}"
    markers = [batch.target.marker(c.student) for c in HOSTILE]
    for page, raw in pages.items():
        runnable = [item for item in _executable(raw) if any(m in item for m in markers)]
        assert not runnable, f"{page.name}: student text in an executable place: {runnable}"
    nb = _notebook(batch.root, case) or {"cells": []}
    kept = {mime for cell in nb["cells"] for o in cell.get("outputs", [])
            for mime in o.get("data") or {}}
    assert kept <= {"text/plain", "image/png", "image/jpeg"}, kept


@pytest.mark.parametrize("student", ["rt-html-injection", "rt-markdown-injection"])
def test_injected_text_is_shown_as_text(batch: Batch, student: str) -> None:
    """The pages checked above really carry the injected text (the check is not vacuous)."""
    case = next(c for c in CASES if c.student == student)
    mark = batch.target.marker(student)
    for page, raw in _pages(batch.root, case).items():
        text = _page_text(raw)
        assert f"alert('{mark}')" in text, page.name
        assert "<script>" in text, page.name


@pytest.mark.parametrize("case", [c for c in CASES if c.flood], ids=_ids)
def test_floods_are_capped(batch: Batch, case: Case) -> None:
    path = batch.root / "autograded" / case.student / case.section / SECTIONS[case.section]
    assert path.stat().st_size < 1_500_000
    for page in (batch.root / "feedback" / case.student / case.section).glob("*.html"):
        assert page.stat().st_size < 3_000_000, page


def test_file_size_cap_holds(batch: Batch) -> None:
    case = next(c for c in CASES if c.student == "rt-huge-file")
    text = batch.texts(case)["autograded notebook"]
    for path in ("huge.bin", "/tmp/huge.bin"):
        assert f" {path} stopped after 64 MB" in text, text[-2000:]
    assert "blocked: sparse" in text


def test_disk_use_is_bounded(batch: Batch) -> None:
    """A submission cannot fill the grader's disk: its scratch folder has a budget."""
    case = next(c for c in CASES if c.student == "rt-disk-fill")
    text = batch.texts(case)["autograded notebook"]
    found = re.search(r"DISK-FILL-MB (\d+)", text)
    if found is None:  # on a slow machine a limit stops it before it can report
        record = batch.record(case)
        assert "wrote more than" in record or "kernel stopped" in record, record
        return
    budget = sandbox.Limits().memory_mb
    assert int(found.group(1)) <= budget, (
        f"one submission wrote {found.group(1)} MB to the grader's disk (its scratch folder, "
        f"a bind mount of the host's temporary folder), more than its whole {budget} MB "
        "budget; only single files are capped (64 MB), so with every cell near the time "
        "limit a submission can fill the disk and make every later submission fail")


# --------------------------------------------------------------------------- 7. network
def test_listener_received_nothing(batch: Batch) -> None:
    assert not batch.received, f"a submission reached the network: {batch.received}"
    case = next(c for c in CASES if c.student == "rt-network")
    assert "blocked: tcp 127.0.0.1" in batch.texts(case)["autograded notebook"]


# --------------------------------------------------------------------------- hygiene
def test_no_student_files_left_in_temporary_folder(batch: Batch) -> None:
    """No copy of a submission (staging, scratch or clean-room folder) outlives the batch."""
    tmp = batch.base / "tmp"
    left = sorted(str(p.relative_to(tmp)) for p in tmp.rglob("*")
                  if p.name.startswith("trilateral-") or p.name in ("answers.json",
                                                                     "questions.yaml"))
    assert not left, f"left in the grader's temporary folder after the batch: {left[:10]}"


# --------------------------------------------------------------------------- the next student
def test_cross_batch_completes(cross: Batch) -> None:
    assert cross.grade.returncode == 0, cross.grade.stderr[-3000:]
    assert "Traceback" not in cross.grade.stdout + cross.grade.stderr, \
        cross.grade.stderr[-3000:]
    assert f"{START}: {len(CROSS)} submissions, out of" in cross.grade.stdout


@pytest.mark.parametrize("case", CROSS, ids=_ids)
def test_next_student_is_unharmed(cross: Batch, case: Case) -> None:
    score = cross.scores[START].get(case.student)
    max_code = _max_code(cross.root, START)
    expected = case.expected_code_score(max_code)
    before = CROSS[CROSS.index(case) - 1]
    assert score is not None and score.code_score == expected, (
        f"{case.student} scored {score.code_score if score else None}, not {expected}, after "
        f"{before.student} ({before.tries}): {cross.record(case)}")
    if case.kind == "correct":
        mark = cross.target.marker(before.student)
        hit = [w for w, text in cross.texts(case).items() if mark in text]
        assert not hit, f"{before.student}'s code ran in {case.student}'s kernel ({hit})"


def test_cross_processes_do_not_survive(cross: Batch) -> None:
    assert not cross.survivors, f"processes outlived the batch: {cross.survivors}"
