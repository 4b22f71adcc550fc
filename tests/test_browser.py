"""The student versions, as students see them: JupyterLab in a real Chromium.

One JupyterLab server serves a generated student folder in which every
exercise has been done (solutions typed in, graded widgets answered), the
state a student reaches before submitting. For every section the test opens
the notebook, runs all cells, asserts there is no error output, answers a
self-check wrongly with the mouse and rightly with the keyboard, compares the
feedback shown with what the checker says, and saves a screenshot.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from trilateral.checkers import check

from browser_support import browser, jupyter_server
from student_support import completed_student_folder, first_self_check

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
SECTIONS = sorted(p.parent.name for p in (ROOT / "notebooks").glob("[0-9][0-9]_*/*.ipynb"))


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory):
    base = tmp_path_factory.mktemp("browser")
    home = base / "home"
    home.mkdir()
    student = completed_student_folder(base, home)
    with jupyter_server(student, home) as server, browser(base / "chromium") as chromium:
        yield server, chromium, student, base


@pytest.fixture
def page(lab):
    """A fresh browser context per notebook: its own storage and session ids."""
    server, chromium, _student, _base = lab
    server.shut_down_kernels()
    context = chromium.new_context(viewport={"width": 1280, "height": 1000})
    try:
        yield context.new_page()
    finally:
        context.close()


def _run_all(page, timeout_ms: int = 180_000) -> None:
    # Run > Run All Cells, once the kernel is connected and idle. A request
    # sent while JupyterLab is still wiring the kernel up can be dropped; then
    # nothing starts within a few seconds, and it is asked once more.
    started = """() => [...document.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')]
        .some(p => /\\[(\\*|\\d+)\\]/.test(p.textContent))"""
    page.get_by_text("Python 3 (ipykernel) | Idle").first.wait_for(timeout=60_000)
    for attempt in range(3):
        page.locator(".lm-MenuBar-item", has_text="Run").first.click()
        page.locator(".lm-Menu-item", has_text="Run All Cells").first.click()
        try:
            page.wait_for_function(started, timeout=15_000)
            break
        except PlaywrightTimeout:
            if attempt == 2:
                raise
    # Busy while any prompt shows [*] or the kernel indicator is not idle.
    page.wait_for_function(
        """() => {
            const prompts = [...document.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')];
            const busy = prompts.some(p => p.textContent.includes('*'));
            const done = prompts.length > 0 && prompts.every(p => /\\[\\d+\\]/.test(p.textContent));
            const failed = document.querySelector(
                '[data-mime-type="application/vnd.jupyter.error"]') !== null;
            const ind = document.querySelector('.jp-Notebook-ExecutionIndicator');
            const idle = !ind || ind.getAttribute('data-status') === 'idle';
            return !busy && idle && (done || failed);
        }""",
        timeout=timeout_ms,
    )


@pytest.mark.parametrize("section", SECTIONS)
def test_student_notebook_in_browser(lab, page, section: str) -> None:
    server, _context, student, base = lab
    notebook = next((student / section).glob("*.ipynb"))
    page.goto(f"{server.url}/lab/tree/{section}/{notebook.name}?reset&token={server.token}")
    page.locator(".jp-Notebook").first.wait_for(timeout=60_000)
    page.locator(
        '.jp-Notebook-ExecutionIndicator[data-status="idle"]'
    ).first.wait_for(timeout=60_000)

    try:
        _run_all(page)
    except Exception:
        shot = base / "screenshots" / f"{section}-stuck.png"
        shot.parent.mkdir(exist_ok=True)
        page.screenshot(path=str(shot))
        state = page.evaluate(
            "() => [...document.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')]"
            ".map(p => p.textContent).join(' ')"
        )
        pytest.fail(f"{section}: Run All did not finish; prompts: {state}; see {shot}")

    errors = page.locator('[data-mime-type="application/vnd.jupyter.error"]')
    if errors.count():
        pytest.fail(f"{section}: error output after Run All:\n{errors.first.inner_text()}")

    question, wrong, right = first_self_check(ROOT / "notebooks" / section)
    exercise = page.locator(".trilateral-exercise", has_text=question.prompt[:40]).first
    exercise.scroll_into_view_if_needed()
    status = exercise.locator('[role="status"]')
    button = exercise.get_by_role("button", name="Check answer")

    # Wrong, with the mouse.
    option = exercise.locator("label", has_text=question.options[wrong].text).first
    option.click()
    expect(option.locator("input")).to_be_checked()
    button.click()
    expected = _norm(check(question, wrong).message)
    # The feedback element is replaced on each check: re-query it, do not hold it.
    expect(status).to_contain_text(expected[:60], timeout=30_000)
    shown = _norm(status.inner_text())
    assert shown.startswith("\u2718") and expected in shown, shown

    # Right, with the keyboard only: focus the option, Space; focus the button, Enter.
    radio = exercise.locator("label", has_text=question.options[right].text).first.locator("input")
    radio.focus()
    page.keyboard.press("Space")
    expect(radio).to_be_checked()
    button.focus()
    page.keyboard.press("Enter")
    expected = _norm(check(question, right).message)
    # The feedback element is replaced on each check: re-query it, do not hold it.
    expect(status).to_contain_text(expected[:60], timeout=30_000)
    shown = _norm(status.inner_text())
    assert shown.startswith("\u2714") and expected in shown, shown

    shot = base / "screenshots" / f"{section}.png"
    shot.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(shot), full_page=False)
    assert shot.stat().st_size > 10_000


def test_graded_widget_click_saves_answers_file(lab, page) -> None:
    """Issue 10 in a browser: a click on Submit writes answers.json at once."""
    import json

    from trilateral.questions import load_bank

    server, _context, student, _base = lab
    section, bank, graded = next(
        (folder.name, bank, q)
        for folder in sorted(student.glob("[0-9][0-9]_*"))
        for bank in [load_bank(folder / "questions.yaml")]
        for q in bank
        if getattr(q, "graded", False) and q.kind == "multiple_choice"
    )
    notebook = next((student / section).glob("*.ipynb"))
    saved_file = student / section / "answers.json"
    before = json.loads(saved_file.read_text(encoding="utf-8"))[graded.id]["answer"]
    choice = next(o.text for o in graded.options if o.text != before)

    page.goto(f"{server.url}/lab/tree/{section}/{notebook.name}?reset&token={server.token}")
    page.locator('.jp-Notebook-ExecutionIndicator[data-status="idle"]').first.wait_for(
        timeout=60_000
    )
    _run_all(page)
    widget = page.locator(".trilateral-graded", has_text=graded.prompt[:40]).first
    widget.scroll_into_view_if_needed()
    option = widget.locator("label", has_text=choice).first
    option.click()
    expect(option.locator("input")).to_be_checked()
    widget.get_by_role("button", name="Submit answer").click()
    expect(widget.locator('[role="status"]')).to_contain_text("Saved", timeout=30_000)

    saved = json.loads(saved_file.read_text(encoding="utf-8"))
    assert saved[graded.id]["answer"] == choice
    # The other graded answers in the file were kept.
    assert len(saved) == len([q for q in bank if getattr(q, "graded", False)])
