"""Build a zero-install JupyterLite site of the student notebooks.

The site is static files: any web host (GitHub Pages, a university web
space) can serve it, and the notebooks run in the learner's browser on the
Pyodide kernel. :func:`build` makes the student versions with nbgrader,
puts a first cell in each that installs the course's helper module (with its
data) from a wheel bundled in the site, and runs ``jupyter lite build``.

What does not work there: nbgrader (no grading, no exchange) and anything that
needs a local Python process. Self-checks, data, charts and the exercises'
visible tests do work; answers are kept in the browser's storage.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

__all__ = ["INSTALL_CELL", "build", "main"]

# Pyodide ships pandas, matplotlib and PyYAML; piplite fetches the rest. The
# course wheel is installed without its desktop dependencies (JupyterLab,
# nbgrader), which do not exist in the browser.
INSTALL_CELL = (
    "# JupyterLite only: install the course's helper module in this browser tab.\n"
    "import piplite\n"
    "await piplite.install(\n"
    "    [\"ipywidgets\", \"pyyaml\", \"jsonschema\", \"pandas\", \"matplotlib\"]\n"
    ")\n"
    "await piplite.install(\"trilateral\", deps=False)"
)


def _wheel(root: Path, dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(dest), str(root)],
        check=True,
    )
    wheels = sorted(dest.glob("trilateral-*.whl"))
    if not wheels:
        raise RuntimeError("building the course wheel produced no file")
    return wheels[-1]


def _add_install_cell(path: Path) -> None:
    import nbformat

    nb = nbformat.read(str(path), as_version=4)
    cell = nbformat.v4.new_code_cell(INSTALL_CELL)
    cell.metadata["tags"] = ["jupyterlite-install"]
    nb.cells.insert(0, cell)
    nbformat.write(nb, str(path))


def build(root: str | Path, out: str | Path, project: str | Path | None = None) -> Path:
    """Build the site into ``out`` (replaced if it exists); return ``out``.

    ``project`` is the folder with the package's ``pyproject.toml`` (the
    course root by default), from which the bundled wheel is built.
    """
    from . import workspace

    root = Path(root).resolve()
    project = Path(project).resolve() if project else root
    if not (project / "pyproject.toml").is_file():
        raise ValueError(f"{project} has no pyproject.toml to build the course wheel from")
    out = Path(out).resolve()
    if not (root / "notebooks").is_dir():
        raise ValueError(f"{root} is not a course folder (it has no notebooks/)")
    with tempfile.TemporaryDirectory(prefix="trilateral-lite-") as tmp:
        tmp_path = Path(tmp)
        contents = tmp_path / "contents"
        workspace.build(root, contents)
        for nb in sorted(contents.glob("*/*.ipynb")):
            _add_install_cell(nb)
        wheel = _wheel(project, tmp_path / "wheels")
        if out.exists():
            shutil.rmtree(out)
        subprocess.run(
            [sys.executable, "-m", "jupyter", "lite", "build",
             "--contents", str(contents), "--output-dir", str(out),
             "--piplite-wheels", str(wheel)],
            check=True, cwd=tmp_path,
        )
    (out / "trilateral-build.json").write_text(
        json.dumps({"wheel": wheel.name}, indent=2) + "\n", encoding="utf-8"
    )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m trilateral.publishing.lite",
        description="Build a static JupyterLite site of the student notebooks.",
    )
    parser.add_argument("--course-root", default=".", help="the course folder (has notebooks/)")
    parser.add_argument("--out", default="build/lite", help="output folder (default build/lite)")
    args = parser.parse_args(argv)
    try:
        out = build(args.course_root, args.out)
    except (ValueError, RuntimeError, subprocess.CalledProcessError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"built {out}; serve it with: python -m http.server -d {args.out}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
