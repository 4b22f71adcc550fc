"""SanitizeOutputs: what a submission stores can never run script when rendered.

Unit tests check each rule on small in-memory notebooks. The end-to-end
tests render one hostile notebook (every way we know to plant script in a
notebook, each carrying the marker ``PWNED_7731``) through nbconvert's
``HTMLExporter`` with the lab and classic templates and nbgrader's own
feedback template, and read the page with :mod:`html.parser`: no
``<script>`` element, event-handler attribute or ``javascript:`` URL may
carry the marker. The page is checked with ``sanitize_html`` on (the course's
configuration) and off (SanitizeOutputs alone must be enough); a control
test shows the unsanitized notebook does plant the marker in all three, and
another what nbconvert's cleaner alone leaves in place.
"""

from __future__ import annotations

import base64
import copy
import html
import re
from html.parser import HTMLParser
from pathlib import Path

import nbgrader
import pytest
from nbconvert import HTMLExporter
from nbformat import NotebookNode
from nbformat.v4 import (
    new_code_cell,
    new_markdown_cell,
    new_notebook,
    new_output,
    new_raw_cell,
)
from nbgrader.utils import determine_grade
from traitlets.config import Config

from trilateral.grading.sanitize import (
    SanitizeOutputs,
    checked_image,
    register_sanitize,
    rendered_problems,
)

MARKER = "PWNED_7731"
PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + bytes(range(40))).decode()
JPEG = base64.b64encode(b"\xff\xd8\xff\xe0" + bytes(range(40))).decode()
SVG = f'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(\'{MARKER}\')"></svg>'
NBGRADER_TEMPLATES = Path(nbgrader.__file__).parent / "server_extensions/formgrader/templates"


def sanitized(nb: NotebookNode) -> NotebookNode:
    return SanitizeOutputs().preprocess(nb, {})[0]


def one_cell(cell: NotebookNode) -> NotebookNode:
    nb = new_notebook()
    nb.cells.append(cell)  # not validated: the malformed cells are the point
    return sanitized(nb).cells[0]


def code_with(*outputs: dict) -> NotebookNode:
    cell = new_code_cell("x", execution_count=1)
    cell.outputs = [NotebookNode(copy.deepcopy(o)) for o in outputs]
    return cell


def rich(output_type: str, data: dict, metadata: dict | None = None) -> dict:
    out = {"output_type": output_type, "data": data, "metadata": metadata or {}}
    if output_type == "execute_result":
        out["execution_count"] = 1
    return out


def visible_text(markdown: str, attachments: dict | None = None) -> str:
    """What a reader sees of ``markdown`` rendered as nbconvert renders it."""
    from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath

    renderer = IPythonRenderer(escape=False, attachments=attachments or {},
                               exclude_anchor_links=True)
    page = MarkdownWithMath(renderer=renderer).render(markdown)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


# --- code-cell outputs ----------------------------------------------------------


def test_stream_and_error_outputs_are_kept_as_strings() -> None:
    cell = one_cell(code_with(
        {"output_type": "stream", "name": "stderr", "text": ["a\n", "b\n"]},
        {"output_type": "stream", "name": 'stdout" onclick="x', "text": 42},
        {"output_type": "error", "ename": "ValueError", "evalue": 3,
         "traceback": "Traceback (most recent call last)"},
    ))
    assert cell.outputs == [
        {"output_type": "stream", "name": "stderr", "text": "a\nb\n"},
        {"output_type": "stream", "name": "stdout", "text": "42"},
        {"output_type": "error", "ename": "ValueError", "evalue": "3",
         "traceback": ["Traceback (most recent call last)"]},
    ]


def test_rich_outputs_keep_only_plain_text_and_checked_images() -> None:
    data = {
        "text/plain": ["<Figure size 640x480>"],
        "text/html": f"<script>alert('{MARKER}')</script>",
        "image/png": PNG,
        "image/jpeg": JPEG,
        "image/svg+xml": SVG,
        "application/javascript": f"alert('{MARKER}')",
        "text/markdown": f"[x](javascript:alert('{MARKER}'))",
        "text/latex": "$x$",
        "application/vnd.jupyter.widget-view+json": {"model_id": "abc"},
        "application/x-made-up": "?",
    }
    cell = one_cell(code_with(rich("execute_result", data), rich("display_data", data)))
    for output in cell.outputs:
        assert output.data == {"text/plain": "<Figure size 640x480>", "image/png": PNG,
                               "image/jpeg": JPEG}
    assert cell.outputs[0].execution_count == 1
    assert "execution_count" not in cell.outputs[1]


