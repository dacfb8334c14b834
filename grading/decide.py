"""The hidden verdicts inside nbgrader's pipeline: two preprocessors (grading/verdicts.py decides).

- ``DecideVerdicts`` decides every code test cell's verdict from the graded
  notebook and the record of its cells (``resources["mi_course_record"]``),
  puts it into the cell as its last output and leaves the verdicts in
  ``resources["mi_course_verdicts"]``;
- ``CourseSaveAutoGrades`` is nbgrader's SaveAutoGrades, scoring code test
  cells by those verdicts in place of ``nbgrader.utils.determine_grade``.

The writer (grading/writer.py) runs them, in the grading command's process.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nbgrader.preprocessors import NbGraderPreprocessor, SaveAutoGrades

from . import cells
from .cells import is_test_cell
from .verdicts import annotate, decide_notebook

if TYPE_CHECKING:
    from nbformat import NotebookNode


class DecideVerdicts(NbGraderPreprocessor):
    """Decide and annotate verdicts inside an nbgrader pipeline (``resources["mi_course_record"]``
    holds the record of this notebook's cells); a no-op without a record."""

    def preprocess(self, nb: NotebookNode, resources: dict[str, Any]) -> tuple[NotebookNode, dict[str, Any]]:
        rec = resources.get("mi_course_record")
        if rec is None:
            return nb, resources
        resources["mi_course_verdicts"] = decide_notebook(nb, rec)
        annotate(nb, resources["mi_course_verdicts"])
        return nb, resources


class CourseSaveAutoGrades(SaveAutoGrades):
    """nbgrader's SaveAutoGrades, scoring code test cells by ``resources["mi_course_verdicts"]``."""

    def _add_score(self, cell: NotebookNode, resources: dict[str, Any]) -> None:
        verdicts = resources.get("mi_course_verdicts")
        if verdicts is None or not is_test_cell(cell):
            return super()._add_score(cell, resources)
        gid = cells.grade_id(cell)
        grade = self.gradebook.find_grade(gid, self.notebook_id, self.assignment_id, self.student_id)
        v = verdicts.get(gid)
        points = float(cells.meta(cell)["points"])
        grade.auto_score = points if (v is not None and v.passed) else 0.0
        grade.needs_manual_grade = grade.manual_score is not None
        self.gradebook.db.commit()
