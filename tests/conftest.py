"""Shared fixtures: the repository, its notebooks and question banks.

The answer key for the graded widgets' test cells is set up by the
repository's root ``conftest.py`` (so that nbval over ``notebooks/`` alone
finds it too).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from support_course import jupyter_home

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"

def section_notebooks() -> list[Path]:
    """Every course notebook (instructor version), sorted."""
    return sorted(NOTEBOOKS.glob("[0-9][0-9]_*/*.ipynb"))


def question_banks() -> list[Path]:
    return sorted(NOTEBOOKS.glob("[0-9][0-9]_*/questions.yaml"))


def read_notebook(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A HOME and Jupyter folders of the test's own, as nbgrader's tests use."""
    home = tmp_path / "home"
    home.mkdir()
    for name, value in jupyter_home(home).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    return home


@pytest.fixture
def course(tmp_path: Path, isolated_home: Path) -> Path:
    """A temporary copy of the course: notebooks/ and nbgrader_config.py."""
    root = tmp_path / "course"
    shutil.copytree(
        NOTEBOOKS, root / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints")
    )
    shutil.copy2(ROOT / "nbgrader_config.py", root / "nbgrader_config.py")
    return root
