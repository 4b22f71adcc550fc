"""nbgrader's execution step, split in two: the student's kernel, then the clean room.

:class:`CleanRoomExecute` takes the place of nbgrader's ``Execute`` in the
autograde chain (it is a subclass, so ``Execute.timeout`` and the other
options still apply). For each notebook it:

1. plans every autograded test cell (:mod:`trilateral.grading.testcells`):
   which names and probes the test needs;
2. reads the submission's ``answers.json`` and the section's question bank
   before any student code runs;
3. builds the *kernel copy* of the notebook, in which every autograded test
   cell is replaced by a stub that only exports values
   (:func:`trilateral.grading.exports.stub_source`). The hidden tests are
   not in it, nor in the kernel's working folder, which is a copy of the
   submission without its notebooks;
4. runs the kernel copy in a sandboxed kernel, keeping at most
   ``output_chars`` printed characters and ``output_bytes`` of rich output
   (counted here, as messages arrive, so no trick inside the kernel
   bypasses it). If the kernel dies or hangs, the run stops there and every
   test after that point gets no values;
5. copies the outputs of the student's own cells into the notebook nbgrader
   keeps, and sends the tests with the exported values to the clean room
   (:mod:`trilateral.grading.cleanroom`);
6. writes each verdict as the test cell's output, which nbgrader's
   ``SaveAutoGrades`` scores as usual, and removes the hidden tests from the
   notebook nbgrader writes to ``autograded/``.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from nbformat import NotebookNode
from nbformat.v4 import new_code_cell, new_notebook, new_output
from nbgrader.preprocessors import Execute
from traitlets import Bool, Integer, Unicode

from . import cleanroom, exports, journal, sandbox, testcells

__all__ = ["CleanRoomExecute", "KernelStopped"]

_ANSWERS_MAX = 1024 * 1024
LATE = "#hidden"  # suffix of the export id of a test's hidden-only probes


class KernelStopped(RuntimeError):
    """The student's kernel stopped before the end of the notebook (reason in the message)."""


def _read_small(path: Path, limit: int = _ANSWERS_MAX) -> str | None:
    try:
        if not path.is_file() or path.is_symlink() or path.stat().st_size > limit:
            return None
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


