"""The clean room: where autograded tests run, on values the student's kernel exported.

A test never runs in the student's process. The kernel hands over plain data
(:mod:`trilateral.grading.exports`); this module runs every test cell,
visible and hidden, in a fresh process that never ran student code, on the
values :func:`~trilateral.grading.exports.decode` rebuilt, and on the
``answers.json`` the student submitted (read before their kernel started).
A student's function is represented by a :class:`Replay`, which answers
exactly the calls the kernel probed and nothing else.

The clean-room server (``python -m trilateral.grading.cleanroom``) imports
pandas, NumPy and the course's modules once, then forks one child per
submission; the child judges that submission's tests and exits. The server
itself only reads requests and forks: it never decodes a submission's values.

A verdict says: passed; failed on a visible line (with that line's message);
failed on a hidden line (no message: hidden tests are not shown); or no
values arrived for the test. The instructor's detail (exception and line of a
hidden failure) is kept apart, for the grading record.
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import io
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import traceback
from dataclasses import asdict, dataclass
from typing import Any

from . import exports, sandbox, testcells

__all__ = ["CleanRoom", "Replay", "Verdict", "judge", "main", "verdict_output"]

HIDDEN_FAILED = "A hidden test failed (hidden tests are not shown)."
NO_VALUES = ("The grader received no values for this test from your notebook: the notebook "
             "stopped before this cell ran, or the cell was changed.")
# What a test may take in the clean room, in seconds; a whole submission's tests together.
TEST_SECONDS = 20  # CPU seconds
WALL_SECONDS = 180
MEMORY_MB = 4096


@dataclass
class Verdict:
    """How one test cell fared in the clean room."""

    grade_id: str
    passed: bool
    where: str = ""  # "", "visible", "hidden" or "values"
    ename: str = ""
    message: str = ""
    detail: str = ""  # for the instructor only: never in a notebook or feedback page


class _NotRecorded(LookupError):
    pass


def _key(args: tuple, kwargs: dict) -> str:
    return json.dumps(exports.encode([list(args), dict(sorted(kwargs.items()))]),
                      sort_keys=True)


class Replay:
    """A student's function in the clean room: it answers the probed calls only."""

    def __init__(self, name: str, table: dict[str, Any]) -> None:
        self._name = name
        self._table = table  # key -> encoded result, decoded afresh on every call

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            key = _key(args, kwargs)
        except exports.ExportError:
            key = None
        if key not in self._table:
            raise _NotRecorded(f"the grader has no result of {self._name}() for these "
                               "arguments (a test that was not declared as a probe)")
        result = exports.decode(self._table[key])
        if isinstance(result, exports.Raised):
            raise result.exception()
        if isinstance(result, exports.Missing):
            raise NameError(f"name {self._name!r} is not defined")
        return result

    def __repr__(self) -> str:
        return f"<function {self._name} (replayed)>"


def _replays(test: testcells.TestCell, raw_names: dict, probes: dict, namespace: dict) -> None:
    """Bind each exported function of ``namespace`` to a :class:`Replay` of its probes."""
    tables: dict[str, dict[str, Any]] = {}
    for name in test.names:  # only names the test reads: never __builtins__ or the like
        raw = raw_names.get(name) if isinstance(raw_names, dict) else None
        if isinstance(raw, dict) and raw.get("t") == "function":
            tables[name] = {}
    for text, result in probes.items():
        if text not in test.probes:
            continue
        call = ast.parse(text, mode="eval").body
        name = call.func.id  # type: ignore[attr-defined]
        if name not in tables:
            continue
        scope = dict(namespace)
        try:
            args = tuple(eval(compile(ast.Expression(a), "<probe>", "eval"), scope)
                         for a in call.args)  # type: ignore[attr-defined]
            kwargs = {k.arg: eval(compile(ast.Expression(k.value), "<probe>", "eval"), scope)
                      for k in call.keywords}  # type: ignore[attr-defined]
            tables[name][_key(args, kwargs)] = result
        except Exception:  # noqa: S112  (the arguments need a value that did not arrive)
            continue
    for name, table in tables.items():
        namespace[name] = Replay(name, table)


