"""Repository-wide pytest hooks (loaded for tests/ and for nbval over notebooks/).

The instructor notebooks' graded-widget test cells check saved answers. For
nbval to run them honestly, the answer key (read from the notebooks' own
hidden ``answers.check`` calls) is written to a temporary folder and the
kernels find it through ``TRILATERAL_ANSWERS_DIR``; nothing is written into
the repository. It lives here, at the root, so that ``pytest notebooks/NN``
alone works too.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parent / "notebooks"
_KEY_DIR: tempfile.TemporaryDirectory | None = None


def section_notebooks() -> list[Path]:
    return sorted(NOTEBOOKS.glob("[0-9][0-9]_*/*.ipynb"))


def pytest_configure(config: pytest.Config) -> None:
    global _KEY_DIR
    from trilateral.answers import ENV_DIR, write_key

    _KEY_DIR = tempfile.TemporaryDirectory(prefix="trilateral-answer-key-")
    write_key(section_notebooks(), _KEY_DIR.name)
    os.environ[ENV_DIR] = _KEY_DIR.name


def pytest_unconfigure(config: pytest.Config) -> None:
    global _KEY_DIR
    from trilateral.answers import ENV_DIR

    if _KEY_DIR is not None:
        if os.environ.get(ENV_DIR) == _KEY_DIR.name:
            del os.environ[ENV_DIR]
        _KEY_DIR.cleanup()
        _KEY_DIR = None


