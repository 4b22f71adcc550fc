"""Load the course's datasets through their Frictionless descriptor.

Every table the notebooks use is a resource in ``data/datapackage.json``,
which names its file, fields, types, units and sources. Loading through the
descriptor (rather than ``pd.read_csv`` on a path) gives every notebook the
same dtypes and the same clear error when a file is missing or malformed.

The loader checks what a learner's analysis depends on: the columns match the
schema, every value parses as its declared type, required values are present,
enumerated values are allowed, unique fields are unique and numbers stay in
their declared range. Each error names the file, the field and the row.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import filecache, gcfreeze

if TYPE_CHECKING:  # pandas is imported when a table is loaded, not at import
    import pandas as pd

__all__ = [
    "DataError",
    "data_dir",
    "descriptor",
    "load",
    "resource",
    "resource_names",
    "source_line",
]

DESCRIPTOR = "datapackage.json"
_TYPES = {"string", "integer", "number", "date", "boolean"}
_TRUE = {"true", "True", "TRUE", "1", "yes"}
_FALSE = {"false", "False", "FALSE", "0", "no"}


class DataError(ValueError):
    """A dataset or its descriptor is missing or does not match its schema."""


def data_dir() -> Path:
    """Return the folder that holds ``datapackage.json``.

    ``TRILATERAL_DATA`` wins when set (for a course kept elsewhere); then the
    repository's ``data/`` beside ``src/`` (an editable install); then the copy
    bundled inside an installed wheel.
    """
    override = os.environ.get("TRILATERAL_DATA")
    if override:
        return Path(override)
    here = Path(__file__).resolve().parent
    for candidate in (here.parents[1] / "data", here / "_data"):
        if (candidate / DESCRIPTOR).is_file():
            return candidate
    return here.parents[1] / "data"


@lru_cache(maxsize=8)
def _read_descriptor(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataError(f"{path}: the data package descriptor is missing") from None
    try:
        package = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataError(f"{path}: not valid JSON (line {exc.lineno}: {exc.msg})") from None
    if not isinstance(package, dict) or not isinstance(package.get("resources"), list):
        raise DataError(f"{path}: 'resources' must be a list of resource descriptors")
    return package


def descriptor(root: Path | str | None = None) -> dict[str, Any]:
    """Return the parsed ``datapackage.json`` (from ``root`` or :func:`data_dir`)."""
    folder = Path(root) if root is not None else data_dir()
    return _read_descriptor((folder / DESCRIPTOR).resolve())


def resource_names(root: Path | str | None = None) -> list[str]:
    """Names of every table in the package, in descriptor order.

    Only tabular resources (CSV files :func:`load` reads); the map's shapes
    (``east_asia_map``, GeoJSON) are a resource too, read by
    ``trilateral.plots.basemap``.
    """
    return [
        r.get("name", "")
        for r in descriptor(root)["resources"]
        if r.get("profile", "tabular-data-resource") == "tabular-data-resource"
    ]


def resource(name: str, root: Path | str | None = None) -> dict[str, Any]:
    """Return the descriptor of resource ``name``; :class:`DataError` if unknown."""
    for res in descriptor(root)["resources"]:
        if res.get("name") == name:
            return res
    known = ", ".join(resource_names(root))
    raise DataError(f"no dataset named {name!r}; the data package has: {known}")


def source_line(name: str, root: Path | str | None = None) -> str:
    """A one-line credit for charts, from the resource's ``sources``.

    One source gives ``Source: publisher, title``; several give their distinct
    publishers, so the line stays short enough to sit under a chart.
    """
    res = resource(name, root)
    sources = [s for s in res.get("sources", []) if s.get("publisher") or s.get("title")]
    if not sources:
        return f"Source: see data/{res.get('path', name)}"
    if len(sources) == 1:
        src = sources[0]
        return "Source: " + ", ".join(b for b in (src.get("publisher"), src.get("title")) if b)
    publishers = list(dict.fromkeys(s.get("publisher") or s.get("title") for s in sources))
    return "Source: " + "; ".join(publishers) + " (details in data/datapackage.json)"


def load(name: str, root: Path | str | None = None) -> pd.DataFrame:
    """Load resource ``name`` as a DataFrame with the dtypes its schema declares.

    Types map as: integer to ``Int64``, number to ``float64``, date to
    ``datetime64``, boolean to ``boolean``, string to pandas' string dtype.
    Empty cells are missing values. Raises :class:`DataError` naming the file,
    field and row for anything that does not match the schema.
    """
    folder = Path(root) if root is not None else data_dir()
    res = resource(name, folder)
    path = folder / str(res.get("path", ""))
    frame = filecache.read_once(_LOADED, path, lambda: _read(name, res, path), tag=id(res))
    gcfreeze.after_imports()  # pandas is imported by now
    return frame.copy(deep=True)


# Validated frames by file and descriptor entry (see trilateral.filecache).
# Callers always get a copy, so changing one never changes the next load.
_LOADED: dict[tuple, Any] = {}


def _read(name: str, res: dict[str, Any], path: Path) -> pd.DataFrame:
    """Read and check one resource's CSV against its schema."""
    import pandas as pd

    fields = _fields(res, path)
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except FileNotFoundError:
        raise DataError(f"{path}: file for dataset {name!r} is missing") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: cannot be read as UTF-8 CSV ({exc})") from None
    except pd.errors.EmptyDataError:
        raise DataError(f"{path}: file is empty (no header row)") from None

    expected = [f["name"] for f in fields]
    if list(raw.columns) != expected:
        missing = [c for c in expected if c not in raw.columns]
        extra = [c for c in raw.columns if c not in expected]
        detail = []
        if missing:
            detail.append(f"missing field(s) {missing}")
        if extra:
            detail.append(f"unexpected field(s) {extra}")
        if not detail:
            detail.append(f"fields out of order; expected {expected}")
        raise DataError(f"{path}: {'; '.join(detail)}")

    out = pd.DataFrame(index=raw.index)
    for field in fields:
        out[field["name"]] = _convert(raw[field["name"]], field, path)
    _check_keys(out, res, path)
    return out


