"""Warm grading kernels: fork each submission's kernel from a process that has already imported.

Grading a class starts one fresh kernel per submission. Most of that start is
the same work every time: Python importing ``ipykernel``, pandas, matplotlib
and ipywidgets (about 2.5 s of CPU for a course section). This module keeps,
per grading worker, one *warm server* that has done those imports once and
then forks a new kernel process for each submission. Every kernel is still a
separate process that starts from the same clean state, so nothing one
student's code changes reaches another's.

How the parts fit:

* :class:`PreforkProvisioner` is a Jupyter kernel provisioner (entry point
  ``trilateral-prefork``, named in the ``trilateral-sandbox`` kernelspec).
  jupyter_client asks it to start a kernel; it copies the submission's working
  folder into a scratch folder, asks the warm server to fork a kernel there,
  and hands jupyter_client a Popen-like handle. If the server cannot start,
  it falls back to the kernelspec's command (a cold, sandboxed kernel), so
  grading never depends on this speed-up.
* The warm server (``python -m trilateral.grading.prefork``) runs inside the same
  sandbox a cold kernel gets (:mod:`trilateral.grading.sandbox`: limits, read-only
  file system, instructor files hidden), plus its own PID namespace in which
  it is PID 1. It reads one JSON request per line on stdin and answers on
  stdout.

Between two submissions the server makes sure the previous one left nothing
behind: it kills every other process in its PID namespace (a student's
background process cannot escape the namespace) and empties its private
``/tmp``, scratch folders included. Processes in the namespace cannot kill
the server (the kernel ignores SIGKILL sent to a namespace's PID 1 from
inside it) and cannot attach to it (it is not dumpable). Without bubblewrap
there is no namespace: the server then kills each kernel's process group and
only the resource limits apply, as for cold kernels.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from jupyter_client.provisioning import LocalProvisioner
from traitlets import Unicode

from . import sandbox

__all__ = ["COPY_LIMITS", "PRELOAD", "PROVISIONER_NAME", "PreforkProvisioner", "WarmServer", "main"]

PROVISIONER_NAME = "trilateral-prefork"
# What the course's notebooks import; a module that fails to import is skipped.
PRELOAD = (
    "ipykernel.kernelapp",
    "ipykernel.ipkernel",
    "IPython",
    "debugpy",  # ipykernel imports its debugger support when a kernel starts
    "ipykernel.debugger",
    "pdb",
    "psutil",
    "numpy",
    "pandas",
    "matplotlib",
    "matplotlib.pyplot",
    "matplotlib.font_manager",
    "ipywidgets",
    "yaml",
    "trilateral.answers",
    "trilateral.checkers",
    "trilateral.data",
    "trilateral.forecasts",
    "trilateral.plots",
    "trilateral.questions",
    "trilateral.schemacheck",
    "trilateral.simulation",
    "trilateral.triangle",
    "trilateral.widgets",
)


# --------------------------------------------------------------------------- server side
class _Server:
    """The loop of the warm server (runs in the sandbox)."""

    def __init__(self, scratch: str, memory_mb: int, file_mb: int, output_chars: int,
                 isolated: bool) -> None:
        self.scratch = scratch
        self.limits = sandbox.Limits(memory_mb, file_mb, output_chars)
        self.isolated = isolated
        self.children: dict[int, int | None] = {}  # pid -> exit status (None: running)
        # What survives a sweep of the sandbox's private /tmp: the scratch folder
        # and the grader's font lists that bubblewrap bound in before any kernel ran.
        self.keep_in_tmp = {scratch} | (
            {str(p) for p in Path("/tmp/.mpl").glob("fontlist-*.json")} if isolated else set())

    # -- housekeeping
    def reap(self) -> None:
        """Collect exit statuses; as PID 1 this also reaps orphaned grandchildren."""
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            if pid in self.children:
                self.children[pid] = os.waitstatus_to_exitcode(status)

    def _others(self) -> list[int]:
        me = os.getpid()
        return [int(p) for p in os.listdir("/proc") if p.isdigit() and int(p) != me]

    def clear(self, keep: str | None = None) -> None:
        """Kill what earlier kernels left running and empty the scratch space."""
        for pid, status in self.children.items():
            if status is None:
                with contextlib.suppress(OSError):
                    os.killpg(pid, signal.SIGKILL)
        if self.isolated and os.getpid() == 1:
            for _ in range(50):  # a fork loop can outpace one sweep
                others = self._others()
                if not others:
                    break
                for pid in others:
                    with contextlib.suppress(OSError):
                        os.kill(pid, signal.SIGKILL)
                self.reap()
        self.reap()
        self.children = {p: s for p, s in self.children.items() if s is None}
        _sweep(Path(self.scratch), {keep} if keep else set())
        if self.isolated:  # the sandbox's private /tmp, never the real one
            _sweep(Path("/tmp"), self.keep_in_tmp)

    # -- requests
    def spawn(self, req: dict) -> dict:
        cwd = str(req["cwd"])
        if not cwd.startswith(self.scratch + os.sep):
            raise ValueError("the working folder must be inside the scratch folder")
        self.clear(keep=cwd)
        conn = os.path.join(self.scratch, f"connection-{os.path.basename(cwd)}.json")
        fd = os.open(conn, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(req["connection"], fh)
        sys.stdout.flush()
        pid = os.fork()
        if pid == 0:  # the kernel
            try:
                self._become_kernel(cwd, conn, req.get("env") or {}, req.get("argv") or [])
            finally:
                os._exit(1)
        self.children[pid] = None
        return {"pid": pid}

    def _become_kernel(self, cwd: str, conn: str, env: dict, argv: list[str]) -> None:
        os.setsid()
        sandbox.prctl(sandbox.PR_SET_DUMPABLE, 1)
        sandbox.die_with_parent()
        devnull = os.open(os.devnull, os.O_RDWR)
        os.dup2(devnull, 0)
        os.dup2(devnull, 1)  # the protocol pipe is closed; a kernel prints to its client
        if devnull > 1:
            os.close(devnull)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        home = os.path.join(cwd, ".home") if self.isolated else None
        os.environ.clear()
        os.environ.update({k: v for k, v in env.items() if k not in sandbox.DROP_ENV})
        if home:
            os.makedirs(os.path.join(home, "tmp"), exist_ok=True)
            os.environ.update(HOME=home, TMPDIR=os.path.join(home, "tmp"),
                              IPYTHONDIR=os.path.join(home, ".ipython"),
                              MPLCONFIGDIR="/tmp/.mpl")
        tempfile.tempdir = None
        sandbox.set_limits(self.limits.memory_mb, self.limits.file_mb)
        os.chdir(cwd)
        sys.argv = ["ipykernel_launcher"]
        if "" not in sys.path:
            sys.path.insert(0, "")
        from ipykernel.kernelapp import IPKernelApp

        app = IPKernelApp.instance()
        app.initialize(["-f", conn, "--HistoryManager.enabled=False", *argv])
        app.start()
        os._exit(0)

    def poll(self, req: dict) -> dict:
        self.reap()
        pid = int(req["pid"])
        return {"status": self.children.get(pid, -9)}

    def signal(self, req: dict) -> dict:
        pid, signum = int(req["pid"]), int(req["signum"])
        if self.children.get(pid, 0) is not None:
            return {"ok": False}
        try:
            os.killpg(pid, signum)
        except OSError:
            with contextlib.suppress(OSError):
                os.kill(pid, signum)
        if signum == signal.SIGKILL:
            # Answer once the kernel is gone, so the client's next poll sees it
            # dead instead of sleeping a poll interval to find out.
            end = time.monotonic() + 1.0
            while self.children.get(pid) is None and time.monotonic() < end:
                time.sleep(0.002)
                self.reap()
        return {"ok": True}

    def serve(self, stdin, stdout) -> None:
        handlers = {"spawn": self.spawn, "poll": self.poll, "signal": self.signal}
        stdout.write(json.dumps({"ready": True}) + "\n")
        stdout.flush()
        for line in stdin:
            try:
                req = json.loads(line)
                reply = handlers[req["op"]](req)
            except Exception as exc:  # a bad request is answered, not fatal
                reply = {"error": f"{type(exc).__name__}: {exc}"}
            stdout.write(json.dumps(reply) + "\n")
            stdout.flush()
        self.clear()


def _sweep(folder: Path, keep: set[str]) -> None:
    """Remove everything in ``folder`` except the paths in ``keep``.

    A folder on the way to a kept path is entered, not removed: the scratch
    folder is bind-mounted from outside the sandbox, so removing one of its
    parents would delete the real files inside it.
    """
    if not folder.is_dir() or folder.is_symlink():
        return
    for entry in list(folder.iterdir()):
        path = str(entry)
        if path in keep:
            continue
        if any(k.startswith(path + os.sep) for k in keep):
            _sweep(entry, keep)
            continue
        _remove(entry)


def _remove(path: Path) -> None:
    """Remove a file or tree a student may have made unreadable."""
    def unlock(func, target, _exc):
        with contextlib.suppress(OSError):
            os.chmod(os.path.dirname(target), 0o700)
            os.chmod(target, 0o700)
            func(target)

    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, onerror=unlock)
        else:
            path.unlink()
    except OSError:
        pass


def _preload() -> None:
    import importlib

    for name in PRELOAD:
        with contextlib.suppress(Exception):
            importlib.import_module(name)
    _warm()
    # Kernels forked from here skip the preloaded objects at every collection
    # (and, untouched by the collector, their memory pages stay shared).
    gc.freeze()


def _warm() -> None:
    """Do once, before any kernel forks, the first-time work every kernel repeats.

    Each costs a kernel a tenth of a second or more the first time and little
    after: building the question and rule validators the way the course does
    (a graded section loads a question bank in its first cell), loading the
    course's datasets (:func:`trilateral.data.load` keeps each checked frame
    while its file is unchanged), and formatting a traceback (IPython loads its
    highlighting and source-inspection machinery then; every unanswered
    exercise raises). Nothing here depends on a submission, so forked kernels
    share it and learn nothing from each other.
    """
    with contextlib.suppress(Exception):
        from .. import questions, schemacheck, simulation

        for schema in (questions.schema(), simulation.schema()):
            schemacheck.validator(schema, check_schema=False).is_valid({})
    with contextlib.suppress(Exception):
        from .. import data

        for name in data.resource_names():
            with contextlib.suppress(Exception):
                data.load(name)
    with contextlib.suppress(Exception):
        from IPython.core.ultratb import VerboseTB

        try:
            raise NotImplementedError("warming up")
        except NotImplementedError:
            VerboseTB().text(*sys.exc_info())


def main(argv: list[str] | None = None) -> None:
    """Run the warm server (started by :class:`WarmServer`, not by hand)."""
    parser = argparse.ArgumentParser(prog="python -m trilateral.grading.prefork",
                                     description="Fork grading kernels from a warm process.")
    parser.add_argument("--scratch", required=True)
    parser.add_argument("--memory-mb", type=int, default=sandbox.Limits.memory_mb)
    parser.add_argument("--file-mb", type=int, default=sandbox.Limits.file_mb)
    parser.add_argument("--output-chars", type=int, default=sandbox.Limits.output_chars)
    parser.add_argument("--isolated", action="store_true",
                        help="running as PID 1 of a bubblewrap sandbox")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    sandbox.prctl(sandbox.PR_SET_DUMPABLE, 0)
    sandbox.die_with_parent()
    # The protocol owns the real stdout; anything else printed goes to stderr.
    proto_out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    _preload()
    server = _Server(os.path.realpath(args.scratch), args.memory_mb, args.file_mb,
                     args.output_chars, args.isolated)
    server.serve(sys.stdin, proto_out)


# --------------------------------------------------------------------------- grader side
class WarmServer:
    """A running warm server and the pipe to it (one per grading process and sandbox)."""

    _servers: dict[tuple, WarmServer] = {}
    _lock = threading.Lock()

    def __init__(self, options: argparse.Namespace, python: str, scratch_root: str = "") -> None:
        # Under the grading batch's own temporary folder, removed with it even
        # if this process is killed.
        self.scratch = os.path.realpath(
            tempfile.mkdtemp(prefix="trilateral-warm-", dir=scratch_root or None))
        self.count = 0
        self.lock = threading.Lock()
        # The limits apply to each forked kernel, not to the server.
        command = [python, "-m", "trilateral.grading.prefork", "--scratch", self.scratch,
                   "--memory-mb", str(options.memory_mb), "--file-mb", str(options.file_mb),
                   "--output-chars", str(options.output_chars)]
        if not options.no_bwrap and sandbox.bwrap_works():
            command = [*sandbox.bwrap_argv(options.hide, self.scratch, None),
                       "--unshare-pid", "--as-pid-1", *command, "--isolated"]
        env = dict(os.environ)
        env.update(sandbox.KERNEL_ENV)
        for name in sandbox.DROP_ENV:
            env.pop(name, None)
        self.proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     env=env, text=True, bufsize=1,
                                     preexec_fn=sandbox.die_with_parent)
        ready = self.proc.stdout.readline() if self.proc.stdout else ""
        if not ready.strip().startswith('{"ready"'):
            self.close()
            raise RuntimeError("the warm kernel server did not start")

    @classmethod
    def get(cls, options: argparse.Namespace, python: str, scratch_root: str = "") -> WarmServer:
        """The server for these sandbox options, started on first use or after a crash."""
        key = (python, tuple(options.hide), options.no_bwrap, options.memory_mb,
               options.file_mb, options.output_chars, scratch_root)
        with cls._lock:
            server = cls._servers.get(key)
            if server is None or server.proc.poll() is not None:
                if server is not None:
                    server.close()
                server = cls._servers[key] = cls(options, python, scratch_root)
            return server

    @classmethod
    def close_all(cls) -> None:
        """Stop every server of this process and remove its scratch folder."""
        with cls._lock:
            servers = list(cls._servers.values())
            cls._servers.clear()
        for server in servers:
            server.close()

    def request(self, **req: Any) -> dict:
        with self.lock:
            if self.proc.poll() is not None or not self.proc.stdin or not self.proc.stdout:
                raise RuntimeError("the warm kernel server has stopped")
            self.proc.stdin.write(json.dumps(req) + "\n")
            self.proc.stdin.flush()
            line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the warm kernel server has stopped")
        reply = json.loads(line)
        if "error" in reply:
            raise RuntimeError(f"warm kernel server: {reply['error']}")
        return reply

    def workdir(self, source: str | os.PathLike | None) -> str:
        """A fresh scratch copy of a kernel's working folder.

        Only a folder of submission size is copied (see :data:`COPY_LIMITS`);
        for anything else this raises ``ValueError`` and the caller starts a
        cold kernel in the folder itself.
        """
        copy = bool(source) and os.path.isdir(source)
        if copy:
            _check_copyable(source, self.scratch)
        self.count += 1
        dest = os.path.join(self.scratch, f"k{self.count}")
        if copy:
            shutil.copytree(source, dest, symlinks=True,
                            ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        else:
            os.makedirs(dest)
        return dest

    def close(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            if self.proc.stdin:
                self.proc.stdin.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(5)
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)
        shutil.rmtree(self.scratch, ignore_errors=True)


# The most a kernel's working folder may hold to be copied: (files, bytes).
COPY_LIMITS = (500, 64 * 1024 * 1024)


def _check_copyable(source: str | os.PathLike, scratch: str) -> None:
    """Raise ``ValueError`` unless ``source`` is a small folder outside ``scratch``."""
    real = os.path.realpath(source)
    if os.path.commonpath([real, scratch]) == real:
        raise ValueError(f"{real} contains the scratch folder")
    files, size = 0, 0
    for folder, dirs, names in os.walk(real):
        dirs[:] = [d for d in dirs if d != ".ipynb_checkpoints"]
        files += len(names)
        for name in names:
            with contextlib.suppress(OSError):
                size += os.lstat(os.path.join(folder, name)).st_size
        if files > COPY_LIMITS[0] or size > COPY_LIMITS[1]:
            raise ValueError(f"{real} is larger than a submission folder")


class _ForkedKernel:
    """What jupyter_client needs of a ``Popen`` for a kernel forked by the server."""

    stdin = stdout = stderr = None

    def __init__(self, server: WarmServer, pid: int) -> None:
        self.server = server
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                self.returncode = self.server.request(op="poll", pid=self.pid)["status"]
            except RuntimeError:
                self.returncode = -int(signal.SIGKILL)  # the server (and its kernels) died
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        end = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if end is not None and time.monotonic() > end:
                raise subprocess.TimeoutExpired("kernel", timeout or 0)
            time.sleep(0.05)
        return self.returncode  # type: ignore[return-value]

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            with contextlib.suppress(RuntimeError):
                self.server.request(op="signal", pid=self.pid, signum=int(signum))

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


class PreforkProvisioner(LocalProvisioner):
    """Start grading kernels by forking them from a warm server (see the module docs)."""

    scratch_root = Unicode(
        "", config=True,
        help="Folder for the warm server's scratch copies (the kernelspec's folder when "
        "trilateral.grading.sandbox installs it); empty for the system's temporary folder.")

    async def launch_kernel(self, cmd: list[str], **kwargs: Any):
        try:
            options = sandbox.parse_launcher(self.kernel_spec.argv)
            server = WarmServer.get(options, self.kernel_spec.argv[0], self.scratch_root)
            cwd = server.workdir(kwargs.get("cwd"))
            env = dict(kwargs.get("env") or os.environ)
            reply = server.request(op="spawn", cwd=cwd, env=env,
                                   connection=_jsonable(self.connection_info),
                                   argv=sandbox.kernel_options(options))
        except (RuntimeError, OSError, ValueError) as exc:
            self.log.warning("warm kernels unavailable (%s); starting a cold kernel", exc)
            return await super().launch_kernel(cmd, **kwargs)
        self.process = _ForkedKernel(server, int(reply["pid"]))  # type: ignore[assignment]
        self.pid = self.process.pid
        self.pgid = None  # signals go through the server
        self.cwd = kwargs.get("cwd")
        return self.connection_info


def _jsonable(info: dict) -> dict:
    return {k: (v.decode() if isinstance(v, bytes) else v) for k, v in info.items()}


if __name__ == "__main__":
    main()
