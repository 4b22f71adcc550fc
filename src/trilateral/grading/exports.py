"""Answers as plain data: what a student's kernel hands to the clean room.

While a submission is graded, the student's kernel never runs a test. Each
autograded test cell is replaced, in the copy the kernel runs, by a *stub*
(:func:`stub_source`) that calls :func:`export`. ``export`` looks up the names
the test needs in the student's namespace, calls the student's functions on
the test's fixed public inputs (its *probes*), and displays the results as
one JSON output of type :data:`MIME`. Nothing else crosses over: the clean
room (:mod:`trilateral.grading.cleanroom`) decodes that output with
:func:`decode` and runs the test on the values it rebuilt.

Everything the kernel sends is untrusted: the student controls that process
and may replace this module, its output or the JSON. So the format is small
and strict, and :func:`decode` is the security boundary. It builds only
``None``, ``bool``, ``int``, ``float``, ``str``, ``list``, ``tuple``,
``dict``, ``set``, ``frozenset``, NumPy scalars and 1-D arrays of plain
dtypes, and pandas ``Timestamp``, ``Index``, ``Series`` and ``DataFrame``
of plain dtypes; a module is named, never sent, and rebuilt by importing it
from :data:`MODULES`. A value of any other type, a subclass of an allowed
type included, arrives as :class:`Unexportable`, which fails any test that
uses it. No pickle, no ``eval``.

The encoding is JSON with tagged objects. A JSON list is a Python list; a
JSON object is always a tag: ``{"t": "tuple", "v": [...]}``.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Callable, Mapping
from typing import Any

__all__ = [
    "MAX_BYTES",
    "MIME",
    "MODULES",
    "ExportError",
    "Missing",
    "Raised",
    "Unexportable",
    "decode",
    "decode_payload",
    "encode",
    "export",
    "stub_source",
]

MIME = "application/vnd.trilateral.export+json"
# The most one test's exports may take, as JSON text.
MAX_BYTES = 16 * 1024 * 1024
_MAX_DEPTH = 32
_MAX_ITEMS = 2_000_000
# Modules a test may use by name: the clean room imports its own copy.
MODULES = frozenset({
    "collections", "datetime", "itertools", "json", "math", "numpy", "pandas", "re",
    "statistics", "string",
    "trilateral", "trilateral.answers", "trilateral.checkers", "trilateral.data",
    "trilateral.forecasts", "trilateral.plots", "trilateral.questions",
    "trilateral.simulation", "trilateral.triangle", "trilateral.widgets",
})
_NP_KINDS = {"b", "i", "u", "f"}
_PD_DTYPES = {"bool", "boolean", "int8", "int16", "int32", "int64", "uint8", "uint16",
              "uint32", "uint64", "float32", "float64", "object", "string", "str", "Int8",
              "Int16", "Int32", "Int64", "Float32", "Float64", "category",
              "datetime64[ns]", "datetime64[us]", "datetime64[ms]", "datetime64[s]"}


class ExportError(ValueError):
    """The kernel's output is not a well-formed export: the test gets no values."""


class Unexportable:
    """Stands for a value that could not cross: every use of it fails the test."""

    __slots__ = ("what",)

    def __init__(self, what: str) -> None:
        object.__setattr__(self, "what", what)

    def _fail(self, *_args: Any, **_kwargs: Any):
        raise TypeError(f"the graded value was {self.what}, which the grader cannot check; "
                        "use plain Python values (int, float, str, list, dict) or pandas objects")

    __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = __call__ = __getattr__ = _fail
    __getitem__ = __iter__ = __len__ = __bool__ = __hash__ = __contains__ = _fail
    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __truediv__ = _fail
    __float__ = __int__ = __index__ = __abs__ = __neg__ = _fail

    def __repr__(self) -> str:
        return f"<not gradable: {self.what}>"


class Missing:
    """Marks a name the student's notebook never defined (the test sees NameError)."""


