"""Real servers and a real browser for the tests that need them.

JupyterLab and Voilà are started as subprocesses on 127.0.0.1, on a free
port (again on another if that one is taken before they bind it), with a
token and a HOME of their own; Chromium is Debian's, driven by
Playwright. Nothing here is a stand-in: if a part is missing the tests skip,
except under ``CI=true``, where they fail, so a green CI run means the
browser tests really ran.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

import support_course

__all__ = [
    "CHROMIUM",
    "CHROMIUM_FLAGS",
    "START_TRIES",
    "Server",
    "browser",
    "free_port",
    "isolated_env",
    "jupyter_server",
    "need",
]

CHROMIUM = "/usr/bin/chromium"
# The flags the machine needs: no sandbox as root, and no background traffic
# (its connections are refused on a closed network).
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def need(condition: bool, why: str) -> None:
    """Skip when a tool is missing, but fail under CI, where it must be there."""
    if condition:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true and {why}", pytrace=False)
    pytest.skip(why)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def isolated_env(home: Path) -> dict[str, str]:
    """Environment for a server with a HOME and Jupyter folders of its own."""
    # The test session's answer key does not reach the learner's kernels: their
    # graded widgets save into the notebook's own folder, as a student's do.
    env = support_course.isolated_env(home, "module://matplotlib_inline.backend_inline")
    bindir = str(Path(sys.executable).parent)
    env.update(
        PATH=bindir + os.pathsep + env.get("PATH", ""),
        JUPYTERLAB_SETTINGS_DIR=str(home / ".jupyter/lab/user-settings"),
        JUPYTERLAB_WORKSPACES_DIR=str(home / ".jupyter/lab/workspaces"),
    )
    return env


@dataclass
class Server:
    url: str
    token: str
    process: subprocess.Popen
    log: Path

    def api(self, path: str, method: str = "GET") -> object:
        req = urllib.request.Request(
            f"{self.url}{path}",
            method=method,
            headers={"Authorization": f"token {self.token}"},
        )
        with urllib.request.urlopen(req, timeout=10) as resp:
            body = resp.read()
        return json.loads(body) if body else None

    def shut_down_kernels(self) -> None:
        """Delete every kernel session, so the next notebook starts fresh."""
        for session in self.api("/api/sessions"):  # type: ignore[union-attr]
            self.api(f"/api/sessions/{session['id']}", method="DELETE")


# What Jupyter Server and Voilà log when the port was taken between
# free_port() and their start (they run with port_retries=0, so they exit),
# and what they log once they listen.
_PORT_TAKEN = re.compile(r"[Pp]ort \d+ is already in use")
_LISTENING = "is running at"
START_TRIES = 3


class _PortTaken(RuntimeError):
    """The server exited because another process took its port."""


def _wait_for(url: str, process: subprocess.Popen, log: Path, timeout: float = 90) -> None:
    """Wait until the server says it listens and ``url`` answers.

    The log line matters as much as the answer: if another server took the
    port, the answer could be that server's.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            text = log.read_text(errors="replace")
            kind = _PortTaken if _PORT_TAKEN.search(text) else RuntimeError
            raise kind(f"server exited early:\n{text[-3000:]}")
        if _LISTENING in log.read_text(errors="replace"):
            try:
                with urllib.request.urlopen(url, timeout=2):
                    return
            except Exception:
                pass
        time.sleep(0.3)
    raise RuntimeError(f"server did not answer in {timeout}s:\n{log.read_text()[-3000:]}")


@contextmanager
def jupyter_server(root_dir: Path, home: Path, app: str = "lab") -> Iterator[Server]:
    """Run JupyterLab on the folder ``root_dir`` (``app="lab"``, configured as
    ``make lab`` configures it), or Voilà on the notebook ``root_dir``
    (``app="voila"``, started as ``make app`` starts it), until the block ends.

    The port is free when chosen but may be taken before the server binds it
    (another test's server or kernel); then the server exits, saying so, and
    it is started again on another port, up to ``START_TRIES`` times.
    """
    token = secrets.token_hex(16)
    env = isolated_env(home)
    if app == "lab":
        # JupyterLab as `make lab` configures it: no news toasts, no instructor
        # interface, widget state saved with the notebook.
        from trilateral.publishing import selfstudy

        selfstudy.write_config(Path(env["JUPYTER_CONFIG_DIR"]))
    elif app != "voila":
        raise ValueError(f"unknown app {app!r}")
    log = home / f"{app}-server.log"
    for attempt in range(1, START_TRIES + 1):
        port = free_port()
        if app == "lab":
            cmd = [
                sys.executable, "-m", "jupyterlab", "--no-browser",
                "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
                f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root_dir}",
                "--ServerApp.port_retries=0",
            ]
            if hasattr(os, "getuid") and os.getuid() == 0:
                cmd.append("--allow-root")
            cmd_env, cwd = env, root_dir
            probe = f"http://127.0.0.1:{port}/api/status?token={token}"
        else:
            # The course's own launch (template and all), with a token.
            from trilateral.publishing import app as publishing_app

            cmd, cmd_env = publishing_app.voila_launch(
                root_dir, port, env, f"--token={token}", "--Voila.port_retries=0"
            )
            cwd = root_dir.parent
            probe = f"http://127.0.0.1:{port}/voila/static/favicon.ico"
        with log.open("w") as out:
            process = subprocess.Popen(
                cmd, cwd=cwd, env=cmd_env, stdout=out, stderr=subprocess.STDOUT
            )
        try:
            _wait_for(probe, process, log)
        except _PortTaken:
            process.wait()
            if attempt == START_TRIES:
                raise
            print(f"{app}: port {port} was taken before the server bound it; "
                  f"starting it again (try {attempt + 1} of {START_TRIES})")
            continue
        except BaseException:
            _stop(process)
            raise
        break
    server = Server(f"http://127.0.0.1:{port}", token, process, log)
    try:
        yield server
    finally:
        _stop(process)


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def browser(user_data: Path) -> Iterator[object]:
    """A Playwright Chromium browser (Debian's binary), closed afterwards.

    Yields a Playwright ``Browser``: ``new_page()`` for a quick page, or
    ``new_context()`` for a page with its own storage (JupyterLab keeps
    session ids in browser storage; two tabs sharing them collide).
    ``user_data`` receives Chromium's crash dumps and downloads.
    """
    need(Path(CHROMIUM).exists() or shutil.which("chromium") is not None,
         "Chromium is not installed (apt-get install -y chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - it is a test dependency
        need(False, "playwright is not installed")
        raise
    user_data.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_FLAGS,
            downloads_path=str(user_data),
        )
        try:
            yield chromium
        finally:
            chromium.close()