class CleanRoomExecute(Execute):
    """Run the student's cells in the sandbox and the tests in the clean room."""

    output_chars = Integer(200_000, help="printed characters kept for one notebook").tag(
        config=True)
    output_bytes = Integer(20_000_000, help="bytes of rich output (charts, tables) kept for "
                           "one notebook").tag(config=True)
    staging_root = Unicode("", help="folder for the kernels' working copies (default: the "
                           "system's temporary folder)").tag(config=True)
    require_sandbox = Bool(True, help="refuse to run a kernel that is not the grading "
                           "sandbox's (trilateral grade --no-sandbox turns this off)").tag(
        config=True)

    # ------------------------------------------------------------------ output budget
    def _reset_budget(self) -> None:
        self._chars = 0
        self._bytes = 0
        self._cut = False
        self._stub_cells: set[int] = set()
        self._exported: set[int] = set()
        self._late_cell = -1  # the cell after the notebook that runs hidden-only probes

    def _over(self, outs: list, note: str) -> None:
        if not self._cut:
            self._cut = True
            outs.append(new_output("stream", name="stderr", text=note))

    def output(self, outs, msg, display_id, cell_index):  # noqa: D102 (nbclient hook)
        msg_type = msg.get("msg_type")
        content = msg.get("content") or {}
        if msg_type in ("display_data", "execute_result", "update_display_data"):
            data = content.get("data") or {}
            if exports.MIME in data:
                too_big = len(json.dumps(data[exports.MIME])) > exports.MAX_BYTES
                if cell_index == self._late_cell and not too_big:
                    return super().output(outs, msg, display_id, cell_index)
                if cell_index in self._stub_cells and cell_index not in self._exported \
                        and not too_big:
                    self._exported.add(cell_index)
                    return super().output(outs, msg, display_id, cell_index)
                return None  # an export from anywhere else is not one
            size = sum(len(v) if isinstance(v, str) else len(str(v)) for v in data.values())
            if self._cut or self._bytes + size > self.output_bytes:
                self._over(outs, f"\n[grading: output stopped after {self.output_bytes:,} bytes "
                                 "of charts and tables]\n")
                return None
            self._bytes += size
        elif msg_type == "stream":
            text = content.get("text") or ""
            room = self.output_chars - self._chars
            if self._cut or room <= 0:
                self._over(outs, f"\n[grading: output stopped after {self.output_chars:,} "
                                 "characters; the rest of this notebook's printing was "
                                 "dropped]\n")
                return None
            if len(text) > room:
                content["text"] = text[:room]
            self._chars += len(content["text"])
        elif msg_type == "error":
            tb = content.get("traceback") or []
            size = sum(len(str(t)) for t in tb)
            if self._bytes + size > self.output_bytes:
                content["traceback"] = [str(t)[:2000] for t in tb[-5:]]
            self._bytes += min(size, 10_000)
        return super().output(outs, msg, display_id, cell_index)

    def handle_comm_msg(self, outs, msg, cell_index):  # noqa: D102 (nbclient hook)
        size = len(str(msg.get("content")))
        if self._cut or self._bytes + size > self.output_bytes:
            return None
        self._bytes += size
        return super().handle_comm_msg(outs, msg, cell_index)

    # ------------------------------------------------------------------ the two rooms
    def preprocess(self, nb: NotebookNode, resources: dict | None = None, km=None):
        resources = resources if resources is not None else {}
        if self.require_sandbox and self.kernel_name != sandbox.KERNEL_NAME:
            raise KernelStopped("this course grades only in its sandbox: run `trilateral grade` "
                                "(nbgrader autograde on its own would run students' code "
                                "unprotected)")
        folder = Path(resources.get("metadata", {}).get("path") or os.getcwd())
        plans: dict[int, testcells.TestCell] = {}
        broken: dict[int, str] = {}
        for index, cell in enumerate(nb.cells):
            if testcells.is_autograded_test(cell):
                gid = cell.metadata.nbgrader.grade_id
                try:
                    plans[index] = testcells.plan(gid, cell.source)
                except ValueError as exc:
                    broken[index] = str(exc)
        answers = _read_small(folder / "answers.json")
        bank = _read_small(folder / "questions.yaml")
        kernel_nb = self._kernel_copy(nb, plans)
        staging = self._stage(folder)
        stopped = ""
        started = time.perf_counter()
        try:
            stopped = self._run_kernel(kernel_nb, staging, km)
        finally:
            sandbox.remove_tree(staging)
            journal.time("kernel", time.perf_counter() - started)
        for index, cell in enumerate(nb.cells):
            if cell.cell_type == "code" and index not in plans and index not in broken:
                cell.outputs = kernel_nb.cells[index].get("outputs", [])
                cell.execution_count = kernel_nb.cells[index].get("execution_count")
        started = time.perf_counter()
        verdicts = self._judge(kernel_nb, plans, answers, bank)
        journal.time("clean_room", time.perf_counter() - started)
        if stopped:
            journal.note(stopped)
        for index, cell in enumerate(nb.cells):
            if index in plans:
                verdict = verdicts[index]
                cell.outputs = [NotebookNode(o) for o in cleanroom.verdict_output(verdict)]
                if not verdict.passed:
                    journal.record({"notebook": resources.get("unique_key", ""),
                                    "grade_id": verdict.grade_id, "where": verdict.where,
                                    "detail": verdict.detail})
            elif index in broken:
                cell.outputs = [new_output("error", ename="GradingError",
                                           evalue="this test could not be run",
                                           traceback=["this test could not be run"])]
                journal.note(broken[index])
            if testcells.is_autograded_test(cell):
                cell.source = testcells.strip_hidden(cell.source)
        nb.metadata.pop("widgets", None)
        return nb, resources

    def _kernel_copy(self, nb: NotebookNode, plans: dict[int, testcells.TestCell]):
        """The notebook the student's kernel runs: their cells, and stubs for the tests."""
        cells = []
        self._reset_budget()
        for index, cell in enumerate(nb.cells):
            if index in plans:
                plan = plans[index]
                source = exports.stub_source(plan.grade_id, list(plan.names),
                                             [p for p in plan.probes if p not in plan.late])
                self._stub_cells.add(index)
            elif cell.cell_type == "code" and not testcells.is_autograded_test(cell):
                source = cell.source
            else:
                source = ""  # markdown, raw, or a test that cannot run: nothing to execute
            cells.append(new_code_cell(source))
        late = [exports.stub_source(f"{p.grade_id}{LATE}", [], list(p.late))
                for p in plans.values() if p.late]
        if late:  # after every cell of the notebook; its output is never shown
            self._late_cell = len(cells)
            cells.append(new_code_cell("\n".join(late)))
        copy = new_notebook(cells=cells)
        copy.metadata["kernelspec"] = nb.metadata.get("kernelspec", {})
        return copy

    def _stage(self, folder: Path) -> str:
        """A copy of the submission's folder without notebooks: the kernel's working folder."""
        staging = tempfile.mkdtemp(prefix="trilateral-stage-", dir=self.staging_root or None)
        work = os.path.join(staging, "work")

        def ignore(where: str, names: list[str]) -> list[str]:
            return [n for n in names if n.endswith(".ipynb") or n == ".ipynb_checkpoints"
                    or os.path.islink(os.path.join(where, n))]

        shutil.copytree(folder, work, ignore=ignore)
        return staging

    def _run_kernel(self, kernel_nb: NotebookNode, staging: str, km) -> str:
        """Run the kernel copy; return why it stopped early ("" if it ran to the end)."""
        from nbclient import NotebookClient
        from nbclient.exceptions import CellTimeoutError, DeadKernelError

        from .prefork import _ForkedKernel

        NotebookClient.__init__(self, kernel_nb, km)
        self.reset_execution_trackers()
        run_resources = {"metadata": {"path": os.path.join(staging, "work")}}
        self._check_assign_resources(run_resources)
        _ForkedKernel.stopped_because = ""
        stopped = ""
        with self.setup_kernel():
            assert self.kc
            self.wait_for_reply(self.kc.kernel_info())
            for index, cell in enumerate(self.nb.cells):
                if not cell.source:
                    continue
                try:
                    self.preprocess_cell(cell, run_resources, index)
                except DeadKernelError:
                    why = _ForkedKernel.stopped_because or (
                        "the Python kernel stopped while running the notebook "
                        "(for example os._exit() or a crash)")
                    stopped = f"{why}; grading stopped at cell {index + 1}"
                    break
                except CellTimeoutError:
                    stopped = (f"cell {index + 1} was still running after the time limit and "
                               "did not stop when interrupted")
                    break
                except Exception as exc:  # the kernel became unusable: stop, grade what ran
                    self.log.warning("kernel unusable at cell %d: %r", index + 1, exc)
                    stopped = (f"the kernel stopped responding properly at cell {index + 1} "
                               f"({type(exc).__name__}); grading stopped there")
                    break
        return stopped

    def _judge(self, kernel_nb: NotebookNode, plans: dict[int, testcells.TestCell],
               answers: str | None, bank: str | None) -> dict[int, cleanroom.Verdict]:
        late: dict[str, Any] = {}
        if self._late_cell >= 0:
            for output in kernel_nb.cells[self._late_cell].get("outputs", []):
                data = _plain((output.get("data") or {}).get(exports.MIME))
                if isinstance(data, dict) and isinstance(data.get("probes"), dict):
                    late.setdefault(str(data.get("grade_id")), data["probes"])
        tests = []
        for index, plan in plans.items():
            payload = None
            for output in kernel_nb.cells[index].get("outputs", []):
                data = output.get("data") or {}
                if exports.MIME in data:
                    payload = _plain(data[exports.MIME])
                    break
            extra = late.get(f"{plan.grade_id}{LATE}", {})
            if isinstance(payload, dict) and isinstance(payload.get("probes"), dict):
                payload["probes"] = {**payload["probes"],
                                     **{k: v for k, v in extra.items() if k in plan.late}}
            tests.append({"grade_id": plan.grade_id, "source": plan.source,
                          "names": list(plan.names), "probes": list(plan.probes),
                          "payload": payload})
        request = {"tests": tests, "answers": answers, "bank": bank}
        deadline = cleanroom.WALL_SECONDS * max(1, len(tests)) + 30
        verdicts = cleanroom.CleanRoom.get().judge(request, timeout=deadline)
        if len(verdicts) != len(plans):
            raise RuntimeError("the clean room did not judge every test")
        return dict(zip(plans, verdicts, strict=True))


def _plain(value: Any) -> Any:
    """A NotebookNode tree as plain dicts and lists (for JSON)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value

