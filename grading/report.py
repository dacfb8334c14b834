"""Grades from the gradebook: per-cell scores, a table, the expectations check."""
from __future__ import annotations

from nbgrader.api import Gradebook, MissingEntry

from .course import db_url  # noqa: F401  (the course's one owner of its configuration)


def autograded_max(course, assignment, url=None):
    """{test grade_id: max points} of the autograded test cells, in notebook order."""
    with Gradebook(url or db_url(course)) as gb:
        nb = gb.find_notebook(assignment, assignment)
        return {c.name: c.max_score for c in nb.grade_cells if c.cell_type == "code"}


def cell_scores(course, assignment, student, url=None):
    """{grade_id: score} for one student's autograded test cells, or None if not graded."""
    with Gradebook(url or db_url(course)) as gb:
        try:
            sub = gb.find_submission_notebook(assignment, assignment, student)
        except MissingEntry:
            return None
        return {g.name: float(g.score) for g in sub.grades if g.cell.cell_type == "code"}


def table(rows, headers):
    widths = [max([len(str(h))] + [len(str(r[i])) for r in rows]) for i, h in enumerate(headers)]
    line = lambda cells: "  ".join(str(c).ljust(w) for c, w in zip(cells, widths))  # noqa: E731
    return "\n".join([line(headers), line(["-" * w for w in widths]), *map(line, rows)])
