"""The convenor simulation: play the U.S. official who convenes Tokyo and Seoul.

The rules live in ``data/simulation_rules.yaml`` (checked against
``schemas/simulation_rules.schema.json``); this module only applies them.
A game runs over quarterly rounds. In each round the learner picks one or two
moves, then an event card is drawn, then the per-round dynamics apply:

1. each move's effects, in the order the moves were given, then any of the
   move's modifiers whose condition holds at that moment;
2. the event card's effects (and its modifiers);
3. every dynamic rule whose condition holds, in file order.

Every change is clamped to the variable's bounds (0 to 100) as soon as it is
applied, and each one is recorded with the reason the rules give for it, so a
round report can explain exactly what happened and why.

The event deck is drawn from a :class:`random.Random` seeded once per game,
one draw per round whatever the moves. Two games with the same seed therefore
meet the same events in the same order, so a class can compare the effect of
different strategies against the same history.

The model is a teaching device: every number in the rules is an assumption
chosen to make the essay's reasoning playable, not a measurement.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # loaded on use
    import ipywidgets
    import pandas as pd
    from matplotlib.figure import Figure

__all__ = [
    "LOWER",
    "UPPER",
    "Change",
    "Game",
    "RoundReport",
    "Rules",
    "apply_effects",
    "load_rules",
    "play",
    "round_labels",
    "rules_path",
    "schema",
    "validate_moves",
    "widget",
]

LOWER, UPPER = 0, 100
RULES_FILE = "simulation_rules.yaml"
SCHEMA_FILE = Path(__file__).resolve().parent / "schemas" / "simulation_rules.schema.json"


# --------------------------------------------------------------------------- rules


@dataclass(frozen=True)
class Rules:
    """The parsed, validated rules file."""

    raw: dict[str, Any]

    @property
    def variables(self) -> dict[str, dict[str, Any]]:
        """State variables with label, group, start value and the reason for it."""
        return self.raw["variables"]

    @property
    def moves(self) -> dict[str, dict[str, Any]]:
        """The move menu, by move id."""
        return self.raw["moves"]

    @property
    def events(self) -> dict[str, dict[str, Any]]:
        """The event deck, by card id."""
        return self.raw["events"]

    @property
    def dynamics(self) -> list[dict[str, Any]]:
        """Rules applied at the end of every round, in order."""
        return self.raw["dynamics"]

    @property
    def rounds(self) -> int:
        """Number of rounds in a full game."""
        return int(self.raw["rounds"])

    @property
    def max_moves(self) -> int:
        """How many moves a round allows."""
        return int(self.raw["max_moves_per_round"])

    def start_state(self) -> dict[str, int]:
        """The state at the start of a game."""
        return {name: int(v["start"]) for name, v in self.variables.items()}

    def legs(self) -> list[str]:
        """Variables of the group ``leg`` (the three sides of the triangle)."""
        return [n for n, v in self.variables.items() if v["group"] == "leg"]


def schema() -> dict[str, Any]:
    """The JSON Schema the rules file must satisfy."""
    return json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))


def rules_path() -> Path:
    """Where the course's rules file lives (beside the data package)."""
    from . import data

    return data.data_dir() / RULES_FILE


def _check_names(rules: dict[str, Any], where: str) -> None:
    """Cross-checks JSON Schema cannot express: effects name known variables."""
    known = set(rules["variables"])

    def check(effects: Mapping[str, Any], ctx: str) -> None:
        unknown = set(effects) - known
        if unknown:
            raise ValueError(f"{where}: {ctx} changes unknown variable(s) {sorted(unknown)}")

    for kind in ("moves", "events"):
        for key, item in rules[kind].items():
            check(item["effects"], f"{kind[:-1]} {key!r}")
            for mod in item.get("modifiers", []):
                check(mod["effects"], f"a modifier of {kind[:-1]} {key!r}")
                check(mod["when"], f"a modifier condition of {kind[:-1]} {key!r}")
    for dyn in rules["dynamics"]:
        check(dyn["effects"], f"dynamic {dyn['id']!r}")
        for cond in ("when", "when_any"):
            check(dyn.get(cond, {}), f"the condition of dynamic {dyn['id']!r}")
    if "do_nothing" in rules["moves"] and len(rules["moves"]) < 2:
        raise ValueError(f"{where}: the menu needs at least one move besides do_nothing")


def parse_rules(raw: Any, where: str = "<rules>") -> Rules:
    """Validate a rules mapping against the schema and return :class:`Rules`."""
    from .schemacheck import validator

    errors = list(validator(schema(), check_schema=False).iter_errors(raw))  # tests check it
    if errors:
        from jsonschema.exceptions import best_match  # loaded by validator() above

        exc = best_match(errors)  # the error jsonschema.validate would raise
        path = "/".join(str(p) for p in exc.absolute_path) or "(top level)"
        raise ValueError(f"{where}: {path}: {exc.message}")
    _check_names(raw, where)
    return Rules(raw)


