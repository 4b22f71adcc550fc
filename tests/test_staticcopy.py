"""Static copies of the course's widgets, and the save hook that keeps them.

A reopened notebook cannot rely on JupyterLab restoring widgets from saved
state (ipywidgets issues 3888 and 3270), so every course widget carries an
HTML copy of itself and the course's server saves that copy instead of the
live widget's reference, with the graded answer from ``answers.json``.
The browser side (reopening without running anything) is in
``test_browser.py``; the real server's hook in ``test_selfstudy.py``.
"""

from __future__ import annotations

import html as html_lib
import json
import re
import shutil
from pathlib import Path

import pytest

from trilateral import answers, forecasts, simulation, staticcopy, triangle
from trilateral.publishing import savehook
from trilateral.questions import load_bank
from trilateral.staticcopy import CSS_CLASS, KEY, question_html

ROOT = Path(__file__).resolve().parents[1]
START = ROOT / "notebooks" / "00_start_here"
GRADED = "start-graded-1"


@pytest.fixture()
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A student's section folder: the bank, and the kernel working there."""
    shutil.copy(START / "questions.yaml", tmp_path / "questions.yaml")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    monkeypatch.delenv("TRILATERAL_ANSWERS_DIR", raising=False)
    return tmp_path


def _output(widget) -> dict:
    """The display_data output a kernel sends for ``widget``."""
    data, metadata = widget._repr_mimebundle_()
    return {"output_type": "display_data", "data": data, "metadata": metadata}


def _notebook(*outputs: dict) -> dict:
    return {
        "cells": [{"cell_type": "code", "source": "", "metadata": {}, "execution_count": 1,
                   "outputs": list(outputs)}],
        "metadata": {}, "nbformat": 4, "nbformat_minor": 5,
    }


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", html_lib.unescape(re.sub(r"<[^>]+>", " ", html))).strip()


def test_every_course_widget_displays_a_marked_copy(folder: Path) -> None:
    bank = load_bank(folder / "questions.yaml")
    widgets = [bank.widget(q.id) for q in bank] + [
        forecasts.widget(), simulation.widget(seed=1), triangle.explorer()]
    for widget in widgets:
        out = _output(widget)
        assert savehook.WIDGET_VIEW in out["data"], "the live widget is still displayed"
        assert f'class="{CSS_CLASS}"' in out["data"]["text/html"]
        assert "Run this cell (Shift+Enter)" in out["data"]["text/html"]
        assert out["metadata"][KEY]["static"]
    for q in bank:
        copy = _text(_output(bank.widget(q.id))["data"]["text/html"])
        assert q.prompt in copy
        for option in q.options:
            assert option.text in copy


def test_a_graded_copy_from_the_kernel_names_no_answer(folder: Path) -> None:
    # Notebooks run with the key (make execute) must not store it in outputs.
    bank = load_bank(folder / "questions.yaml")
    answers.save(GRADED, bank[GRADED].options[0].text, folder)
    html = _output(bank.widget(GRADED))["data"]["text/html"]
    assert "saved answer)" not in html and "Your saved answer" not in html


def test_refresh_turns_live_widgets_into_copies_with_the_saved_answer(folder: Path) -> None:
    bank = load_bank(folder / "questions.yaml")
    choice = bank[GRADED].options[2].text
    answers.save(GRADED, choice, folder)
    own = {"output_type": "display_data", "metadata": {},
           "data": {savehook.WIDGET_VIEW: {"model_id": "x"}, "text/plain": "IntSlider()"}}
    self_check = _output(bank.widget("start-essay-venue"))
    nb = _notebook(_output(bank.widget(GRADED)), self_check, own)

    assert savehook.refresh(nb, folder) == 2
    graded, check, untouched = nb["cells"][0]["outputs"]
    for out in (graded, check):
        assert savehook.WIDGET_VIEW not in out["data"]
    assert savehook.WIDGET_VIEW in untouched["data"], "a learner's own widget is left alone"
    text = _text(graded["data"]["text/html"])
    assert f"\u2714 {choice} (your saved answer)" in text
    when = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC"
    assert re.search(rf"Your saved answer \({when}\): {re.escape(choice)}\.", text), text
    for other in bank[GRADED].options:
        if other.text != choice:
            assert f"\u2714 {other.text}" not in text
    assert savehook.refresh(nb, folder) == 0, "a saved copy is not turned twice"


