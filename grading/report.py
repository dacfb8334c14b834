"""Grades from the gradebook: per-cell scores, a table, the expectations check."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

from nbgrader.api import Gradebook, MissingEntry

from .course import db_url  # noqa: F401  (the course's one owner of its configuration)


def autograded_max(course: str | Path, assignment: str, url: str | None = None) -> dict[str, float]:
    """{test grade_id: max points} of the autograded test cells, in notebook order."""
    with Gradebook(url or db_url(course)) as gb:
        nb = gb.find_notebook(assignment, assignment)
        return {c.name: c.max_score for c in nb.grade_cells if c.cell_type == "code"}


def cell_scores(course: str | Path, assignment: str, student: str,
                url: str | None = None) -> dict[str, float] | None:
    """{grade_id: score} for one student's autograded test cells, or None if not graded."""
    with Gradebook(url or db_url(course)) as gb:
        try:
            sub = gb.find_submission_notebook(assignment, assignment, student)
        except MissingEntry:
            return None
        return {g.name: float(g.score) for g in sub.grades if g.cell.cell_type == "code"}


def table(rows: Sequence[Sequence[Any]], headers: Sequence[Any]) -> str:
    widths = [max([len(str(h))] + [len(str(r[i])) for r in rows]) for i, h in enumerate(headers)]
    line = lambda cells: "  ".join(str(c).ljust(w) for c, w in zip(cells, widths))  # noqa: E731
    return "\n".join([line(headers), line(["-" * w for w in widths]), *map(line, rows)])