class Raised:
    """What a probe raised: the nearest built-in exception class and its message."""

    __slots__ = ("message", "name")

    def __init__(self, name: str, message: str) -> None:
        self.name = name
        self.message = message

    def exception(self) -> BaseException:
        import builtins

        cls = getattr(builtins, self.name, None)
        if not (isinstance(cls, type) and issubclass(cls, Exception)):
            cls = RuntimeError
        return cls(self.message)


# --------------------------------------------------------------------------- kernel side
def _exact(value: Any, *types: type) -> bool:
    return type(value) in types


def _enc_np_scalar(value: Any) -> dict | None:
    np = sys.modules.get("numpy")
    if np is None or not isinstance(value, np.generic):
        return None
    dtype = value.dtype
    if type(value) is not dtype.type or dtype.kind not in _NP_KINDS:
        return None
    item = value.item()
    return {"t": "np", "d": dtype.str, "v": _float(item) if dtype.kind == "f" else item}


def _float(x: float) -> Any:
    if math.isnan(x):
        return {"t": "nan"}
    if math.isinf(x):
        return {"t": "inf", "v": 1 if x > 0 else -1}
    return x


class _Encoder:
    def __init__(self) -> None:
        self.items = 0

    def __call__(self, value: Any, depth: int = 0) -> Any:
        self.items += 1
        if self.items > _MAX_ITEMS or depth > _MAX_DEPTH:
            raise ExportError("the value is too large or too deeply nested to grade")
        if value is None or _exact(value, bool, int, str):
            return value
        if _exact(value, float):
            return _float(value)
        if _exact(value, list):
            return [self(v, depth + 1) for v in value]
        if _exact(value, tuple, set, frozenset):
            items = sorted(value, key=repr) if not _exact(value, tuple) else value
            return {"t": type(value).__name__, "v": [self(v, depth + 1) for v in items]}
        if _exact(value, dict):
            return {"t": "dict", "v": [[self(k, depth + 1), self(v, depth + 1)]
                                        for k, v in value.items()]}
        scalar = _enc_np_scalar(value)
        if scalar is not None:
            return scalar
        pandas = self._pandas(value, depth)
        if pandas is not None:
            return pandas
        return {"t": "x", "v": _describe(value)}

    def _pandas(self, value: Any, depth: int) -> dict | None:
        pd = sys.modules.get("pandas")
        np = sys.modules.get("numpy")
        if pd is None:
            return None
        if _exact(value, pd.Timestamp):
            return {"t": "ts", "v": value.isoformat(), "tz": str(value.tz) if value.tz else None}
        if value is pd.NaT:
            return {"t": "nat"}
        if value is pd.NA:
            return {"t": "na"}
        if _exact(value, pd.Series):
            return {"t": "series", "name": self(value.name, depth + 1),
                    "index": self._index(value.index, depth),
                    "col": self._column(value, depth)}
        if _exact(value, pd.DataFrame):
            return {"t": "frame", "index": self._index(value.index, depth),
                    "columns": self._index(value.columns, depth),
                    "cols": [self._column(value.iloc[:, i], depth)
                             for i in range(value.shape[1])]}
        if isinstance(value, pd.Index) and type(value) in (pd.Index, pd.RangeIndex,
                                                           pd.DatetimeIndex):
            return self._index(value, depth)
        if np is not None and _exact(value, np.ndarray) and value.ndim == 1 \
                and value.dtype.kind in _NP_KINDS:
            return {"t": "ndarray", "d": value.dtype.str,
                    "v": [self(v, depth + 1) for v in value.tolist()]}
        return None

    def _index(self, index: Any, depth: int) -> dict:
        pd = sys.modules["pandas"]
        if _exact(index, pd.RangeIndex):
            return {"t": "range", "v": [index.start, index.stop, index.step],
                    "name": self(index.name, depth + 1)}
        return {"t": "index", "name": self(index.name, depth + 1),
                "col": self._column(pd.Series(index, copy=False), depth)}

    def _column(self, column: Any, depth: int) -> dict:
        dtype = str(column.dtype)
        if dtype not in _PD_DTYPES:
            raise ExportError(f"a pandas column of type {dtype} cannot be graded")
        if dtype == "category":
            return {"d": dtype, "cats": [self(c, depth + 1) for c in column.cat.categories],
                    "v": [int(c) for c in column.cat.codes]}
        if dtype.startswith("datetime64"):
            return {"d": dtype, "v": [None if v is None else v for v in
                                      column.dt.strftime("%Y-%m-%dT%H:%M:%S.%f").tolist()]}
        values = column.tolist() if dtype in ("object", "string", "str") else \
            column.to_numpy(dtype=object, na_value=None).tolist()
        return {"d": dtype, "v": [self(v, depth + 1) for v in values]}


