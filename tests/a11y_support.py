"""Accessibility checks of a live page, shared by the browser tests.

``check_page`` runs every check on one rendered notebook: axe-core finds no
serious or critical violation in the course's content; every chart image has
a real alt text, and each chart cell of the notebook produced one; every
interactive control is named and reachable with Tab. In JupyterLab only the
notebook's content is scanned (``LAB_CONTENT``); ``LAB_INTERFACE`` lists,
and ``UNLISTED_JS`` proves, what is left out. ``test_browser.py`` runs them
in JupyterLab after Run All, ``test_accessibility_live.py`` in Voilà.
Screenshots of every chart and fitted table go to ``reports/live/``.
"""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
AXE = ROOT / "build" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
SHOTS = ROOT / "reports" / "live"

__all__ = [
    "AXE", "BAD_IMPACTS", "LAB_CONTENT", "LAB_INTERFACE", "SHOTS", "UNLISTED_JS",
    "chart_cells", "check_page", "scan", "screenshots", "windowing_off",
]

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

# Interactive elements in the content, each of which needs an accessible
# name. Checked with the browser's own accessibility tree (Playwright's
# aria snapshot would be a second opinion; axe's rules are the first).
CONTROLS_JS = """(roots) => {
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
UNLISTED_JS = """([content, iface]) => {
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

IMAGES_JS = """(roots) => {
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


def chart_cells(notebook: Path) -> int:
    """Code cells that draw a chart: the ones with a hand-written ``alt``."""
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    return sum(1 for c in cells if c["cell_type"] == "code" and c.get("metadata", {}).get("alt"))


def scan(page, context: object) -> list[str]:
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


def check_page(page, roots: list[str], axe_context: object, notebook: Path, where: str) -> None:
    """All the checks of the module docstring, on one rendered notebook."""
    problems = [f"axe: {line}" for line in scan(page, axe_context)]

    images = page.evaluate(IMAGES_JS, roots)
    for img in images:
        if not img["alt"] or len(img["alt"].strip()) < MIN_ALT:
            problems.append(f"image without a real alt text ({img['alt']!r}): {img['src']}...")
    charts = sum(1 for img in images if img["chart"])
    expected = chart_cells(notebook)
    if charts < expected:
        problems.append(f"{expected} chart cells but {charts} chart images with alt text")

    controls = page.evaluate(CONTROLS_JS, roots)
    for control in controls:
        if not control["name"]:
            problems.append(f"control without a name: {control['html']}")
        if not control["tabbable"] and control["kind"] not in ("radio",):
            problems.append(f"control out of the Tab order: {control['html']}")
    section = notebook.parent.name
    if any("bank.widget(" in line for line in notebook.read_text(encoding="utf-8").splitlines()):
        assert controls, f"{where} {section}: widgets in the notebook but no control scanned"
    assert not problems, f"{where} {section}:\n" + "\n".join(problems)


def screenshots(page, roots: list[str], where: str, section: str) -> None:
    """Every chart and fitted table as the browser shows it, and the page."""
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


def windowing_off(home: Path) -> None:
    """Have JupyterLab draw every cell, not only those near the viewport (its
    default windowing hides the rest with content-visibility), so a scan sees
    them all. ``home`` is the HOME of the server's user."""
    tracker = home / ".jupyter/lab/user-settings/@jupyterlab/notebook-extension"
    tracker.mkdir(parents=True, exist_ok=True)
    (tracker / "tracker.jupyterlab-settings").write_text(
        json.dumps({"windowingMode": "none"}), encoding="utf-8"
    )
