"""The convenor simulation engine: exact effects, determinism, bounds, clear errors."""

from __future__ import annotations

import copy
import csv
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trilateral import simulation as sim

from conftest import ROOT

RULES = sim.load_rules()
MOVES = sorted(RULES.moves)
REAL_MOVES = [m for m in MOVES if m != "do_nothing"]


def quiet_rules(**overrides) -> sim.Rules:
    """The course rules with one inert event card and no dynamics, for exact arithmetic."""
    raw = copy.deepcopy(RULES.raw)
    raw["events"] = {
        "quiet": {
            "label": "A quiet quarter",
            "weight": 1,
            "effects": {},
            "because": "Nothing happens in this test deck.",
            "precedent": "Test card, no precedent.",
            "source": {"publisher": "test", "title": "test", "url": "https://example.org"},
        }
    }
    raw["dynamics"] = []
    raw.update(overrides)
    return sim.parse_rules(raw, "test rules")


# --------------------------------------------------------------------- the rules file


def test_rules_file_validates_and_cites() -> None:
    assert RULES.rounds == 15
    assert set(RULES.legs()) == {"us_japan", "us_rok", "japan_rok"}
    for key, move in RULES.moves.items():
        assert "(" in move["because"], f"move {key} should name the essay section it encodes"
    for key, card in RULES.events.items():
        assert card["source"]["url"].startswith("http"), key
        assert re.search(r"\b(19|20)\d\d\b", card["precedent"]), f"event {key}: date the precedent"


def test_precedent_events_exist_in_the_events_dataset() -> None:
    with open(ROOT / "data" / "events.csv", encoding="utf-8") as handle:
        ids = {row["event_id"] for row in csv.DictReader(handle)}
    cited = [
        item.get("precedent_event") for item in [*RULES.moves.values(), *RULES.events.values()]
    ]
    missing = {c for c in cited if c and c not in ids}
    assert not missing, f"precedent_event ids not in events.csv: {missing}"


def test_schema_rejects_bad_rules() -> None:
    raw = copy.deepcopy(RULES.raw)
    raw["moves"]["do_nothing"]["effects"]["japan_rok"] = "a lot"
    with pytest.raises(ValueError, match="moves/do_nothing/effects/japan_rok"):
        sim.parse_rules(raw)
    raw = copy.deepcopy(RULES.raw)
    raw["moves"]["do_nothing"]["effects"] = {"morale": 3}
    with pytest.raises(ValueError, match="unknown variable"):
        sim.parse_rules(raw)


def test_missing_rules_file_is_a_clear_error(tmp_path) -> None:
    with pytest.raises(ValueError, match="missing"):
        sim.load_rules(tmp_path / "nope.yaml")


# --------------------------------------------------------------------- effects


def test_single_move_applies_its_effects_exactly() -> None:
    rules = quiet_rules()
    game = sim.Game(seed=0, rules=rules)
    start = rules.start_state()
    report = game.play(["host_trilateral_meeting"])
    expected = dict(start)
    for k, v in rules.moves["host_trilateral_meeting"]["effects"].items():
        expected[k] += v
    assert game.state == expected
    assert report.before == start and report.after == expected
    assert report.event == "quiet"


def test_two_moves_add_up_and_modifier_applies_when_condition_holds() -> None:
    rules = quiet_rules()
    rules.raw["variables"]["nk_threat"]["start"] = 60  # modifier threshold
    game = sim.Game(seed=0, rules=rules)
    game.play(["intelligence_sharing_trilateral", "cooperate_cyber"])
    # japan_rok: 20 + 2 (move) + 2 (modifier, threat 60 >= 60) + 1 (cyber)
    assert game.state["japan_rok"] == 25
    assert game.state["us_japan"] == 65 + 1 + 2
    sources = [c.source for c in game.history[0].changes]
    assert "move:intelligence_sharing_trilateral+modifier" in sources


def test_modifier_skipped_when_condition_fails() -> None:
    game = sim.Game(seed=0, rules=quiet_rules())
    game.play(["intelligence_sharing_trilateral"])
    assert game.state["japan_rok"] == 22
    assert all("+modifier" not in c.source for c in game.history[0].changes)


def test_dynamics_apply_after_moves_and_event() -> None:
    game = sim.Game(seed=0)
    start = RULES.start_state()
    report = game.play(["do_nothing"])
    kinds = [c.source.split(":")[0] for c in report.changes]
    assert kinds == sorted(kinds, key=["move", "event", "dynamic"].index)
    assert any(c.source == "dynamic:north_korea_builds" for c in report.changes)
    assert report.before == start
    assert sum(c.applied for c in report.changes if c.variable == "nk_threat") == (
        report.after["nk_threat"] - start["nk_threat"]
    )


def test_net_change_equals_sum_of_applied_changes() -> None:
    game = sim.play([["host_trilateral_meeting", "cooperate_health"]] * 5, seed=11)
    for report in game.history:
        for var, net in report.net().items():
            assert net == sum(c.applied for c in report.changes if c.variable == var)


