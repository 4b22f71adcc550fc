"""Tables that fit the notebook's width, with their sources listed below.

A DataFrame with long source columns (publisher names, addresses) is drawn
wider than the notebook, so JupyterLab cuts it and makes the output scroll,
and a scrolled area a keyboard cannot reach is an accessibility failure.
:func:`fit` shows the table without its source columns, lists each distinct
source once below it (each row keeps its source's number), lets text wrap
(long column names break at their underscores) and wraps the whole in a
labelled region a keyboard can focus, in case a narrow window still makes it
scroll.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["FittedTable", "fit"]

_REGION = (
    'class="trilateral-table" role="region" tabindex="0" aria-label="{label}" '
    'style="max-width:100%;overflow-x:auto"'
)
# The caption in the text colour: nbconvert's page style greys captions out
# below the contrast axe requires (the page's text colour is the reader's).
_CAPTION = "color:inherit;caption-side:top;text-align:left;font-weight:bold"
# Cells wrap between words, and a word breaks only if it alone is too wide
# ("anywhere" would let the browser squeeze columns to one letter).
_CELL = "text-align:{align};white-space:normal;overflow-wrap:break-word;vertical-align:top"


def _breakable(text: str) -> str:
    """Escaped ``text`` that may wrap after ``_`` and ``;`` (column names, code lists)."""
    return html.escape(text).replace("_", "_<wbr>").replace(";", ";<wbr>")


class FittedTable:
    """What :func:`fit` returns: an HTML table for notebooks, text elsewhere."""

    def __init__(self, frame: pd.DataFrame, caption: str, sources: list[tuple[str, str]]) -> None:
        self.frame = frame
        self.caption = caption
        self.sources = sources

    def __repr__(self) -> str:
        lines = [self.caption, self.frame.to_string(index=False)]
        lines += [
            f"[{n}] {p}" + (f" ({u})" if u else "")
            for n, (p, u) in enumerate(self.sources, start=1)
        ]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        import pandas as pd

        numeric = {c for c in self.frame.columns if pd.api.types.is_numeric_dtype(self.frame[c])}
        head = "".join(
            f'<th scope="col" style="{_CELL.format(align="right" if c in numeric else "left")}">'
            f"{_breakable(str(c))}</th>"
            for c in self.frame.columns
        )
        rows = []
        for _, row in self.frame.iterrows():
            cells = "".join(
                f'<td style="{_CELL.format(align="right" if c in numeric else "left")}">'
                f"{_breakable('<NA>' if pd.isna(row[c]) else str(row[c]))}</td>"
                for c in self.frame.columns
            )
            rows.append(f"<tr>{cells}</tr>")
        table = (
            f'<table><caption style="{_CAPTION}">{html.escape(self.caption)}</caption>'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
        )
        listed = "".join(
            f'<li value="{n}">' + html.escape(p)
            + (f': <a href="{html.escape(u, quote=True)}">{html.escape(u)}</a>' if u else "")
            + "</li>"
            for n, (p, u) in enumerate(self.sources, start=1)
        )
        below = (
            f'<p>Sources:</p><ol style="overflow-wrap:anywhere">{listed}</ol>' if listed else ""
        )
        region = _REGION.format(label=html.escape(self.caption, quote=True))
        return f"<div {region}>{table}{below}</div>"


def fit(
    frame: pd.DataFrame,
    *,
    caption: str,
    sources: Sequence[str] = (),
) -> FittedTable:
    """Show ``frame`` narrow enough for a notebook, captioned ``caption``.

    ``sources`` names the source columns to take out of the table and list
    below it instead: a publisher column, optionally followed by an address
    column (``["source_publisher", "source_url"]``). Each distinct pair is
    listed once, numbered; a ``source`` column gives each row's number.
    Raises ``ValueError`` for an empty caption or a column the frame lacks.
    """
    if not caption or not caption.strip():
        raise ValueError("a table needs a caption: say what it shows")
    missing = [c for c in sources if c not in frame.columns]
    if missing:
        raise ValueError(f"the table has no column {missing[0]!r}; it has {list(frame.columns)}")
    if len(sources) > 2:
        raise ValueError("sources takes a publisher column and, optionally, an address column")
    pairs: list[tuple[str, str]] = []
    notes: list[str] = []
    if sources:
        publisher, url = sources[0], (sources[1] if len(sources) > 1 else None)
        for _, row in frame.iterrows():
            pair = (str(row[publisher]), "" if url is None or _blank(row[url]) else str(row[url]))
            if pair not in pairs:
                pairs.append(pair)
            notes.append(f"[{pairs.index(pair) + 1}]")
    shown = frame.drop(columns=list(sources)).reset_index(drop=True)
    if sources:
        shown["source"] = notes  # the number of its source in the list below
    return FittedTable(shown, caption.strip(), pairs)


def _blank(value: object) -> bool:
    import pandas as pd

    return bool(pd.isna(value)) or not str(value).strip()
