"""An nbgrader preprocessor that makes a graded notebook safe to show in a browser.

nbgrader shows the autograded notebook twice: as the feedback page a student
receives (``generate_feedback``) and in the formgrader, where an instructor
reads it inside their logged-in Jupyter session. nbconvert writes HTML, SVG
and JavaScript outputs into those pages as they are, and the raw HTML of
markdown cells too, so a submission could run its own script in the
instructor's browser (``<script>``, ``<img onerror=...>``, an SVG with
``onload``, ``display(Javascript(...))``, a ``javascript:`` link).

:class:`SanitizeOutputs` runs in the autograde chain right after ``Execute``,
so the stored autograded notebook is already harmless and every later reader
(feedback, formgrader, an exported copy) gets the safe version:

- code-cell outputs keep only what renders as text or as a checked bitmap:
  ``stream`` and ``error`` outputs (fields coerced to strings), and of
  ``execute_result`` / ``display_data`` the ``text/plain`` value and PNG or
  JPEG images whose base64 data really decodes to a PNG or JPEG. HTML, SVG,
  JavaScript, Markdown, LaTeX, widget views and any other type are dropped;
  when that leaves no useful text, a ``text/plain`` line says what was
  removed. Output metadata keeps only numeric image width and height (the
  template writes them into an unquoted attribute). Unknown output types are
  removed. ``text/plain``, ``stderr`` streams and errors are what nbgrader's
  ``SaveAutoGrades`` scores by, so grading is unchanged.
- markdown the student could write (every markdown cell that is not a
  locked instructor cell) has each ``<`` written as ``&lt;``: without a
  ``<`` no tag, comment or autolink can start, and the text still reads the
  same where markdown is rendered. ``>`` is left alone: it opens nothing,
  and it is the blockquote marker. The cell is then rendered with nbconvert's
  own markdown renderer and the result checked; a link or image whose URL
  runs script (``javascript:``, ``vbscript:``, ``data:``; entity- or
  backslash-escaped forms included, which the renderer decodes) makes the
  cell's ``[`` and ``]`` escaped, so its links show as plain text.
- attachments keep only PNG and JPEG images that pass the same check; a
  reference to a dropped attachment is made inert (nbconvert would fail on
  it with "missing attachment").
- notebook metadata keeps only ``kernelspec`` and ``language_info`` (stored
  widget state, for one, is written into the page).
- raw cells are emptied (nbconvert may copy raw HTML into the page).

Locked markdown cells keep their source: after nbgrader's ``OverwriteCells``
a locked cell holds the instructor's text from the gradebook.

:func:`register_sanitize` also turns on ``HTMLExporter.sanitize_html``, so
nbconvert's own HTML cleaner runs on feedback and formgrader pages as a
second line of defence. It is not enough alone (nbconvert 7.17, nbgrader
0.9.6): nbgrader's ``feedback`` and ``formgrade`` templates render markdown
cells without it, and no template cleans the image sizes of output metadata
or, in the lab template, the stored widget state.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from html.parser import HTMLParser
from typing import Any

from nbformat import NotebookNode
from nbgrader.preprocessors import NbGraderPreprocessor

__all__ = ["SanitizeOutputs", "register_sanitize"]

IMAGE_MAGIC = {"image/png": b"\x89PNG\r\n\x1a\n", "image/jpeg": b"\xff\xd8\xff"}
KEPT_NB_METADATA = ("kernelspec", "language_info")
STREAM_NAMES = ("stdout", "stderr")

# How a removed output is named in the note left in its place.
_DESCRIPTIONS = {
    "text/html": "an HTML output",
    "image/svg+xml": "an SVG image",
    "application/javascript": "a JavaScript output",
    "text/javascript": "a JavaScript output",
    "text/markdown": "a Markdown output",
    "text/latex": "a LaTeX output",
    "application/pdf": "a PDF output",
    "application/vnd.jupyter.widget-view+json": "a widget",
    "image/png": "an image that is not a valid PNG",
    "image/jpeg": "an image that is not a valid JPEG",
}
# IPython's default text for a display object (HTML(...), Javascript(...)):
# says nothing once the rich part is gone.
_DEFAULT_REPR = re.compile(r"^<IPython\.[\w.]+ object>$")

_REMOVED_ATTACHMENT = "removed-attachment:"
_REMOVED_CELL = "*[The text of this cell was removed by the grader: it could not be shown safely.]*"

# Tags nbconvert's markdown renderer itself produces (mistune with nbconvert's
# plugins, Pygments highlighting, Mermaid blocks). With every ``<`` escaped,
# nothing else can appear; anything else means the check is unsure.
_RENDERED_TAGS = frozenset({
    "a", "blockquote", "br", "code", "dd", "del", "div", "dl", "dt", "em", "h1", "h2", "h3",
    "h4", "h5", "h6", "hr", "img", "input", "li", "ol", "p", "pre", "span", "strong", "table",
    "tbody", "td", "th", "thead", "tr", "ul",
})
_URL_ATTRIBUTES = frozenset({
    "action", "background", "cite", "data", "formaction", "href", "poster", "src", "srcset",
    "xlink:href",
})
_SCRIPT_SCHEME = re.compile(r"^(?:javascript|vbscript|livescript|data):")
_SAFE_IMAGE_DATA = re.compile(r"^data:image/(?:png|jpeg|gif);")
_IGNORED_IN_URL = re.compile(r"[\x00-\x20\x7f]+")  # browsers drop these from URLs


def _text(value: Any) -> str:
    """``value`` as one string (nbformat stores multiline text as a list of lines)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, list | tuple):
        return "".join(_text(part) for part in value)
    return str(value)