@pytest.mark.parametrize(
    ("mime", "value"),
    [
        ("image/png", JPEG),  # a JPEG labelled PNG
        ("image/jpeg", PNG),
        ("image/png", base64.b64encode(SVG.encode()).decode()),
        ("image/png", SVG),  # not base64 at all
        ("image/png", '" onerror="alert(1)'),
        ("image/png", {"not": "text"}),
        ("image/gif", base64.b64encode(b"GIF89a").decode()),
    ],
)
def test_images_must_really_be_png_or_jpeg(mime: str, value: object) -> None:
    cell = one_cell(code_with(rich("display_data", {mime: value})))
    assert list(cell.outputs[0].data) == ["text/plain"]
    assert "removed by the grader" in cell.outputs[0].data["text/plain"]


def test_base64_split_over_lines_is_a_valid_image() -> None:
    lines = [PNG[:20] + "\n", PNG[20:]]
    assert checked_image(lines, "image/png") == PNG


@pytest.mark.parametrize(
    ("data", "note"),
    [
        ({"text/html": "<b>hi</b>"}, "[an HTML output was removed by the grader]"),
        ({"application/javascript": "1", "application/vnd.jupyter.widget-view+json": {}},
         "[a JavaScript output and a widget were removed by the grader]"),
        # IPython's default text for HTML(...) says nothing once the HTML is gone.
        ({"text/plain": "<IPython.core.display.HTML object>", "text/html": "<b>hi</b>"},
         "[an HTML output was removed by the grader]"),
        ({"image/svg+xml": SVG, "text/latex": "$x$", "text/markdown": "*x*"},
         "[an SVG image, a LaTeX output and a Markdown output were removed by the grader]"),
    ],
)
def test_a_note_replaces_what_was_removed(data: dict, note: str) -> None:
    cell = one_cell(code_with(rich("display_data", data)))
    assert cell.outputs[0].data == {"text/plain": note}


def test_plain_text_that_says_something_is_kept_without_a_note() -> None:
    data = {"text/plain": "   country  total\n0  Japan  3", "text/html": "<table></table>"}
    cell = one_cell(code_with(rich("execute_result", data)))
    assert cell.outputs[0].data == {"text/plain": data["text/plain"]}


def test_output_metadata_keeps_only_numeric_image_sizes() -> None:
    metadata = {
        "image/png": {"width": 320, "height": "1 onerror=alert(1)", "unconfined": True},
        "image/jpeg": {"width": True, "height": float("nan")},
        "width": 200.5,
        "height": "100",
        "filenames": {"image/png": "javascript:alert(1)"},
        "isolated": True,
    }
    cell = one_cell(code_with(rich("display_data", {"image/png": PNG, "image/jpeg": JPEG},
                                   metadata)))
    assert cell.outputs[0].metadata == {"image/png": {"width": 320}, "width": 200.5}


def test_sizes_are_dropped_with_the_image() -> None:
    cell = one_cell(code_with(rich("display_data", {"text/html": "x"}, {"width": 5})))
    assert cell.outputs[0].metadata == {}


def test_unknown_outputs_are_removed() -> None:
    cell = code_with({"output_type": "stream", "name": "stdout", "text": "kept"})
    cell.outputs += [NotebookNode({"output_type": "update_display_data", "data": {}}),
                     NotebookNode({"no": "type"}), "not an output"]
    assert [o.output_type for o in one_cell(cell).outputs] == ["stream"]


