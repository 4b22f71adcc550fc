"""A whole class on a JupyterHub on this machine: unix accounts, exchange, hub.

``tests/test_hub.py`` runs a class through it and ``make hub`` starts it for an
instructor to look at. It needs root (it creates unix accounts and the hub
switches to them) and the environment ``make hub-env`` builds, which every
account can read. Everything it makes lives in one folder and is removed,
accounts included, by :meth:`LocalClass.close` (also after a failure).

Run ``python hub/local_class.py`` (what ``make hub``  does) for a hub with
sample users that runs until Ctrl+C.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["HERE", "LocalClass", "free_ports", "run_as"]

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
COURSE_ID = "trilateral"
# The exchange's modes: nbgrader's installation guide makes the exchange
# writable by every user (``chmod ugo+rw``); the sticky bit also stops one
# user deleting another's folders at its top level.
EXCHANGE_MODE = 0o1777
# Homes are private: the instructor's holds the course, keys and gradebook.
HOME_MODE = 0o700


def free_ports(n: int) -> list[int]:
    """``n`` distinct free TCP ports on 127.0.0.1."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def run_as(user: str, *cmd: str, cwd: str | Path | None = None,
           env: dict[str, str] | None = None, timeout: float = 300,
           check: bool = True) -> subprocess.CompletedProcess:
    """Run ``cmd`` as unix ``user`` (``runuser``), with that user's HOME."""
    home = pwd.getpwnam(user).pw_dir
    full = {"PATH": "/usr/bin:/bin", "HOME": home, "USER": user, "LANG": "C.UTF-8"}
    full.update(env or {})
    argv = ["runuser", "-u", user, "--", "env", "-i",
            *(f"{k}={v}" for k, v in full.items()), *cmd]
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    if check and done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} as {user} failed ({done.returncode}):\n"
                           f"{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
    return done


def _pids_of(user: str) -> list[int]:
    done = subprocess.run(["ps", "-u", user, "-o", "pid="], capture_output=True, text=True)
    return [int(p) for p in done.stdout.split()]