def checked_image(value: Any, mime: str) -> str | None:
    """The base64 text of ``value`` if it decodes to a ``mime`` image, else None."""
    magic = IMAGE_MAGIC.get(mime)
    if magic is None or not isinstance(value, str | list):
        return None
    compact = "".join(_text(value).split())
    try:
        raw = base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        return None
    return compact if raw.startswith(magic) else None


def _size(value: Any) -> bool:
    return (isinstance(value, int | float) and not isinstance(value, bool)
            and math.isfinite(value) and value >= 0)


def _image_metadata(metadata: Any, mimes: list[str]) -> dict[str, Any]:
    """Only the numeric width and height of the kept images, per type and top level."""
    if not isinstance(metadata, dict):
        return {}
    out: dict[str, Any] = {}
    for mime in mimes:
        sub = metadata.get(mime)
        if isinstance(sub, dict):
            dims = {key: sub[key] for key in ("width", "height") if _size(sub.get(key))}
            if dims:
                out[mime] = dims
    if mimes:
        out.update({key: metadata[key] for key in ("width", "height")
                    if _size(metadata.get(key))})
    return out


def _removal_note(dropped: list[str]) -> str:
    names: list[str] = []
    for mime in dropped:
        name = _DESCRIPTIONS.get(mime) or f"an output of type {mime[:60]!r}"
        if name not in names:
            names.append(name)
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    verb = "was" if len(names) == 1 else "were"
    return f"[{listed} {verb} removed by the grader]"


def _rich_output(output: dict, output_type: str) -> NotebookNode:
    data = output.get("data")
    data = data if isinstance(data, dict) else {}
    kept: dict[str, str] = {}
    dropped: list[str] = []
    for mime, value in data.items():
        if mime == "text/plain":
            kept[mime] = _text(value)
        elif mime in IMAGE_MAGIC and (image := checked_image(value, mime)) is not None:
            kept[mime] = image
        else:
            dropped.append(str(mime))
    if dropped and _DEFAULT_REPR.match(kept.get("text/plain", "").strip()):
        del kept["text/plain"]
    if dropped and "text/plain" not in kept:
        kept["text/plain"] = _removal_note(dropped)
    images = [mime for mime in kept if mime in IMAGE_MAGIC]
    clean = NotebookNode(output_type=output_type, data=kept,
                         metadata=_image_metadata(output.get("metadata"), images))
    if output_type == "execute_result":
        count = output.get("execution_count")
        clean["execution_count"] = count if isinstance(count, int) and count >= 0 else None
    return clean


def clean_output(output: Any) -> NotebookNode | None:
    """A safe copy of one code-cell output, or None to remove it."""
    if not isinstance(output, dict):
        return None
    output_type = output.get("output_type")
    if output_type == "stream":
        name = output.get("name")
        return NotebookNode(output_type="stream",
                            name=name if name in STREAM_NAMES else "stdout",
                            text=_text(output.get("text")))
    if output_type == "error":
        traceback = output.get("traceback")
        if not isinstance(traceback, list):
            traceback = [] if traceback is None else [traceback]
        return NotebookNode(output_type="error", ename=_text(output.get("ename")),
                            evalue=_text(output.get("evalue")),
                            traceback=[_text(line) for line in traceback])
    if output_type in ("execute_result", "display_data"):
        return _rich_output(output, output_type)
    return None


def inert_markdown(source: str) -> str:
    """``source`` with every ``<`` written as ``&lt;``: no raw HTML can remain."""
    return source.replace("<", "&lt;")


def _escaped_brackets(source: str) -> str:
    """``source`` with ``[`` and ``]`` shown as text: no link or image can form.

    Backslashes are escaped first, so an existing ``\\[`` cannot turn the
    added escape back into a bracket.
    """
    return source.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")


