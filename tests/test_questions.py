"""Question banks: every bank follows the schema; bad banks fail clearly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from trilateral.questions import KINDS, QuestionError, load_bank, parse_bank, schema

from conftest import question_banks

BANKS = question_banks()


def test_there_are_banks() -> None:
    assert BANKS, "no notebooks/*/questions.yaml found"


@pytest.mark.parametrize("path", BANKS, ids=lambda p: p.parent.name)
def test_every_bank_validates(path: Path) -> None:
    bank = load_bank(path)
    assert bank.section == path.parent.name, "a bank's section must name its folder"
    assert len(bank) >= 3


def test_question_ids_are_unique_across_the_course() -> None:
    seen: dict[str, str] = {}
    for path in BANKS:
        for qid in load_bank(path).ids():
            assert qid not in seen, f"{qid!r} is in {seen.get(qid)} and {path.parent.name}"
            seen[qid] = path.parent.name


@pytest.mark.parametrize("path", BANKS, ids=lambda p: p.parent.name)
def test_graded_questions_carry_no_key(path: Path) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for raw in data["questions"]:
        if raw.get("graded"):
            assert raw["kind"] in ("multiple_choice", "multiple_select")
            for opt in raw["options"]:
                assert set(opt) == {"text"}, f"{raw['id']}: options carry text only"


def _objects(node, where="schema"):
    """Every sub-schema that describes an object with properties."""
    if isinstance(node, dict):
        if node.get("type") == "object" and "properties" in node:
            yield where, node
        for key, value in node.items():
            yield from _objects(value, f"{where}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _objects(value, f"{where}[{i}]")


def test_schema_is_strict() -> None:
    objects = list(_objects(schema()))
    assert objects
    # The question dispatcher is the one object left open: its kinds close it.
    # (`contains` sub-schemas only test one property of an option; they are matchers.)
    loose = [
        w
        for w, o in objects
        if o.get("additionalProperties") is not False and not w.endswith(".contains")
    ]
    assert loose == ["schema.$defs.question"]
    assert schema()["$defs"]["question"]["properties"]["kind"]["enum"] == list(KINDS)


def _good() -> dict:
    return {
        "section": "99_example",
        "title": "Example",
        "questions": [
            {
                "id": "q1",
                "kind": "multiple_choice",
                "prompt": "Pick one.",
                "options": [
                    {"text": "A", "correct": True, "feedback": "yes"},
                    {"text": "B", "correct": False, "feedback": "no"},
                ],
            }
        ],
    }


def test_good_bank_parses() -> None:
    bank = parse_bank(_good(), "good.yaml")
    assert bank.ids() == ["q1"]
    assert bank["q1"].options[0].correct is True


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: d["questions"][0].update(kind="essay"), r"questions\[0\]\.kind: .*kinds:"),
        (lambda d: d["questions"][0].update(colour="red"), r"questions\[0\]: .*'colour'"),
        (
            lambda d: d["questions"][0]["options"][1].update(correct=True),
            r"questions\[0\]\.options: exactly one option must have 'correct: true'",
        ),
        (
            lambda d: d["questions"][0]["options"][0].pop("feedback"),
            r"questions\[0\]\.options\[0\]: 'feedback' is a required",
        ),
        (lambda d: d.update(extra=1), r"\(top level\): .*'extra'"),
        (lambda d: d["questions"].append(dict(d["questions"][0])), r"questions\[1\]\.id: 'q1'"),
        (
            lambda d: d["questions"][0]["options"][1].update(text="A"),
            r"questions\[0\]\.options: option texts must differ",
        ),
        (lambda d: d.update(section="Example"), r"section: "),
    ],
    ids=[
        "unknown-kind",
        "unknown-key",
        "two-correct",
        "missing-feedback",
        "extra-top-key",
        "duplicate-id",
        "duplicate-option",
        "bad-section",
    ],
)
def test_bad_bank_names_file_and_field(mutate, expected: str) -> None:
    data = _good()
    mutate(data)
    with pytest.raises(QuestionError, match=r"^bad\.yaml: " + expected):
        parse_bank(data, "bad.yaml")


def test_unreadable_files(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    with pytest.raises(QuestionError, match="nope.yaml: question bank not found"):
        load_bank(missing)
    broken = tmp_path / "broken.yaml"
    broken.write_text("questions: [unclosed\n", encoding="utf-8")
    with pytest.raises(QuestionError, match=r"broken.yaml: not valid YAML \(line"):
        load_bank(broken)
    bad_json = tmp_path / "bank.json"
    bad_json.write_text("{", encoding="utf-8")
    with pytest.raises(QuestionError, match="bank.json: not valid JSON"):
        load_bank(bad_json)
    wrong_suffix = tmp_path / "bank.txt"
    wrong_suffix.write_text(yaml.safe_dump(_good()), encoding="utf-8")
    with pytest.raises(QuestionError, match="must be a .yaml"):
        load_bank(wrong_suffix)


def test_json_and_yaml_load_the_same(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text(json.dumps(_good()), encoding="utf-8")
    (tmp_path / "a.yaml").write_text(yaml.safe_dump(_good()), encoding="utf-8")
    assert load_bank(tmp_path / "a.json").questions == load_bank(tmp_path / "a.yaml").questions


def test_unknown_question_id_lists_known_ones() -> None:
    bank = parse_bank(_good(), "good.yaml")
    with pytest.raises(KeyError, match="no question 'zz'; it has: q1"):
        bank["zz"]


def test_a_broken_schema_is_refused() -> None:
    """Validators check their schema first, as jsonschema.validate does."""
    from jsonschema.exceptions import SchemaError

    from trilateral.schemacheck import validator

    with pytest.raises(SchemaError):
        validator({"type": "no-such-type"})
    assert validator({"type": "object"}).is_valid({})


def test_an_unchanged_bank_is_read_once_and_an_edited_one_again(tmp_path) -> None:
    """Graded test cells read the bank again; an unchanged file is not parsed twice."""
    import os

    path = tmp_path / "questions.yaml"
    path.write_text(yaml.safe_dump(_good()), encoding="utf-8")
    first = load_bank(path)
    assert load_bank(path) is first
    changed = _good()
    changed["title"] = "A changed title"
    path.write_text(yaml.safe_dump(changed), encoding="utf-8")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    again = load_bank(path)
    assert again is not first
    assert again.title == "A changed title"
