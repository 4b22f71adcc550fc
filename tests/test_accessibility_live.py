"""Accessibility of the live Voilà pages: every section, checked by axe-core
in Debian's Chromium.

``test_accessibility.py`` checks nbconvert's static pages, where no widget is
drawn; ``test_browser.py`` checks JupyterLab after Run All. Here Voilà runs
each notebook of a completed student folder, served as ``make app`` serves
it (the course's Voilà template, :func:`trilateral.publishing.app.voila_launch`),
and the checks of ``a11y_support.check_page`` run on its whole page: no
serious or critical axe violation, a real alt text on every chart, every
control named and reachable with Tab. Screenshots of every chart and fitted
table, and of each page, go to ``reports/live/voila/``.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from a11y_support import AXE, check_page, screenshots
from browser_support import browser, jupyter_server, need
from student_support import completed_student_folder

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
SECTIONS = sorted(p.parent.name for p in (ROOT / "notebooks").glob("[0-9][0-9]_*/*.ipynb"))
# Voilà runs the whole notebook while it sends the page; on a loaded machine
# that can take minutes. The test waits for Voilà to finish, up to
# VOILA_RUN_S in all, but fails sooner if no cell finishes in VOILA_CELL_S
# (nbval allows a cell 120 s).
VOILA_RUN_S = 900
VOILA_CELL_S = 300


def _requested_sections(request: pytest.FixtureRequest) -> list[str]:
    """The sections this run's tests ask for, so ``-k 02_`` builds one folder."""
    wanted = {
        item.callspec.params["section"]
        for item in request.session.items
        if getattr(item, "module", None) is not None and item.module.__name__ == __name__
        and hasattr(item, "callspec") and "section" in item.callspec.params
    }
    return sorted(wanted) or SECTIONS


@pytest.fixture(scope="module")
def course(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    need(AXE.is_file(), f"axe-core is not installed ({AXE.relative_to(ROOT)}; run `make test`)")
    base = tmp_path_factory.mktemp("a11y-live")
    home = base / "home"
    home.mkdir()
    student = completed_student_folder(base, home, _requested_sections(request))
    with browser(base / "chromium") as chromium:
        yield chromium, student, home


# Voilà is done when its last script has run (window.voila_finish: the
# spinner is removed and the rendered cells shown), the whole page has arrived
# and the cells' outputs are drawn.
_VOILA_DONE_JS = """() => document.readyState === 'complete'
    && !document.getElementById('loading')
    && document.getElementById('rendered_cells')
    && getComputedStyle(document.getElementById('rendered_cells')).display !== 'none'
    && document.querySelector('.jp-OutputArea')"""


def _wait_for_voila(page, server, section: str) -> None:
    """Wait until Voilà has run the notebook and drawn the page.

    Progress is the spinner's "Executing n of m", updated as each cell
    arrives; a failure says where Voilà was and ends with its log.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    start = last_change = time.monotonic()
    shown = None
    while True:
        try:
            page.wait_for_function(_VOILA_DONE_JS, timeout=15_000, polling=500)
            return
        except PlaywrightTimeoutError:
            pass
        now = time.monotonic()
        was, shown = shown, page.evaluate(
            "() => (document.getElementById('loading_text') || {}).textContent || ''")
        if shown != was:
            last_change = now
        if now - start > VOILA_RUN_S or now - last_change > VOILA_CELL_S:
            pytest.fail(
                f"Voilà {section}: not done after {now - start:.0f} s, at {shown!r} for "
                f"{now - last_change:.0f} s\nVoilà's log:\n"
                + server.log.read_text(errors="replace")[-2000:],
                pytrace=False,
            )


@pytest.mark.parametrize("section", SECTIONS)
def test_voila_page(course, section: str) -> None:
    chromium, student, home = course
    notebook = next((student / section).glob("*.ipynb"))
    with jupyter_server(notebook, home, app="voila") as server:
        context = chromium.new_context(viewport={"width": 1280, "height": 1000})
        try:
            page = context.new_page()
            # Voilà sends the page's head at once and each cell as it has run,
            # so the request is answered at once but the page loads only when
            # the notebook has run: return on the answer, then wait for Voilà.
            page.goto(f"{server.url}/?token={server.token}", wait_until="commit",
                      timeout=120_000)
            _wait_for_voila(page, server, section)
            # Widgets are drawn just after, once they reach their kernel.
            page.wait_for_timeout(1500)
            # Voilà hides tracebacks: a failed cell shows "There was an error
            # when executing cell [n]", a cell out of time a TimeoutError.
            errors = page.locator('[data-mime-type="application/vnd.jupyter.stderr"]')
            failed = [
                errors.nth(i).inner_text()[:300] for i in range(errors.count())
                if re.search(r"error|traceback", errors.nth(i).inner_text(), re.I)
            ]
            assert not failed, f"Voilà {section}: the notebook failed:\n" + "\n".join(failed)
            roots = ["body"]
            try:
                check_page(page, roots, None, notebook, "Voilà")
            finally:
                screenshots(page, roots, "voila", section)
        finally:
            context.close()
