"""An nbgrader preprocessor that caps the size of stored outputs.

nbgrader's own ``LimitOutput`` counts lines, so one enormous line (or a huge
HTML repr) would still be stored in the autograded notebook, the gradebook's
view and the feedback. This caps every output at a number of characters and
says so in the output itself.
"""

from __future__ import annotations

from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Integer

__all__ = ["LimitOutputSize"]


class LimitOutputSize(NbGraderPreprocessor):
    """Truncate text outputs longer than ``max_chars`` characters."""

    max_chars = Integer(20_000, help="characters kept per output (-1: no limit)").tag(config=True)

    def _cut(self, text: str) -> str:
        if self.max_chars < 0 or len(text) <= self.max_chars:
            return text
        return (text[: self.max_chars]
                + f"\n... output truncated by the grader ({len(text):,} characters) ...\n")

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return cell, resources
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream":
                output["text"] = self._cut("".join(output.get("text", "")))
            elif "data" in output:
                for mime, value in list(output["data"].items()):
                    if isinstance(value, str | list) and mime.startswith("text/"):
                        output["data"][mime] = self._cut("".join(value))
            elif output.get("output_type") == "error":
                output["evalue"] = self._cut(str(output.get("evalue", "")))
        return cell, resources
