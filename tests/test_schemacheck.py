"""``trilateral.schemacheck`` imports jsonschema without its unused format checkers.

Run in a fresh interpreter: the test process has long imported jsonschema.
"""

from __future__ import annotations

import json
import subprocess
import sys

PROBE = """
import json, sys
from trilateral import schemacheck
schemacheck.import_jsonschema()
loaded = [m for m in schemacheck._HELD_BACK if m in sys.modules]
ok = schemacheck.validator({"type": "object", "required": ["a"]}).is_valid({"a": 1})
import importlib.util
importable = [m for m in schemacheck._HELD_BACK if importlib.util.find_spec(m) is not None]
back = []
for m in importable:
    if m != "rfc3987_syntax":  # builds a grammar for seconds when imported
        __import__(m)
        back.append(m)
print(json.dumps({"loaded": loaded, "ok": ok, "importable": importable, "back": back}))
"""


def test_held_back_packages_are_not_loaded_but_stay_importable() -> None:
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                          check=True)
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["loaded"] == []
    assert report["ok"] is True
    assert report["back"] == [m for m in report["importable"] if m != "rfc3987_syntax"]
    assert report["back"]
    # The packages jsonschema[format-nongpl] installs are really there to hold back.
    assert "rfc3987_syntax" in report["importable"]



def test_the_course_schemas_are_valid_draft_2020_12() -> None:
    """The packaged schemas skip the meta-schema check at run time; it is done here."""
    import jsonschema

    from trilateral import questions, simulation

    for schema in (questions.schema(), simulation.schema()):
        jsonschema.Draft202012Validator.check_schema(schema)
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_check_schema_false_skips_only_the_meta_schema_check() -> None:
    from trilateral.schemacheck import validator

    validator({"type": "object", "required": "a"}, check_schema=False)  # no SchemaError
    strict = validator({"type": "object", "required": ["a"]}, check_schema=False)
    assert not strict.is_valid({})
    assert strict.is_valid({"a": 1})