def _describe(value: Any) -> str:
    cls = type(value)
    bases = [b.__name__ for b in cls.__mro__[1:-1] if b.__module__ == "builtins"]
    what = f"an object of type {cls.__name__}"
    return what + (f" (a subclass of {bases[0]})" if bases else "")


def encode(value: Any) -> Any:
    """``value`` as tagged JSON-able data (raises :class:`ExportError` if too large)."""
    types = sys.modules.get("types")
    if types is not None and isinstance(value, types.ModuleType):
        name = getattr(value, "__name__", "")
        return {"t": "module", "v": name} if name in MODULES else \
            {"t": "x", "v": f"the module {name!r}"}
    if type(value).__name__ in ("function", "builtin_function_or_method"):
        return {"t": "function"}
    return _Encoder()(value)


def _call(func: Callable, args: list, kwargs: dict) -> Any:
    try:
        result = func(*args, **kwargs)
    except Exception as exc:  # the probe's outcome, judged by the clean room
        import builtins

        name = next((c.__name__ for c in type(exc).__mro__
                     if getattr(builtins, c.__name__, None) is c), "Exception")
        return {"t": "raised", "n": name, "m": str(exc)[:500]}
    try:
        return encode(result)
    except ExportError as exc:
        return {"t": "x", "v": str(exc)}


def export(grade_id: str, names: list[str], probes: list[str]) -> None:
    """Run in the student's kernel by a test's stub: display the exports as one output.

    ``names`` are looked up in the caller's (the notebook's) global namespace.
    ``probes`` are call expressions, ``f(1, 2)``, evaluated there too; each
    result (or the exception it raised) is sent under the expression's text.
    """
    from IPython.display import display

    frame = sys._getframe(1)
    namespace = frame.f_globals
    values: dict[str, Any] = {}
    for name in names:
        if name not in namespace:
            values[name] = {"t": "missing"}
            continue
        try:
            values[name] = encode(namespace[name])
        except ExportError as exc:
            values[name] = {"t": "x", "v": str(exc)}
    results: dict[str, Any] = {}
    for probe in probes:
        try:
            results[probe] = _probe(probe, namespace)
        except Exception as exc:  # an argument that cannot be evaluated here
            results[probe] = {"t": "x", "v": f"a probe that failed ({type(exc).__name__})"}
    payload = json.dumps({"grade_id": grade_id, "names": values, "probes": results},
                         allow_nan=False)
    if len(payload) > MAX_BYTES:
        payload = json.dumps({"grade_id": grade_id, "probes": {}, "names": {
            name: {"t": "x", "v": "part of values too large to grade"} for name in names}})
    display({MIME: json.loads(payload)}, raw=True)


def _probe(probe: str, namespace: dict) -> Any:
    import ast

    tree = ast.parse(probe, mode="eval").body
    if not (isinstance(tree, ast.Call) and isinstance(tree.func, ast.Name)):
        return {"t": "x", "v": "not a call"}
    func = namespace.get(tree.func.id)
    if func is None:
        return {"t": "missing"}
    evaluate = lambda node: eval(compile(ast.Expression(node), "<probe>", "eval"),  # noqa: E731
                                 namespace)
    args = [evaluate(a) for a in tree.args]
    kwargs = {k.arg: evaluate(k.value) for k in tree.keywords if k.arg}
    return _call(func, args, kwargs)


