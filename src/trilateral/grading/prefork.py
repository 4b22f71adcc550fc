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
  and hands jupyter_client a Popen-like handle. This is the only way a grading
  kernel starts: there is no weaker fallback.
* The warm server (``python -m trilateral.grading.prefork``) runs as PID 1 of
  the grading sandbox (:mod:`trilateral.grading.sandbox`). It reads one JSON
  request per line on stdin and answers on stdout. A forked kernel keeps none
  of its descriptors: its standard streams are ``/dev/null`` and it talks to
  the grader only through its own connection file's sockets.

Between two submissions the server makes sure the previous one left nothing
behind: it kills every other process in its PID namespace (a student's
background process cannot escape the namespace) and empties its private
``/tmp``, ``/dev/shm`` and the scratch folders. Processes in the namespace
cannot kill the server (the kernel ignores SIGKILL sent to a namespace's PID 1
from inside it) and cannot attach to it (it is not dumpable). While a kernel
runs, the server's watchdog counts the submission's processes and their
memory and kills them all when a limit is passed, saying why. With
``--no-sandbox`` there is no namespace: the server then watches the kernel's
session only.
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
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jupyter_client.provisioning import LocalProvisioner
from traitlets import Bool, Integer, Unicode

from . import sandbox

__all__ = ["COPY_LIMITS", "PRELOAD", "PROVISIONER_NAME", "PreforkProvisioner", "ServerOptions",
           "WarmServer", "main"]

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
# What a submission may write in all; the watchdog counts what lies outside the capped
# memory-backed folders too (the sockets folder), and files by number.
DISK_MB = sandbox.DISK_MB + sandbox.SHM_MB
DISK_ENTRIES = 100_000
# What of the grader's environment a kernel gets: nothing secret, nothing that steers it.
KERNEL_ENV_KEEP = ("NBGRADER_EXECUTION", "TRILATERAL_DATA", "LANG", "PATH",
                   "PYDEVD_DISABLE_FILE_VALIDATION", *sandbox.KERNEL_ENV)