def test_refresh_says_when_nothing_or_nothing_usable_is_saved(folder: Path) -> None:
    bank = load_bank(folder / "questions.yaml")
    nb = _notebook(_output(bank.widget(GRADED)))
    savehook.refresh(nb, folder)
    assert "Not answered yet." in _text(nb["cells"][0]["outputs"][0]["data"]["text/html"])

    (folder / answers.ANSWERS_FILE).write_text("{not json", encoding="utf-8")
    nb = _notebook(_output(bank.widget(GRADED)))
    savehook.refresh(nb, folder)
    text = _text(nb["cells"][0]["outputs"][0]["data"]["text/html"])
    assert "Your saved answer could not be read" in text and "✔" not in text


def test_refresh_says_when_the_saved_answer_is_no_longer_an_option(
        folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bank = load_bank(folder / "questions.yaml")
    old = bank[GRADED].options[0].text
    answers.save(GRADED, old, folder)
    bank_file = folder / "questions.yaml"
    bank_file.write_text(bank_file.read_text(encoding="utf-8").replace(old, "A reworded option"),
                         encoding="utf-8")
    nb = _notebook(_output(load_bank(bank_file).widget(GRADED)))
    server_root = folder / "elsewhere"  # the server runs from its root, not the section
    server_root.mkdir()
    monkeypatch.chdir(server_root)
    savehook.refresh(nb, folder)
    text = _text(nb["cells"][0]["outputs"][0]["data"]["text/html"])
    assert "not one of the question's options" in text and "✔" not in text


def test_the_hook_never_stops_a_save(folder: Path) -> None:
    class Manager:
        root_dir = str(folder)

    broken = {"type": "notebook", "content": {"cells": [{"outputs": [
        {"data": {savehook.WIDGET_VIEW: {}, "text/html": "x"}, "metadata": {KEY: "oops"}}]}]}}
    before = json.dumps(broken, sort_keys=True)
    savehook.pre_save(model=broken, path="nb.ipynb", contents_manager=Manager())
    assert json.dumps(broken, sort_keys=True) == before
    # Not even a notebook the hook cannot read at all.
    savehook.pre_save(model={"type": "notebook", "content": {"cells": 3}}, path="a/b.ipynb",
                      contents_manager=Manager())
    savehook.pre_save(model={"type": "file", "content": "text"}, path="x.txt",
                      contents_manager=Manager())


def test_question_html_rejects_what_is_not_a_question() -> None:
    with pytest.raises(ValueError, match="needs a Question"):
        question_html("start-graded-1")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="must be a static copy"):
        staticcopy.vbox([], "<p>not a copy</p>", "x")
    with pytest.raises(ValueError, match="needs a notebook"):
        savehook.refresh([], ".")  # type: ignore[arg-type]


@pytest.mark.parametrize("where", ["postBuild", "deploy/z2jh/Dockerfile",
                                   "hub/student-config/jupyter_server_config.json"])
def test_every_deployment_saves_through_the_hook(where: str) -> None:
    """Binder, the Zero to JupyterHub image and the class hub set the hook
    (``make lab`` does in ``test_selfstudy.py``); a typo would silently lose
    the copies, so the JSON each writes is parsed and its hook imported."""
    from traitlets.utils.importstring import import_item

    text = (ROOT / where).read_text(encoding="utf-8")
    found = [json.loads(m) for m in re.findall(r"\{\"ContentsManager\".*?\}\}", text)]
    if where.endswith(".json"):
        found = [{"ContentsManager": json.loads(text)["ContentsManager"]}]
    assert found, f"{where} does not set ContentsManager.pre_save_hook"
    for config in found:
        hook = config["ContentsManager"]["pre_save_hook"]
        assert hook == savehook.HOOK and import_item(hook) is savehook.pre_save
