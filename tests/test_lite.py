"""The zero-install JupyterLite site: built for real, then inspected.

Its Pyodide kernel needs the network to start, so the test checks what the
build must contain (every student notebook, the install cell, the course
wheel with its data, the widgets extension), not execution in the browser.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from trilateral.publishing import lite

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]


def test_lite_site_bundles_notebooks_module_and_data(course: Path, tmp_path: Path) -> None:
    site = lite.build(course, tmp_path / "site", project=ROOT)
    assert (site / "index.html").is_file()

    sections = sorted(p.parent.name for p in (course / "notebooks").glob("[0-9][0-9]_*/*.ipynb"))
    shipped = sorted(p.parent.name for p in (site / "files").glob("*/*.ipynb"))
    assert shipped == sections
    for nb_path in (site / "files").glob("*/*.ipynb"):
        nb = json.loads(nb_path.read_text(encoding="utf-8"))
        first = "".join(nb["cells"][0]["source"])
        assert first == lite.INSTALL_CELL, nb_path.name
        text = nb_path.read_text(encoding="utf-8")
        assert "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text

    index = json.loads((site / "pypi" / "all.json").read_text(encoding="utf-8"))
    assert "trilateral" in index
    wheel = next((site / "pypi").glob("trilateral-*.whl"))
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
    assert "trilateral/_data/datapackage.json" in names
    described = json.loads((ROOT / "data" / "datapackage.json").read_text(encoding="utf-8"))
    for resource in described["resources"]:
        assert f"trilateral/_data/{resource['path']}" in names, resource["path"]

    config = json.loads((site / "jupyter-lite.json").read_text(encoding="utf-8"))
    extensions = {e["name"] for e in config["jupyter-config-data"]["federated_extensions"]}
    assert "@jupyter-widgets/jupyterlab-manager" in extensions


def test_lite_refuses_a_folder_that_is_not_a_course(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no pyproject.toml"):
        lite.build(tmp_path, tmp_path / "site")
    assert lite.main(["--course-root", str(tmp_path), "--out", str(tmp_path / "s")]) == 1
