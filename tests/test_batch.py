"""The grading batch when its own machinery fails: a killed worker, and nbgrader on its own.

A worker that dies mid-submission must cost only that student: the others
are graded exactly, the batch finishes, and the dead worker's sandbox (with
every process of the submission) goes with it. And nbgrader's own
``autograde`` must refuse to run the course's notebooks outside the sandbox.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from pathlib import Path

import pytest

from trilateral import grading
from trilateral.grading import batch, sandbox

from support_course import (
    NOTEBOOK,
    SECTION,
    isolated_env,
    make_course,
    released,
    run_cli,
    solved,
    with_answers,
)

pytestmark = pytest.mark.slow

MARKER = "4242.5"  # a sleep length no other process on the machine uses


def _sleepers() -> list[int]:
    out = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if cmd[:2] == [b"sleep", MARKER.encode()]:
            out.append(int(pid))
    return out


def _workers() -> list[int]:
    me = os.getpid()
    out = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if int(stat[1]) == me and b"spawn_main" in cmd:
            out.append(int(pid))
    return out


def test_a_killed_worker_costs_only_its_student(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    try:
        sandbox.probe()
    except sandbox.SandboxUnavailable:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true and the grading sandbox cannot start", pytrace=False)
        pytest.skip("the grading sandbox cannot start here")
    for key, value in isolated_env(tmp_path / "home").items():
        monkeypatch.setenv(key, value)
    root = make_course(tmp_path / "course", "c.Execute.timeout = 60\n"
                                            "c.ExecutePreprocessor.timeout = 60")
    grading.generate_assignment(root, SECTION)
    rel = released(root)
    stuck = with_answers(solved(rel), {"demo-ex2-solution": (
        "import subprocess\n"
        f"subprocess.run(['sleep', '{MARKER}'])\n"
        "total = sum(range(10))")})
    for student, nb in (("stuck", stuck), ("good", solved(rel))):
        folder = root / "submitted" / student / SECTION
        folder.mkdir(parents=True)
        (folder / NOTEBOOK).write_text(json.dumps(nb), encoding="utf-8")

    killed: list[int] = []

    def kill_the_worker() -> None:
        end = time.monotonic() + 120
        while time.monotonic() < end and not _sleepers():
            time.sleep(0.1)
        for pid in _workers():
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

    thread = threading.Thread(target=kill_the_worker, daemon=True)
    thread.start()
    outcomes = batch.grade_section(root, SECTION, ["stuck", "good"], jobs=1)
    thread.join(5)
    assert killed, "the test never saw the stuck submission running"
    by_student = {o.student: o for o in outcomes}
    assert not by_student["stuck"].ok
    assert by_student["stuck"].reason == "the grading process crashed on this submission"
    assert by_student["good"].ok
    scores = grading.scores(root, SECTION)
    assert scores["good"].code_score == 5.0 and scores["stuck"].code_score == 0.0
    time.sleep(1)
    assert _sleepers() == [], "a process of the killed worker's submission survived"


def test_nbgrader_autograde_on_its_own_refuses(tmp_path: Path) -> None:
    """Without `trilateral grade` there is no sandbox: nbgrader's own command must not
    run students' code unprotected."""
    root = make_course(tmp_path / "course")
    env = isolated_env(tmp_path / "home")
    assert run_cli("--course-root", str(root), "release", env=env).returncode == 0
    folder = root / "submitted" / "ana" / SECTION
    folder.mkdir(parents=True)
    (folder / NOTEBOOK).write_text(json.dumps(solved(released(root))), encoding="utf-8")
    import subprocess
    import sys

    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    done = subprocess.run([sys.executable, "-m", "nbgrader", "autograde", SECTION],
                          cwd=root, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode != 0
    assert "grades only in its sandbox" in done.stdout + done.stderr
    assert not (root / "autograded" / "ana" / SECTION / NOTEBOOK).exists()
