"""Question banks: self-check and graded questions kept as data, validated strictly.

Each course section keeps its questions in one YAML or JSON file beside its
notebook (``questions.yaml``). The file is checked against
``schemas/question_bank.schema.json`` (no unknown keys, an enum of question
kinds) and then for what a schema cannot say (unique ids, no repeated option).
Errors name the file and the place in it, so an instructor who edits a
question sees at once what to fix.

A question with ``graded: true`` (multiple choice or multiple select only) is
a graded widget exercise: its options carry no ``correct`` and no
``feedback``, because the bank is copied into the student release; the key is
in the notebook's hidden tests (see :mod:`trilateral.answers`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from . import filecache, gcfreeze

__all__ = [
    "GRADED_KINDS",
    "KINDS",
    "Option",
    "Pair",
    "Question",
    "QuestionBank",
    "QuestionError",
    "load_bank",
    "parse_bank",
    "schema",
]

KINDS = ("multiple_choice", "multiple_select", "ordering", "matching")
GRADED_KINDS = ("multiple_choice", "multiple_select")
SCHEMA_FILE = Path(__file__).with_name("schemas") / "question_bank.schema.json"


class QuestionError(ValueError):
    """A question bank is missing, unreadable or does not follow the schema."""


@dataclass(frozen=True)
class Option:
    """One answer option of a choice question, with the feedback it earns.

    Options of graded questions have ``correct=None`` and no feedback.
    """

    text: str
    correct: bool | None
    feedback: str = ""


@dataclass(frozen=True)
class Pair:
    """One left-right pair of a matching question (the right answer)."""

    left: str
    right: str
    feedback: str


@dataclass(frozen=True)
class Question:
    """A validated question. Which fields are filled depends on ``kind``.

    ``options`` for the choice kinds; ``items`` (in the right order) with
    ``item_feedback`` for ordering; ``pairs`` for matching. ``graded`` marks a
    graded widget question (its answer is saved, not checked at once).
    """

    id: str
    kind: str
    prompt: str
    explanation: str = ""
    options: tuple[Option, ...] = ()
    items: tuple[str, ...] = ()
    item_feedback: tuple[str, ...] = ()
    pairs: tuple[Pair, ...] = ()
    graded: bool = False


@dataclass(frozen=True)
class QuestionBank:
    """All questions of one section, in file order, looked up by id."""

    section: str
    title: str
    questions: tuple[Question, ...]
    source: str = ""
    _by_id: dict[str, Question] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._by_id.update({q.id: q for q in self.questions})

    def __getitem__(self, question_id: str) -> Question:
        try:
            return self._by_id[question_id]
        except KeyError:
            known = ", ".join(self._by_id)
            raise KeyError(
                f"{self.source or self.section}: no question {question_id!r}; it has: {known}"
            ) from None

    def __iter__(self):
        return iter(self.questions)

    def __len__(self) -> int:
        return len(self.questions)

    def ids(self) -> list[str]:
        """Question ids in file order."""
        return [q.id for q in self.questions]

    def widget(self, question_id: str):
        """Build the widget for one question (imports ipywidgets).

        A self-check gives feedback at once; a graded question saves the
        answer when the learner presses Submit.
        """
        from .widgets import exercise

        built = exercise(self[question_id])
        gcfreeze.after_imports()  # ipywidgets is imported by now
        return built


@lru_cache(maxsize=1)
def schema() -> dict[str, Any]:
    """The question-bank JSON Schema (draft 2020-12)."""
    return json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))


def _where(path: Any) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def parse_bank(data: Any, source: str = "<question bank>") -> QuestionBank:
    """Validate already-parsed bank data and build a :class:`QuestionBank`."""
    from .schemacheck import validator as make_validator

    _check_graded(data, source)
    validator = make_validator(schema(), check_schema=False)  # tests check it
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        # The most specific error first: deepest path, then schema order.
        err = max(errors, key=lambda e: len(e.absolute_path))
        where = _where(err.absolute_path)
        message = err.message
        if err.validator == "enum" and list(err.absolute_path)[-1:] == ["kind"]:
            message += f" (kinds: {', '.join(KINDS)})"
        elif err.validator in ("contains", "minContains", "maxContains"):
            many = "exactly one" if err.validator == "maxContains" else "at least one"
            message = f"{many} option must have 'correct: true'"
        raise QuestionError(f"{source}: {where}: {message}")

    seen: set[str] = set()
    questions = []
    for i, raw in enumerate(data["questions"]):
        where = f"{source}: questions[{i}]"
        if raw["id"] in seen:
            raise QuestionError(f"{where}.id: {raw['id']!r} is used twice in this bank")
        seen.add(raw["id"])
        questions.append(_question(raw, where))
    return QuestionBank(data["section"], data["title"], tuple(questions), source)


def _check_graded(data: Any, source: str) -> None:
    """Clear messages for graded questions, before the schema's generic ones."""
    if not isinstance(data, dict) or not isinstance(data.get("questions"), list):
        return
    for i, raw in enumerate(data["questions"]):
        if not isinstance(raw, dict) or "graded" not in raw:
            continue
        where = f"{source}: questions[{i}]"
        if not isinstance(raw["graded"], bool):
            raise QuestionError(f"{where}.graded: {raw['graded']!r} is not true or false")
        if not raw["graded"]:
            continue
        if raw.get("kind") not in GRADED_KINDS:
            raise QuestionError(
                f"{where}.graded: only {' and '.join(GRADED_KINDS)} questions can be graded"
            )
        for j, opt in enumerate(raw.get("options") or []):
            leaked = sorted({"correct", "feedback"} & set(opt if isinstance(opt, dict) else ()))
            if leaked:
                raise QuestionError(
                    f"{where}.options[{j}]: a graded question's options take no "
                    f"{' or '.join(repr(k) for k in leaked)}: the question bank is copied "
                    "into the student release; put the key in the notebook's hidden tests"
                )