def _fields(res: dict[str, Any], path: Path) -> list[dict[str, Any]]:
    fields = res.get("schema", {}).get("fields")
    if not isinstance(fields, list) or not fields:
        raise DataError(f"{path}: its descriptor has no schema fields")
    for field in fields:
        if field.get("type", "string") not in _TYPES:
            raise DataError(
                f"{path}: field {field.get('name')!r} has unsupported type "
                f"{field.get('type')!r} (use one of {sorted(_TYPES)})"
            )
    return fields


def _bad_rows(mask: Iterable[bool]) -> str:
    rows = [i for i, bad in enumerate(mask) if bad]
    # Row numbers as a spreadsheet shows them: header is line 1.
    shown = ", ".join(str(r + 2) for r in rows[:5])
    more = f" and {len(rows) - 5} more" if len(rows) > 5 else ""
    return f"line {shown}{more}"


def _convert(col: pd.Series, field: dict[str, Any], path: Path) -> pd.Series:
    import pandas as pd

    name, kind = field["name"], field.get("type", "string")
    cons = field.get("constraints", {})
    empty = col.str.strip() == ""
    if cons.get("required") and empty.any():
        raise DataError(f"{path}: field {name!r} is required but empty at {_bad_rows(empty)}")

    if kind == "string":
        values = col.where(~empty, None).astype("string")
    elif kind in ("integer", "number"):
        parsed = pd.to_numeric(col.where(~empty, None), errors="coerce")
        bad = parsed.isna() & ~empty
        if bad.any():
            raise DataError(f"{path}: field {name!r} expects a {kind} at {_bad_rows(bad)}")
        if kind == "integer":
            frac = parsed.notna() & (parsed != parsed.round())
            if frac.any():
                raise DataError(
                    f"{path}: field {name!r} expects whole numbers at {_bad_rows(frac)}"
                )
            values = parsed.astype("Int64")
        else:
            values = parsed.astype("float64")
    elif kind == "date":
        parsed = pd.to_datetime(col.where(~empty, None), format="%Y-%m-%d", errors="coerce")
        bad = parsed.isna() & ~empty
        if bad.any():
            raise DataError(
                f"{path}: field {name!r} expects a date as YYYY-MM-DD at {_bad_rows(bad)}"
            )
        values = parsed
    else:  # boolean
        bad = ~col.isin(_TRUE | _FALSE) & ~empty
        if bad.any():
            raise DataError(f"{path}: field {name!r} expects true or false at {_bad_rows(bad)}")
        values = col.map(lambda v: True if v in _TRUE else (False if v in _FALSE else None))
        values = values.astype("boolean")

    if "enum" in cons:
        allowed = {str(v) for v in cons["enum"]}
        bad = ~col.isin(allowed) & ~empty
        if bad.any():
            raise DataError(
                f"{path}: field {name!r} must be one of {sorted(allowed)} at {_bad_rows(bad)}"
            )
    if "pattern" in cons:
        bad = ~col.str.fullmatch(cons["pattern"]) & ~empty
        if bad.any():
            raise DataError(
                f"{path}: field {name!r} must match {cons['pattern']!r} at {_bad_rows(bad)}"
            )
    if "maxLength" in cons:
        bad = col.str.len() > int(cons["maxLength"])
        if bad.any():
            raise DataError(
                f"{path}: field {name!r} is longer than {cons['maxLength']} characters "
                f"at {_bad_rows(bad)}"
            )
    for key, test in (("minimum", lambda v, b: v < b), ("maximum", lambda v, b: v > b)):
        if key in cons and kind in ("integer", "number", "date"):
            bound = pd.Timestamp(cons[key]) if kind == "date" else cons[key]
            bad = test(values, bound).fillna(False)
            if bad.any():
                raise DataError(
                    f"{path}: field {name!r} is outside its {key} {cons[key]} at {_bad_rows(bad)}"
                )
    if cons.get("unique"):
        dup = values.duplicated(keep="first") & values.notna()
        if dup.any():
            raise DataError(f"{path}: field {name!r} must be unique; repeated at {_bad_rows(dup)}")
    return values


def _check_keys(frame: pd.DataFrame, res: dict[str, Any], path: Path) -> None:
    key = res.get("schema", {}).get("primaryKey")
    if not key:
        return
    key = [key] if isinstance(key, str) else list(key)
    dup = frame.duplicated(subset=key, keep="first")
    if dup.any():
        raise DataError(f"{path}: primary key {key} is repeated at {_bad_rows(dup)}")
