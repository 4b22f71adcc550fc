"""Render a course notebook to an accessible HTML page.

nbconvert's classic page is the base (it carries a chart's alt text from the
output's or the cell's ``alt`` metadata into the ``<img>`` tag); the course's
template only changes colours that fail WCAG AA contrast. Used for printable
copies of the lessons (``make html``) and by the accessibility test.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["TEMPLATE", "TEMPLATE_DIR", "to_html"]

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
TEMPLATE = "trilateral_a11y"


def to_html(notebook: str | Path) -> str:
    """The notebook at ``notebook`` as one self-contained HTML page."""
    from nbconvert import HTMLExporter
    from traitlets.config import Config

    path = Path(notebook)
    if path.suffix != ".ipynb" or not path.is_file():
        raise ValueError(f"{path} is not a notebook file")
    config = Config()
    # Black-and-white highlighting: every colour of the default style fails
    # or nears the contrast threshold somewhere; weight and italics do not.
    config.CSSHTMLHeaderPreprocessor.style = "bw"
    exporter = HTMLExporter(
        config=config, template_name=TEMPLATE, extra_template_basedirs=[str(TEMPLATE_DIR)]
    )
    body, _ = exporter.from_filename(str(path))
    return body
