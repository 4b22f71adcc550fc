"""Static copies of the course's widgets, kept in the saved notebook.

A live widget exists only while its kernel runs. JupyterLab can draw a
widget from a saved notebook only through widget state saved with it, and
that route loses widgets: reopening races the new kernel's connection
against the restore (ipywidgets issue 3888), and saving a restored widget
drops its state (issue 3270), so a student reopening a notebook could meet
"Error displaying widget: model not found" instead of the saved answer.

So every course widget carries, beside its live view, a static HTML copy of
itself (the output's ``text/html``) and a marker in the output's metadata
(:data:`KEY`). While the kernel runs, JupyterLab shows the live widget. The
course's Jupyter server (``make lab``, the class hub) saves notebooks through
:func:`trilateral.publishing.savehook.pre_save`, which drops the live view's
reference from marked outputs and writes the graded answer saved in
``answers.json`` into the copy. A reopened notebook therefore shows, before
anything runs, the question, its options and the saved answer; running the
cell brings the live widget back in its place. Viewers without widgets
(nbviewer, GitHub, nbconvert) show the copy too.

This module only writes HTML and never reads files; it imports ipywidgets
only when :func:`vbox` builds a box.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

from .questions import Question

__all__ = [
    "CSS_CLASS", "KEY", "StaticCopy", "box_html", "question_html", "run_note", "shown_time",
    "vbox",
]

KEY = "trilateral"
CSS_CLASS = "trilateral-static"
_BOX = "border:1px dashed #767676;padding:4px 10px;margin:2px 0"
_NOTE = "border-left:4px solid #999999;padding:4px 8px;background:#f4f4f4;color:#1a1a1a"
_SAVED = "border-left:4px solid #0072B2;padding:4px 8px;background:#e6f1f8;color:#1a1a1a"


def _esc(text: str) -> str:
    return html.escape(str(text)).replace("\n", "<br>")


def shown_time(iso: str) -> str:
    """A saved answer's time (ISO 8601, UTC) as the widget and its copy show it."""
    return iso.replace("T", " ").replace("+00:00", " UTC")


def run_note(what: str) -> str:
    """The line under every copy: what it is and how to get the live one."""
    return f"Saved copy. Run this cell (Shift+Enter) to {what}."


def box_html(title: str, lines: Iterable[str], note: str, *, kind: str = "widget") -> str:
    """A copy for a widget that is not a question: a title, lines, a note."""
    items = "".join(f"<li>{_esc(line)}</li>" for line in lines)
    body = f"<ul>{items}</ul>" if items else ""
    return (
        f'<div class="{CSS_CLASS}" data-kind="{_esc(kind)}" style="{_BOX}">'
        f"<p><b>{_esc(title)}</b></p>{body}"
        f'<p style="{_NOTE}">{_esc(note)}</p></div>'
    )


def _choices(question: Question, chosen: Sequence[str]) -> list[str]:
    if question.kind in ("multiple_choice", "multiple_select"):
        out = []
        for option in question.options:
            if option.text in chosen:
                out.append(f"<li><b>&#10004; {_esc(option.text)}</b> (your saved answer)</li>")
            else:
                out.append(f"<li>{_esc(option.text)}</li>")
        return out
    if question.kind == "ordering":
        return [f"<li>{_esc(item)}</li>" for item in sorted(question.items)]
    if question.kind == "matching":
        return [f"<li>{_esc(p.left)}</li>" for p in question.pairs]
    raise ValueError(f"question {question.id!r} has unknown kind {question.kind!r}")


def question_html(
    question: Question,
    saved: str | Sequence[str] | None = None,
    *,
    saved_at: str = "",
    problem: str = "",
    looked_up: bool = False,
) -> str:
    """The static copy of a question's widget.

    ``saved`` is a graded question's saved answer (an option text, or texts),
    ``saved_at`` when it was saved, ``problem`` why a saved answer could not
    be read; ``looked_up`` says the answers file was read (so no ``saved``
    means not answered yet). A self-check saves nothing, so its copy shows
    only the question.
    """
    if not isinstance(question, Question):
        raise ValueError(f"question_html() needs a Question, got {type(question).__name__}")
    chosen = [saved] if isinstance(saved, str) else list(saved or ())
    label = "Graded question." if question.graded else "Self-check."
    tag = "ol" if question.kind == "ordering" else "ul"
    lead = {
        "ordering": "Put these in order:",
        "matching": "Match each with one of: "
        + "; ".join(sorted(p.right for p in question.pairs)) + ".",
    }.get(question.kind, "")
    parts = [
        f'<div class="{CSS_CLASS}" data-question="{_esc(question.id)}" style="{_BOX}">',
        f"<p><b>{label}</b> {_esc(question.prompt)}</p>",
        f"<p>{_esc(lead)}</p>" if lead else "",
        f"<{tag}>{''.join(_choices(question, chosen))}</{tag}>",
    ]
    if not question.graded:
        parts.append(f'<p style="{_NOTE}">{_esc(run_note("try this self-check"))}</p>')
    elif problem:
        parts.append(f'<p style="{_NOTE}">{_esc(problem)} '
                     f'{_esc(run_note("answer again"))}</p>')
    elif chosen:
        when = f" ({saved_at})" if saved_at else ""
        parts.append(
            f'<p style="{_SAVED}">Your saved answer{_esc(when)}: {_esc("; ".join(chosen))}. '
            f'{_esc(run_note("change it"))}</p>'
        )
    elif looked_up:
        parts.append(f'<p style="{_NOTE}">Not answered yet. {_esc(run_note("answer it"))}</p>')
    else:
        parts.append(f'<p style="{_NOTE}">{_esc(run_note("see your saved answer or answer"))}</p>')
    parts.append("</div>")
    return "".join(parts)


class StaticCopy:
    """Mixin for an ipywidgets widget: its display carries a static copy.

    The subclass gives :meth:`_static_html` and may add to
    :meth:`_static_marker`; the display's ``text/html`` is the copy and the
    output's metadata holds ``{KEY: {"static": kind, ...}}``.
    """

    static_kind = "widget"

    def _static_html(self) -> str:  # pragma: no cover - overridden
        raise NotImplementedError

    def _static_marker(self) -> dict[str, Any]:
        return {}

    def _repr_mimebundle_(self, **kwargs: Any):
        data = super()._repr_mimebundle_(**kwargs)  # type: ignore[misc]
        if not data:
            return data
        data = dict(data)
        data["text/html"] = self._static_html()
        return data, {KEY: {"static": self.static_kind, **self._static_marker()}}


@lru_cache(maxsize=1)
def _vbox_class() -> type:
    import ipywidgets as w

    class CopyBox(StaticCopy, w.VBox):
        """A VBox whose display carries the copy given when it was built."""

        _copy_html = ""

        def _static_html(self) -> str:
            return self._copy_html

    return CopyBox


def vbox(children: Sequence[Any], copy_html: str, kind: str) -> Any:
    """An ``ipywidgets.VBox`` of ``children`` whose display carries
    ``copy_html`` (from :func:`box_html`) as its static copy."""
    if not copy_html.startswith(f'<div class="{CSS_CLASS}"'):
        raise ValueError("copy_html must be a static copy made by box_html() or question_html()")
    box = _vbox_class()(list(children))
    box._copy_html = copy_html
    box.static_kind = kind
    return box
