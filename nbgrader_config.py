"""nbgrader configuration of the Trilateral course.

nbgrader reads this file when run from the course folder. The options
themselves live in ``trilateral.grading.configure`` so the command line, the
course's own tools and the tests all grade the same way.
"""

import os

from trilateral.grading import configure

c = get_config()  # noqa: F821  (provided by traitlets when it loads this file)
configure(c, os.path.dirname(os.path.abspath(__file__)))