@lru_cache(maxsize=4)
def _load_cached(path: str, mtime: float) -> Rules:
    import yaml

    text = Path(path).read_text(encoding="utf-8")
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValueError(f"{path}: not valid YAML ({exc})") from None
    return parse_rules(raw, path)


def load_rules(path: str | Path | None = None) -> Rules:
    """Read and validate the rules file (the course's own when ``path`` is None)."""
    target = Path(path) if path is not None else rules_path()
    try:
        mtime = target.stat().st_mtime
    except FileNotFoundError:
        raise ValueError(f"{target}: the simulation rules file is missing") from None
    return _load_cached(str(target.resolve()), mtime)


# --------------------------------------------------------------------------- engine


@dataclass(frozen=True)
class Change:
    """One change to one variable, with the rule that caused it."""

    variable: str
    requested: int
    applied: int
    source: str  # "move:<id>", "event:<id>", "dynamic:<id>", with "+modifier" when so
    because: str

    @property
    def clamped(self) -> bool:
        """True when the bounds cut the change short."""
        return self.applied != self.requested


def _holds(state: Mapping[str, int], condition: Mapping[str, Mapping[str, int]]) -> list[bool]:
    out = []
    for name, bound in condition.items():
        value = state[name]
        ok = True
        if "min" in bound and value < bound["min"]:
            ok = False
        if "max" in bound and value > bound["max"]:
            ok = False
        out.append(ok)
    return out


def apply_effects(
    state: dict[str, int], effects: Mapping[str, int], source: str, because: str
) -> list[Change]:
    """Add ``effects`` to ``state`` in place, clamped to [0, 100]; return the changes."""
    changes = []
    for name, delta in effects.items():
        if name not in state:
            raise ValueError(f"{source}: unknown state variable {name!r}")
        before = state[name]
        after = min(UPPER, max(LOWER, before + int(delta)))
        state[name] = after
        changes.append(Change(name, int(delta), after - before, source, because))
    return changes


def _apply_item(
    state: dict[str, int], kind: str, key: str, item: Mapping[str, Any]
) -> list[Change]:
    changes = apply_effects(state, item["effects"], f"{kind}:{key}", item["because"])
    for mod in item.get("modifiers", []):
        if all(_holds(state, mod["when"])):
            changes += apply_effects(
                state, mod["effects"], f"{kind}:{key}+modifier", mod["because"]
            )
    return changes


def validate_moves(moves: Any, rules: Rules) -> list[str]:
    """Return ``moves`` as a list of move ids, or raise :class:`ValueError` saying why not.

    A round takes one move or up to ``max_moves_per_round`` different moves;
    ``do_nothing`` stands alone.
    """
    if isinstance(moves, str):
        moves = [moves]
    try:
        picked = list(moves)
    except TypeError:
        raise ValueError(f"moves must be a list of move ids, not {moves!r}") from None
    if not picked:
        raise ValueError("pick at least one move (or 'do_nothing')")
    menu = ", ".join(rules.moves)
    for m in picked:
        if not isinstance(m, str) or m not in rules.moves:
            raise ValueError(f"{m!r} is not on the menu; choose from: {menu}")
    if len(picked) > rules.max_moves:
        raise ValueError(f"at most {rules.max_moves} moves per round; you gave {len(picked)}")
    if len(set(picked)) != len(picked):
        raise ValueError(f"a move can be played once per round; {picked} repeats one")
    if "do_nothing" in picked and len(picked) > 1:
        raise ValueError("'do_nothing' cannot be combined with another move")
    return picked


def round_labels(start: str, n: int) -> list[str]:
    """Quarter labels from ``start`` ("2021 Q2") for ``n`` rounds."""
    year, q = int(start[:4]), int(start[-1])
    out = []
    for _ in range(n):
        out.append(f"{year} Q{q}")
        q += 1
        if q == 5:
            year, q = year + 1, 1
    return out


