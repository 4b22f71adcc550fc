"""The sealed room a student's kernel runs in while it is graded.

Every grading kernel is forked by a warm server (:mod:`trilateral.grading.prefork`)
that runs inside one bubblewrap sandbox per grading worker:

* **its own namespaces**: PID (the server is PID 1 and a fresh ``/proc``
  shows only the sandbox's processes), network (no interface but a dead
  loopback), IPC, UTS, cgroup and user (the kernel runs as ``nobody`` with
  no capabilities);
* **an allow-listed file system**: read-only, only the system's ``/usr``, a
  few files of ``/etc``, the Python environment, the course's helper package
  and its public data; writable, only the worker's scratch folder (a copy of
  the submission) and an empty private ``/tmp``. The course folder, the
  instructor's notebooks and guide, the gradebook, other submissions, the
  exchange and the grader's home are not in the sandbox at all;
* **limits for the whole submission**: a memory and a process-count cap,
  enforced by the kernel through a cgroup when the machine lets the grader
  make one, and always by the server's watchdog (which kills every process
  of the submission when the cap is passed); per process, an address-space
  cap (so an ordinary memory hog gets ``MemoryError`` in its own cell) and a
  file-size cap;
* **no descriptor** of the grader crosses into a kernel but ``/dev/null`` on
  its standard streams;
* **nothing left behind**: between two submissions the server kills every
  process in the sandbox and empties its writable folders; when the worker
  ends, bubblewrap's ``--die-with-parent`` ends the sandbox and the cgroup is
  emptied and removed.

Why bubblewrap: it is small, needs no daemon and no setuid helper on
kernels that allow unprivileged user namespaces, is in Debian (``bubblewrap``)
and is what Flatpak uses. nsjail does the same and more but is one more
build to trust; firejail is setuid-root with a large profile language; podman
would need a container image of the course. :func:`probe` checks, once per
grading run, that a sandbox of exactly this shape starts here; grading
refuses to start when it does not, unless the instructor passes
``--no-sandbox`` (see :data:`LOST_WITHOUT_SANDBOX`).
"""

from __future__ import annotations

import contextlib
import os
import resource
import shutil
import signal
import subprocess
import sys
import uuid
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

__all__ = [
    "DROP_ENV",
    "INSTALL_HINT",
    "KERNEL_ENV",
    "KERNEL_NAME",
    "LOST_WITHOUT_SANDBOX",
    "PR_SET_DUMPABLE",
    "PR_SET_PDEATHSIG",
    "Cgroup",
    "Isolation",
    "Limits",
    "SandboxUnavailable",
    "bwrap_argv",
    "cleanup_batch",
    "die_with_parent",
    "install_kernelspec",
    "oom_score_adj",
    "prctl",
    "probe",
    "readonly_paths",
    "remove_tree",
    "set_limits",
    "stop_server",
]

KERNEL_NAME = "trilateral-sandbox"
# Environment variables that must not leak from the grader into a student's kernel.
DROP_ENV = ("TRILATERAL_ANSWERS_DIR", "JPY_SESSION_NAME")
# Set for every grading kernel: one BLAS thread, and charts drawn off-screen.
KERNEL_ENV = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MPLBACKEND": "Agg"}
INSTALL_HINT = ("install bubblewrap (Debian/Ubuntu: sudo apt-get install bubblewrap; "
                "Fedora: sudo dnf install bubblewrap)")
LOST_WITHOUT_SANDBOX = (
    "grading without the sandbox: students' code can read and change every file this "
    "user can (the course, the gradebook, other submissions), use the network and leave "
    "processes running. Tests still run in the clean room, so a submission cannot forge "
    "its own score, but it can harm others. Use this only for code you trust.")
# What a submission may write: its working copy and /tmp together, and /dev/shm.
DISK_MB = 1024
SHM_MB = 64
# Files of /etc a kernel needs: the dynamic linker's cache and font configuration.
_ETC = ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/fonts",
        "/etc/localtime", "/etc/mime.types")


class SandboxUnavailable(RuntimeError):
    """The grading sandbox cannot start on this machine; the message says why."""