@pytest.mark.parametrize(
    "output",
    [
        new_output("error", ename="E", evalue="v", traceback=["t"]),
        new_output("stream", name="stderr", text="warning"),
        new_output("stream", name="stdout", text="fine"),
        new_output("execute_result", {"text/plain": "1.5"}, execution_count=1),
        new_output("execute_result", {"text/plain": "ok", "text/html": "<b>ok</b>"},
                   execution_count=1),
        new_output("display_data", {"text/html": "<b>only html</b>"}),
    ],
    ids=["error", "stderr", "stdout", "partial", "html-result", "html-display"],
)
def test_grading_is_unchanged(output: NotebookNode) -> None:
    """nbgrader scores a test cell by its outputs; the sanitized ones score the same."""
    cell = new_code_cell("assert True", execution_count=1, outputs=[output])
    cell.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True,
                                 "grade_id": "t", "points": 3, "schema_version": 3}
    before = determine_grade(copy.deepcopy(cell))
    assert determine_grade(one_cell(cell)) == before


# --- markdown, attachments, raw cells, notebook metadata -------------------------


def test_student_markdown_html_is_made_inert_and_reads_the_same() -> None:
    source = ("## My answer\n\nJapan < Korea, and 3 > 2.\n\n> quoted <b>bold</b>\n\n"
              f"<script>alert('{MARKER}')</script>\n<img src=x onerror=\"alert('{MARKER}')\">")
    cell = one_cell(new_markdown_cell(source))
    assert "<" not in cell.source
    assert cell.source == source.replace("<", "&lt;")
    assert "> quoted" in cell.source  # blockquote marker kept
    assert visible_text(cell.source).startswith(
        "My answer Japan < Korea, and 3 > 2. quoted <b>bold</b> <script>")
    assert rendered_problems(cell.source) == []


@pytest.mark.parametrize(
    "nbgrader_meta",
    [
        None,
        {"grade": True, "solution": True, "locked": False, "grade_id": "w", "points": 2,
         "schema_version": 3},
        # A written answer the student marked locked is still the student's.
        {"grade": True, "solution": True, "locked": True, "grade_id": "w", "points": 2,
         "schema_version": 3},
    ],
    ids=["ordinary", "written-answer", "answer-marked-locked"],
)
def test_markdown_the_student_could_write_is_escaped(nbgrader_meta: dict | None) -> None:
    cell = new_markdown_cell("<b>x</b>")
    if nbgrader_meta is not None:
        cell.metadata["nbgrader"] = nbgrader_meta
    assert one_cell(cell).source == "&lt;b>x&lt;/b>"


def test_locked_instructor_markdown_is_kept() -> None:
    source = '<div class="alert alert-info">Read <a href="https://example.org">this</a>.</div>'
    cell = new_markdown_cell(source)
    cell.metadata["nbgrader"] = {"grade": False, "solution": False, "locked": True,
                                 "grade_id": "intro", "schema_version": 3}
    assert one_cell(cell).source == source


@pytest.mark.parametrize(
    "link",
    [
        f"[click](javascript:alert('{MARKER}'))",
        "[click](JavaScript:alert(1))",
        "[click](jav&#x61;script:alert(1))",  # the renderer decodes entities
        "[click](javascript\\:alert(1))",  # ... and backslash escapes
        "[click][r]\n\n[r]: javascript:alert(1)",
        "![pic](javascript:alert(1))",
        "[click](vbscript:msgbox(1))",
        "[click](data:text/html;base64,PHNjcmlwdD4=)",
        "![pic](attachment:missing.png)",  # nbconvert could not render the page
    ],
)
def test_script_links_are_shown_as_text(link: str) -> None:
    cell = one_cell(new_markdown_cell(f"See {link}\n\nThanks."))
    assert rendered_problems(cell.source) == []
    assert "See" in visible_text(cell.source)
    assert "\\[" in cell.source


def test_markdown_that_cannot_be_made_safe_is_replaced(monkeypatch: pytest.MonkeyPatch) -> None:
    """The last resort, if escaping the brackets did not satisfy the check either."""
    from trilateral.grading import sanitize

    monkeypatch.setattr(sanitize, "rendered_problems", lambda *args: ["<unknown>"])
    source = one_cell(new_markdown_cell(f"[x](javascript:{MARKER})")).source
    assert source.startswith("*[The text of this cell was removed by the grader")
    assert MARKER not in source