@dataclass
class RoundReport:
    """What happened in one round, and why."""

    number: int
    label: str
    moves: list[str]
    event: str
    before: dict[str, int]
    after: dict[str, int]
    changes: list[Change] = field(default_factory=list)

    def net(self) -> dict[str, int]:
        """Net change of each variable over the round."""
        return {k: self.after[k] - self.before[k] for k in self.after}

    def explain(self, rules: Rules) -> str:
        """The round report as plain text: every change with its reason."""
        lines = [
            f"Round {self.number} ({self.label}). "
            f"Moves: {', '.join(rules.moves[m]['label'] for m in self.moves)}. "
            f"Event: {rules.events[self.event]['label']}."
        ]
        groups: list[tuple[str, str, list[Change]]] = []
        for ch in self.changes:
            if groups and groups[-1][0] == ch.source and groups[-1][1] == ch.because:
                groups[-1][2].append(ch)
            else:
                groups.append((ch.source, ch.because, [ch]))
        for source, because, chs in groups:
            kind, _, key = source.partition(":")
            modifier = key.endswith("+modifier")
            key = key.removesuffix("+modifier")
            table = {"move": rules.moves, "event": rules.events}
            item = table[kind].get(key, {}) if kind in table else {}
            if kind == "dynamic":
                item = next((d for d in rules.dynamics if d["id"] == key), {})
            who = item.get("label", key.replace("_", " ").capitalize())
            if modifier:
                who += " (condition met)"
            parts = []
            for ch in chs:
                part = f"{rules.variables[ch.variable]['label']} {ch.applied:+d}"
                if ch.clamped:
                    part += f" (the rule asked {ch.requested:+d}; the 0-100 scale stopped it)"
                parts.append(part)
            lines.append(f"- {who}: {'; '.join(parts)}. Why: {because}")
        ev = rules.events[self.event]
        lines.append(f"Event precedent: {ev['precedent']} Source: {ev['source']['publisher']}.")
        return "\n".join(lines)


class Game:
    """A game in progress: its state, the rounds played, the seeded deck."""

    def __init__(self, seed: int = 0, rules: Rules | None = None) -> None:
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise ValueError(f"seed must be an integer, not {seed!r}")
        self.rules = rules if rules is not None else load_rules()
        self.seed = seed
        self._rng = random.Random(seed)
        self.state = self.rules.start_state()
        self.history: list[RoundReport] = []
        self.labels = round_labels(self.rules.raw["start_label"], self.rules.rounds)

    @property
    def finished(self) -> bool:
        """True once every round has been played."""
        return len(self.history) >= self.rules.rounds

    def _draw(self) -> str:
        cards = list(self.rules.events)
        weights = [self.rules.events[c]["weight"] for c in cards]
        return self._rng.choices(cards, weights=weights, k=1)[0]

    def play(self, moves: Sequence[str] | str) -> RoundReport:
        """Play one round with ``moves``; raise :class:`ValueError` if they are invalid."""
        if self.finished:
            raise ValueError(f"the game is over after {self.rules.rounds} rounds; start a new one")
        picked = validate_moves(moves, self.rules)
        before = dict(self.state)
        changes: list[Change] = []
        for m in picked:
            changes += _apply_item(self.state, "move", m, self.rules.moves[m])
        card = self._draw()
        changes += _apply_item(self.state, "event", card, self.rules.events[card])
        for dyn in self.rules.dynamics:
            ok = True
            if "when" in dyn:
                ok = all(_holds(self.state, dyn["when"]))
            if ok and "when_any" in dyn:
                ok = any(_holds(self.state, dyn["when_any"]))
            if ok:
                changes += apply_effects(
                    self.state, dyn["effects"], f"dynamic:{dyn['id']}", dyn["because"]
                )
        n = len(self.history) + 1
        report = RoundReport(n, self.labels[n - 1], picked, card, before, dict(self.state), changes)
        self.history.append(report)
        return report

    def frame(self) -> pd.DataFrame:
        """One row per point in time (start, then after each round), one column per variable."""
        import pandas as pd

        rows = [{"round": 0, "quarter": "start", **self.rules.start_state()}]
        for r in self.history:
            rows.append({"round": r.number, "quarter": r.label, **r.after})
        return pd.DataFrame(rows)

    def plot_legs(self, title: str = "The three legs of the triangle, round by round") -> Figure:
        """Chart the three legs over the rounds played (course style, with a source line)."""
        import matplotlib.pyplot as plt

        from . import plots

        plots.style()
        frame = self.frame()
        fig, ax = plt.subplots(figsize=(9, 4.6))
        styles = ["-", "--", ":"]
        colours = [
            plots.OKABE_ITO["blue"],
            plots.OKABE_ITO["vermillion"],
            plots.OKABE_ITO["bluish green"],
        ]
        markers = ["o", "s", "^"]
        for i, leg in enumerate(self.rules.legs()):
            ax.plot(
                frame["round"],
                frame[leg],
                linestyle=styles[i % 3],
                marker=markers[i % 3],
                color=colours[i % 3],
                label=self.rules.variables[leg]["label"],
            )
        ax.set_ylim(LOWER, UPPER)
        ax.set_xlim(0, max(1, len(frame) - 1))
        ax.set_xticks(frame["round"], ["start", *frame["quarter"][1:]], rotation=45, ha="right")
        ax.set_xlabel("Round (quarter)")
        ax.set_ylabel("Strength (model index, 0-100)")
        ax.set_title(title)
        ax.legend(loc="upper left")
        plots.add_source(
            fig,
            "Source: Trilateral course convenor simulation (model assumptions, not data), "
            f"seed {self.seed}",
        )
        fig.subplots_adjust(bottom=0.32)
        return plots._show(fig)

    def summary(self) -> dict[str, Any]:
        """Start and end of every variable, moves played and events met."""
        start = self.rules.start_state()
        played: dict[str, int] = {}
        for r in self.history:
            for m in r.moves:
                played[m] = played.get(m, 0) + 1
        return {
            "rounds": len(self.history),
            "start": start,
            "end": dict(self.state),
            "moves": played,
            "events": [r.event for r in self.history],
        }