def _failure(test: testcells.TestCell, exc: BaseException, filename: str) -> Verdict:
    line = None
    for frame, lineno in traceback.walk_tb(exc.__traceback__):
        if frame.f_code.co_filename == filename:
            line = lineno
    ename = type(exc).__name__
    message = str(exc)
    detail = f"{ename} at line {line}: {message}"[:1000]
    if line is not None and line in testcells.hidden_lines(test.source):
        return Verdict(test.grade_id, False, "hidden", "AssertionError", "", detail)
    if isinstance(exc, _NotRecorded):
        ename = "AssertionError"
    return Verdict(test.grade_id, False, "visible", ename, message[:2000], detail)


def _run_test(test: testcells.TestCell, payload: Any) -> Verdict:
    try:
        values, probes = exports.decode_payload(payload, test.grade_id)
    except exports.ExportError as exc:
        return Verdict(test.grade_id, False, "values", "AssertionError", NO_VALUES, str(exc))
    namespace: dict[str, Any] = {"__name__": "__main__", "__builtins__": builtins}
    for name in test.names:
        value = values.get(name)
        if name in values and not isinstance(value, exports.Missing):
            namespace[name] = value
    _replays(test, payload["names"], probes, namespace)
    filename = f"<test {test.grade_id}>"
    try:
        code = compile(test.source, filename, "exec")
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            exec(code, namespace)
    except Exception as exc:  # the test failed: that is the verdict
        return _failure(test, exc, filename)
    return Verdict(test.grade_id, True)


def _alarm(_signum, _frame):
    raise TimeoutError("the test ran past the grader's time limit")


def judge(request: dict) -> list[Verdict]:
    """Run the tests of one submission (in a clean-room child process).

    ``request``: ``tests`` (grade_id, source, names, probes, payload),
    ``answers`` (the submitted answers.json text, or None) and ``bank`` (the
    section's questions.yaml text, or None).
    """
    folder = tempfile.mkdtemp(prefix="trilateral-cleanroom-")
    here = os.getcwd()
    os.chdir(folder)
    os.environ["NBGRADER_EXECUTION"] = "autograde"
    try:
        for name, key in (("answers.json", "answers"), ("questions.yaml", "bank")):
            if request.get(key) is not None:
                with open(name, "w", encoding="utf-8") as fh:
                    fh.write(request[key])
        # A test's limit is CPU time, so a busy machine (another submission's
        # processes) does not fail an honest one; the wall clock is only a backstop.
        previous = (signal.signal(signal.SIGPROF, _alarm), signal.signal(signal.SIGALRM, _alarm))
        verdicts = []
        for item in request.get("tests", []):
            test = testcells.TestCell(item["grade_id"], item["source"], tuple(item["names"]),
                                      tuple(item["probes"]))
            signal.setitimer(signal.ITIMER_PROF, TEST_SECONDS)
            signal.alarm(WALL_SECONDS)
            try:
                verdicts.append(_run_test(test, item.get("payload")))
            except TimeoutError as exc:
                verdicts.append(Verdict(test.grade_id, False, "hidden", "AssertionError", "",
                                        str(exc)))
            finally:
                signal.setitimer(signal.ITIMER_PROF, 0)
                signal.alarm(0)
        signal.signal(signal.SIGPROF, previous[0])
        signal.signal(signal.SIGALRM, previous[1])
        return verdicts
    finally:
        os.chdir(here)
        shutil.rmtree(folder, ignore_errors=True)


def verdict_output(verdict: Verdict) -> list[dict]:
    """The outputs nbgrader records for a test cell with this verdict."""
    if verdict.passed:
        return []
    if verdict.where == "hidden":
        return [{"output_type": "error", "ename": "AssertionError", "evalue": HIDDEN_FAILED,
                 "traceback": [HIDDEN_FAILED]}]
    text = f"{verdict.ename}: {verdict.message}" if verdict.message else verdict.ename
    return [{"output_type": "error", "ename": verdict.ename, "evalue": verdict.message,
             "traceback": [text]}]