class _Server:
    """The loop of the warm server (runs in the sandbox)."""

    def __init__(self, scratch: str, limits: sandbox.Limits, isolated: bool,
                 sockets: str = "") -> None:
        self.scratch = scratch
        self.sockets = sockets
        self.limits = limits
        self.isolated = isolated
        self.children: dict[int, int | None] = {}  # pid -> exit status (None: running)
        self.why: dict[int, str] = {}  # pid -> why the watchdog stopped its submission
        self.current: int | None = None
        self.lock = threading.Lock()
        # What survives a sweep of the sandbox's private /tmp: the scratch folder
        # and the grader's font lists that bubblewrap bound in before any kernel ran.
        self.keep_in_tmp = {scratch, sockets} | (
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
        """Every other process of the submission: the whole namespace, or the kernel's session."""
        me = os.getpid()
        pids = [int(p) for p in os.listdir("/proc") if p.isdigit() and int(p) != me]
        if self.isolated and me == 1:
            return pids
        sessions = {k for k, s in self.children.items() if s is None}
        out = []
        for pid in pids:
            with contextlib.suppress(OSError, ValueError, IndexError):
                if os.getsid(pid) in sessions:
                    out.append(pid)
        return out

    def kill_all(self) -> None:
        """Kill every process of the submission (a fork loop can outpace one sweep)."""
        for pid, status in self.children.items():
            if status is None:
                with contextlib.suppress(OSError):
                    os.killpg(pid, signal.SIGKILL)
        for _ in range(50):
            others = self._others()
            if not others:
                break
            for pid in others:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
            self.reap()
            time.sleep(0.001)
        self.reap()

    def clear(self, keep: str | None = None) -> None:
        """Kill what earlier kernels left running and empty the scratch space."""
        with self.lock:
            self.current = None
            self.kill_all()
            self.children = {p: s for p, s in self.children.items() if s is None}
        if not self.isolated:  # inside the sandbox the scratch folder is read-only
            _sweep(Path(self.scratch), {keep} if keep else set())
        if self.sockets:
            _sweep(Path(self.sockets), set())
        if self.isolated:  # the sandbox's private /tmp and /dev/shm, never the real ones
            _sweep(Path("/tmp"), self.keep_in_tmp)
            _sweep(Path("/dev/shm"), set())

    # -- the watchdog: whole-submission limits where no cgroup holds them
    def _usage(self) -> tuple[int, int]:
        count, rss = 0, 0
        page = os.sysconf("SC_PAGE_SIZE")
        for pid in self._others():
            count += 1
            with contextlib.suppress(OSError, ValueError, IndexError), \
                    open(f"/proc/{pid}/statm", encoding="ascii") as fh:
                rss += int(fh.read().split()[1]) * page
        return count, rss

    def _disk(self) -> tuple[int, int]:
        """(bytes, entries) the submission holds in the writable folders, counted
        without recursion and up to a bounded number of entries."""
        # Inside the sandbox the grader's copy (scratch) is read-only: the kernel's copy
        # is in /tmp.
        folders = [self.sockets, "/tmp", "/dev/shm"] if self.isolated else \
            [self.scratch, self.sockets]
        stack = [f for f in folders if f]
        seen, total, entries = set(), 0, 0
        while stack and entries <= DISK_ENTRIES:
            folder = stack.pop()
            with contextlib.suppress(OSError), os.scandir(folder) as it:
                for entry in it:
                    entries += 1
                    with contextlib.suppress(OSError):
                        info = entry.stat(follow_symlinks=False)
                        if (info.st_dev, info.st_ino) in seen:
                            continue
                        seen.add((info.st_dev, info.st_ino))
                        total += info.st_blocks * 512
                        if entry.is_dir(follow_symlinks=False):
                            stack.append(entry.path)
        return total, entries

    def watch(self) -> None:
        limit_bytes = self.limits.memory_mb * 1024 * 1024
        tick = 0
        while True:
            time.sleep(0.05)
            tick += 1
            with self.lock:
                kernel = self.current
                if kernel is None or self.children.get(kernel, 0) is not None:
                    continue
                count, rss = self._usage()
                disk, entries = self._disk() if tick % 10 == 0 else (0, 0)
                why = ""
                if disk > DISK_MB * 1024 * 1024 or entries > DISK_ENTRIES:
                    why = (f"the notebook wrote more than {DISK_MB} MB or "
                           f"{DISK_ENTRIES:,} files")
                elif count > self.limits.processes:
                    why = (f"the notebook started more than {self.limits.processes} "
                           "processes at once")
                elif rss > limit_bytes:
                    why = (f"the notebook's processes used more than "
                           f"{self.limits.memory_mb} MB of memory together")
                if why:
                    self.why[kernel] = why
                    self.kill_all()

    # -- requests
    def clear_request(self, _req: dict) -> dict:
        """Kill and sweep before the grader copies the next submission in: nothing of
        the previous one may be alive to tamper with the copy."""
        self.clear()
        return {"ok": True}

    def spawn(self, req: dict) -> dict:
        cwd = str(req["cwd"])
        if not cwd.startswith(self.scratch + os.sep):
            raise ValueError("the working folder must be inside the scratch folder")
        self.clear(keep=cwd)
        if self.isolated:  # work in the capped /tmp, on a copy of the read-only copy
            work = os.path.join(tempfile.mkdtemp(prefix="w", dir="/tmp"), "w")
            shutil.copytree(cwd, work, symlinks=True)
            cwd = work
        conn = os.path.join(os.path.dirname(cwd) if self.isolated else self.scratch,
                            f"connection-{os.path.basename(cwd)}.json")
        fd = os.open(conn, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(req["connection"], fh)
        sys.stdout.flush()
        sys.stderr.flush()
        with self.lock:
            pid = os.fork()
            if pid == 0:  # the kernel
                try:
                    self._become_kernel(cwd, conn, req.get("env") or {})
                finally:
                    os._exit(1)
            self.children[pid] = None
            self.current = pid
        return {"pid": pid}

    def _become_kernel(self, cwd: str, conn: str, env: dict) -> None:
        os.setsid()
        # Nothing of the server crosses: not its protocol pipes, not its stderr.
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(devnull, fd)
        os.closerange(3, _max_fd())
        sandbox.oom_score_adj(1000)  # under memory pressure the submission goes first
        sandbox.prctl(sandbox.PR_SET_DUMPABLE, 1)
        sandbox.die_with_parent()
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        home = os.path.join(cwd, ".home")
        os.environ.clear()
        os.environ.update({k: str(v) for k, v in env.items() if k in KERNEL_ENV_KEEP})
        os.makedirs(os.path.join(home, "tmp"), exist_ok=True)
        os.environ.update(HOME=home, TMPDIR=os.path.join(home, "tmp"),
                          IPYTHONDIR=os.path.join(home, ".ipython"),
                          MPLCONFIGDIR="/tmp/.mpl" if self.isolated else
                          os.path.join(home, ".mpl"))
        tempfile.tempdir = None
        sandbox.set_limits(self.limits.memory_mb, self.limits.file_mb)
        os.chdir(cwd)
        sys.argv = ["ipykernel_launcher"]
        if "" not in sys.path:
            sys.path.insert(0, "")
        from ipykernel.kernelapp import IPKernelApp

        app = IPKernelApp.instance()
        app.initialize(["-f", conn, "--HistoryManager.enabled=False"])
        app.start()
        os._exit(0)

    def poll(self, req: dict) -> dict:
        with self.lock:
            self.reap()
        pid = int(req["pid"])
        return {"status": self.children.get(pid, -9), "why": self.why.get(pid, "")}

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
                with self.lock:
                    self.reap()
        return {"ok": True}

    def serve(self, stdin, stdout) -> None:
        handlers = {"spawn": self.spawn, "poll": self.poll, "signal": self.signal,
                    "clear": self.clear_request}
        threading.Thread(target=self.watch, daemon=True).start()
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


def _short_tmp() -> str:
    """``/tmp`` when it is usable (short), else the system's temporary folder."""
    return "/tmp" if os.path.isdir("/tmp") and os.access("/tmp", os.W_OK) else \
        tempfile.gettempdir()


def _max_fd() -> int:
    soft, _ = __import__("resource").getrlimit(__import__("resource").RLIMIT_NOFILE)
    return soft if 0 < soft < 1 << 20 else 65536


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
    """Remove a file or tree a student may have made unreadable or very deep."""
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
    except (OSError, RecursionError):
        sandbox.remove_tree(path)


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
    parser.add_argument("--processes", type=int, default=sandbox.Limits.processes)
    parser.add_argument("--sockets", default="", help="folder of the kernels' socket files")
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
    limits = sandbox.Limits(memory_mb=args.memory_mb, file_mb=args.file_mb,
                            processes=args.processes)
    server = _Server(os.path.realpath(args.scratch), limits, args.isolated,
                     os.path.realpath(args.sockets) if args.sockets else "")
    server.serve(sys.stdin, proto_out)


# --------------------------------------------------------------------------- grader side
@dataclass(frozen=True)
class ServerOptions:
    """How a warm server is started: its interpreter, sandbox and limits."""

    python: str
    isolated: bool
    memory_mb: int
    file_mb: int
    processes: int
    scratch_root: str = ""
    batch: str = ""  # names the batch's sockets folders and cgroups, for its final cleanup


class WarmServer:
    """A running warm server and the pipe to it (one per grading process and sandbox)."""

    _servers: dict[ServerOptions, WarmServer] = {}
    _lock = threading.Lock()

    def __init__(self, options: ServerOptions) -> None:
        # Under the grading batch's own temporary folder, removed with it even
        # if this process is killed.
        self.scratch = os.path.realpath(
            tempfile.mkdtemp(prefix="trilateral-warm-", dir=options.scratch_root or None))
        # Unix socket paths are limited to about 100 bytes: the kernels' sockets get a
        # short folder of their own.
        self.sockets = os.path.realpath(
            tempfile.mkdtemp(prefix=f"tl-{options.batch}-", dir=_short_tmp()))
        self.count = 0
        self.lock = threading.Lock()
        self.cgroup: sandbox.Cgroup | None = None
        limits = sandbox.Limits(memory_mb=options.memory_mb, file_mb=options.file_mb,
                                processes=options.processes)
        command = [options.python, "-m", "trilateral.grading.prefork", "--scratch", self.scratch,
                   "--sockets", self.sockets,
                   "--memory-mb", str(options.memory_mb), "--file-mb", str(options.file_mb),
                   "--processes", str(options.processes)]
        env = {k: v for k, v in os.environ.items() if k not in sandbox.DROP_ENV}
        env.update(sandbox.KERNEL_ENV)
        if options.isolated:
            command = [*sandbox.bwrap_argv(self.scratch, self.sockets), "--as-pid-1", *command,
                       "--isolated"]
            self.cgroup = sandbox.Cgroup.create(limits, batch=options.batch)
        cgroup = self.cgroup

        def setup() -> None:  # in the child, before bubblewrap starts
            sandbox.die_with_parent()
            if cgroup is not None:
                cgroup.join()
            sandbox.oom_score_adj(-500)  # the server outlives a hungry submission
            # Students' code yields the CPU to the grader and the clean room.
            with contextlib.suppress(OSError):
                os.nice(10)

        self.proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, env=env, text=True, bufsize=1,
                                     preexec_fn=setup)
        ready = self.proc.stdout.readline() if self.proc.stdout else ""
        if not ready.strip().startswith('{"ready"'):
            self.close()
            raise RuntimeError("the warm kernel server did not start")

    @classmethod
    def get(cls, options: ServerOptions) -> WarmServer:
        """The server for these options, started on first use or after a crash."""
        with cls._lock:
            server = cls._servers.get(options)
            if server is None or server.proc.poll() is not None:
                if server is not None:
                    server.close()
                server = cls._servers[options] = cls(options)
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

    def forget_copies(self) -> None:
        """Remove the earlier submissions' copies (read-only inside the sandbox)."""
        for entry in os.listdir(self.scratch):
            if entry.startswith("k"):
                sandbox.remove_tree(os.path.join(self.scratch, entry))

    def workdir(self, source: str | os.PathLike | None) -> str:
        """A fresh scratch copy of a kernel's working folder.

        Only a folder of submission size is copied (see :data:`COPY_LIMITS`);
        anything larger raises ``ValueError``, and that submission is not graded.
        """
        copy = bool(source) and os.path.isdir(source)
        if copy:
            _check_copyable(source, self.scratch)
        # A fresh folder of an unpredictable name: nothing can be waiting there.
        dest = os.path.join(tempfile.mkdtemp(prefix="k", dir=self.scratch), "w")
        if copy:
            shutil.copytree(source, dest, symlinks=True,
                            ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        else:
            os.makedirs(dest)
        return dest

    def close(self) -> None:
        sandbox.stop_server(self.proc)
        if self.cgroup is not None:
            self.cgroup.remove()
        sandbox.remove_tree(self.scratch)
        sandbox.remove_tree(self.sockets)


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
    # Why the watchdog stopped the last kernel it stopped in this process (for the grader).
    stopped_because = ""

    def __init__(self, server: WarmServer, pid: int) -> None:
        self.server = server
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                reply = self.server.request(op="poll", pid=self.pid)
                self.returncode = reply["status"]
                if reply.get("why"):
                    _ForkedKernel.stopped_because = reply["why"]
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
    """Start grading kernels by forking them from a warm server (see the module docs).

    There is no other way to start a grading kernel: if the warm server
    cannot start, the kernel does not start and the submission is not graded.
    """

    scratch_root = Unicode(
        "", config=True,
        help="Folder for the warm server's scratch copies (the kernelspec's folder when "
        "trilateral.grading.sandbox installs it); empty for the system's temporary folder.")
    python = Unicode("", config=True, help="The interpreter of the warm server.")
    isolated = Bool(True, config=True, help="Run the warm server in the bubblewrap sandbox.")
    memory_mb = Integer(sandbox.Limits.memory_mb, config=True)
    file_mb = Integer(sandbox.Limits.file_mb, config=True)
    processes = Integer(sandbox.Limits.processes, config=True)
    batch = Unicode("", config=True, help="The grading batch's id (see sandbox.cleanup_batch).")

    def options(self) -> ServerOptions:
        return ServerOptions(self.python or sys.executable, self.isolated, self.memory_mb,
                             self.file_mb, self.processes, self.scratch_root, self.batch)

    async def pre_launch(self, **kwargs: Any) -> dict[str, Any]:
        """Talk to the kernel over unix sockets in the sandbox's scratch folder.

        The sandbox has a network namespace of its own, so a TCP port the
        kernel opened there could not be reached; a socket file in the
        folder both sides see can.
        """
        km = self.parent
        if km is not None:
            server = WarmServer.get(self.options())
            km.transport = "ipc"
            km.ip = os.path.join(server.sockets, uuid.uuid4().hex[:12])
            km.cache_ports = False
        return await super().pre_launch(**kwargs)

    async def launch_kernel(self, cmd: list[str], **kwargs: Any):
        server = WarmServer.get(self.options())
        server.request(op="clear")  # the previous submission is gone before this one lands
        server.forget_copies()
        cwd = server.workdir(kwargs.get("cwd"))
        env = dict(kwargs.get("env") or os.environ)
        reply = server.request(op="spawn", cwd=cwd, env=env,
                               connection=_jsonable(self.connection_info))
        self.process = _ForkedKernel(server, int(reply["pid"]))  # type: ignore[assignment]
        self.pid = self.process.pid
        self.pgid = None  # signals go through the server
        self.cwd = kwargs.get("cwd")
        return self.connection_info


def _jsonable(info: dict) -> dict:
    return {k: (v.decode() if isinstance(v, bytes) else v) for k, v in info.items()}


if __name__ == "__main__":
    main()