def test_ordinary_links_and_formatting_are_kept() -> None:
    source = ("Source: [Aum and Silverberg](https://example.org/essay), *2021*.\n\n"
              "- [x] read it\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n```python\nx = 1\n```")
    assert one_cell(new_markdown_cell(source)).source == source


def test_attachments_keep_only_checked_png_and_jpeg() -> None:
    cell = new_markdown_cell(
        "![a](attachment:a.png) ![b](attachment:b.jpg) ![c](attachment:c.svg) "
        "![d](attachment:d.html) ![e](attachment:e.png)")
    cell.attachments = {
        "a.png": {"image/png": PNG, "image/svg+xml": base64.b64encode(SVG.encode()).decode()},
        "b.jpg": {"image/jpeg": JPEG},
        "c.svg": {"image/svg+xml": base64.b64encode(SVG.encode()).decode()},
        "d.html": {"text/html": base64.b64encode(b"<script>x</script>").decode()},
        "e.png": {"image/png": JPEG},
    }
    out = one_cell(cell)
    assert out.attachments == {"a.png": {"image/png": PNG}, "b.jpg": {"image/jpeg": JPEG}}
    # References to removed attachments no longer break the page.
    assert rendered_problems(out.source, out.attachments) == []
    assert "attachment:a.png" in out.source and "attachment:b.jpg" in out.source
    assert "attachment:c.svg" not in out.source.replace("removed-attachment:c.svg", "")


def test_locked_cell_keeps_its_text_but_not_a_bad_attachment() -> None:
    cell = new_markdown_cell("![map](attachment:map.svg)")
    cell.metadata["nbgrader"] = {"grade": False, "solution": False, "locked": True,
                                 "grade_id": "intro", "schema_version": 3}
    cell.attachments = {"map.svg": {"image/svg+xml": base64.b64encode(SVG.encode()).decode()}}
    out = one_cell(cell)
    assert "attachments" not in out
    assert out.source == "![map](removed-attachment:map.svg)"
    assert rendered_problems(out.source) == []


def test_code_cells_lose_attachments() -> None:
    cell = new_code_cell("x")
    cell["attachments"] = {"a.png": {"image/png": PNG}}
    assert "attachments" not in one_cell(cell)


def test_raw_cells_are_emptied() -> None:
    cell = new_raw_cell(f"<script>alert('{MARKER}')</script>")
    cell.metadata["raw_mimetype"] = "text/html"
    assert one_cell(cell).source == ""


def test_notebook_metadata_keeps_kernelspec_and_language_info_only() -> None:
    nb = new_notebook(metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python", "version": "3.11"},
        "widgets": {"application/vnd.jupyter.widget-state+json": {"state": {MARKER: 1}}},
        "title": f"<script>{MARKER}</script>",
        "celltoolbar": "Create Assignment",
    })
    assert set(sanitized(nb).metadata) == {"kernelspec", "language_info"}


def test_register_sanitize_only_turns_on_the_html_cleaner() -> None:
    c = Config()
    register_sanitize(c)
    assert set(c) == {"HTMLExporter"}
    assert dict(c.HTMLExporter) == {"sanitize_html": True}
    assert HTMLExporter(config=c).sanitize_html is True


# --- end to end: a hostile notebook rendered to HTML -----------------------------


def hostile_notebook() -> NotebookNode:
    """Every way we know to plant script in a submitted notebook, marked with MARKER."""
    js = f"alert('{MARKER}')"
    html_attachment = base64.b64encode(f"<script>{js}</script>".encode()).decode()
    cells = [
        new_code_cell("display(HTML(...))", execution_count=1, outputs=[
            new_output("display_data", {
                "text/html": f"<script>{js}</script><img src=x onerror=\"{js}\">",
                "text/plain": "<IPython.core.display.HTML object>"}),
            new_output("display_data", {"image/svg+xml": SVG}),
            new_output("display_data", {"application/javascript": js}),
            new_output("execute_result", {
                "text/markdown": f"[md](javascript:{js})", "text/plain": "md"},
                execution_count=1),
            new_output("display_data", {"image/png": PNG},
                       metadata={"image/png": {"width": f"1 onerror={js}"}}),
        ]),
        new_markdown_cell(f"Link: [x](javascript:{js}) and [y](jav&#x61;script:{js})"),
        new_markdown_cell(f"<script>{js}</script>\n\n<img src=x onerror=\"{js}\">\n\n{SVG}"),
        new_markdown_cell("![evil](attachment:evil.html)",
                          attachments={"evil.html": {"text/html": html_attachment}}),
        new_raw_cell(f"<script>{js}</script>", metadata={"raw_mimetype": "text/html"}),
    ]
    # Stored widget state is written into a <script> element of the page.
    state = {"state": {"m": {"model_name": "HTMLModel", "state": {"value": f"<script>{js}"}}},
             "version_major": 2, "version_minor": 0}
    return new_notebook(cells=cells, metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "widgets": {"application/vnd.jupyter.widget-state+json": state},
    })


