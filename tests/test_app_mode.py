"""App mode: a section's self-checks served by Voilà, answered in Chromium."""

from __future__ import annotations

import re
import socket
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect

from trilateral.checkers import check
from trilateral.publishing import app

import browser_support
from browser_support import browser, jupyter_server
from student_support import first_self_check

ROOT = Path(__file__).resolve().parents[1]
SECTION = "02_state_of_play"


def test_app_notebook_holds_only_ungraded_self_checks() -> None:
    folder = ROOT / "notebooks" / SECTION
    nb = app.selfcheck_notebook(folder)
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    ids = app.selfcheck_ids(folder)
    assert len(ids) >= 4
    assert code[1:] == [f'bank.widget("{qid}")' for qid in ids]
    assert not any("BEGIN SOLUTION" in c or "answers." in c for c in code)
    assert nb.metadata["title"] == f"Self-checks: {nb_title(folder)}"


def nb_title(folder: Path) -> str:
    """The lesson's first heading, which names the section."""
    import nbformat

    lesson = nbformat.read(next(folder.glob("*.ipynb")), as_version=4)
    return next(re.search(r"^#\s+(.+)$", c.source, re.M).group(1).strip()
                for c in lesson.cells
                if c.cell_type == "markdown" and re.search(r"^#\s+(.+)$", c.source, re.M))


def test_unknown_section_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown section '99_nope'; the course has: "):
        app.build(ROOT, "99_nope", tmp_path)
    assert app.main(["99_nope", "--course-root", str(ROOT), "--build-only"]) == 1


@pytest.mark.slow
def test_voila_serves_self_checks_without_code(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    page_nb = app.build(ROOT, SECTION, tmp_path / "app")
    question, wrong, right = first_self_check(ROOT / "notebooks" / SECTION)
    with jupyter_server(page_nb, home, app="voila") as server, browser(
        tmp_path / "chromium"
    ) as context:
        page = context.new_page()
        page.goto(f"{server.url}/?token={server.token}", timeout=120_000)
        exercise = page.locator(".trilateral-exercise", has_text=question.prompt[:40]).first
        exercise.wait_for(timeout=120_000)
        assert page.title() == f"Self-checks: {nb_title(ROOT / 'notebooks' / SECTION)}"
        body = page.locator("body").inner_text()
        assert "bank.widget" not in body and "load_bank" not in body, "code is shown"
        assert page.locator(".trilateral-exercise").count() == len(
            app.selfcheck_ids(ROOT / "notebooks" / SECTION)
        )
        status = exercise.locator('[role="status"]')
        for index, mark in ((wrong, "\u2718"), (right, "\u2714")):
            exercise.locator("label", has_text=question.options[index].text).first.click()
            exercise.get_by_role("button", name="Check answer").click()
            expected = re.sub(r"\s+", " ", check(question, index).message)
            expect(status).to_contain_text(expected[:60], timeout=30_000)
            assert re.sub(r"\s+", " ", status.inner_text()).strip().startswith(mark)
        page.screenshot(path=str(tmp_path / "app.png"))


@pytest.mark.slow
def test_voila_starts_again_when_its_port_was_taken(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The port chosen free can be taken before the server binds it (another
    test's server or kernel); then the server exits and starts on a new one."""
    home = tmp_path / "home"
    home.mkdir()
    page_nb = app.build(ROOT, SECTION, tmp_path / "app")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        chosen: list[int] = []

        def free_port() -> int:
            # The first pick is the taken port, as in the race; then real ones.
            chosen.append(busy if not chosen else real_free_port())
            return chosen[-1]

        real_free_port = browser_support.free_port
        monkeypatch.setattr(browser_support, "free_port", free_port)
        with jupyter_server(page_nb, home, app="voila") as server:
            assert len(chosen) == 2 and server.url.endswith(f":{chosen[1]}")
            with urllib.request.urlopen(f"{server.url}/voila/static/favicon.ico", timeout=10):
                pass
            assert server.process.poll() is None
    assert f"port {busy} was taken" in capsys.readouterr().out
