"""The gradebook, beyond nbgrader's API: the assignment's definitions for a job, scores,
and the resume state of grading runs (a table of the course's own, ``course_grading_state``).

The gradebook is SQLite or PostgreSQL, wherever ``CourseDirectory.db_url`` says.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

from typing import TYPE_CHECKING

from .course import safe_url
from .errors import GradingError

if TYPE_CHECKING:
    from sqlalchemy import Table

STATE_TABLE = "course_grading_state"


def template_gradebook(db_url: str, course_id: str, assignment: str) -> bytes:
    """A SQLite gradebook (its bytes) holding only the definitions of ``assignment``
    (notebooks, grade, solution, task and source cells), copied from the real gradebook.

    A job's scratch autograde restores locked cells and checks against these, exactly
    as a serial ``nbgrader autograde`` does against the real gradebook."""
    from nbgrader.api import Gradebook, MissingEntry

    with tempfile.TemporaryDirectory(prefix="gradebook-template-") as tmp:
        path = Path(tmp) / "gradebook.db"
        with Gradebook(db_url, course_id) as src, Gradebook(f"sqlite:///{path}", course_id) as dst:
            try:
                a = src.find_assignment(assignment)
            except MissingEntry:
                raise GradingError(f"{assignment} is not in the gradebook ({safe_url(db_url)}): "
                                   "release it first (`course release`)") from None
            dst.add_assignment(a.name, duedate=a.duedate)
            for nb in a.notebooks:
                dst.add_notebook(nb.name, a.name, kernelspec=nb.kernelspec)
                for c in nb.grade_cells:
                    dst.add_grade_cell(c.name, nb.name, a.name, max_score=c.max_score,
                                       cell_type=c.cell_type)
                for c in nb.solution_cells:
                    dst.add_solution_cell(c.name, nb.name, a.name)
                for c in nb.task_cells:
                    dst.add_task_cell(c.name, nb.name, a.name, max_score=c.max_score,
                                      cell_type=c.cell_type)
                for c in nb.source_cells:
                    # a job needs the locked cells (nbgrader restores them); an unlocked cell's
                    # source is a solution's place, and stays with the instructor
                    dst.add_source_cell(c.name, nb.name, a.name, cell_type=c.cell_type,
                                        locked=c.locked, source=c.source if c.locked else "",
                                        checksum=c.checksum)
        return path.read_bytes()


def released(db_url: str) -> set[str]:
    """The assignments the gradebook knows (``course release`` puts them there), creating
    nothing: a SQLite gradebook whose file is missing knows none, and stays missing."""
    from sqlalchemy import create_engine, inspect, text
    from sqlalchemy.engine import make_url

    url = make_url(db_url)
    if url.get_backend_name() == "sqlite":
        if not url.database or url.database == ":memory:" or not Path(url.database).is_file():
            return set()
        url = url.set(database=f"file:{url.database}?mode=ro", query={"uri": "true"})
    engine = create_engine(url)
    try:
        if not inspect(engine).has_table("assignment"):
            return set()
        with engine.connect() as conn:
            return {row[0] for row in conn.execute(text("SELECT name FROM assignment"))}
    finally:
        engine.dispose()


def submission_scores(db_url: str, assignment: str, student: str) -> dict[str, dict[str, float | None]]:
    """{notebook: {grade cell: auto_score}} of one submission in a gradebook."""
    from nbgrader.api import Gradebook

    with Gradebook(db_url) as gb:
        sub = gb.find_submission(assignment, student)
        return {nb.name: {g.name: g.auto_score for g in nb.grades} for nb in sub.notebooks}


def _state_table() -> Table:
    from sqlalchemy import Column, DateTime, Float, MetaData, String, Table, Text

    md = MetaData()
    return Table(STATE_TABLE, md,
                 Column("assignment", String(128), primary_key=True),
                 Column("student", String(128), primary_key=True),
                 Column("digest", String(64), nullable=False),
                 Column("status", String(16), nullable=False),  # graded | failed
                 Column("detail", Text),
                 Column("updated", DateTime),
                 Column("host", String(255)),
                 Column("wall_s", Float),
                 Column("cpu_s", Float))


