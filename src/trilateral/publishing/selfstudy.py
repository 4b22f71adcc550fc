"""JupyterLab for self-study (``make lab``): only what a student needs.

A learner working alone gets JupyterLab opened on their own folder
(``student/``), so the instructor's ``notebooks/`` (solutions, hidden tests)
and the gradebook are not one click away in the file browser. The same
server, configured by a Jupyter config folder of its own (written afresh on
every start into ``build/self-study/``, never into the learner's
``~/.jupyter``), leaves out what is not for students:

- nbgrader's instructor interface: the formgrader, *Create Assignment*, the
  course list and the *Nbgrader* menu that opens them (server extensions and
  lab plugins), and the assignment list, which needs an instructor's
  exchange; the *Validate* button, which runs a notebook's visible tests, stays;
- the JupyterLite kernel extension, which only works inside a JupyterLite site;
- the JupyterLab news and update toasts, which cover the notebook.

It saves notebooks through the course's pre-save hook
(:mod:`trilateral.publishing.savehook`): each course widget is saved as a
static copy, the graded answer saved in ``answers.json`` written into it, so
a reopened notebook shows every exercise and the saved answer before
anything runs, and running the cell brings the live widget back. Widget
state is saved too (the widget manager's ``saveState``), for a learner's
own widgets.

Model answers are not browsed to: they are in the instructor guide and the
instructor notebooks (see the README's *For self-learners*).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from . import savehook

__all__ = [
    "DISABLED_LAB_PLUGINS",
    "DISABLED_SERVER_EXTENSIONS",
    "SETTING_OVERRIDES",
    "command",
    "main",
    "write_config",
]

DISABLED_SERVER_EXTENSIONS = (
    "nbgrader.server_extensions.formgrader",
    "nbgrader.server_extensions.assignment_list",
    "nbgrader.server_extensions.course_list",
)
DISABLED_LAB_PLUGINS = (
    "@jupyter/nbgrader:formgrader",
    "@jupyter/nbgrader:create-assignment",
    "@jupyter/nbgrader:course-list",
    "@jupyter/nbgrader:assignment-list",
    "@jupyter/nbgrader:menu",
    "@jupyterlite/pyodide-kernel-extension",
)
SETTING_OVERRIDES: dict[str, dict[str, object]] = {
    "@jupyterlab/apputils-extension:notification": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
    "@jupyter-widgets/jupyterlab-manager:plugin": {"saveState": True},
}
START = "00_start_here/start_here.ipynb"


def write_config(config_dir: str | Path) -> Path:
    """Write the self-study Jupyter config folder; return it."""
    config_dir = Path(config_dir)
    labconfig = config_dir / "labconfig"
    labconfig.mkdir(parents=True, exist_ok=True)
    server = {
        "ServerApp": {"jpserver_extensions": dict.fromkeys(DISABLED_SERVER_EXTENSIONS, False)},
        "ContentsManager": {"pre_save_hook": savehook.HOOK},
    }
    files = {
        config_dir / "jupyter_server_config.json": server,
        labconfig / "page_config.json": {"disabledExtensions":
                                         dict.fromkeys(DISABLED_LAB_PLUGINS, True)},
        labconfig / "default_setting_overrides.json": SETTING_OVERRIDES,
    }
    for path, content in files.items():
        path.write_text(json.dumps(content, indent=2) + "\n", encoding="utf-8")
    return config_dir


def command(course_root: str | Path, *, student: str = "student",
            extra: list[str] | None = None) -> tuple[list[str], dict[str, str]]:
    """The ``jupyter lab`` command line and environment for self-study.

    The learner's own JupyterLab settings and workspaces stay where they
    always are (``~/.jupyter/lab``); only the config folder is the course's.
    """
    root = Path(course_root).resolve()
    config_dir = write_config(root / "build" / "self-study")
    student_dir = root / student
    if not student_dir.is_dir():
        raise ValueError(f"{student_dir} does not exist: run `make student` first")
    home_lab = Path.home() / ".jupyter" / "lab"
    env = dict(os.environ)
    env["JUPYTER_CONFIG_DIR"] = str(config_dir)
    env.setdefault("JUPYTERLAB_SETTINGS_DIR", str(home_lab / "user-settings"))
    env.setdefault("JUPYTERLAB_WORKSPACES_DIR", str(home_lab / "workspaces"))
    cmd = [sys.executable, "-m", "jupyterlab", "--ServerApp.ip=127.0.0.1",
           f"--ServerApp.root_dir={student_dir}"]
    if hasattr(os, "getuid") and os.getuid() == 0:
        cmd.append("--allow-root")  # containers and CI run as root
    cmd += list(extra or [])
    start = student_dir / START
    if start.is_file() and not any(a.endswith(".ipynb") for a in cmd[2:]):
        cmd.append(str(start))  # absolute: a relative one is read from the current folder
    return cmd, env


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m trilateral.publishing.selfstudy",
        description="Open the student copies in JupyterLab, configured for self-study.",
    )
    parser.add_argument("--course-root", default=".", help="the course folder")
    parser.add_argument("--student", default="student", help="the learner's folder")
    args, extra = parser.parse_known_args(argv)
    try:
        cmd, env = command(args.course_root, student=args.student, extra=extra)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    os.execve(cmd[0], cmd, env)
    return 0  # pragma: no cover - execve does not return


if __name__ == "__main__":
    sys.exit(main())
