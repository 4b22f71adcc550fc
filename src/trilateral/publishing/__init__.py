"""Publishing the course: what turns the source notebooks into things people open.

* :mod:`.workspace`: the student copies ``make lab`` opens (never overwrites);
* :mod:`.app`: a section's self-checks as a Voila web page;
* :mod:`.lite`: a zero-install JupyterLite site;
* :mod:`.lint`: the course's authoring rules, checked;
* :mod:`.render`: accessible HTML pages of executed notebooks;
* :mod:`.student_tree`: the students' side of the course alone, to deploy.

Nothing here runs while a learner works through a notebook, and nothing
here grades.
"""

__all__ = ["app", "lint", "lite", "render", "student_tree", "workspace"]