class _Checker(HTMLParser):
    """Finds what could run script in HTML from nbconvert's markdown renderer."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _RENDERED_TAGS:
            self.problems.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"{tag} {name}=")
            elif name in _URL_ATTRIBUTES and value:
                url = _IGNORED_IN_URL.sub("", value).lower()
                if _SCRIPT_SCHEME.match(url) and not (
                    tag == "img" and name == "src" and _SAFE_IMAGE_DATA.match(url)
                ):
                    self.problems.append(f"{tag} {name}={value.strip()[:40]}")

    handle_startendtag = handle_starttag


def rendered_problems(source: str, attachments: dict | None = None) -> list[str]:
    """What in ``source``, rendered as nbconvert renders markdown, could run script.

    A source nbconvert cannot render at all (a reference to a missing
    attachment) is a problem too: the feedback page could not be written.
    """
    from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath

    try:
        renderer = IPythonRenderer(escape=False, attachments=attachments or {})
        html = MarkdownWithMath(renderer=renderer).render(source)
    except Exception as err:  # any failure means: do not trust this source
        return [f"cannot render: {type(err).__name__}: {err}"]
    checker = _Checker()
    checker.feed(html)
    checker.close()
    return checker.problems


def _is_instructor_cell(cell: NotebookNode) -> bool:
    """A locked (read-only, not answer) cell: its source is the instructor's."""
    meta = cell.get("metadata", {}).get("nbgrader")
    return isinstance(meta, dict) and meta.get("locked") is True and not meta.get("solution")


class SanitizeOutputs(NbGraderPreprocessor):
    """Keep only outputs and markdown that cannot run script when rendered."""

    def preprocess(self, nb, resources):
        metadata = nb.get("metadata", {})
        nb.metadata = NotebookNode({key: metadata[key] for key in KEPT_NB_METADATA
                                    if isinstance(metadata.get(key), dict)})
        return super().preprocess(nb, resources)

    def _attachments(self, cell: NotebookNode) -> None:
        if "attachments" not in cell:
            return
        if cell.cell_type == "code":  # not allowed by nbformat: nothing renders them
            del cell["attachments"]
            return
        attachments = cell.attachments if isinstance(cell.attachments, dict) else {}
        kept: dict[str, dict[str, str]] = {}
        for name, bundle in attachments.items():
            images = {}
            if isinstance(bundle, dict):
                for mime, value in bundle.items():
                    if (image := checked_image(value, mime)) is not None:
                        images[mime] = image
            if images:
                kept[name] = images
            else:
                self.log.warning("Removed attachment %r (not a PNG or JPEG image)", name)
                cell.source = cell.source.replace(f"attachment:{name}",
                                                  f"{_REMOVED_ATTACHMENT}{name}")
        if kept:
            cell.attachments = NotebookNode(kept)
        else:
            del cell["attachments"]

    def _markdown(self, cell: NotebookNode, index: int) -> None:
        attachments = cell.get("attachments")
        source = inert_markdown(cell.source)
        problems = rendered_problems(source, attachments)
        if problems:
            self.log.warning("Markdown cell %d: %s; its links are shown as text",
                             index + 1, "; ".join(problems))
            source = _escaped_brackets(source)
            if rendered_problems(source, attachments):
                self.log.warning("Markdown cell %d could not be made safe; text removed",
                                 index + 1)
                source = _REMOVED_CELL
        cell.source = source

    def preprocess_cell(self, cell, resources, index):
        cell.source = _text(cell.get("source"))
        self._attachments(cell)
        if cell.cell_type == "code":
            outputs = (clean_output(output) for output in cell.get("outputs") or [])
            cell.outputs = [output for output in outputs if output is not None]
        elif cell.cell_type == "markdown":
            if not _is_instructor_cell(cell):
                self._markdown(cell, index)
        elif cell.cell_type == "raw":
            cell.source = ""
        return cell, resources


def register_sanitize(c: Any) -> None:
    """Turn on nbconvert's HTML cleaner for feedback and formgrader pages in config ``c``.

    ``HTMLExporter.sanitize_html`` is read by every ``HTMLExporter`` built
    from ``c``: nbgrader's ``GenerateFeedback`` and the formgrader's (both
    load the course's ``nbgrader_config.py``). With it, HTML outputs are
    cleaned and JavaScript and widget outputs are not written at all. It is a
    second line of defence; :class:`SanitizeOutputs` must also be in the
    autograde chain (after the execution step), which this function does not
    touch.
    """
    c.HTMLExporter.sanitize_html = True