def play(
    move_sequence: Iterable[Sequence[str] | str], seed: int = 0, rules: Rules | None = None
) -> Game:
    """Play a whole scripted sequence of rounds and return the game."""
    game = Game(seed=seed, rules=rules)
    for moves in move_sequence:
        game.play(moves)
    return game


# --------------------------------------------------------------------------- widget


def _html(text: str) -> str:
    import html

    return html.escape(text).replace("\n", "<br>")


def widget(seed: int = 0, rules: Rules | None = None) -> ipywidgets.VBox:
    """The playable game: two move pickers, a Play button, the round report and the chart.

    Nothing is written anywhere; errors show as a message in the widget.
    """
    import ipywidgets as w

    game_box: dict[str, Game] = {"game": Game(seed=seed, rules=rules)}
    menu = [(v["label"], k) for k, v in game_box["game"].rules.moves.items()]
    first = w.Dropdown(
        options=menu,
        value=menu[0][1],
        description="Move 1",
    )
    second = w.Dropdown(options=[("(none)", "")] + menu, value="", description="Move 2")
    seed_box = w.IntText(value=seed, description="Seed", layout=w.Layout(width="12rem"))
    play_button = w.Button(
        description="Play this round", button_style="primary", layout=w.Layout(width="auto")
    )
    new_button = w.Button(description="New game", layout=w.Layout(width="auto"))
    status = w.HTML()
    report = w.HTML()
    chart = w.Output()

    def show_status() -> None:
        g = game_box["game"]
        legs = ", ".join(f"{g.rules.variables[k]['label']} {g.state[k]}" for k in g.rules.legs())
        nxt = "game over" if g.finished else f"next round: {g.labels[len(g.history)]}"
        status.value = (
            f"<p><b>Seed {g.seed}</b>, {len(g.history)} of {g.rules.rounds} rounds played "
            f"({nxt}). {_html(legs)}. North Korean threat {g.state['nk_threat']}.</p>"
        )

    def redraw() -> None:
        import matplotlib.pyplot as plt

        chart.clear_output(wait=True)
        with chart:
            plt.close(game_box["game"].plot_legs())

    def on_play(_b: Any) -> None:
        moves = [first.value] + ([second.value] if second.value else [])
        try:
            rep = game_box["game"].play(moves)
        except ValueError as exc:
            report.value = f"<p style='color:#D55E00'><b>Not played:</b> {_html(str(exc))}</p>"
            return
        report.value = f"<p>{_html(rep.explain(game_box['game'].rules))}</p>"
        show_status()
        redraw()

    def on_new(_b: Any) -> None:
        try:
            game_box["game"] = Game(seed=int(seed_box.value), rules=game_box["game"].rules)
        except ValueError as exc:
            report.value = f"<p style='color:#D55E00'>{_html(str(exc))}</p>"
            return
        report.value = "<p>New game started.</p>"
        show_status()
        chart.clear_output()

    play_button.on_click(on_play)
    new_button.on_click(on_new)
    show_status()
    from .staticcopy import box_html, run_note, vbox

    box = vbox(
        [
            w.HTML(
                "<p><b>Convenor simulation.</b> Pick one move, or two different moves, "
                "and press <i>Play this round</i>. An event card follows; the report "
                "explains every change.</p>"
            ),
            w.HBox([first, second]),
            w.HBox([play_button, new_button, seed_box]),
            status,
            report,
            chart,
        ],
        box_html("Convenor simulation.", [], run_note("play a game"), kind="simulation"),
        "simulation",
    )
    box.game = lambda: game_box["game"]  # type: ignore[attr-defined]
    box.first, box.second, box.play_button, box.new_button, box.report = (
        first,
        second,
        play_button,
        new_button,
        report,
    )  # type: ignore[attr-defined]
    return box
