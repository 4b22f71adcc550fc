"""Accessibility of the live pages: every section after Run All, in JupyterLab
and in Voilà, checked by axe-core in Debian's Chromium.

``test_accessibility.py`` checks nbconvert's static pages, where no widget is
drawn. Here a real server runs each notebook of a completed student folder:
JupyterLab through Run All, Voilà by opening the page (it runs the notebook
itself). Then, on the live DOM:

* axe-core finds no serious or critical violation in the course's content;
* every chart image has a real alt text (axe accepts ``alt=""`` as
  decorative, so this is counted separately), and each chart cell of the
  notebook produced one;
* every interactive control in the content has an accessible name and can
  be reached with Tab (``select``, ``input``, ``button`` and ARIA widgets),
  including the ordering and matching drop-downs;
* a table too wide for its box scrolls in a region a keyboard can focus
  (axe's ``scrollable-region-focusable``).

What is scanned. In JupyterLab only what the notebook's cells render, the
selectors in ``LAB_CONTENT``; the rest of the page is JupyterLab's own
interface, listed in ``LAB_INTERFACE``, and the test checks that everything
visible the scan leaves out lies inside one of those (or is a layout box
holding content), so the list documents exactly what is not scanned. Voilà
shows nothing but the notebook's rendering, so its whole page is scanned.

Screenshots of every chart and fitted table as the browser shows them, and of
each page, are saved under ``reports/live/`` for a reader to look at.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from browser_support import browser, jupyter_server, need
from student_support import completed_student_folder

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
SECTIONS = sorted(p.parent.name for p in (ROOT / "notebooks").glob("[0-9][0-9]_*/*.ipynb"))
AXE = ROOT / "build" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
SHOTS = ROOT / "reports" / "live"

# The course's content in a JupyterLab notebook page: cell outputs (charts,
# tables, widgets, messages) and rendered Markdown.
LAB_CONTENT = [".jp-Notebook .jp-OutputArea-output", ".jp-Notebook .jp-MarkdownOutput"]
# JupyterLab's own interface, which the scan leaves out (not ours to fix):
# menus and the top bar, side panels (file browser, nbgrader, Voilà buttons),
# the status bar, document tabs, the notebook toolbar, code editors, prompts,
# collapsers, heading-collapse buttons, cell toolbars, the notebook footer,
# the skip link, the bottom panel, and code cells without output (an editor
# and a prompt, nothing the course rendered).
# The layout boxes around the content (among them the cell list, a
# role="feed" whose cells lack role="article") are not scanned either.
LAB_INTERFACE = [
    "#jp-top-panel",
    "#jp-menu-panel",
    "#jp-left-stack",
    "#jp-right-stack",
    ".jp-SideBar",
    "#jp-main-statusbar",
    ".lm-DockPanel-tabBar",
    ".jp-NotebookPanel-toolbar",
    ".jp-InputArea-editor",
    ".jp-InputPrompt",
    ".jp-OutputPrompt",
    ".jp-Collapser",
    ".jp-collapseHeadingButton",
    ".jp-cell-toolbar",
    ".jp-Notebook-footer",
    ".skip-link",
    "#jp-bottom-panel",
    ".jp-CodeCell.jp-mod-noOutputs",
]
BAD_IMPACTS = ("serious", "critical")
MIN_ALT = 40
# Voilà runs the whole notebook while it sends the page; on a loaded machine
# that can take minutes. The test waits for Voilà to finish, up to
# VOILA_RUN_S in all, but fails sooner if no cell finishes in VOILA_CELL_S
# (nbval allows a cell 120 s).
VOILA_RUN_S = 900
VOILA_CELL_S = 300

# Interactive elements in the content, each of which needs an accessible
# name. Checked with the browser's own accessibility tree (Playwright's
# aria snapshot would be a second opinion; axe's rules are the first).
_CONTROLS_JS = """(roots) => {
    const controls = [];
    for (const sel of roots) {
        for (const root of document.querySelectorAll(sel)) {
            for (const el of root.querySelectorAll(
                    'select, input, textarea, button, [role=slider], [role=spinbutton],'
                    + ' [role=combobox], [role=listbox], [role=checkbox], [role=radio]')) {
                if (el.closest('[hidden]') || el.type === 'hidden') continue;
                const labels = el.labels ? [...el.labels].map(l => l.textContent).join(' ') : '';
                const named = (el.getAttribute('aria-label') || '')
                    + ' ' + ((el.getAttribute('aria-labelledby') || '').split(/\\s+/)
                        .map(id => (document.getElementById(id) || {}).textContent || '').join(' '))
                    + ' ' + labels
                    + ' ' + (el.closest('label') ? el.closest('label').textContent : '')
                    + ' ' + (el.tagName === 'BUTTON' ? el.textContent : '')
                    + ' ' + (el.getAttribute('title') || '');
                controls.push({kind: el.type || el.getAttribute('role') || '',
                               name: named.replace(/\\s+/g, ' ').trim(),
                               tabbable: !el.disabled && el.tabIndex >= 0,
                               html: el.outerHTML.slice(0, 160)});
            }
        }
    }
    return controls;
}"""

# Visible things outside the content that are not in the listed interface:
# elements with text of their own, or interactive ones, that are neither in
# LAB_CONTENT nor in LAB_INTERFACE nor a box that holds content.
_UNLISTED_JS = """([content, iface]) => {
    const inside = (el, sels) => sels.some(s => el.closest(s));
    const stray = [];
    for (const el of document.body.querySelectorAll('*')) {
        if (inside(el, content) || inside(el, iface)) continue;
        if (el.querySelector(content.join(','))) continue;
        if (!el.getClientRects().length) continue;
        const text = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
        const interactive = el.matches('a, button, input, select, textarea, [tabindex], [role]');
        if (text || interactive) stray.push(el.outerHTML.slice(0, 160));
    }
    return stray;
}"""

_IMAGES_JS = """(roots) => {
    const out = [];
    for (const sel of roots) {
        for (const root of document.querySelectorAll(sel)) {
            for (const img of root.querySelectorAll('img')) {
                out.push({alt: img.getAttribute('alt'),
                          chart: img.classList.contains('trilateral-chart'),
                          src: (img.getAttribute('src') || '').slice(0, 40)});
            }
        }
    }
    return out;
}"""


def _chart_cells(notebook: Path) -> int:
    """Code cells that draw a chart: the ones with a hand-written ``alt``."""
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    return sum(1 for c in cells if c["cell_type"] == "code" and c.get("metadata", {}).get("alt"))


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


@pytest.fixture(scope="module")
def lab(course):
    chromium, student, home = course
    # Draw every cell, not only those near the viewport (JupyterLab's default
    # windowing hides the rest with content-visibility), so axe sees them all.
    tracker = home / ".jupyter/lab/user-settings/@jupyterlab/notebook-extension"
    tracker.mkdir(parents=True, exist_ok=True)
    (tracker / "tracker.jupyterlab-settings").write_text(
        json.dumps({"windowingMode": "none"}), encoding="utf-8"
    )
    with jupyter_server(student, home) as server:
        yield server, chromium, student


def _scan(page, context: object) -> list[str]:
    """axe-core's serious and critical violations, one line each."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async (ctx) => await axe.run(ctx || document, {resultTypes: ['violations']})", context
    )
    return [
        f"{v['id']} ({v['impact']}, {len(v['nodes'])}x): {v['help']} - e.g. "
        f"{v['nodes'][0]['html'][:200]}"
        for v in result["violations"]
        if v["impact"] in BAD_IMPACTS
    ]