class ScriptFinder(HTMLParser):
    """Where a page could run MARKER: scripts, event handlers, ``javascript:`` URLs."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: set[str] = set()
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._in_script = tag == "script"
        for name, value in attrs:
            value = value or ""
            if MARKER not in value:
                continue
            if name.startswith("on"):
                self.found.add("event handler")
            if re.sub(r"[\x00-\x20]+", "", value).lower().startswith("javascript:"):
                self.found.add("javascript: URL")
            if tag == "script":
                self.found.add("script")

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and MARKER in data:
            self.found.add("script")


def render(nb: NotebookNode, template: str, sanitize_html: bool) -> str:
    c = Config()
    c.HTMLExporter.sanitize_html = sanitize_html
    resources: dict = {}
    if template == "feedback":  # nbgrader's generate_feedback template
        c.HTMLExporter.template_name = "feedback"
        c.HTMLExporter.extra_template_basedirs = [str(NBGRADER_TEMPLATES)]
        c.HTMLExporter.extra_template_paths = [str(
            NBGRADER_TEMPLATES.parent / "static" / "node_modules" / "bootstrap" / "dist" / "css")]
        resources = {"nbgrader": {"notebook": "demo", "score": 0, "max_score": 1,
                                  "late_penalty": 0}}
    else:
        c.HTMLExporter.template_name = template
    page, _ = HTMLExporter(config=c).from_notebook_node(copy.deepcopy(nb), resources=resources)
    return page


def script_carrying_marker(page: str) -> set[str]:
    finder = ScriptFinder()
    finder.feed(page)
    finder.close()
    return finder.found


TEMPLATES = ["lab", "classic", "feedback"]


@pytest.mark.parametrize("template", TEMPLATES)
def test_unsanitized_hostile_notebook_runs_script(template: str) -> None:
    """The control: without any defence, the page does carry the marker in script."""
    page = render(hostile_notebook(), template, sanitize_html=False)
    assert script_carrying_marker(page) == {"script", "event handler", "javascript: URL"}


@pytest.mark.parametrize(
    ("template", "left"),
    [
        # Image sizes go into an unquoted attribute; the lab page loads the widget state.
        ("lab", {"event handler", "script"}),
        ("classic", {"event handler"}),
        # nbgrader's feedback (and formgrade) template renders markdown cells without
        # nbconvert's cleaner, whatever sanitize_html says.
        ("feedback", {"event handler", "script", "javascript: URL"}),
    ],
)
def test_html_cleaner_alone_is_not_enough(template: str, left: set[str]) -> None:
    page = render(hostile_notebook(), template, sanitize_html=True)
    assert script_carrying_marker(page) == left


@pytest.mark.parametrize("sanitize_html", [True, False], ids=["cleaner-on", "cleaner-off"])
@pytest.mark.parametrize("template", TEMPLATES)
def test_sanitized_hostile_notebook_runs_no_script(template: str, sanitize_html: bool) -> None:
    nb = sanitized(hostile_notebook())
    page = render(nb, template, sanitize_html)
    assert script_carrying_marker(page) == set()
    assert MARKER in page  # still shown, as text


def test_cleaner_on_with_course_config_renders_the_sanitized_notebook() -> None:
    c = Config()
    register_sanitize(c)
    page, _ = HTMLExporter(config=c).from_notebook_node(sanitized(hostile_notebook()))
    assert script_carrying_marker(page) == set()
