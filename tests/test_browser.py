"""The student versions, as students see them: JupyterLab in a real Chromium.

JupyterLab runs as ``make lab`` configures it (widget state saved, no news
toasts, no instructor interface). Two student folders are served:

- **fresh**, as a new student gets it. For every section: Run All goes to
  the end although nothing is answered; the only errors shown are one line
  each, in the exercise and test cells, saying what is not answered yet; the
  graded quiz is answered and the notebook saved (as the course's server
  saves it: each widget as its static copy); then the notebook is closed and
  reopened *without running anything*: every exercise shows (no "model not
  found") and so does the saved answer; in the first section, Run All then
  brings the live widgets back with the saved answer selected.
- **completed**, every exercise done (solutions typed in, graded widgets
  answered), the state a student reaches before submitting. For every
  section: Run All shows no error at all, a self-check answered wrongly
  with the mouse and rightly with the keyboard shows the checker's feedback,
  and then the page passes the accessibility checks of ``a11y_support``
  (axe-core on the content, alt text on every chart, every control named
  and reachable with Tab).

Screenshots of each state go to ``reports/browser/`` (git-ignored).
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from trilateral.checkers import check
from trilateral.publishing.savehook import WIDGET_VIEW
from trilateral.questions import load_bank

from a11y_support import (
    AXE,
    LAB_CONTENT,
    LAB_INTERFACE,
    UNLISTED_JS,
    check_page,
    screenshots,
    windowing_off,
)
from browser_support import browser, jupyter_server, need
from student_support import completed_student_folder, first_self_check, fresh_student_folder

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
SECTIONS = sorted(p.parent.name for p in (ROOT / "notebooks").glob("[0-9][0-9]_*/*.ipynb"))
SHOTS = ROOT / "reports" / "browser"
_WIDGET = re.compile(r"bank\.widget\(\s*['\"]([a-z0-9-]+)['\"]\s*\)")
# JupyterLab 4.6 renders an error output (a traceback) with this MIME type, the
# same as text written to stderr; `application/vnd.jupyter.error` matches nothing.
STDERR = '[data-mime-type="application/vnd.jupyter.stderr"]'
WIDGET_BROKEN = ("model not found", "Error displaying widget", "Loading widget...")


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _shot(page, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    assert path.stat().st_size > 10_000, f"{path} looks empty"
    return path


@pytest.fixture(scope="module")
def chromium(tmp_path_factory: pytest.TempPathFactory):
    with browser(tmp_path_factory.mktemp("chromium")) as instance:
        yield instance


def _served(tmp_path_factory, make):
    base = tmp_path_factory.mktemp("browser")
    home = base / "home"
    home.mkdir()
    student = make(base, home)
    return base, home, student


@pytest.fixture(scope="module")
def completed(tmp_path_factory: pytest.TempPathFactory):
    need(AXE.is_file(), f"axe-core is not installed ({AXE.relative_to(ROOT)}; run `make test`)")
    base, home, student = _served(tmp_path_factory, completed_student_folder)
    windowing_off(home)  # every cell drawn, so the accessibility scan sees them all
    with jupyter_server(student, home) as server:
        yield server, student


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory):
    base, home, student = _served(tmp_path_factory, fresh_student_folder)
    with jupyter_server(student, home) as server:
        yield server, student


def _new_page(server, chromium):
    """A fresh browser context: its own storage and session ids."""
    server.shut_down_kernels()
    context = chromium.new_context(viewport={"width": 1280, "height": 1000})
    return context, context.new_page()


def _open(page, server, section: str, notebook: Path) -> None:
    page.goto(f"{server.url}/lab/tree/{section}/{notebook.name}?reset&token={server.token}")
    page.locator(".jp-Notebook").first.wait_for(timeout=60_000)


_STATE = """() => {
    const prompts = [...document.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')];
    const ind = document.querySelector('.jp-Notebook-ExecutionIndicator');
    return {
        total: prompts.length,
        numbered: prompts.filter(p => /\\[\\d+\\]/.test(p.textContent)).length,
        busy: prompts.some(p => p.textContent.includes('*')),
        idle: !ind || ind.getAttribute('data-status') === 'idle',
    };
}"""


def _run_all(page, timeout_s: float = 240) -> None:
    """Run > Run All Cells; fail unless every code cell ran.

    JupyterLab's Run All stops at the first cell that raises unless the cell
    is tagged ``raises-exception``: then the cells below keep no number.
    """
    page.get_by_text("Python 3 (ipykernel) | Idle").first.wait_for(timeout=60_000)
    for attempt in range(3):  # a request sent while the kernel is wiring up can be dropped
        page.locator(".lm-MenuBar-item", has_text="Run").first.click()
        page.locator(".lm-Menu-item", has_text="Run All Cells").first.click()
        try:
            page.wait_for_function(
                "() => [...document.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')]"
                ".some(p => /\\[(\\*|\\d+)\\]/.test(p.textContent))", timeout=15_000)
            break
        except Exception:
            if attempt == 2:
                raise
    deadline = time.monotonic() + timeout_s
    quiet_since = None
    while time.monotonic() < deadline:
        state = page.evaluate(_STATE)
        if state["numbered"] == state["total"] and state["idle"] and not state["busy"]:
            return
        if state["idle"] and not state["busy"]:
            quiet_since = quiet_since or time.monotonic()
            if time.monotonic() - quiet_since > 8:  # idle, yet cells never ran: it stopped
                break
        else:
            quiet_since = None
        page.wait_for_timeout(500)
    raise AssertionError(
        f"Run All did not run every cell: {state['numbered']} of {state['total']} ran"
    )


def _open_and_run_all(page, server, section: str, notebook: Path, shot: str) -> None:
    """Open the notebook and Run All; on a stop, fail with a screenshot."""
    _open(page, server, section, notebook)
    try:
        _run_all(page)
    except AssertionError as exc:
        _fail_with_shot(page, f"{section}-{shot}", f"{section}: {exc}")


def _shown_errors(page) -> list[str]:
    return page.evaluate(f"() => [...document.querySelectorAll('{STDERR}')]"
                         ".map(o => o.textContent)")


def _fail_with_shot(page, name: str, message: str) -> None:
    shot = _shot(page, name)
    pytest.fail(f"{message}; see {shot}", pytrace=False)


# --------------------------------------------------------------------------- fresh
def _graded_in(notebook: Path, bank) -> object:
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        for qid in _WIDGET.findall(src):
            if getattr(bank[qid], "graded", False):
                return bank[qid]
    return None


def _widget_count(notebook: Path) -> int:
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    return sum(
        len(_WIDGET.findall("".join(c["source"]) if isinstance(c["source"], list)
                            else c["source"]))
        for c in nb["cells"] if c["cell_type"] == "code"
    )


@pytest.mark.parametrize("section", SECTIONS)
def test_fresh_student_run_all_then_reopen(fresh, chromium, section: str) -> None:
    server, student = fresh
    notebook = next((student / section).glob("*.ipynb"))
    bank = load_bank(student / section / "questions.yaml")
    graded = _graded_in(notebook, bank)
    context, page = _new_page(server, chromium)
    try:
        _open_and_run_all(page, server, section, notebook, "fresh-stuck")
        # Every error shown is one line that says what to do: no traceback, no paths.
        shown = _shown_errors(page)
        assert shown, f"{section}: an unanswered notebook shows nothing to answer"
        for text in shown:
            text = text.strip()
            bad = ("\n" in text or "Traceback" in text or ".py" in text
                   or not ("not answered yet" in text or "No saved answer" in text))
            if bad:
                _fail_with_shot(page, f"{section}-fresh-error",
                                f"{section}: an error is not one clear line: {text[:500]!r}")
        _shot(page, f"{section}-fresh-run-all")

        choice = None
        if graded is not None:
            widget = page.locator(".trilateral-graded", has_text=graded.prompt[:40]).first
            widget.scroll_into_view_if_needed()
            choice = graded.options[-1].text
            widget.locator("label", has_text=choice).first.click()
            widget.get_by_role("button", name="Submit answer").click()
            expect(widget.locator('[role="status"]')).to_contain_text("Saved", timeout=30_000)
        page.keyboard.press("Control+s")
        expect(page.locator(".lm-TabBar-tab.jp-mod-dirty")).to_have_count(0, timeout=30_000)
    finally:
        context.close()

    # On disk: errors only in cells that may raise, and every course widget
    # saved as its static copy (the course server's save hook), never as a
    # reference to a live widget that a reopened notebook would not have.
    saved = json.loads(notebook.read_text(encoding="utf-8"))
    copies = 0
    for cell in saved["cells"]:
        if any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
            assert "raises-exception" in cell["metadata"].get("tags", []), (
                f"{section}: an error in an untagged cell: {''.join(cell['source'])[:200]}")
        for out in cell.get("outputs", []):
            # Every widget the course shows has a copy: none is saved as a reference.
            assert WIDGET_VIEW not in out.get("data", {}), (
                f"{section}: a widget was saved as a live widget reference: "
                f"{''.join(cell['source'])[:200]}")
            copies += "question" in out.get("metadata", {}).get("trilateral", {})
    assert copies == _widget_count(notebook), f"{section}: {copies} static copies saved"

    # Reopen without running anything: every exercise shows, as its saved copy.
    context, page = _new_page(server, chromium)
    try:
        _open(page, server, section, notebook)
        expected = _widget_count(notebook)
        shown = page.locator(".trilateral-static[data-question]")
        try:
            expect(shown).to_have_count(expected, timeout=60_000)
        except AssertionError:
            _fail_with_shot(page, f"{section}-reopen-widgets",
                            f"{section}: {shown.count()} of {expected} exercises show on reopening")
        text = page.evaluate("() => document.querySelector('.jp-Notebook').textContent")
        for broken in WIDGET_BROKEN:
            if broken in text:
                _fail_with_shot(page, f"{section}-reopen-broken",
                                f"{section}: {broken!r} after reopening")
        if graded is not None:
            copy = shown.and_(page.locator(f'[data-question="{graded.id}"]'))
            copy.scroll_into_view_if_needed()
            seen = _norm(copy.text_content())
            marked = f"\u2714 {choice} (your saved answer)"
            if marked not in seen or "Your saved answer (" not in seen:
                _fail_with_shot(page, f"{section}-reopen-answer",
                                f"{section}: the saved answer does not show after reopening: "
                                f"{seen[:300]!r}")
            SHOTS.mkdir(parents=True, exist_ok=True)
            copy.screenshot(path=str(SHOTS / f"{section}-reopened-answer.png"))
        _shot(page, f"{section}-reopened")
        # Nothing runs on reopening: once the new kernel is up, no cell is queued.
        page.get_by_text("Python 3 (ipykernel) | Idle").first.wait_for(timeout=90_000)
        ran = page.evaluate(_STATE)
        assert ran["idle"] and not ran["busy"], f"{section}: something runs on reopening"

        if section == SECTIONS[0] and graded is not None:
            # Running the notebook brings the live widgets back in the copies' place,
            # the saved answer selected.
            _run_all(page)
            expect(page.locator(".trilateral-static")).to_have_count(0, timeout=30_000)
            widget = page.locator(".trilateral-graded", has_text=graded.prompt[:40]).first
            widget.scroll_into_view_if_needed()
            expect(widget.locator("label", has_text=choice).first.locator("input")) \
                .to_be_checked(timeout=30_000)
    finally:
        context.close()


# --------------------------------------------------------------------------- completed
@pytest.mark.parametrize("section", SECTIONS)
def test_completed_notebook_in_browser(completed, chromium, section: str) -> None:
    server, student = completed
    notebook = next((student / section).glob("*.ipynb"))
    context, page = _new_page(server, chromium)
    try:
        _open_and_run_all(page, server, section, notebook, "stuck")
        shown = _shown_errors(page)
        if shown:
            _fail_with_shot(page, f"{section}-error",
                            f"{section}: error output after Run All:\n{shown[0][:2000]}")

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
        shown_text = _norm(status.inner_text())
        assert shown_text.startswith("\u2718") and expected in shown_text, shown_text

        # Right, with the keyboard only: focus the option, Space; focus the button, Enter.
        radio = exercise.locator("label", has_text=question.options[right].text).first
        radio = radio.locator("input")
        radio.focus()
        page.keyboard.press("Space")
        expect(radio).to_be_checked()
        button.focus()
        page.keyboard.press("Enter")
        expected = _norm(check(question, right).message)
        expect(status).to_contain_text(expected[:60], timeout=30_000)
        shown_text = _norm(status.inner_text())
        assert shown_text.startswith("\u2714") and expected in shown_text, shown_text
        _shot(page, f"{section}-completed")

        # Accessible where students work: the content after Run All, feedback shown.
        unlisted = page.evaluate(UNLISTED_JS, [LAB_CONTENT, LAB_INTERFACE])
        assert not unlisted, "left out of the scan but not in LAB_INTERFACE:\n" + "\n".join(
            unlisted[:10])
        try:
            check_page(page, LAB_CONTENT, {"include": [[s] for s in LAB_CONTENT]}, notebook,
                       "JupyterLab")
        finally:
            screenshots(page, LAB_CONTENT, "jupyterlab", section)
    finally:
        context.close()


def test_graded_widget_click_saves_answers_file(completed, chromium) -> None:
    """Issue 10 in a browser: a click on Submit writes answers.json at once."""
    server, student = completed
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

    context, page = _new_page(server, chromium)
    try:
        _open_and_run_all(page, server, section, notebook, "stuck")
        widget = page.locator(".trilateral-graded", has_text=graded.prompt[:40]).first
        widget.scroll_into_view_if_needed()
        option = widget.locator("label", has_text=choice).first
        option.click()
        expect(option.locator("input")).to_be_checked()
        widget.get_by_role("button", name="Submit answer").click()
        expect(widget.locator('[role="status"]')).to_contain_text("Saved", timeout=30_000)
    finally:
        context.close()

    saved = json.loads(saved_file.read_text(encoding="utf-8"))
    assert saved[graded.id]["answer"] == choice
    # The other graded answers in the file were kept.
    assert len(saved) == len([q for q in bank if getattr(q, "graded", False)])