@dataclass
class LocalClass:
    """An instructor, students and a hub, all on loopback.

    ``venv`` is the environment every account runs (readable by all);
    ``chp`` the configurable-http-proxy executable; ``course`` a function that
    writes the course (``notebooks/`` and ``nbgrader_config.py``) into the
    folder it is given.
    """

    venv: Path
    chp: Path
    instructor: str
    students: list[str]
    base: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="trilateral-hub-")))
    passwords: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen | None = None
    url: str = ""
    created: list[str] = field(default_factory=list)

    # Paths ----------------------------------------------------------------
    @property
    def exchange(self) -> Path:
        return self.base / "exchange"

    def home(self, user: str) -> Path:
        return self.base / "home" / user

    @property
    def course(self) -> Path:
        return self.home(self.instructor) / "course"

    @property
    def log(self) -> Path:
        return self.base / "hub" / "jupyterhub.log"

    # Set-up -----------------------------------------------------------------
    def create_accounts(self) -> None:
        """Real unix accounts with random passwords and private homes."""
        self.base.chmod(0o755)
        (self.base / "home").mkdir(mode=0o755)
        for user in [self.instructor, *self.students]:
            _remove_account(user)  # a leftover of an interrupted run
            subprocess.run(["useradd", "--create-home", "--home-dir", str(self.home(user)),
                            "--shell", "/bin/bash", "--user-group", user],
                           check=True, capture_output=True)
            self.created.append(user)
            self.home(user).chmod(HOME_MODE)
            self.passwords[user] = secrets.token_urlsafe(12)
            subprocess.run(["chpasswd"], input=f"{user}:{self.passwords[user]}\n", text=True,
                           check=True, capture_output=True)

    def write_course(self, write) -> None:
        """The course in the instructor's home, owned by the instructor."""
        self.exchange.mkdir()
        self.exchange.chmod(EXCHANGE_MODE)
        etc = self.base / "hub" / "etc" / "jupyter"
        etc.mkdir(parents=True)
        (etc / "nbgrader_config.py").write_text(
            "c = get_config()  # noqa: F821\n"
            f"c.Exchange.root = {str(self.exchange)!r}\n"
            f"c.CourseDirectory.course_id = {COURSE_ID!r}\n", encoding="utf-8")
        for path in (self.base / "hub", self.base / "hub" / "etc", etc):
            path.chmod(0o755)
        (etc / "nbgrader_config.py").chmod(0o644)
        write(self.course)
        with (self.course / "nbgrader_config.py").open("a", encoding="utf-8") as config:
            config.write(f"\nc.Exchange.root = {str(self.exchange)!r}\n"
                         "c.LateSubmissionPlugin.penalty_method = 'zero'\n")
        subprocess.run(["chown", "-R", f"{self.instructor}:{self.instructor}",
                        str(self.course)], check=True)

    @property
    def self_study(self) -> Path:
        return self.base / "selfstudy.git"

    def publish_self_study(self, tree: Path) -> str:
        """Commit ``tree`` (``trilateral student-tree`` output) into a bare repository
        every user can read; return the nbgitpuller link that gives a student a copy."""
        git = ["git", "-c", "user.name=Instructor", "-c", "user.email=instructor@localhost"]
        subprocess.run([*git, "init", "-q", "-b", "main", str(tree)], check=True)
        subprocess.run([*git, "-C", str(tree), "add", "-A"], check=True)
        subprocess.run([*git, "-C", str(tree), "commit", "-q", "-m", "Self-study copy"],
                       check=True)
        subprocess.run(["git", "clone", "-q", "--bare", str(tree), str(self.self_study)],
                       check=True)
        subprocess.run(["chmod", "-R", "a+rX", str(self.self_study)], check=True)
        gitconfig = self.base / "hub" / "etc" / "jupyter" / "gitconfig"
        gitconfig.write_text(f"[safe]\n\tdirectory = {self.self_study}\n", encoding="utf-8")
        gitconfig.chmod(0o644)
        return (f"/hub/user-redirect/git-pull?repo=file://{self.self_study}&branch=main"
                "&targetpath=selfstudy&urlpath=lab/tree/selfstudy/student")

    def start(self) -> str:
        """Start JupyterHub (as root, as a real server does); return its URL."""
        public, *_ = ports = free_ports(4)
        state = self.base / "hub" / "state"
        state.mkdir(mode=0o700)
        env = {
            "PATH": f"{self.venv}/bin:/usr/bin:/bin:/usr/sbin:/sbin",
            "HOME": str(state),
            "LANG": "C.UTF-8",
            "TRILATERAL_HUB_DIR": str(state),
            "TRILATERAL_HUB_VENV": str(self.venv),
            "TRILATERAL_HUB_CHP": str(self.chp),
            "TRILATERAL_HUB_PORTS": ",".join(map(str, ports)),
            "TRILATERAL_HUB_INSTRUCTOR": self.instructor,
            "TRILATERAL_HUB_STUDENTS": ",".join(self.students),
            "TRILATERAL_HUB_COURSE": str(self.course),
            "TRILATERAL_HUB_ETC": str(self.base / "hub" / "etc" / "jupyter"),
        }
        with self.log.open("w") as out:
            self.process = subprocess.Popen(
                [f"{self.venv}/bin/jupyterhub", "-f", str(HERE / "jupyterhub_config.py")],
                cwd=state, env=env, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True)
        self.url = f"http://127.0.0.1:{public}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the hub exited:\n{self.log.read_text()[-4000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/hub/api/", timeout=2):
                    return self.url
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"the hub did not answer in 60 s:\n{self.log.read_text()[-4000:]}")

    # Tear-down --------------------------------------------------------------
    def close(self) -> None:
        """Stop the hub and every process of the class's accounts; remove it all."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)  # the hub, its proxy and services
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        for user in self.created:
            _remove_account(user)
        shutil.rmtree(self.base, ignore_errors=True)


def _remove_account(user: str) -> None:
    try:
        pwd.getpwnam(user)
    except KeyError:
        return
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in _pids_of(user):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
        time.sleep(0.5)
    subprocess.run(["userdel", "--force", user], capture_output=True)
    subprocess.run(["groupdel", user], capture_output=True)


def _real_course(root: Path) -> None:
    """The real course's source notebooks and configuration."""
    shutil.copytree(REPO / "notebooks", root / "notebooks")
    shutil.copy(REPO / "nbgrader_config.py", root / "nbgrader_config.py")


def main() -> int:
    """``make hub``: the real course with an instructor and three students."""
    if os.geteuid() != 0:
        print("make hub needs root: it creates unix accounts and the hub switches to them.")
        return 2
    venv = Path(os.environ.get("TRILATERAL_HUB_VENV", "/opt/trilateral-hub/venv"))
    chp = REPO / "build/chp/node_modules/.bin/configurable-http-proxy"
    klass = LocalClass(venv, chp, "trl-teacher", ["trl-akiko", "trl-bora", "trl-chen"])
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # clean up on kill too
    try:
        klass.create_accounts()
        klass.write_course(_real_course)
        tree = klass.base / "student-tree"
        subprocess.run([f"{venv}/bin/trilateral", "--course-root", str(REPO), "student-tree",
                        str(tree)], check=True, capture_output=True)
        pull = klass.publish_self_study(tree)
        url = klass.start()
        print(f"\nThe class's hub: {url}/hub/login  (loopback only; Ctrl+C stops it and "
              "removes the sample accounts)\n")
        for user in [klass.instructor, *klass.students]:
            role = "instructor" if user == klass.instructor else "student"
            print(f"  {role:10} {user:12} password {klass.passwords[user]}")
        print(f"\nSelf-study copy for a student (nbgitpuller): {url}{pull}")
        print(f"Formgrader (instructor): {url}/services/formgrader-trilateral/formgrader")
        print(f"Release a section: runuser -u {klass.instructor} -- "
              f"{venv}/bin/trilateral --course-root {klass.course} release 00_start_here")
        klass.process.wait()
    except KeyboardInterrupt:
        pass
    finally:
        klass.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
