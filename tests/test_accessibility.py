"""Accessibility: headings, chart descriptions, and axe-core in Chromium.

Each instructor notebook, with its stored outputs, is rendered to HTML by
nbconvert through ``trilateral.publishing.render`` (the classic page, which carries a
chart's alt text into the page, with colours fixed for contrast) and checked
by axe-core, the engine behind most accessibility audits, in Debian's
Chromium. Serious and critical violations fail the test.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from trilateral.publishing import render

from browser_support import browser, need

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*/*.ipynb"))
AXE = ROOT / "build" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
_HEADING = re.compile(r"^(#{1,6})\s+\S", re.M)
_FENCE = re.compile(r"^```.*?^```", re.M | re.S)


def _cells(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def _text(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.parent.name)
def test_headings_form_an_outline(path: Path) -> None:
    levels = [
        len(m.group(1))
        for cell in _cells(path)
        if cell["cell_type"] == "markdown"
        for m in _HEADING.finditer(_FENCE.sub("", _text(cell)))
    ]
    assert levels and levels[0] == 1, "the notebook starts with its one level-1 title"
    assert levels.count(1) == 1, "exactly one level-1 heading"
    for before, after in zip(levels, levels[1:], strict=False):
        assert after <= before + 1, f"heading level jumps from {before} to {after}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.parent.name)
def test_every_chart_has_alt_text(path: Path) -> None:
    for i, cell in enumerate(_cells(path)):
        for output in cell.get("outputs", []):
            if "image/png" not in output.get("data", {}):
                continue
            alt = output.get("metadata", {}).get("image/png", {}).get("alt") or cell.get(
                "metadata", {}
            ).get("alt")
            assert alt and len(alt) >= 40, f"cell {i}: a chart without a real alt text"


@pytest.fixture(scope="module")
def chromium(tmp_path_factory: pytest.TempPathFactory):
    need(AXE.is_file(), f"axe-core is not installed ({AXE.relative_to(ROOT)}; run `make test`)")
    with browser(tmp_path_factory.mktemp("axe-chromium")) as context:
        yield context


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.parent.name)
def test_rendered_notebook_passes_axe(path: Path, chromium, tmp_path: Path) -> None:
    body = render.to_html(path)
    page_path = tmp_path / "page.html"
    page_path.write_text(body, encoding="utf-8")
    page = chromium.new_page()
    # The page links MathJax and require.js from CDNs; the test machine is
    # offline and the checks are about our content, so remote files are refused.
    page.route(re.compile(r"^https?://"), lambda route: route.abort())
    try:
        page.goto(page_path.as_uri())
        page.add_script_tag(path=str(AXE))
        result = page.evaluate(
            "async () => await axe.run(document, {resultTypes: ['violations']})"
        )
    finally:
        page.close()
    bad = [
        f"{v['id']} ({v['impact']}): {v['help']} - e.g. {v['nodes'][0]['html'][:160]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert not bad, "\n".join(bad)
