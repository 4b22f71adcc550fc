"""The clean room's pieces, without kernels: the value format, test plans, verdicts.

``exports.decode`` is the security boundary between a student's kernel and
the tests, so it is checked on forged and malformed input as well as on the
values the course's exercises produce. :func:`cleanroom.judge` runs in this
process here (the grader forks it from a warm server).
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from trilateral import data
from trilateral.grading import cleanroom, exports, testcells


def roundtrip(value):
    return exports.decode(json.loads(json.dumps(exports.encode(value))))


@pytest.mark.parametrize("value", [
    None, True, 0, -7, 2**70, 1.5, "日本語", [1, [2, "x"]], (1, 2), {3, 4}, frozenset({"a"}),
    {"a": 1, 2: [3]}, {(1, 2): None},
], ids=repr)
def test_plain_values_cross_unchanged(value) -> None:
    back = roundtrip(value)
    assert back == value and type(back) is type(value)


def test_special_floats_and_numpy_scalars() -> None:
    assert math.isnan(roundtrip(math.nan)) and roundtrip(-math.inf) == -math.inf
    for value in (np.int64(3), np.float64(2.5), np.bool_(True), np.int32(-1)):
        back = roundtrip(value)
        assert back == value and type(back) is type(value)
    back = roundtrip(np.array([1.5, 2.0]))
    assert back.dtype == np.float64 and back.tolist() == [1.5, 2.0]


@pytest.mark.parametrize("name", data.resource_names())
def test_every_course_table_crosses_unchanged(name: str) -> None:
    frame = data.load(name)
    back = roundtrip(frame)
    pd.testing.assert_frame_equal(back, frame)
    series = frame.iloc[:, 0].value_counts()
    pd.testing.assert_series_equal(roundtrip(series), series)


def test_pandas_shapes_the_exercises_produce() -> None:
    events = data.load("events")
    per_category = events.groupby("category").size().sort_values(ascending=False)
    pd.testing.assert_series_equal(roundtrip(per_category), per_category)
    wide = data.load("defense_spending").pivot(index="year", columns="country_code",
                                               values="milex_usd_bn")
    pd.testing.assert_frame_equal(roundtrip(wide), wide)
    stamp = pd.Timestamp("2021-03-18")
    assert roundtrip(stamp) == stamp and roundtrip(pd.NaT) is pd.NaT
    assert roundtrip(pd.NA) is pd.NA


class _AlwaysEqualInt(int):
    def __eq__(self, other):
        return True

    __hash__ = int.__hash__


class _Proxy:
    def __eq__(self, other):
        return True


class _Frame(pd.DataFrame):
    pass


@pytest.mark.parametrize("forged", [_AlwaysEqualInt(3), _Proxy(), _Frame({"a": [1]}),
                                    [1, _Proxy()], {"k": _AlwaysEqualInt(1)}],
                         ids=["int-subclass", "proxy", "frame-subclass", "in-list", "in-dict"])
def test_no_subclass_or_proxy_survives(forged) -> None:
    encoded = exports.encode(forged)
    assert "x" in json.dumps(encoded)  # sent as "not gradable", never as the value
    back = exports.decode(json.loads(json.dumps(encoded)))
    target = back if isinstance(back, exports.Unexportable) else next(
        v for v in (back if isinstance(back, list) else back.values())
        if isinstance(v, exports.Unexportable))
    with pytest.raises(TypeError, match="cannot check"):
        _ = target == 3


@pytest.mark.parametrize("payload", [
    {"t": "eval", "v": "__import__('os')"}, {"t": "__class__"}, {"no": "tag"}, {"t": 3},
    {"t": "dict", "v": [[1]]}, {"t": "np", "d": "O", "v": 1}, {"t": "np", "d": "<i8", "v": "1"},
    {"t": "series", "index": {"t": "range", "v": [0, 2, 1]}, "col": {"d": "int64", "v": [1]}},
    {"t": "frame", "index": {"t": "range", "v": [0, 1, 1]}, "columns": {"t": "range",
     "v": [0, 1, 1]}, "cols": [{"d": "object; import os", "v": [1]}]},
    {"t": "module", "v": "os"},
])
def test_malformed_or_hostile_payloads_never_become_values(payload) -> None:
    try:
        back = exports.decode(payload)
    except exports.ExportError:
        return
    assert isinstance(back, exports.Unexportable), back


def test_depth_and_size_are_bounded() -> None:
    deep: list = []
    for _ in range(200):
        deep = [deep]
    with pytest.raises(exports.ExportError):
        exports.decode(deep)
    with pytest.raises(exports.ExportError):
        exports.encode(deep)


def test_plan_finds_names_and_probes() -> None:
    source = ('import pandas as pd\n'
              'assert days_between("2019-08-22", "2019-11-22") == 92\n'
              'assert isinstance(per_category, pd.Series)\n'
              '### BEGIN HIDDEN TESTS\n'
              '# probe: events_between(data.load("events"), "2021-03-18", "2021-03-18")\n'
              '_ev = data.load("events")\n'
              'assert len(events_between(_ev, "2021-03-18", "2021-03-18")) == 1\n'
              '### END HIDDEN TESTS')
    cell = testcells.plan("t", source)
    assert set(cell.names) == {"days_between", "per_category", "data", "events_between"}
    assert "isinstance" not in cell.names and "pd" not in cell.names  # builtins, own imports
    assert cell.probes == ("days_between('2019-08-22', '2019-11-22')",
                           "events_between(data.load('events'), '2021-03-18', '2021-03-18')")
    assert testcells.strip_hidden(source).endswith(testcells.HIDDEN_NOTE)
    assert testcells.hidden_lines(source) == {4, 5, 6, 7, 8}


@pytest.fixture(autouse=True)
def _grading_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """``judge`` runs in a forked child when grading; here it must not leak its variable."""
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")


def _judge(source: str, namespace: dict, grade_id: str = "t") -> cleanroom.Verdict:
    """What the clean room makes of ``source`` when the kernel held ``namespace``."""
    import IPython.display

    cell = testcells.plan(grade_id, source)
    shown: dict = {}
    original = IPython.display.display
    IPython.display.display = lambda bundle, raw: shown.update(bundle)
    try:
        exec(exports.stub_source(grade_id, list(cell.names), list(cell.probes)), namespace)
    finally:
        IPython.display.display = original
    request = {"tests": [{"grade_id": grade_id, "source": source, "names": list(cell.names),
                          "probes": list(cell.probes), "payload": shown[exports.MIME]}]}
    (verdict,) = cleanroom.judge(request)
    return verdict


TEST = ('assert double(2) == 4, "double(2) should be 4"\n'
        '### BEGIN HIDDEN TESTS\n'
        'assert double(-21) == -42\n'
        'try:\n'
        '    double("x")\n'
        'except TypeError:\n'
        '    pass\n'
        'else:\n'
        '    raise AssertionError("a string should raise TypeError")\n'
        '# probe: double("x")\n'
        '### END HIDDEN TESTS')


def _double_ok(x):
    if not isinstance(x, int):
        raise TypeError("numbers only")
    return 2 * x


def test_verdicts_pass_visible_and_hidden(monkeypatch, tmp_path) -> None:
    monkeypatch.chdir(tmp_path)
    assert _judge(TEST, {"double": _double_ok}).passed
    visible = _judge(TEST, {"double": lambda x: x})
    assert (visible.where, visible.message) == ("visible", "double(2) should be 4")
    hidden = _judge(TEST, {"double": lambda x: 4 if x == 2 else 0})
    assert hidden.where == "hidden" and hidden.message == ""
    assert cleanroom.verdict_output(hidden)[0]["evalue"] == cleanroom.HIDDEN_FAILED
    assert "-21" not in json.dumps(cleanroom.verdict_output(hidden))
    missing = _judge(TEST, {})
    assert missing.where == "visible" and "not defined" in missing.message


def test_a_replayed_function_answers_only_probed_calls(monkeypatch, tmp_path) -> None:
    monkeypatch.chdir(tmp_path)
    source = "assert double(2) == 4\n_x = 5\nassert double(_x) == 10"
    verdict = _judge(source, {"double": _double_ok})
    assert not verdict.passed and "no result of double()" in verdict.message


def test_forged_kernel_output_cannot_pass(monkeypatch, tmp_path) -> None:
    """Whatever the kernel claims, the clean room judges the values it rebuilt."""
    monkeypatch.chdir(tmp_path)
    source = "assert total == 45"
    forged = {"grade_id": "t", "names": {"total": {"t": "x", "v": "an int subclass"}},
              "probes": {}, "passed": True}
    request = {"tests": [{"grade_id": "t", "source": source, "names": ["total"], "probes": [],
                          "payload": forged}]}
    (verdict,) = cleanroom.judge(request)
    assert not verdict.passed
    wrong_id = dict(forged, grade_id="other")
    request["tests"][0]["payload"] = wrong_id
    (verdict,) = cleanroom.judge(request)
    assert verdict.where == "values"
    request["tests"][0]["payload"] = None
    (verdict,) = cleanroom.judge(request)
    assert verdict.where == "values" and "no values" in verdict.message
