"""Run students' code under limits while grading: a kernel launcher.

nbgrader runs each submission in a Jupyter kernel. For grading, the course
starts that kernel through this module (a kernelspec named
``trilateral-sandbox`` that only the grading commands install, in a
temporary folder) instead of starting ``ipykernel`` directly:

* **memory**: ``RLIMIT_AS`` caps the kernel's address space, so a memory hog
  gets ``MemoryError`` in its own cell instead of starving the machine;
* **files**: ``RLIMIT_FSIZE`` caps the size of any file the kernel writes;
* **output**: the kernel's ``stdout``/``stderr`` stop forwarding text after a
  budget of characters (nbgrader's ``LimitOutput`` and
  :class:`LimitOutputSize` then trim what was stored);
* **time**: nbgrader's per-cell timeout interrupts a cell; the grading batch
  also stops a whole submission that runs past its deadline;
* **filesystem** (when bubblewrap, ``bwrap``, works on the machine): the whole
  file system is mounted read-only, ``/tmp`` is a fresh empty folder, and the
  instructor's source notebooks (solutions and hidden tests), the gradebook,
  ``submitted/``, ``autograded/``, ``feedback/`` and the exchange are
  replaced by empty folders. Only the submission's own working folder is
  writable.

Limits of this isolation (see the instructor guide): it runs as the same
unix user as the grader, shares the network, and without bubblewrap only the
resource limits apply. It stops accidents and casual cheating, not a
determined attacker with a kernel exploit.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

__all__ = [
    "DROP_ENV",
    "PR_SET_DUMPABLE",
    "PR_SET_PDEATHSIG",
    "KERNEL_ENV",
    "KERNEL_NAME",
    "Limits",
    "bwrap_argv",
    "bwrap_works",
    "die_with_parent",
    "hidden_paths",
    "install_kernelspec",
    "install_output_budget",
    "kernel_options",
    "main",
    "parse_launcher",
    "prctl",
    "set_limits",
]

KERNEL_NAME = "trilateral-sandbox"
# Environment variables that must not leak from the grader into a student's kernel.
DROP_ENV = ("TRILATERAL_ANSWERS_DIR", "JPY_SESSION_NAME")
# Set for every grading kernel: one BLAS thread, and charts drawn off-screen.
KERNEL_ENV = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MPLBACKEND": "Agg"}


@dataclass(frozen=True)
class Limits:
    """Resource limits of one grading kernel."""

    memory_mb: int = 2048
    file_mb: int = 64
    output_chars: int = 200_000


@lru_cache(maxsize=1)
def bwrap_works() -> bool:
    """True if bubblewrap is installed and can create a sandbox here."""
    exe = shutil.which("bwrap")
    if not exe:
        return False
    try:
        done = subprocess.run(
            [exe, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp",
             "--new-session", "--die-with-parent", "true"],
            capture_output=True,
            timeout=20,
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0


def hidden_paths(*roots: str | Path, extra: tuple[str | Path, ...] = ()) -> list[str]:
    """Instructor-only paths under each course ``root`` (and ``extra``) that exist."""
    names = ("notebooks", "source", "gradebook.db", "submitted", "autograded", "feedback",
             "exchange", "release", "reports", "grades.csv", ".git")
    out: list[str] = []
    for root in roots:
        root = Path(root).resolve()
        out.extend(str(root / n) for n in names if (root / n).exists())
    out.extend(str(Path(p).resolve()) for p in extra if Path(p).exists())
    return sorted(set(out))


def install_kernelspec(data_dir: str | Path, hide: list[str], limits: Limits,
                       python: str | None = None) -> Path:
    """Write the ``trilateral-sandbox`` kernelspec under ``data_dir/kernels``.

    Put ``data_dir`` on ``JUPYTER_PATH`` and set ``Execute.kernel_name`` to
    :data:`KERNEL_NAME` to grade with it.
    """
    python = python or sys.executable
    spec_dir = Path(data_dir) / "kernels" / KERNEL_NAME
    spec_dir.mkdir(parents=True, exist_ok=True)
    argv = [python, "-m", "trilateral.grading.sandbox",
            "--memory-mb", str(limits.memory_mb),
            "--file-mb", str(limits.file_mb),
            "--output-chars", str(limits.output_chars)]
    for path in hide:
        argv += ["--hide", path]
    if not bwrap_works():
        argv.append("--no-bwrap")
    argv += ["--", python, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    spec = {
        "argv": argv,
        "display_name": "Python 3 (grading sandbox)",
        "language": "python",
        # Interrupt through the control channel: no signal crosses the sandbox.
        "interrupt_mode": "message",
        "env": dict(KERNEL_ENV),
        # Kernels are forked from a warm process when it can start (trilateral.grading.prefork);
        # argv above is the cold start it falls back to, and says which limits apply.
        "metadata": {"debugger": False,
                     "kernel_provisioner": {
                         "provisioner_name": "trilateral-prefork",
                         "config": {"scratch_root": str(Path(data_dir).resolve())}}},
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec, indent=1), encoding="utf-8")
    return spec_dir


def install_output_budget(limit: int) -> None:
    """Stop forwarding ``print`` output after ``limit`` characters (in the kernel)."""
    state = {"used": 0, "cut": False}
    note = (f"\n[grading: output stopped after {limit:,} characters; "
            "the rest of this notebook's printing was dropped]\n")

    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        original = stream.write

        def write(text, _original=original):
            if state["cut"]:
                return len(text)
            room = limit - state["used"]
            if len(text) <= room:
                state["used"] += len(text)
                return _original(text)
            state["cut"] = True
            _original(text[: max(room, 0)])
            _original(note)
            return len(text)

        stream.write = write


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


def die_with_parent() -> None:
    """Ask Linux to kill this process (a kernel, after exec) when its parent dies."""
    import signal

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


def _runtime_paths() -> list[str]:
    """Folders the kernel needs that a private ``/tmp`` would hide.

    The Python environment, the course's helper module and its data may live
    under ``/tmp`` (a CI checkout, say); they are bound back read-only. Only
    these folders, not the course root: the instructor's notebooks stay hidden.
    """
    from ..data import data_dir

    module_dir = Path(__file__).resolve().parents[1]
    candidates = {sys.prefix, sys.base_prefix, str(module_dir.parent), str(data_dir())}
    return sorted(
        os.path.realpath(p) for p in candidates
        if os.path.realpath(p).startswith("/tmp/") and os.path.isdir(p)
    )


def bwrap_argv(hide: list[str], workdir: str, connection_file: str | None) -> list[str]:
    """The bubblewrap options (no command) of a grading sandbox working in ``workdir``."""
    argv = ["bwrap", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
            "--tmpfs", "/tmp", "--new-session", "--die-with-parent",
            "--unshare-ipc", "--unshare-uts"]
    for path in _runtime_paths():
        argv += ["--ro-bind", path, path]
    for path in hide:
        if os.path.isdir(path):
            argv += ["--tmpfs", path]
        elif os.path.exists(path):
            argv += ["--ro-bind", "/dev/null", path]
    if connection_file:
        # The file alone: its folder is often /tmp itself, which must stay private.
        conn = os.path.abspath(connection_file)
        argv += ["--bind", conn, conn]
    argv += ["--bind", workdir, workdir, "--chdir", workdir,
             "--setenv", "HOME", "/tmp", "--setenv", "TMPDIR", "/tmp",
             "--setenv", "IPYTHONDIR", "/tmp/.ipython", "--setenv", "MPLCONFIGDIR", "/tmp/.mpl"]
    for cache in _font_caches():
        argv += ["--ro-bind", cache, "/tmp/.mpl/" + os.path.basename(cache)]
    return argv


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m trilateral.grading.sandbox",
                                     description="Start a grading kernel under limits.")
    parser.add_argument("--memory-mb", type=int, default=Limits.memory_mb)
    parser.add_argument("--file-mb", type=int, default=Limits.file_mb)
    parser.add_argument("--output-chars", type=int, default=Limits.output_chars)
    parser.add_argument("--hide", action="append", default=[],
                        help="a path the kernel must not see (repeatable)")
    parser.add_argument("--no-bwrap", action="store_true", help="resource limits only")
    parser.add_argument("command", nargs=argparse.REMAINDER,
                        help="-- then the kernel command line")
    return parser


def parse_launcher(argv: list[str]) -> argparse.Namespace:
    """The options of a launcher command line, ``[python, -m, trilateral.grading.sandbox, ...]``.

    ``argv`` may be the whole ``argv`` of the kernelspec (as :mod:`trilateral.grading.prefork`
    reads it) or only the options. ``command`` is the kernel command after ``--``.
    """
    if "trilateral.grading.sandbox" in argv:
        argv = argv[argv.index("trilateral.grading.sandbox") + 1:]
    try:
        args = _parser().parse_args(argv)
    except SystemExit:
        raise ValueError(f"not a grading-kernel launcher command line: {argv!r}") from None
    args.command = args.command[1:] if args.command[:1] == ["--"] else args.command
    return args


def kernel_options(args: argparse.Namespace) -> list[str]:
    """IPKernelApp options that apply the output budget inside the kernel."""
    if args.output_chars <= 0:
        return []
    code = ("__import__('trilateral.grading.sandbox').grading.sandbox.install_output_budget"
            f"({args.output_chars})")
    return [f"--IPKernelApp.exec_lines={json.dumps([code])}"]


def main(argv: list[str] | None = None) -> None:
    """Apply the limits, then replace this process with the (sandboxed) kernel."""
    parser = _parser()
    try:
        args = parse_launcher(sys.argv[1:] if argv is None else argv)
    except ValueError as err:
        parser.error(str(err))
    command = list(args.command)
    if not command:
        parser.error("no kernel command given")
    command += kernel_options(args)
    for name in DROP_ENV:
        os.environ.pop(name, None)
    connection_file = None
    if "-f" in command:
        connection_file = command[command.index("-f") + 1]
    set_limits(args.memory_mb, args.file_mb)
    die_with_parent()
    if not args.no_bwrap:
        command = bwrap_argv(args.hide, os.getcwd(), connection_file) + command
    sys.stdout.flush()
    sys.stderr.flush()
    os.execvp(command[0], command)


if __name__ == "__main__":
    main()