@dataclass(frozen=True)
class Limits:
    """Limits of one submission while it is graded."""

    memory_mb: int = 2048  # every process of the submission together
    file_mb: int = 64  # the largest file it may write
    output_chars: int = 200_000  # printed characters kept for the whole notebook
    processes: int = 64  # processes of the submission at once

    def __post_init__(self) -> None:
        for name in ("memory_mb", "file_mb", "output_chars", "processes"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive, not {getattr(self, name)}")


@dataclass(frozen=True)
class Isolation:
    """What protects the grader from a submission on this run."""

    sandbox: bool  # bubblewrap namespaces and the allow-listed file system
    caps: str  # "cgroup v1", "cgroup v2" or "watchdog" (whole-submission limits)

    def describe(self) -> str:
        if not self.sandbox:
            return "none (--no-sandbox): resource limits and the clean room only"
        return (f"bubblewrap sandbox (own PID, network, IPC and user namespaces; "
                f"read-only Python environment; whole-submission limits by {self.caps})")


def readonly_paths() -> list[str]:
    """What a kernel may read: the Python environment, the helper package and its data.

    Each is bound read-only at its own path. Only these folders: never the
    folder that holds them (a course checkout, the grader's home).
    """
    from ..data import data_dir

    package = Path(__file__).resolve().parents[1]
    paths = {sys.prefix, sys.base_prefix, str(package.parent), str(data_dir())}
    # A package installed by path (pip install -e): its source folder holds it.
    return sorted(os.path.realpath(p) for p in paths if os.path.isdir(p))


def bwrap_argv(scratch: str, sockets: str | None = None) -> list[str]:
    """bubblewrap's options (no command) for a sandbox whose only writable folders are
    ``scratch`` and ``sockets`` (a short path for the kernel's socket files)."""
    argv = ["bwrap", "--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL",
            "--uid", "65534", "--gid", "65534", "--hostname", "grading",
            "--ro-bind", "/usr", "/usr"]
    for link in ("lib", "lib64", "lib32", "bin", "sbin"):
        target = os.path.join("/", link)
        if os.path.islink(target):
            argv += ["--symlink", os.readlink(target), target]
        elif os.path.isdir(target):
            argv += ["--ro-bind", target, target]
    for path in _ETC:
        if os.path.exists(path):
            argv += ["--ro-bind", path, path]
    # The only writable places a kernel works in are memory-backed and capped: its
    # copy of the submission and /tmp (DISK_MB together), and /dev/shm.
    argv += ["--dev", "/dev", "--proc", "/proc",
             "--size", str(DISK_MB << 20), "--tmpfs", "/tmp",
             "--size", str(SHM_MB << 20), "--tmpfs", "/dev/shm"]
    for path in readonly_paths():
        argv += ["--ro-bind", path, path]
    scratch = os.path.realpath(scratch)
    if sockets:
        argv += ["--bind", os.path.realpath(sockets), os.path.realpath(sockets)]
    # The grader writes each submission's copy here; inside it is read-only, and the
    # warm server copies it into the capped /tmp for the kernel.
    argv += ["--ro-bind", scratch, scratch, "--chdir", scratch, "--clearenv",
             "--setenv", "PATH", "/usr/bin:/bin", "--setenv", "HOME", "/tmp",
             "--setenv", "TMPDIR", "/tmp", "--setenv", "LANG", "C.UTF-8",
             "--setenv", "MPLCONFIGDIR", "/tmp/.mpl", "--setenv", "IPYTHONDIR", "/tmp/.ipython"]
    for name, value in KERNEL_ENV.items():
        argv += ["--setenv", name, value]
    for cache in _font_caches():
        argv += ["--ro-bind", cache, "/tmp/.mpl/" + os.path.basename(cache)]
    return argv


@lru_cache(maxsize=1)
def probe() -> Isolation:
    """Check that the grading sandbox starts here; raise :class:`SandboxUnavailable` if not."""
    exe = shutil.which("bwrap")
    if not exe:
        raise SandboxUnavailable(f"bubblewrap (bwrap) is not installed: {INSTALL_HINT}")
    scratch = os.path.realpath(_tempdir())
    try:
        code = ("import os; assert os.getpid() == 1 and os.getuid() == 65534; "
                "open('/tmp/ok', 'w').write('ok'); print(open('/tmp/ok').read())")
        argv = [*bwrap_argv(scratch), "--as-pid-1", sys.executable, "-I", "-c", code]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        if done.returncode != 0 or done.stdout.strip() != "ok":
            why = (done.stderr.strip().splitlines() or ["it exited with an error"])[-1]
            raise SandboxUnavailable(f"bubblewrap is installed but cannot create the grading "
                                     f"sandbox here ({why[:200]})")
    except (OSError, subprocess.SubprocessError) as exc:
        raise SandboxUnavailable(f"bubblewrap could not start ({exc})") from None
    finally:
        remove_tree(scratch)
    caps = "watchdog"
    group = Cgroup.create(Limits())
    if group is not None:
        caps = group.kind
        group.remove()
    return Isolation(True, caps)


def _tempdir() -> str:
    import tempfile

    return tempfile.mkdtemp(prefix="trilateral-probe-")


# --------------------------------------------------------------------------- cgroups
class Cgroup:
    """A cgroup that caps memory and processes of everything in it (v1 or v2)."""

    def __init__(self, kind: str, paths: list[Path]) -> None:
        self.kind = kind
        self.paths = paths

    @classmethod
    def create(cls, limits: Limits, overhead_mb: int = 512, batch: str = "") -> Cgroup | None:
        """A new cgroup with ``limits`` (plus the warm server's ``overhead_mb``), or None."""
        name = f"trilateral-{batch}-{uuid.uuid4().hex[:12]}"
        memory = (limits.memory_mb + overhead_mb) * 1024 * 1024
        pids = limits.processes + 8
        for make in (cls._v2, cls._v1):
            with contextlib.suppress(OSError, ValueError):
                group = make(name, memory, pids)
                if group is not None:
                    return group
        return None

    @staticmethod
    def _own(controller: str) -> str | None:
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            num, ctrls, path = line.split(":", 2)
            if (controller == "" and num == "0") or controller in ctrls.split(","):
                return path
        return None

    @classmethod
    def _v2(cls, name: str, memory: int, pids: int) -> Cgroup | None:
        own = cls._own("")
        base = Path("/sys/fs/cgroup")
        if own is None or not (base / "cgroup.controllers").is_file():
            return None
        parent = base / own.lstrip("/")
        if not {"memory", "pids"} <= set((parent / "cgroup.subtree_control").read_text().split()):
            return None
        path = parent / name
        path.mkdir()
        try:
            (path / "memory.max").write_text(str(memory))
            (path / "memory.swap.max").write_text("0")
            (path / "pids.max").write_text(str(pids))
        except OSError:
            path.rmdir()
            raise
        return cls("cgroup v2", [path])

    @classmethod
    def _v1(cls, name: str, memory: int, pids: int) -> Cgroup | None:
        made: list[Path] = []
        try:
            for controller, settings in (("memory", {"memory.limit_in_bytes": memory}),
                                         ("pids", {"pids.max": pids})):
                own = cls._own(controller)
                root = Path("/sys/fs/cgroup") / controller
                if own is None or not root.is_dir():
                    raise ValueError(controller)
                path = root / own.lstrip("/") / name
                path.mkdir()
                made.append(path)
                for key, value in settings.items():
                    (path / key).write_text(str(value))
        except (OSError, ValueError):
            for path in made:
                with contextlib.suppress(OSError):
                    path.rmdir()
            raise
        return cls("cgroup v1", made)

    def join(self) -> None:
        """Move the calling process (and its future children) into the cgroup."""
        for path in self.paths:
            (path / "cgroup.procs").write_text(str(os.getpid()))

    def pids(self) -> list[int]:
        out: set[int] = set()
        for path in self.paths:
            with contextlib.suppress(OSError, ValueError):
                out.update(int(p) for p in (path / "cgroup.procs").read_text().split())
        return sorted(out)

    def remove(self) -> None:
        """Kill whatever is still in the cgroup, then remove it."""
        for _ in range(50):
            left = self.pids()
            if not left:
                break
            for pid in left:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
            import time

            time.sleep(0.02)
        for path in self.paths:
            with contextlib.suppress(OSError):
                path.rmdir()


def cleanup_batch(batch: str) -> None:
    """Remove what a batch's workers left if they were killed: socket folders, cgroups."""
    if not batch:
        return
    import glob

    for folder in glob.glob(f"/tmp/tl-{batch}-*"):
        remove_tree(folder)
    parents = []
    with contextlib.suppress(OSError, ValueError):
        for controller, base in (("", "/sys/fs/cgroup"), ("memory", "/sys/fs/cgroup/memory"),
                                 ("pids", "/sys/fs/cgroup/pids")):
            own = Cgroup._own(controller)
            if own is not None:
                parents.append(os.path.join(base, own.lstrip("/")))
    for parent in parents:
        for path in glob.glob(os.path.join(parent, f"trilateral-{batch}-*")):
            Cgroup("", [Path(path)]).remove()


# --------------------------------------------------------------------------- kernels
def install_kernelspec(data_dir: str | Path, limits: Limits, isolated: bool,
                       python: str | None = None, batch: str = "") -> Path:
    """Write the ``trilateral-sandbox`` kernelspec under ``data_dir/kernels``.

    Put ``data_dir`` on ``JUPYTER_PATH`` and set ``Execute.kernel_name`` to
    :data:`KERNEL_NAME` to grade with it. Its kernels are forked by the warm
    server; the spec's ``argv`` refuses to start a kernel any other way.
    """
    python = python or sys.executable
    spec_dir = Path(data_dir) / "kernels" / KERNEL_NAME
    spec_dir.mkdir(parents=True, exist_ok=True)
    import json

    spec = {
        "argv": [python, "-c", "raise SystemExit('grading kernels start only in the sandbox')",
                 "-f", "{connection_file}"],
        "display_name": "Python 3 (grading sandbox)",
        "language": "python",
        # Interrupt through the control channel: no signal crosses the sandbox.
        "interrupt_mode": "message",
        "env": dict(KERNEL_ENV),
        "metadata": {"debugger": False,
                     "kernel_provisioner": {
                         "provisioner_name": "trilateral-prefork",
                         "config": {"scratch_root": str(Path(data_dir).resolve()),
                                    "python": python,
                                    "isolated": isolated,
                                    "memory_mb": limits.memory_mb,
                                    "file_mb": limits.file_mb,
                                    "processes": limits.processes,
                                    "batch": batch}}},
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec, indent=1), encoding="utf-8")
    return spec_dir


