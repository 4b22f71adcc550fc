"""``trilateral.gcfreeze`` keeps the collector off import-time objects, and only those.

Run in fresh interpreters: the test process has imported everything long ago.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BANK = next((Path(__file__).resolve().parents[1] / "notebooks").glob("*/questions.yaml"))

PROBE = """
import gc, json, sys
from trilateral import data, gcfreeze
before = gc.get_freeze_count()
data.load("visitors")             # imports pandas, then freezes
after_load = gc.get_freeze_count()
again = gcfreeze.after_imports()  # nothing imported since: no freeze
class Node:
    pass
import weakref
a, b = Node(), Node()
a.other, b.other = b, a           # a cycle made after the freeze
probe = weakref.ref(a)
del a, b
gc.collect()
print(json.dumps({"before": before, "after_load": after_load, "again": again,
                  "cycle_collected": probe() is None,
                  "pandas": "pandas" in sys.modules}))
"""


def _run(code: str) -> dict:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_loading_data_freezes_what_the_imports_left() -> None:
    report = _run(PROBE)
    assert report["pandas"] is True
    assert report["before"] == 0
    # pandas alone leaves tens of thousands of objects behind.
    assert report["after_load"] > 20_000
    assert report["again"] is False


def test_objects_made_after_a_freeze_are_still_collected() -> None:
    assert _run(PROBE)["cycle_collected"] is True


def test_style_and_question_banks_freeze_too() -> None:
    code = """
import gc, json
from trilateral import plots, questions
plots.style()
styled = gc.get_freeze_count()
questions.load_bank(BANK)
print(json.dumps({"styled": styled, "banked": gc.get_freeze_count()}))
"""
    report = _run(f"BANK = {str(BANK)!r}\n" + code)
    assert report["styled"] > 20_000  # matplotlib's objects
    assert report["banked"] > report["styled"]  # then yaml's and jsonschema's
