"""The per-section grading summary: statistics, failures and a histogram."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from pathlib import Path

from . import Score
from .batch import Outcome

__all__ = ["Summary", "histogram", "summarize"]


@dataclass
class Summary:
    """Statistics of one section's scores (out of ``max_score``)."""

    section: str
    submissions: int
    max_score: float
    mean: float | None
    median: float | None
    minimum: float | None
    maximum: float | None
    sd: float | None
    failed: dict[str, str] = field(default_factory=dict)
    notes: dict[str, list[str]] = field(default_factory=dict)
    manual: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """The summary as printed by ``trilateral grade``."""
        if not self.submissions:
            return [f"{self.section}: no submissions"]

        def f(x: float | None) -> str:
            return "-" if x is None else f"{x:.2f}"

        out = [
            f"{self.section}: {self.submissions} submissions, out of {self.max_score:g} points",
            f"  mean {f(self.mean)}  median {f(self.median)}  "
            f"min {f(self.minimum)}  max {f(self.maximum)}  sd {f(self.sd)}",
        ]
        if self.manual:
            out.append(f"  waiting for manual grading: {len(self.manual)} "
                       f"({', '.join(self.manual)})")
        if self.failed:
            out.append(f"  could not be graded (scored 0): {len(self.failed)}")
            out.extend(f"    {s}: {why}" for s, why in sorted(self.failed.items()))
        for student, notes in sorted(self.notes.items()):
            out.extend(f"  note for {student}: {n}" for n in notes)
        return out


def summarize(section: str, scores: dict[str, Score], outcomes: list[Outcome]) -> Summary:
    """Statistics over every graded submission of ``section`` in the gradebook."""
    values = [s.score for s in scores.values()]
    max_score = max((s.max_score for s in scores.values()), default=0.0)
    return Summary(
        section=section,
        submissions=len(values),
        max_score=max_score,
        mean=statistics.fmean(values) if values else None,
        median=statistics.median(values) if values else None,
        minimum=min(values) if values else None,
        maximum=max(values) if values else None,
        sd=statistics.pstdev(values) if values else None,
        failed={o.student: o.reason for o in outcomes if not o.ok},
        notes={o.student: o.notes for o in outcomes if o.notes},
        manual=sorted(s.student for s in scores.values() if s.needs_manual_grade),
    )


def histogram(summary: Summary, scores: dict[str, Score], dest: str | Path) -> Path:
    """A histogram of the section's scores as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    values = [s.score for s in scores.values()]
    top = summary.max_score or 1.0
    from matplotlib.ticker import MaxNLocator

    # One bar per point (centred on whole scores) up to 20 points; 20 bars beyond.
    width = max(1.0, top / 20)
    edges = [-width / 2 + i * width for i in range(int(top / width) + 2)]
    fig, ax = plt.subplots(figsize=(6, 3.5), dpi=100)
    ax.hist(values, bins=edges, color="#0072B2", edgecolor="white")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(f"score (out of {top:g})")
    ax.set_ylabel("submissions")
    ax.set_title(f"{summary.section}: {summary.submissions} submissions, "
                 f"median {summary.median if summary.median is not None else '-'}")
    fig.tight_layout()
    fig.savefig(dest)
    plt.close(fig)
    return dest
