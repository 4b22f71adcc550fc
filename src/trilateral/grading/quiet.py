"""Keep library warnings out of the instructor's terminal, and in a log file.

nbgrader's gradebook code, SQLAlchemy, the debugger and the kernel transport
print warnings while a class is graded; between the progress bar and the
summary they hide what matters. ``trilateral`` sends them to
``reports/trilateral.log`` in the course folder instead (``--verbose`` shows
them). Grading workers inherit the choice through :data:`ENV`.
"""

from __future__ import annotations

import logging
import os
import warnings
from pathlib import Path

__all__ = ["ENV", "LOG_NAME", "route_warnings"]

ENV = "TRILATERAL_LOG"
LOG_NAME = "trilateral.log"


def route_warnings(log: str | os.PathLike | None) -> Path | None:
    """Send this process's warnings to the file ``log`` (None or "": leave them on stderr)."""
    if not log:
        return None
    path = Path(log)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(path, encoding="utf-8")
    except OSError:  # an unwritable course folder: warnings stay on stderr
        return None
    handler.setFormatter(logging.Formatter("%(asctime)s pid %(process)d %(message)s"))
    logger = logging.getLogger("py.warnings")
    for old in logger.handlers:
        old.close()
    logger.handlers = [handler]
    logger.propagate = False
    logging.captureWarnings(True)
    warnings.simplefilter("default")
    os.environ[ENV] = str(path)
    return path
