"""Saved answers of graded widget questions, and the checks that grade them.

A graded widget (a question with ``graded: true`` in the section's question
bank) saves the learner's answer, the option text or texts, to
``answers.json`` in the assignment folder as soon as they press *Submit*.
The file travels with the submission, and the notebook's autograded test cell
grades it::

    from trilateral import answers
    answers.require("sop-graded-1")            # visible: an answer was saved
    ### BEGIN HIDDEN TESTS
    answers.check("sop-graded-1", "option text")  # hidden: it is the right one
    ### END HIDDEN TESTS

The file is plain JSON, one entry per question::

    {"sop-graded-1": {"answer": "option text", "saved": "2026-03-01T10:00:00+00:00",
                      "fingerprint": "..."}}

It is written atomically (a temporary file in the same folder, flushed to
disk, then renamed over the old one), so a crash or a full disk leaves the
earlier answers as they were. The fingerprint only tells an answer saved by
the widget from one typed into the file by hand; it is not a security
measure. A missing, empty, unreadable or hand-edited file makes
:func:`require` and :func:`check` fail with an :class:`AssertionError` that
says why, so that item scores 0 and the others are unaffected.

Where the file lives: the kernel's working directory (the notebook's folder),
or ``$TRILATERAL_ANSWERS_DIR`` when that is set (tests, and instructors who run
the source notebooks with an answer key; see :func:`write_key`). While
nbgrader autogrades (``NBGRADER_EXECUTION=autograde``) the submission's own
folder is always used, whatever the environment says. In a section folder of
the instructor's ``notebooks/`` with no answers file, the source notebooks'
own key stands in (read in memory, never written), so ``nbgrader validate``
passes there.
"""

from __future__ import annotations

import ast
import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

__all__ = [
    "ANSWERS_FILE",
    "AnswersFileError",
    "Entry",
    "answer_key",
    "answers_dir",
    "check",
    "entry",
    "load",
    "require",
    "save",
    "save_many",
    "write_key",
]

ANSWERS_FILE = "answers.json"
UNREADABLE_FILE = "answers.unreadable.json"
ENV_DIR = "TRILATERAL_ANSWERS_DIR"
_SALT = "trilateral-answers-v1"
_AGAIN = "Answer the question in its widget again, press Submit, then run this cell again."


class AnswersFileError(ValueError):
    """The answers file, or one entry of it, cannot be used; the message says why."""


@dataclass(frozen=True)
class Entry:
    """One saved answer: option text (multiple choice) or texts (multiple select)."""

    question_id: str
    answer: str | tuple[str, ...]
    saved: str


# Where ---------------------------------------------------------------------------


def answers_dir() -> Path:
    """The folder whose ``answers.json`` is read and written."""
    if os.environ.get("NBGRADER_EXECUTION") == "autograde":
        return Path.cwd()
    env = os.environ.get(ENV_DIR)
    return Path(env) if env else Path.cwd()


def _folder(folder: str | Path | None) -> Path:
    return Path(folder) if folder is not None else answers_dir()


def _is_course_source(folder: Path) -> bool:
    """True for a section folder of the instructor's ``notebooks/`` tree.

    nbgrader copies every file of a source folder into the student release and
    over each submission when it autogrades, so an answers file saved there
    would give students the instructor's answers and replace their own.
    """
    folder = folder.resolve()
    return (
        folder.parent.name == "notebooks"
        and (folder.parent.parent / "nbgrader_config.py").is_file()
    )


# Reading -------------------------------------------------------------------------


def _source_key(folder: Path) -> dict[str, Any]:
    """In the instructor's source folder, the notebooks' own key, as saved answers.

    There the hidden tests hold the right answers; reading them (in memory,
    nothing written) lets ``nbgrader validate`` and a plain run of a source
    notebook pass its graded-quiz cells. Anywhere else: ``{}``.
    """
    if not _is_course_source(folder):
        return {}
    data: dict[str, Any] = {}
    for notebook in sorted(folder.glob("*.ipynb")):
        for question_id, expected in answer_key(notebook).items():
            saved = "answer key of the source notebook"
            data[question_id] = {"answer": expected, "saved": saved,
                                 "fingerprint": _fingerprint(question_id, expected, saved)}
    return data



