"""What an autograded test cell needs from the student, read from its source.

The grader reads each test cell (hidden tests included, as nbgrader restores
them from the gradebook) and works out, without running anything:

* the **names** the test reads but does not bind itself (``per_country``,
  ``pd``, ``data``): the student's kernel exports their values;
* the **probes**: calls of the student's functions on fixed public inputs.
  A call whose arguments use only literals and exported names is found by
  itself (``days_between("2019-08-22", "2019-11-22")``); any other call is
  declared by the author on a comment line ``# probe: f(...)``, whose
  arguments may use literals, exported names and the course's modules
  (``# probe: busiest_day(data.load("events"), 2019)``).
  The kernel runs each probe and sends the result; in the clean room the
  function's name answers exactly those calls.

Built-in names are never exported: the clean room uses its own.
"""

from __future__ import annotations

import ast
import builtins
from dataclasses import dataclass

__all__ = [
    "BEGIN_HIDDEN",
    "END_HIDDEN",
    "HIDDEN_NOTE",
    "PROBE_PREFIX",
    "TestCell",
    "hidden_lines",
    "is_autograded_test",
    "lint",
    "plan",
    "strip_hidden",
]

BEGIN_HIDDEN = "BEGIN HIDDEN TESTS"
END_HIDDEN = "END HIDDEN TESTS"
HIDDEN_NOTE = "# Hidden tests: not shown in feedback."
PROBE_PREFIX = "# probe:"
MAX_PROBES = 64
_BUILTINS = frozenset(dir(builtins))


@dataclass(frozen=True)
class TestCell:
    """One autograded test cell, as the grader plans to run it."""

    grade_id: str
    source: str
    names: tuple[str, ...]
    probes: tuple[str, ...]  # every probe, the hidden ones (``late``) included
    late: tuple[str, ...] = ()  # probes only the hidden tests make


def is_autograded_test(cell) -> bool:
    """True for a code cell nbgrader grades by running it (grade, not solution)."""
    meta = (cell.get("metadata") or {}).get("nbgrader") or {}
    return (cell.get("cell_type") == "code" and bool(meta.get("grade"))
            and not meta.get("solution") and bool(meta.get("grade_id")))


def hidden_lines(source: str, begin: str = BEGIN_HIDDEN, end: str = END_HIDDEN) -> set[int]:
    """1-based numbers of the lines inside (and of) the hidden regions.

    ``begin`` and ``end`` are the markers; nbgrader lets a course configure
    them, so its preprocessors pass theirs.
    """
    hidden: set[int] = set()
    inside = False
    for number, line in enumerate(source.split("\n"), start=1):
        if begin in line:
            inside = True
        if inside:
            hidden.add(number)
        if end in line:
            inside = False
    return hidden


def strip_hidden(source: str, begin: str = BEGIN_HIDDEN, end: str = END_HIDDEN) -> str:
    """``source`` with each hidden region replaced by one comment line."""
    out: list[str] = []
    inside = False
    for line in source.split("\n"):
        if begin in line:
            inside = True
            indent = line[: len(line) - len(line.lstrip())]
            out.append(indent + HIDDEN_NOTE)
            continue
        if end in line:
            inside = False
            continue
        if not inside:
            out.append(line)
    return "\n".join(out)


class _Names(ast.NodeVisitor):
    """Names a piece of code binds, and names it reads."""

    def __init__(self) -> None:
        self.bound: set[str] = set()
        self.read: list[str] = []

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Load):
            self.read.append(node.id)
        else:
            self.bound.add(node.id)

    def _function(self, node) -> None:
        if hasattr(node, "name"):
            self.bound.add(node.name)
        args = node.args
        for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]:
            if arg is not None:
                self.bound.add(arg.arg)
        self.generic_visit(node)

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = _function

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.bound.add(node.name)
        self.generic_visit(node)

    def visit_Import(self, node) -> None:
        for alias in node.names:
            self.bound.add((alias.asname or alias.name).split(".")[0])

    visit_ImportFrom = visit_Import

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        if node.name:
            self.bound.add(node.name)
        self.generic_visit(node)


def _free(tree: ast.AST) -> list[str]:
    names = _Names()
    names.visit(tree)
    free = [n for n in names.read if n not in names.bound and n not in _BUILTINS]
    return list(dict.fromkeys(free))


def _declared(source: str, hidden: set[int] | None = None) -> list[str]:
    """Declared probes; with ``hidden``, only those on lines in (True) the hidden regions."""
    out = []
    for number, line in enumerate(source.split("\n"), start=1):
        text = line.strip()
        if text.startswith(PROBE_PREFIX):
            out.append((text[len(PROBE_PREFIX):].strip(), number in (hidden or set())))
    return [p for p, _ in out] if hidden is None else [p for p, h in out if h]


def _canonical_call(text: str) -> ast.Call:
    try:
        node = ast.parse(text, mode="eval").body
    except SyntaxError:
        raise ValueError(f"probe {text!r} is not a Python expression") from None
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
        raise ValueError(f"probe {text!r} must call a function by name, e.g. f(1, 2)")
    return node


def plan(grade_id: str, source: str) -> TestCell:
    """The names and probes test cell ``grade_id`` needs. Raises ``ValueError``.

    A test cell that is not valid Python, or whose declared probes are not
    calls, cannot be run in the clean room: ``trilateral lint`` reports it.
    """
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise ValueError(f"test cell {grade_id} is not valid Python (line {exc.lineno}): "
                         f"{exc.msg}") from None
    free = _free(tree)
    declared = [_canonical_call(text) for text in _declared(source)]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                and node.func.id in free:
            used = _free(ast.Expression(body=ast.Tuple(
                elts=[*node.args, *(k.value for k in node.keywords)], ctx=ast.Load())))
            if all(n in free for n in used) and all(k.arg for k in node.keywords):
                found.append(node)
    probes = list(dict.fromkeys(ast.unparse(n) for n in [*found, *declared]))
    if len(probes) > MAX_PROBES:
        raise ValueError(f"test cell {grade_id} has {len(probes)} probes; at most {MAX_PROBES}")
    names = list(free)
    for node in declared:
        names += [n for n in _free(node) if n not in names]
    # A probe that only the hidden tests make reveals a hidden input: the kernel runs
    # it after the whole notebook, in a cell whose output nobody sees.
    hidden = hidden_lines(source)
    seen = {ast.unparse(n) for n in found if n.lineno not in hidden}
    seen |= {ast.unparse(_canonical_call(t)) for t in _declared(source)
             if t not in _declared(source, hidden)}
    late = tuple(p for p in probes if p not in seen)
    return TestCell(grade_id, source, tuple(names), tuple(probes), late)


def lint(grade_id: str, source: str) -> list[str]:
    """Why the clean room could not run test cell ``grade_id`` (empty when it can).

    Besides :func:`plan`'s own errors, a test that calls a student's function
    with a value it computes itself (``f(_frame)``) needs that call declared
    on a ``# probe:`` line: the clean room answers only calls the kernel ran.
    """
    try:
        cell = plan(grade_id, source)
    except ValueError as exc:
        return [str(exc)]
    problems = []
    tree = ast.parse(source)
    declared = {ast.parse(p, mode="eval").body.func.id  # type: ignore[attr-defined]
                for p in _declared(source)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                and node.func.id in cell.names and ast.unparse(node) not in cell.probes \
                and node.func.id not in declared:
            problems.append(f"test cell {grade_id} calls {ast.unparse(node)} with values it "
                            f"computes itself; declare the calls the test makes on "
                            f"'{PROBE_PREFIX} {node.func.id}(...)' lines")
    return problems