# --------------------------------------------------------------------------- server
_PRELOAD = ("numpy", "pandas", "yaml", "trilateral.answers", "trilateral.data",
            "trilateral.forecasts", "trilateral.questions", "trilateral.simulation",
            "trilateral.triangle", "trilateral.checkers")


def _preload() -> None:
    import importlib

    for name in _PRELOAD:
        with contextlib.suppress(Exception):
            importlib.import_module(name)
    with contextlib.suppress(Exception):
        from .. import data

        for name in data.resource_names():
            with contextlib.suppress(Exception):
                data.load(name)


def _serve_one(line: str, out) -> None:
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child judges one submission, then exits
        os.close(read)
        code = 0
        try:
            resource.setrlimit(resource.RLIMIT_AS, (MEMORY_MB << 20, MEMORY_MB << 20))
            request = json.loads(line)
            reply = {"verdicts": [asdict(v) for v in judge(request)]}
        except BaseException as exc:  # reported to the grader, never raised past here
            reply = {"error": f"{type(exc).__name__}: {exc}"[:500]}
            code = 1
        with os.fdopen(write, "w", encoding="utf-8") as fh:
            fh.write(json.dumps(reply))
        os._exit(code)
    os.close(write)
    with os.fdopen(read, encoding="utf-8") as fh:
        text = fh.read()
    os.waitpid(pid, 0)
    out.write((text or json.dumps({"error": "the clean room stopped"})) + "\n")
    out.flush()


def main(argv: list[str] | None = None) -> None:
    """Serve judge requests, one JSON line each, on stdin/stdout."""
    proto_out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    _preload()
    import gc

    gc.freeze()
    proto_out.write(json.dumps({"ready": True}) + "\n")
    proto_out.flush()
    for line in sys.stdin:
        if line.strip():
            _serve_one(line, proto_out)


class CleanRoom:
    """The grader's handle on its clean-room server (one per grading process)."""

    _instance: CleanRoom | None = None
    _lock = threading.Lock()

    def __init__(self) -> None:
        env = {k: v for k, v in os.environ.items() if k != "TRILATERAL_ANSWERS_DIR"}
        env.update(MPLBACKEND="Agg", OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "trilateral.grading.cleanroom"], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
        ready = self.proc.stdout.readline() if self.proc.stdout else ""
        if '"ready"' not in ready:
            self.close()
            raise RuntimeError("the clean room did not start")
        self.lock = threading.Lock()

    @classmethod
    def get(cls) -> CleanRoom:
        with cls._lock:
            if cls._instance is None or cls._instance.proc.poll() is not None:
                cls._instance = cls()
            return cls._instance

    @classmethod
    def close_all(cls) -> None:
        with cls._lock:
            if cls._instance is not None:
                cls._instance.close()
                cls._instance = None

    def judge(self, request: dict, timeout: float) -> list[Verdict]:
        """Verdicts for ``request``; raises ``RuntimeError`` if the clean room fails."""
        with self.lock:
            assert self.proc.stdin and self.proc.stdout
            self.proc.stdin.write(json.dumps(request) + "\n")
            self.proc.stdin.flush()
            line = _readline(self.proc, timeout)
        reply = json.loads(line)
        if "error" in reply:
            raise RuntimeError(f"the clean room could not run the tests: {reply['error']}")
        return [Verdict(**v) for v in reply["verdicts"]]

    def close(self) -> None:
        sandbox.stop_server(self.proc)


def _readline(proc: subprocess.Popen, timeout: float) -> str:
    result: list[str] = []
    reader = threading.Thread(target=lambda: result.append(proc.stdout.readline()),  # type: ignore[union-attr]
                              daemon=True)
    reader.start()
    reader.join(timeout)
    if reader.is_alive() or not result or not result[0]:
        proc.kill()
        raise RuntimeError("the clean room did not answer in time")
    return result[0]


if __name__ == "__main__":
    main()