def _check_page(page, roots: list[str], axe_context: object, notebook: Path, where: str) -> None:
    """All the checks of the module docstring, on one rendered notebook."""
    problems = [f"axe: {line}" for line in _scan(page, axe_context)]

    images = page.evaluate(_IMAGES_JS, roots)
    for img in images:
        if not img["alt"] or len(img["alt"].strip()) < MIN_ALT:
            problems.append(f"image without a real alt text ({img['alt']!r}): {img['src']}...")
    charts = sum(1 for img in images if img["chart"])
    expected = _chart_cells(notebook)
    if charts < expected:
        problems.append(f"{expected} chart cells but {charts} chart images with alt text")

    controls = page.evaluate(_CONTROLS_JS, roots)
    for control in controls:
        if not control["name"]:
            problems.append(f"control without a name: {control['html']}")
        if not control["tabbable"] and control["kind"] not in ("radio",):
            problems.append(f"control out of the Tab order: {control['html']}")
    section = notebook.parent.name
    if any("bank.widget(" in line for line in notebook.read_text(encoding="utf-8").splitlines()):
        assert controls, f"{where} {section}: widgets in the notebook but no control scanned"
    assert not problems, f"{where} {section}:\n" + "\n".join(problems)


def _screenshots(page, roots: list[str], where: str, section: str) -> None:
    folder = SHOTS / where
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob(f"{section}-*.png"):
        old.unlink()
    charts = page.locator(", ".join(f"{r} img.trilateral-chart" for r in roots))
    for i in range(charts.count()):
        chart = charts.nth(i)
        chart.scroll_into_view_if_needed()
        chart.screenshot(path=str(folder / f"{section}-chart{i + 1}.png"))
    tables = page.locator(", ".join(f"{r} .trilateral-table" for r in roots))
    for i in range(tables.count()):
        table = tables.nth(i)
        table.scroll_into_view_if_needed()
        table.screenshot(path=str(folder / f"{section}-table{i + 1}.png"))
    page.screenshot(path=str(folder / f"{section}-page.png"))


