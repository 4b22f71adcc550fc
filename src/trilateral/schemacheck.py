"""JSON Schema validators for the course's own files, cheap to import in a kernel.

Question banks and the simulation rules are checked with ``jsonschema`` when a
notebook loads them. ``import jsonschema`` also imports every optional
format checker that is installed (Jupyter's own ``jsonschema[format-nongpl]``
pulls them in): one, ``rfc3987_syntax``, builds a grammar at import time that
costs seconds of CPU, and the others (``isoduration`` with ``arrow``,
``rfc3986_validator``, ...) add about a tenth of a second more. The course's
schemas use no ``format`` keyword, so this module imports ``jsonschema`` with
those optional packages held back, which keeps a student's first cell fast
and every notebook in grading cheaper. Anything that imported ``jsonschema`` earlier in the same
process keeps what it had; the package stays importable afterwards.
"""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["import_jsonschema", "validator"]

# Optional format checkers that jsonschema imports eagerly and the course never uses.
_HELD_BACK = (
    "rfc3987_syntax",
    "rfc3987",
    "rfc3986_validator",
    "rfc3339_validator",
    "isoduration",
    "idna",
    "fqdn",
    "webcolors",
    "jsonpointer",
    "uri_template",
)


def import_jsonschema():
    """Import ``jsonschema`` (once) without its slow optional format checker.

    Call it before importing a library that imports ``jsonschema`` itself
    (nbformat, nbgrader) to give that library the fast import too.
    """
    if "jsonschema" in sys.modules:
        return sys.modules["jsonschema"]
    held = [name for name in _HELD_BACK if name not in sys.modules]
    for name in held:
        sys.modules[name] = None  # type: ignore[assignment]  # makes `import name` fail
    try:
        import jsonschema
    finally:
        for name in held:
            if sys.modules.get(name, 0) is None:
                del sys.modules[name]
    return jsonschema


# Schemas already checked against the draft 2020-12 meta-schema, by id (the
# values keep each schema alive, so an id is never reused while it is here).
_CHECKED: dict[int, dict[str, Any]] = {}


def validator(schema: dict[str, Any], *, check_schema: bool = True):
    """A draft 2020-12 validator for ``schema`` (a ``jsonschema`` validator object).

    The schema itself is checked against the meta-schema, as
    ``jsonschema.validate`` does, once per schema object: a broken schema
    raises ``jsonschema.SchemaError``. The course's own schemas, which ship
    with the package and are checked by its tests, pass
    ``check_schema=False``: the check takes a tenth of a second, in every
    kernel that loads a question bank.
    """
    if not isinstance(schema, dict):
        raise ValueError(f"a JSON Schema must be a mapping, not {type(schema).__name__}")
    cls = import_jsonschema().Draft202012Validator
    if check_schema and id(schema) not in _CHECKED:
        cls.check_schema(schema)
        _CHECKED[id(schema)] = schema
    return cls(schema)