def test_clamping_is_recorded() -> None:
    rules = quiet_rules()
    rules.raw["variables"]["japan_rok"]["start"] = 99
    game = sim.Game(seed=0, rules=rules)
    report = game.play(["host_trilateral_meeting"])
    assert game.state["japan_rok"] == 100
    change = next(c for c in report.changes if c.variable == "japan_rok")
    assert change.requested == 3 and change.applied == 1 and change.clamped
    assert "0-100 scale" in report.explain(rules)


def test_explanation_cites_every_rule_used() -> None:
    game = sim.play([["mediate_history_openly"]], seed=5)
    text = game.history[0].explain(RULES)
    assert RULES.moves["mediate_history_openly"]["because"] in text
    assert RULES.events[game.history[0].event]["precedent"] in text


# --------------------------------------------------------------------- determinism


def test_same_seed_same_game() -> None:
    moves = [["host_trilateral_meeting"], ["engage_beijing_nk", "cooperate_cyber"], "do_nothing"]
    a, b = sim.play(moves, seed=42), sim.play(moves, seed=42)
    assert a.state == b.state
    assert [r.event for r in a.history] == [r.event for r in b.history]


def test_event_sequence_does_not_depend_on_moves() -> None:
    a = sim.play([["do_nothing"]] * 15, seed=8)
    b = sim.play([["host_trilateral_meeting", "cooperate_cyber"]] * 15, seed=8)
    assert [r.event for r in a.history] == [r.event for r in b.history]


def test_different_seeds_usually_differ() -> None:
    seqs = {
        tuple(r.event for r in sim.play([["do_nothing"]] * 15, seed=s).history) for s in range(5)
    }
    assert len(seqs) > 1


def test_round_labels() -> None:
    assert sim.round_labels("2021 Q2", 4) == ["2021 Q2", "2021 Q3", "2021 Q4", "2022 Q1"]
    game = sim.play([["do_nothing"]] * 15, seed=0)
    assert game.history[-1].label == "2024 Q4"
    assert game.finished


# --------------------------------------------------------------------- invalid moves


@pytest.mark.parametrize(
    ("moves", "message"),
    [
        ([], "at least one move"),
        (["launch_satellite"], "not on the menu"),
        (["cooperate_cyber", "cooperate_cyber"], "once per round"),
        (["do_nothing", "cooperate_cyber"], "cannot be combined"),
        (["cooperate_cyber", "cooperate_health", "host_trilateral_meeting"], "at most 2"),
        (7, "list of move ids"),
        ([None], "not on the menu"),
    ],
)
def test_invalid_moves_rejected_clearly(moves, message: str) -> None:
    game = sim.Game(seed=0)
    with pytest.raises(ValueError, match=message):
        game.play(moves)
    assert game.state == RULES.start_state(), "a rejected move must not change the state"
    assert not game.history


def test_single_string_move_is_accepted() -> None:
    assert sim.validate_moves("do_nothing", RULES) == ["do_nothing"]


def test_no_round_after_the_last() -> None:
    game = sim.play([["do_nothing"]] * RULES.rounds, seed=1)
    with pytest.raises(ValueError, match="game is over"):
        game.play(["do_nothing"])


def test_bad_seed_rejected() -> None:
    with pytest.raises(ValueError, match="seed"):
        sim.Game(seed="abc")  # type: ignore[arg-type]


# --------------------------------------------------------------------- outputs


def test_frame_and_summary() -> None:
    game = sim.play([["host_trilateral_meeting"], ["cooperate_health"]], seed=2)
    frame = game.frame()
    assert list(frame["round"]) == [0, 1, 2]
    assert frame.iloc[-1]["japan_rok"] == game.state["japan_rok"]
    summary = game.summary()
    assert summary["moves"] == {"host_trilateral_meeting": 1, "cooperate_health": 1}
    assert len(summary["events"]) == 2


def test_widget_plays_and_reports_errors() -> None:
    box = sim.widget(seed=3)
    box.first.value, box.second.value = "cooperate_cyber", "cooperate_cyber"
    box.play_button.click()
    assert "Not played" in box.report.value
    box.second.value = ""
    box.play_button.click()
    assert "Round 1" in box.report.value
    assert len(box.game().history) == 1
    box.new_button.click()
    assert not box.game().history


# --------------------------------------------------------------------- properties

valid_round = st.one_of(
    st.just(["do_nothing"]),
    st.lists(st.sampled_from(REAL_MOVES), min_size=1, max_size=2, unique=True),
)


@settings(max_examples=200, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**32), rounds=st.lists(valid_round, max_size=15))
def test_any_valid_sequence_keeps_state_valid(seed: int, rounds: list[list[str]]) -> None:
    game = sim.play(rounds, seed=seed)
    assert set(game.state) == set(RULES.variables)
    for report in game.history:
        for value in report.after.values():
            assert isinstance(value, int)
            assert sim.LOWER <= value <= sim.UPPER
        for change in report.changes:
            assert abs(change.applied) <= abs(change.requested)
    assert len(game.history) == len(rounds)


@settings(max_examples=100, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**32), rounds=st.lists(valid_round, max_size=15))
def test_replay_is_deterministic(seed: int, rounds: list[list[str]]) -> None:
    assert sim.play(rounds, seed=seed).state == sim.play(rounds, seed=seed).state
