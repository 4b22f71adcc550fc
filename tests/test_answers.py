"""The answers file: saved atomically, read strictly, graded with clear messages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fixtures import graded_course as fx

from trilateral import answers

from conftest import section_notebooks


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An assignment folder as the kernel's working directory, with the bank."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(answers.ENV_DIR, raising=False)
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    (tmp_path / "questions.yaml").write_text(json.dumps(fx.BANK), encoding="utf-8")
    return tmp_path


def _file(folder: Path) -> Path:
    return folder / answers.ANSWERS_FILE


def test_save_require_check(folder: Path) -> None:
    answers.save(fx.MC_ID, "Blue")
    answers.save(fx.MS_ID, ["Three", "One"])
    data = json.loads(_file(folder).read_text("utf-8"))
    assert set(data) == {fx.MC_ID, fx.MS_ID}
    assert data[fx.MC_ID]["answer"] == "Blue" and data[fx.MC_ID]["saved"].endswith("+00:00")
    assert answers.require(fx.MC_ID) == "Blue"
    answers.check(fx.MC_ID, "Blue")
    answers.check(fx.MS_ID, ["One", "Three"])
    assert _file(folder).read_text("utf-8").startswith("{\n  "), "indented, readable"


@pytest.mark.parametrize(
    ("qid", "saved", "expected"),
    [
        (fx.MC_ID, "Red", "Blue"),
        (fx.MS_ID, ["One"], ["One", "Three"]),
        (fx.MS_ID, ["One", "Two", "Three"], ["One", "Three"]),
    ],
)
def test_wrong_answer_fails_without_giving_the_key(folder, qid, saved, expected) -> None:
    answers.save(qid, saved)
    with pytest.raises(AssertionError) as info:
        answers.check(qid, expected)
    message = str(info.value)
    assert message == f"The saved answer to {qid!r} is not the right answer."
    for text in expected if isinstance(expected, list) else [expected]:
        if text not in saved:
            assert text not in message


def _damage(folder: Path, how: str) -> None:
    path = _file(folder)
    if how == "empty":
        path.write_text("  \n", encoding="utf-8")
    elif how == "corrupt":
        path.write_text('{"fx-graded-1": {"answer": "Bl', encoding="utf-8")
    elif how == "binary":
        path.write_bytes(b"\xff\xfe\x00junk")
    elif how == "list":
        path.write_text("[1, 2]", encoding="utf-8")
    else:
        data = json.loads(path.read_text("utf-8"))
        if how == "edited":
            data[fx.MC_ID]["answer"] = "Blue"
        elif how == "malformed":
            data[fx.MC_ID] = "Blue"
        elif how == "not-an-option":
            data[fx.MC_ID]["answer"] = "Purple"
            data[fx.MC_ID]["fingerprint"] = answers._fingerprint(
                fx.MC_ID, "Purple", data[fx.MC_ID]["saved"]
            )
        path.write_text(json.dumps(data), encoding="utf-8")


@pytest.mark.parametrize(
    ("how", "message"),
    [
        ("missing", r"No saved answer to 'fx-graded-1': there is no answers\.json"),
        ("empty", r"answers\.json is empty"),
        ("corrupt", r"answers\.json is not valid JSON \(line 1: .*\); it was damaged or edited"),
        ("binary", r"answers\.json is not UTF-8 text"),
        ("list", r"does not hold answers by question id \(it holds a JSON list\)"),
        ("edited", r"was changed outside the widget"),
        ("malformed", r"is not in the form the widget writes; it was edited by hand"),
        ("not-an-option", r"is not one of the question's options"),
    ],
)
def test_unusable_file_says_why(folder: Path, how: str, message: str) -> None:
    answers.save_many({fx.MC_ID: "Red", fx.MS_ID: ["One", "Three"]})
    if how == "missing":
        _file(folder).unlink()
    else:
        _damage(folder, how)
    with pytest.raises(AssertionError, match=message) as info:
        answers.check(fx.MC_ID, "Blue")
    assert "press Submit" in str(info.value)
    if how in ("edited", "malformed", "not-an-option"):
        answers.check(fx.MS_ID, ["One", "Three"])  # the other item is unaffected


def test_no_answer_to_this_question(folder: Path) -> None:
    answers.save(fx.MS_ID, ["One"])
    with pytest.raises(AssertionError, match="answers.json has no answer to it"):
        answers.require(fx.MC_ID)


def test_a_failed_write_leaves_the_old_file(folder: Path, monkeypatch) -> None:
    answers.save(fx.MC_ID, "Red")
    before = _file(folder).read_bytes()

    def full_disk(*_args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(answers.os, "fsync", full_disk)
    with pytest.raises(OSError, match="No space left"):
        answers.save(fx.MC_ID, "Blue")
    assert _file(folder).read_bytes() == before
    assert sorted(p.name for p in folder.iterdir()) == ["answers.json", "questions.yaml"]


def test_unreadable_file_is_kept_aside(folder: Path) -> None:
    _file(folder).write_text("{oops", encoding="utf-8")
    note = answers.save(fx.MC_ID, "Red")
    assert "kept as answers.unreadable.json" in note
    assert (folder / answers.UNREADABLE_FILE).read_text("utf-8") == "{oops"
    assert answers.require(fx.MC_ID) == "Red"


@pytest.mark.parametrize("bad", ["", [], ["A", "A"], [1], None, 3])
def test_bad_answers_are_refused(folder: Path, bad) -> None:
    with pytest.raises(answers.AnswersFileError):
        answers.save(fx.MC_ID, bad)


def test_where_the_file_lives(tmp_path: Path, monkeypatch) -> None:
    elsewhere = tmp_path / "key"
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    monkeypatch.setenv(answers.ENV_DIR, str(elsewhere))
    assert answers.answers_dir() == elsewhere
    monkeypatch.setenv("NBGRADER_EXECUTION", "validate")
    assert answers.answers_dir() == elsewhere
    # Autograding reads the submission's own file, whatever the environment says.
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    assert answers.answers_dir() == Path.cwd()


def test_never_saves_into_the_course_source(tmp_path: Path, monkeypatch) -> None:
    source = tmp_path / "notebooks" / "02_x"
    source.mkdir(parents=True)
    (tmp_path / "nbgrader_config.py").write_text("", encoding="utf-8")
    monkeypatch.chdir(source)
    monkeypatch.delenv(answers.ENV_DIR, raising=False)
    with pytest.raises(answers.AnswersFileError, match="released to students"):
        answers.save("q", "A")
    assert not (source / answers.ANSWERS_FILE).exists()


def test_answer_key_reads_the_hidden_checks(tmp_path: Path) -> None:
    import nbformat

    path = tmp_path / "fixture.ipynb"
    nb = fx.notebook()
    nb.cells.append(nbformat.v4.new_code_cell("answers.check('x', some_variable)\n%time 1"))
    nbformat.write(nb, path)
    assert answers.answer_key(path) == {fx.MC_ID: fx.MC_RIGHT, fx.MS_ID: fx.MS_RIGHT}


@pytest.mark.parametrize("path", section_notebooks(), ids=lambda p: p.parent.name)
def test_course_keys_are_options_of_their_questions(path: Path) -> None:
    from trilateral.questions import load_bank

    key = answers.answer_key(path)
    bank = load_bank(path.parent / "questions.yaml")
    for qid, expected in key.items():
        question = bank[qid]
        assert question.graded, f"{qid} is checked by answers.check but not graded"
        texts = [o.text for o in question.options]
        chosen = [expected] if isinstance(expected, str) else expected
        assert set(chosen) <= set(texts)


def test_key_command(tmp_path: Path, capsys) -> None:
    import nbformat

    nb_path = tmp_path / "fixture.ipynb"
    nbformat.write(fx.notebook(), nb_path)
    assert answers.main([str(nb_path), "--into", str(tmp_path / "key")]) == 0
    assert "2 answer(s) written" in capsys.readouterr().out
    data = json.loads((tmp_path / "key" / answers.ANSWERS_FILE).read_text("utf-8"))
    assert data[fx.MS_ID]["answer"] == fx.MS_RIGHT