def set_limits(memory_mb: int, file_mb: int) -> None:
    """Cap this process's address space and file size (0 or less: no cap)."""
    for which, mb in ((resource.RLIMIT_AS, memory_mb), (resource.RLIMIT_FSIZE, file_mb)):
        if mb > 0:
            value = mb * 1024 * 1024
            resource.setrlimit(which, (value, value))


PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4


def prctl(option: int, value: int) -> None:
    """Linux ``prctl(option, value)`` for this process; nothing where it is unavailable."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(option, value, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def remove_tree(path: str | os.PathLike) -> None:
    """Remove a folder a student's code could write into, however deep or locked it is.

    ``shutil.rmtree`` recurses, so a tree a few thousand folders deep raises
    ``RecursionError``; ``rm -rf`` walks it without limit. Never raises.
    """
    if not os.path.lexists(path):
        return
    with contextlib.suppress(OSError, RecursionError):
        shutil.rmtree(path)
        return
    rm = shutil.which("rm") or "/bin/rm"
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        subprocess.run([rm, "-rf", "--one-file-system", "--", os.fspath(path)],
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=300, check=False)


def stop_server(proc: subprocess.Popen) -> None:
    """End a line-protocol server (warm kernels, clean room): close its input, which asks
    it to finish, give it five seconds, then kill it; close its pipes either way."""
    with contextlib.suppress(OSError, ValueError):
        if proc.stdin:
            proc.stdin.close()
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(5)
    if proc.poll() is None:
        proc.kill()
        proc.wait(5)
    if proc.stdout:
        proc.stdout.close()


def oom_score_adj(value: int) -> None:
    """Set this process's OOM score adjustment (nothing where it is not allowed)."""
    with contextlib.suppress(OSError), open("/proc/self/oom_score_adj", "w",
                                            encoding="ascii") as fh:
        fh.write(str(value))


def die_with_parent() -> None:
    """Ask Linux to kill this process (a kernel, after exec) when its parent dies."""
    prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL))


def _font_caches() -> list[str]:
    """The grader's matplotlib font lists, so a sandboxed kernel need not rebuild one.

    A kernel in the sandbox starts with an empty ``/tmp``, so without the
    grader's list matplotlib would scan the system fonts again in every
    submission (about a second each). If the grader has none yet, importing
    ``matplotlib.font_manager`` here builds it once, where matplotlib always
    keeps it.
    """
    dirs = [os.environ.get("MPLCONFIGDIR", ""),
            os.path.join(os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")),
                         "matplotlib"),
            os.path.join(os.path.expanduser("~"), ".matplotlib")]

    def found() -> list[str]:
        seen: dict[str, str] = {}
        for folder in filter(None, dirs):
            for path in sorted(Path(folder).glob("fontlist-v*.json")):
                seen.setdefault(path.name, str(path))
        return list(seen.values())

    if not found():
        try:
            from matplotlib import font_manager  # noqa: F401  (writes the cache)
        except Exception:  # no matplotlib, or no writable home: the kernel builds its own
            return []
        import matplotlib

        dirs.insert(0, matplotlib.get_cachedir())
    return found()