def _fingerprint(question_id: str, answer: Any, saved: str) -> str:
    text = json.dumps([_SALT, question_id, answer, saved], ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def load(folder: str | Path | None = None) -> dict[str, Any]:
    """The raw answers file as a dict; ``{}`` when there is none.

    Raises :class:`AnswersFileError` when the file exists but is empty,
    unreadable or not a JSON object.
    """
    path = _folder(folder) / ANSWERS_FILE
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return _source_key(path.parent)
    except OSError as exc:
        raise AnswersFileError(f"{ANSWERS_FILE} cannot be read ({exc.strerror}).") from None
    if not raw.strip():
        raise AnswersFileError(f"{ANSWERS_FILE} is empty: no saved answer can be read from it.")
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise AnswersFileError(f"{ANSWERS_FILE} is not UTF-8 text; it is damaged.") from None
    except json.JSONDecodeError as exc:
        raise AnswersFileError(
            f"{ANSWERS_FILE} is not valid JSON (line {exc.lineno}: {exc.msg}); "
            "it was damaged or edited by hand."
        ) from None
    if not isinstance(data, dict):
        raise AnswersFileError(
            f"{ANSWERS_FILE} does not hold answers by question id (it holds a JSON "
            f"{type(data).__name__}); it was edited by hand."
        )
    return data


def _options(question_id: str, folder: Path) -> tuple[str, tuple[str, ...]] | None:
    """(kind, option texts) of a graded question from a bank beside the
    answers file (``folder``) or the notebook."""
    from .questions import QuestionError, load_bank

    for where in dict.fromkeys([folder, Path.cwd(), answers_dir()]):
        bank_file = where / "questions.yaml"
        if not bank_file.is_file():
            continue
        try:
            question = load_bank(bank_file)[question_id]
        except (QuestionError, KeyError):
            continue
        return question.kind, tuple(o.text for o in question.options)
    return None


def _valid_answer(value: Any) -> str | tuple[str, ...] | None:
    if isinstance(value, str) and value:
        return value
    if (
        isinstance(value, list)
        and value
        and all(isinstance(v, str) and v for v in value)
        and len(set(value)) == len(value)
    ):
        return tuple(value)
    return None


def entry(question_id: str, folder: str | Path | None = None) -> Entry | None:
    """The saved answer to ``question_id``, ``None`` when there is none.

    Raises :class:`AnswersFileError` when the file or this entry cannot be
    trusted (damaged, or changed outside the widget).
    """
    data = load(folder)
    if question_id not in data:
        return None
    raw = data[question_id]
    where = f"The saved answer to {question_id!r} in {ANSWERS_FILE}"
    edited = f"{where} is not in the form the widget writes; it was edited by hand."
    if not isinstance(raw, dict) or set(raw) != {"answer", "saved", "fingerprint"}:
        raise AnswersFileError(edited)
    answer = _valid_answer(raw["answer"])
    if answer is None or not isinstance(raw["saved"], str):
        raise AnswersFileError(edited)
    if raw["fingerprint"] != _fingerprint(question_id, raw["answer"], raw["saved"]):
        raise AnswersFileError(
            f"{where} was changed outside the widget (its fingerprint does not match)."
        )
    known = _options(question_id, _folder(folder))
    if known is not None:
        kind, texts = known
        chosen = [answer] if isinstance(answer, str) else list(answer)
        if (kind == "multiple_choice") != isinstance(answer, str) or any(
            c not in texts for c in chosen
        ):
            raise AnswersFileError(f"{where} is not one of the question's options.")
    return Entry(question_id, answer, raw["saved"])


# Writing -------------------------------------------------------------------------


def _normalise(answer: Any) -> str | list[str]:
    if isinstance(answer, str):
        value: Any = answer
    elif isinstance(answer, Iterable):
        value = list(answer)
    else:
        value = answer
    if _valid_answer(value) is None:
        raise AnswersFileError(
            "an answer is one non-empty option text, or a list of different option texts"
        )
    return value


def _write_atomically(folder: Path, data: Mapping[str, Any]) -> None:
    text = json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    fd, tmp = tempfile.mkstemp(prefix=".answers-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, folder / ANSWERS_FILE)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    try:  # make the rename itself durable
        dir_fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def save_many(
    answers: Mapping[str, Any], folder: str | Path | None = None, *, now: str | None = None
) -> str:
    """Save several answers at once (keeping the others); return a note or ``""``.

    When the existing file cannot be read it is kept as
    ``answers.unreadable.json`` and a new file is started; the returned note
    says so. Raises :class:`AnswersFileError` for a bad answer or for the
    course's source folder, and :class:`OSError` when the disk refuses (the
    old file is then untouched).
    """
    folder = _folder(folder)
    if _is_course_source(folder):
        raise AnswersFileError(
            "this is the instructor's source copy of the notebook: an answer saved here "
            f"would be released to students. Set {ENV_DIR} to a scratch folder to try it."
        )
    note = ""
    try:
        data = load(folder)
    except AnswersFileError as exc:
        os.replace(folder / ANSWERS_FILE, folder / UNREADABLE_FILE)
        data = {}
        note = (
            f"{exc} It was kept as {UNREADABLE_FILE} and a new {ANSWERS_FILE} started: "
            "submit your other graded answers again."
        )
    saved = now or _now()
    for question_id, answer in answers.items():
        value = _normalise(answer)
        data[question_id] = {
            "answer": value,
            "saved": saved,
            "fingerprint": _fingerprint(question_id, value, saved),
        }
    folder.mkdir(parents=True, exist_ok=True)
    _write_atomically(folder, data)
    return note


def save(question_id: str, answer: Any, folder: str | Path | None = None) -> str:
    """Save one answer (option text, or texts); see :func:`save_many`."""
    return save_many({question_id: answer}, folder)


# Grading -------------------------------------------------------------------------


def require(question_id: str) -> str | tuple[str, ...]:
    """The saved answer to ``question_id``; AssertionError saying why if none is usable."""
    try:
        found = entry(question_id)
    except AnswersFileError as exc:
        raise AssertionError(f"{exc} {_AGAIN}") from None
    if found is None:
        folder = answers_dir()
        where = (
            f"{ANSWERS_FILE} has no answer to it"
            if (folder / ANSWERS_FILE).is_file()
            else f"there is no {ANSWERS_FILE} in the assignment folder"
        )
        raise AssertionError(
            f"No saved answer to {question_id!r}: {where}. "
            "Answer the question in its widget, press Submit, then run this cell again."
        )
    return found.answer


def check(question_id: str, expected: str | Iterable[str]) -> None:
    """AssertionError unless the saved answer to ``question_id`` is ``expected``.

    ``expected`` is the right option's text (multiple choice) or a list of the
    right options' texts in any order (multiple select). The message never
    gives the right answer away.
    """
    saved = require(question_id)
    if isinstance(expected, str):
        right = saved == expected
    else:
        right = not isinstance(saved, str) and set(saved) == set(expected)
    if not right:
        raise AssertionError(f"The saved answer to {question_id!r} is not the right answer.")


# The key, for tests and for running the instructor's notebooks -------------------


def _is_answers_check(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "check"
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "answers"
    )


def answer_key(notebook_path: str | Path) -> dict[str, str | list[str]]:
    """``{question_id: expected}`` from the ``answers.check(...)`` calls of a notebook.

    Reads the instructor's notebook (where the hidden tests are); calls whose
    arguments are not literals are skipped.
    """
    nb = json.loads(Path(notebook_path).read_text(encoding="utf-8"))
    key: dict[str, str | list[str]] = {}
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        src = cell.get("source", "")
        src = "".join(src) if isinstance(src, list) else src
        if "answers.check" not in src:
            continue
        try:
            tree = ast.parse(src)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if not _is_answers_check(node) or len(node.args) != 2:
                continue
            try:
                qid, expected = (ast.literal_eval(a) for a in node.args)
            except ValueError:
                continue
            if isinstance(qid, str):
                key[qid] = list(expected) if isinstance(expected, (list, tuple)) else expected
    return key


def write_key(notebooks: Iterable[str | Path], folder: str | Path) -> dict[str, Any]:
    """Write the right answers of ``notebooks`` to ``folder/answers.json``.

    For running the instructor's notebooks, whose test cells check the key:
    ``TRILATERAL_ANSWERS_DIR=folder jupyter nbconvert --execute ...``.
    """
    key: dict[str, Any] = {}
    for nb in notebooks:
        key.update(answer_key(nb))
    Path(folder).mkdir(parents=True, exist_ok=True)
    save_many(key, folder)
    return key


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m trilateral.answers",
        description=(
            "Write the answer key of instructor notebooks (their hidden answers.check calls) "
            f"to FOLDER/{ANSWERS_FILE}, for running those notebooks with {ENV_DIR}=FOLDER."
        ),
    )
    parser.add_argument("notebooks", nargs="+", help="instructor notebooks")
    parser.add_argument("--into", required=True, help="folder for the answers file")
    args = parser.parse_args(argv)
    key = write_key(args.notebooks, args.into)
    print(f"{len(key)} answer(s) written to {Path(args.into) / ANSWERS_FILE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
