"""make lab's JupyterLab, for real: on student/ only, without the instructor's interface."""

from __future__ import annotations

import html
import json
import re
import secrets
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from trilateral.publishing import savehook, selfstudy

from browser_support import free_port

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory):
    course = tmp_path_factory.mktemp("course")
    home = course / "home"
    (course / "student" / "00_start_here").mkdir(parents=True)
    (course / "student" / "00_start_here" / "hello.txt").write_text("hi", encoding="utf-8")
    # The notebook make lab opens first; the server is started from another folder.
    (course / "student" / selfstudy.START).write_text(
        json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}),
        encoding="utf-8")
    (course / "notebooks").mkdir()
    (course / "notebooks" / "instructor-only.txt").write_text("key", encoding="utf-8")
    port, token = free_port(), secrets.token_hex(8)
    cmd, env = selfstudy.command(course, extra=[
        "--no-browser", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}"])
    env.update(HOME=str(home), JUPYTERLAB_SETTINGS_DIR=str(home / "settings"),
               JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"),
               JUPYTER_DATA_DIR=str(home / "data"), JUPYTER_RUNTIME_DIR=str(home / "rt"))
    log = (course / "lab.log").open("w")
    assert cmd[-1] == str(course / "student" / selfstudy.START)
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=home.parent)
    url = f"http://127.0.0.1:{port}"

    def get(path: str, method: str = "GET", body: object = None) -> tuple[int, str]:
        data = None if body is None else json.dumps(body).encode("utf-8")
        req = urllib.request.Request(url + path, data=data, method=method,
                                     headers={"Authorization": f"token {token}"})
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return resp.status, resp.read().decode("utf-8")
        except urllib.error.HTTPError as exc:
            return exc.code, ""

    get.student = course / "student"  # type: ignore[attr-defined]
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if get("/api/status")[0] == 200:
                    break
            except OSError:
                pass
            assert proc.poll() is None, (course / "lab.log").read_text()
            assert time.monotonic() < deadline, "JupyterLab did not start"
            time.sleep(0.5)
        yield get
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


def test_file_browser_shows_the_student_folder_only(lab) -> None:
    status, body = lab("/api/contents/")
    names = {item["name"] for item in json.loads(body)["content"]}
    assert status == 200 and names == {"00_start_here"}


def test_instructor_interface_is_off(lab) -> None:
    assert lab("/formgrader")[0] == 404
    status, page = lab("/lab")
    assert status == 200
    config = json.loads(re.search(r'id="jupyter-config-data"[^>]*>(.*?)</script>',
                                  page, re.S).group(1))
    disabled = config["disabledExtensions"]
    for plugin in selfstudy.DISABLED_LAB_PLUGINS:
        assert plugin in disabled, plugin


def test_news_off_and_widget_state_saved(lab) -> None:
    # Overrides change the defaults JupyterLab serves; the learner's own settings still win.
    def default(plugin: str, key: str) -> object:
        answer = json.loads(lab(f"/lab/api/settings/{plugin}")[1])
        return answer["schema"]["properties"][key]["default"]

    assert default("@jupyterlab/apputils-extension:notification", "fetchNews") == "false"
    assert default("@jupyterlab/apputils-extension:notification", "checkForUpdates") is False
    assert default("@jupyter-widgets/jupyterlab-manager:plugin", "saveState") is True


def test_saving_keeps_static_widget_copies_with_the_saved_answer(lab, monkeypatch) -> None:
    """The server's pre-save hook: a saved notebook holds the widgets' static
    copies (no reference to a live widget) and the graded answer saved."""
    from trilateral import answers
    from trilateral.questions import load_bank

    section = lab.student / "00_start_here"
    shutil.copy(ROOT / "notebooks/00_start_here/questions.yaml", section / "questions.yaml")
    monkeypatch.chdir(section)
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    bank = load_bank(section / "questions.yaml")
    choice = bank["start-graded-1"].options[1].text
    answers.save("start-graded-1", choice, section)
    outputs = []
    for qid in ("start-graded-1", "start-essay-venue"):
        data, metadata = bank.widget(qid)._repr_mimebundle_()
        outputs.append({"output_type": "display_data", "data": data, "metadata": metadata})
    nb = {"cells": [{"cell_type": "code", "source": "bank.widget('start-graded-1')",
                     "metadata": {}, "execution_count": 1, "outputs": outputs}],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    status, _ = lab("/api/contents/00_start_here/quiz.ipynb", "PUT",
                    {"type": "notebook", "format": "json", "content": nb})
    assert status in (200, 201)
    saved = json.loads((section / "quiz.ipynb").read_text(encoding="utf-8"))
    graded, check = saved["cells"][0]["outputs"]
    assert savehook.WIDGET_VIEW not in graded["data"]
    assert savehook.WIDGET_VIEW not in check["data"]
    copy = "".join(graded["data"]["text/html"])  # nbformat may store lines
    assert "Your saved answer (" in copy
    assert f"&#10004; {html.escape(choice)}</b> (your saved answer)" in copy


def test_missing_student_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="make student"):
        selfstudy.command(tmp_path)