def _run_all(page) -> None:
    """Run > Run All Cells, then wait until no cell is queued or running."""
    page.get_by_text("Python 3 (ipykernel) | Idle").first.wait_for(timeout=90_000)
    page.locator(".lm-MenuBar-item", has_text="Run").first.click()
    page.locator(".lm-Menu-item", has_text="Run All Cells").first.click()
    page.wait_for_function(
        """() => [...document.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')]
            .some(p => /\\[(\\*|\\d+)\\]/.test(p.textContent))""",
        timeout=30_000,
    )
    page.wait_for_function(
        """() => {
            const prompts = [...document.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')];
            const ind = document.querySelector('.jp-Notebook-ExecutionIndicator');
            return prompts.length > 0 && !prompts.some(p => p.textContent.includes('*'))
                && (!ind || ind.getAttribute('data-status') === 'idle');
        }""",
        timeout=300_000,
    )


@pytest.mark.parametrize("section", SECTIONS)
def test_jupyterlab_after_run_all(lab, section: str) -> None:
    server, chromium, student = lab
    notebook = next((student / section).glob("*.ipynb"))
    server.shut_down_kernels()
    context = chromium.new_context(viewport={"width": 1280, "height": 1000})
    try:
        page = context.new_page()
        page.goto(f"{server.url}/lab/tree/{section}/{notebook.name}?reset&token={server.token}")
        _run_all(page)
        # Widgets and images render just after their cell finishes.
        page.wait_for_timeout(1500)
        unlisted = page.evaluate(_UNLISTED_JS, [LAB_CONTENT, LAB_INTERFACE])
        assert not unlisted, "left out of the scan but not in LAB_INTERFACE:\n" + "\n".join(
            unlisted[:10])
        try:
            _check_page(page, LAB_CONTENT, {"include": [[s] for s in LAB_CONTENT]}, notebook,
                        "JupyterLab")
        finally:
            _screenshots(page, LAB_CONTENT, "jupyterlab", section)
    finally:
        context.close()


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
                _check_page(page, roots, None, notebook, "Voilà")
            finally:
                _screenshots(page, roots, "voila", section)
        finally:
            context.close()
