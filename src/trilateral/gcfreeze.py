"""Keep Python's garbage collector off the objects that imports leave behind.

Importing pandas, matplotlib, ipywidgets and jsonschema leaves about 150,000
objects that live as long as the kernel: functions, classes, module
dictionaries. The cyclic garbage collector walks all of them at every full
collection, and drawing a chart or building a widget allocates enough to set
one off: in a lesson kernel those walks took about 0.4 s, a tenth of the time
the lesson takes to run (see ``docs/performance.md``).

``gc.freeze()`` moves every object alive now into a permanent generation that
collections skip. The course calls :func:`after_imports` just after it has
imported a heavy library, and it freezes only when modules were imported since
the last call, so it freezes a handful of times per kernel, not at every call.

What this costs: an object alive at a freeze that later becomes unreachable
is still freed at once by reference counting; only objects caught in a
reference cycle stay allocated until the kernel ends. Few of a learner's own
objects exist at those moments (the first data load, question bank, chart
and exercise of a lesson), so this holds back little memory.
"""

from __future__ import annotations

import gc
import sys

__all__ = ["after_imports"]

# How many modules were loaded at the last freeze.
_modules_at_freeze = 0


def after_imports() -> bool:
    """Freeze the objects alive now if modules were imported since the last freeze.

    Returns whether it froze. Cheap to call often: without new imports it only
    compares two numbers.
    """
    global _modules_at_freeze
    loaded = len(sys.modules)
    if loaded == _modules_at_freeze:
        return False
    _modules_at_freeze = loaded
    gc.freeze()
    return True