def _unique(values: list[str], where: str, what: str) -> None:
    dupes = sorted({v for v in values if values.count(v) > 1})
    if dupes:
        raise QuestionError(f"{where}: {what} must differ; repeated: {dupes}")


def _question(raw: dict[str, Any], where: str) -> Question:
    kind = raw["kind"]
    common = {
        "id": raw["id"],
        "kind": kind,
        "prompt": raw["prompt"].strip(),
        "explanation": raw.get("explanation", "").strip(),
    }
    if kind in GRADED_KINDS:
        graded = bool(raw.get("graded", False))
        opts = tuple(
            Option(o["text"], o.get("correct"), o.get("feedback", "")) for o in raw["options"]
        )
        _unique([o.text for o in opts], f"{where}.options", "option texts")
        return Question(**common, options=opts, graded=graded)
    if kind == "ordering":
        texts = [it["text"] for it in raw["items"]]
        _unique(texts, f"{where}.items", "item texts")
        fb = tuple(it["feedback"] for it in raw["items"])
        return Question(**common, items=tuple(texts), item_feedback=fb)
    pairs = tuple(Pair(p["left"], p["right"], p["feedback"]) for p in raw["pairs"])
    _unique([p.left for p in pairs], f"{where}.pairs", "left items")
    _unique([p.right for p in pairs], f"{where}.pairs", "right items")
    return Question(**common, pairs=pairs)


# Banks already read (see trilateral.filecache). A bank is immutable, and a
# lesson reads its bank again in every graded test cell (to check an answer
# against the options), so an unchanged file is parsed once.
_BANKS: dict[tuple, QuestionBank] = {}


def load_bank(path: str | Path) -> QuestionBank:
    """Read, validate and return the question bank at ``path`` (YAML or JSON).

    A file read before and unchanged since (same modification time and size)
    gives the bank read then.
    """
    path = Path(path)
    return filecache.read_once(_BANKS, path, lambda: _read_bank(path), limit=16)


def _read_bank(path: Path) -> QuestionBank:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise QuestionError(f"{path}: question bank not found") from None
    except UnicodeDecodeError as exc:
        raise QuestionError(f"{path}: not UTF-8 text ({exc.reason})") from None
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise QuestionError(f"{path}: not valid JSON (line {exc.lineno}: {exc.msg})") from None
    elif path.suffix.lower() in (".yaml", ".yml"):
        import yaml

        # libyaml's parser when PyYAML has it: the same safe subset, ten times faster.
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        try:
            data = yaml.load(text, Loader=loader)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            at = f" (line {mark.line + 1})" if mark is not None else ""
            raise QuestionError(f"{path}: not valid YAML{at}: {exc}") from None
    else:
        raise QuestionError(f"{path}: a question bank must be a .yaml, .yml or .json file")
    bank = parse_bank(data, str(path))
    gcfreeze.after_imports()  # yaml and jsonschema are imported by now
    return bank