def stub_source(grade_id: str, names: list[str], probes: list[str]) -> str:
    """The code that stands in for test cell ``grade_id`` in the student's kernel."""
    return (f"# Grading: this test runs in the clean room; here the kernel only hands over\n"
            f"# the values it needs.\n"
            f"__import__('trilateral.grading.exports', fromlist=['export']).export(\n"
            f"    {grade_id!r}, {names!r}, {probes!r})")


# --------------------------------------------------------------------------- clean-room side
class _Decoder:
    def __init__(self) -> None:
        self.items = 0

    def __call__(self, data: Any, depth: int = 0) -> Any:
        self.items += 1
        if self.items > _MAX_ITEMS or depth > _MAX_DEPTH:
            raise ExportError("the export is too large or too deeply nested")
        if data is None or type(data) in (bool, int, str, float):
            return data
        if type(data) is list:
            return [self(v, depth + 1) for v in data]
        if type(data) is not dict or type(data.get("t")) is not str:
            raise ExportError("malformed export")
        tag = data["t"]
        handler = getattr(self, "_" + tag, None) if tag.isalpha() else None
        if handler is None:
            raise ExportError(f"unknown export tag {tag!r}")
        return handler(data, depth)

    def _items(self, data: dict, depth: int) -> list:
        value = data.get("v")
        if type(value) is not list:
            raise ExportError("malformed export")
        return [self(v, depth + 1) for v in value]

    def _tuple(self, data, depth):
        return tuple(self._items(data, depth))

    def _set(self, data, depth):
        return set(self._items(data, depth))

    def _frozenset(self, data, depth):
        return frozenset(self._items(data, depth))

    def _dict(self, data, depth):
        pairs = data.get("v")
        if type(pairs) is not list or any(type(p) is not list or len(p) != 2 for p in pairs):
            raise ExportError("malformed export")
        return {self(k, depth + 1): self(v, depth + 1) for k, v in pairs}

    def _nan(self, data, depth):
        return math.nan

    def _inf(self, data, depth):
        return math.inf if data.get("v", 1) > 0 else -math.inf

    def _x(self, data, depth):
        return Unexportable(str(data.get("v", "a value of an unknown type"))[:200])

    def _missing(self, data, depth):
        return Missing()

    def _function(self, data, depth):
        return Unexportable("a function (only its results on the test's inputs are graded)")

    def _module(self, data, depth):
        import importlib

        name = data.get("v")
        if name not in MODULES:
            return Unexportable(f"the module {name!r}")
        return importlib.import_module(name)

    def _raised(self, data, depth):
        return Raised(str(data.get("n", "Exception"))[:100], str(data.get("m", ""))[:500])

    def _np(self, data, depth):
        import numpy as np

        dtype = np.dtype(str(data.get("d")))
        if dtype.kind not in _NP_KINDS:
            raise ExportError("malformed export")
        value = self(data.get("v"), depth + 1)
        if type(value) not in (bool, int, float):
            raise ExportError("malformed export")
        return dtype.type(value)

    def _ndarray(self, data, depth):
        import numpy as np

        dtype = np.dtype(str(data.get("d")))
        if dtype.kind not in _NP_KINDS:
            raise ExportError("malformed export")
        values = self._items(data, depth)
        if any(type(v) not in (bool, int, float) for v in values):
            raise ExportError("malformed export")
        return np.array(values, dtype=dtype)

    def _ts(self, data, depth):
        import pandas as pd

        stamp = pd.Timestamp(str(data.get("v")))
        tz = data.get("tz")
        return stamp if tz is None or stamp.tz is not None else stamp.tz_localize(str(tz))

    def _nat(self, data, depth):
        import pandas as pd

        return pd.NaT

    def _na(self, data, depth):
        import pandas as pd

        return pd.NA

    def _column(self, col: Any, depth: int):
        """A pandas array from an encoded column (plain dtypes only)."""
        import pandas as pd

        if type(col) is not dict or col.get("d") not in _PD_DTYPES:
            raise ExportError("malformed export")
        dtype = col["d"]
        raw = col.get("v")
        if type(raw) is not list:
            raise ExportError("malformed export")
        if dtype == "category":
            cats = [self(c, depth + 1) for c in col.get("cats", [])]
            if any(type(c) is not int for c in raw):
                raise ExportError("malformed export")
            return pd.Categorical.from_codes(raw, categories=cats)
        if dtype.startswith("datetime64"):
            if any(v is not None and type(v) is not str for v in raw):
                raise ExportError("malformed export")
            return pd.to_datetime(pd.Series(raw, dtype=object)).astype(dtype).array
        values = [self(v, depth + 1) for v in raw]
        if dtype in ("object",):
            out = pd.array(values, dtype=object) if values else pd.array([], dtype=object)
            return out
        if dtype in ("string", "str"):
            return pd.array(values, dtype="object").astype(dtype) if values \
                else pd.array([], dtype=dtype)
        if any(v is not None and v is not pd.NA and type(v) not in (bool, int, float)
               for v in values):
            raise ExportError("malformed export")
        return pd.array(values, dtype=dtype) if dtype[0].isupper() or dtype == "boolean" \
            else pd.Series(values, dtype=dtype).array

    def _index(self, data, depth):
        import pandas as pd

        return pd.Index(self._column(data.get("col"), depth), name=self(data.get("name"), depth))

    def _range(self, data, depth):
        import pandas as pd

        bounds = data.get("v")
        if type(bounds) is not list or len(bounds) != 3 or any(type(b) is not int for b in bounds):
            raise ExportError("malformed export")
        return pd.RangeIndex(*bounds, name=self(data.get("name"), depth))

    def _idx(self, data: Any, depth: int):
        if type(data) is not dict or data.get("t") not in ("index", "range"):
            raise ExportError("malformed export")
        return self._index(data, depth) if data["t"] == "index" else self._range(data, depth)

    def _series(self, data, depth):
        import pandas as pd

        index = self._idx(data.get("index"), depth)
        values = self._column(data.get("col"), depth)
        if len(values) != len(index):
            raise ExportError("malformed export")
        return pd.Series(values, index=index, name=self(data.get("name"), depth), copy=False)

    def _frame(self, data, depth):
        import pandas as pd

        index = self._idx(data.get("index"), depth)
        columns = self._idx(data.get("columns"), depth)
        cols = data.get("cols")
        if type(cols) is not list or len(cols) != len(columns):
            raise ExportError("malformed export")
        arrays = [self._column(c, depth) for c in cols]
        if any(len(a) != len(index) for a in arrays):
            raise ExportError("malformed export")
        frame = pd.DataFrame({i: a for i, a in enumerate(arrays)}, index=index)
        frame.columns = columns
        return frame


def decode(data: Any) -> Any:
    """Rebuild one exported value (in the clean room). Raises :class:`ExportError`."""
    return _Decoder()(data)


def decode_payload(payload: Any, grade_id: str) -> tuple[dict[str, Any], Mapping[str, Any]]:
    """``(names, probes)`` of one stub's output: the names decoded, the probes' results
    checked to be a mapping (they are decoded afresh on every replayed call).

    A value that fails to decode becomes :class:`Unexportable`, so one bad
    value fails only the tests that use it.
    """
    if not isinstance(payload, Mapping) or payload.get("grade_id") != grade_id:
        raise ExportError("the test's values did not arrive")
    names, probes = payload.get("names"), payload.get("probes")
    if not isinstance(names, Mapping) or not isinstance(probes, Mapping):
        raise ExportError("the test's values did not arrive")
    decoded = {}
    for name, value in names.items():
        try:
            decoded[str(name)] = decode(value)
        except (ExportError, ValueError, TypeError, OverflowError):
            decoded[str(name)] = Unexportable("a value the grader could not read")
    return decoded, probes
