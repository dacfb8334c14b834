"""The one writer: records each job's result in the real gradebook, ``autograded/`` and the
review list, deciding every test cell's verdict on the way (grading/verdicts.py, grading/decide.py)."""
from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

from . import decide, intake
from .course import coursedir
from .findings import Finding, line, merge
from .sanitize import sanitize_notebook
from .shown import escape
from .gradebook import _state_table

if TYPE_CHECKING:
    from nbgrader.coursedir import CourseDirectory

    from .job import JobResult


LOGS = ".grading/logs"   # nbgrader's output of each submission's last job, instructor side


def log_path(course: str | Path, assignment: str, student: str) -> Path:
    """Where the log of a submission's last grading job is kept:
    ``.grading/logs/<assignment>/<student>.log`` (ids are valid: grading/safeio.valid_id)."""
    return Path(course) / LOGS / assignment / f"{student}.log"


def keep_log(course: str | Path, result: JobResult) -> Path:
    """Keep a job's log, all that the job took back of nbgrader's output (its last
    ``job.LOG_TAIL`` bytes), replacing that of an earlier run; returns its path.  The
    result's error and the run's summary keep only its gist (job.gist)."""
    path = log_path(course, result.assignment, result.student)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    # the kernel's output is in it: escaped (grading/shown.py), newlines kept
    tmp.write_text(escape(result.log_tail or "", lines=True), encoding="utf-8", errors="replace")
    tmp.replace(path)
    return path


class Writer:
    """The one process that writes to the gradebook and to ``autograded/``."""

    def __init__(self, course: str | Path, db_url: str | None = None,
                 cd: CourseDirectory | None = None) -> None:
        """``cd``: the course's CourseDirectory, with ``db_url`` already applied, where the
        caller has it (building one reads ``nbgrader_config.py``)."""
        from nbgrader.api import Gradebook
        from sqlalchemy import create_engine

        self.course = Path(course).resolve()
        self.cd = cd if cd is not None else coursedir(self.course, db_url)
        self.db_url = self.cd.db_url
        self.course_id = self.cd.course_id
        with Gradebook(self.db_url, self.course_id):
            pass  # creates nbgrader's tables (and alembic's stamp) on a fresh database
        self.engine = create_engine(self.db_url, future=True)
        self.table = _state_table()
        self.table.metadata.create_all(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    def state(self) -> dict[tuple[str, str], tuple[str, str]]:
        """{(assignment, student): (digest, status)} of earlier runs."""
        from sqlalchemy import select

        t = self.table
        with self.engine.connect() as conn:
            return {(r.assignment, r.student): (r.digest, r.status)
                    for r in conn.execute(select(t.c.assignment, t.c.student, t.c.digest, t.c.status))}

    def _set_state(self, assignment: str, student: str, digest: str, status: str,
                   detail: str | None = None, result: JobResult | None = None) -> None:
        from sqlalchemy import delete

        t = self.table
        row = dict(assignment=assignment, student=student, digest=digest, status=status,
                   detail=detail, updated=dt.datetime.now(dt.timezone.utc).replace(tzinfo=None),
                   host=getattr(result, "host", None), wall_s=getattr(result, "wall_s", None),
                   cpu_s=getattr(result, "cpu_s", None))
        with self.engine.begin() as conn:
            conn.execute(delete(t).where(t.c.assignment == assignment, t.c.student == student))
            conn.execute(t.insert().values(**row))

    def failed(self, assignment: str, student: str, digest: str, error: str | None,
               result: JobResult | None = None, timestamp: bytes | None = None) -> None:
        """Record a failed job as a failed serial autograde leaves it: the submission in
        the gradebook (without new scores) and no autograded folder."""
        if result is not None:
            keep_log(self.course, result)
        try:
            self._register(assignment, student, timestamp)
        finally:
            dest = self._fresh_dir(student, assignment)
            if dest.is_symlink():
                dest.unlink()
            shutil.rmtree(dest, ignore_errors=True)
            self._set_state(assignment, student, digest, "failed", error, result)

    def _register(self, a: str, s: str, timestamp: bytes | None = None) -> list[str]:
        """What nbgrader autograde's init_assignment does to the gradebook before it
        runs anything: the student and the submission (with its timestamp, the bytes of
        the hand-in's timestamp.txt).  Returns the assignment's notebook names."""
        import sqlalchemy.exc
        from nbgrader.api import Gradebook
        from nbgrader.utils import parse_utc

        when = None
        if timestamp:
            try:
                when = parse_utc(timestamp.decode("utf-8", "replace").strip()[:100])
            except Exception:  # an unreadable timestamp counts as none, as in nbgrader
                when = None
        with Gradebook(self.db_url, self.course_id) as gb, warnings.catch_warnings():
            # nbgrader's update_or_create_submission trips SQLAlchemy's autoflush
            # warnings; a serial autograde prints them too, into its own log.
            warnings.simplefilter("ignore", sqlalchemy.exc.SAWarning)
            gb.update_or_create_student(s)
            assignment = gb.find_assignment(a)
            if when:
                gb.update_or_create_submission(a, s, timestamp=when)
            else:
                gb.update_or_create_submission(a, s)
            return [nb.name for nb in assignment.notebooks]

    def _fresh_dir(self, student: str, assignment: str) -> Path:
        """``autograded/<student>/`` as a real folder of the writer's (a link there is removed)."""
        top = Path(self.cd.format_path(self.cd.autograded_directory, ".", ".")).resolve()
        top.mkdir(parents=True, exist_ok=True)
        parent = top / student
        if parent.is_symlink() or (parent.exists() and not parent.is_dir()):
            parent.unlink()
        parent.mkdir(exist_ok=True)
        return parent / assignment

    def record(self, result: JobResult, digest: str, notices: Iterable[str] = (),
               record_cells: dict[str, Any] | None = None, timestamp: bytes | None = None) -> list[Finding]:
        """Record one job's result; return its findings, each once ([] if none): those of the
        review list, and test cells that wait for manual grading.

        ``record_cells``: {notebook name: {grade_id: checks}}, the instructor-side record
        (grading/verdicts.py) that decides every test cell's verdict here."""
        import nbformat
        from nbgrader.api import Gradebook
        from nbgrader.preprocessors import AssignLatePenalties

        a, s = result.assignment, result.student
        keep_log(self.course, result)
        known = self._register(a, s, timestamp)
        config = self.cd.config
        permissions = int(str(nbg_permissions(self.cd)), 8)

        # Verdicts and scores: decided here, from the graded notebook and the record.
        dest = self._fresh_dir(s, a)
        fresh = Path(tempfile.mkdtemp(prefix=f".{a}-new-", dir=dest.parent))
        notebooks = {}
        for name in known:
            data = result.notebooks.get(f"{name}.ipynb")
            if data is None:
                continue
            nb = nbformat.reads(data.decode("utf-8"), as_version=nbformat.NO_CONVERT)
            rec = (record_cells or {}).get(f"{name}.ipynb")
            resources = {"nbgrader": {"student": s, "assignment": a, "notebook": name,
                                      "db_url": self.db_url},
                         "mi_course_record": rec if rec is not None else {}}
            nb, resources = decide.DecideVerdicts(config=config).preprocess(nb, resources)
            sanitize_notebook(nb)  # what formgrader renders: no student HTML or script
            path = fresh / f"{name}.ipynb"
            nbformat.write(nb, str(path))
            path.chmod(permissions)
            notebooks[name] = (nb, resources)
        fresh.chmod(0o755)
        if dest.exists() or dest.is_symlink():
            old = dest.with_name(f".{a}-old-{os.getpid()}")
            dest.rename(old)
            fresh.rename(dest)
            shutil.rmtree(old)
        else:
            fresh.rename(dest)
        for name, (nb, resources) in notebooks.items():
            for pp in (decide.CourseSaveAutoGrades(config=config), AssignLatePenalties(config=config)):
                nb, resources = pp.preprocess(nb, resources)

        rows = [Finding("notice", n) for n in notices] + list(result.findings or [])
        for name, (nb, resources) in notebooks.items():
            for gid, v in resources.get("mi_course_verdicts", {}).items():
                rows += [Finding("review", f"{gid}: {r}", notebook=name) for r in v.review]
        rows = merge(f.about(a, s) for f in rows)
        intake.record_findings(self.course, a, s, rows, self.db_url, cd=self.cd)
        review = list(rows)
        with Gradebook(self.db_url, self.course_id) as gb:
            for nb in gb.find_submission(a, s).notebooks:
                # Written answers always wait for a person; a *test* cell should not.
                stuck = [g.name for g in nb.grades
                         if g.cell.cell_type == "code" and g.needs_manual_grade]
                if stuck:
                    review.append(Finding("notice", f"test cells need manual grading: {', '.join(stuck)}",
                                          notebook=nb.name, student=s, assignment=a))
        self._set_state(a, s, digest, "graded", "; ".join(line(f).strip() for f in review) or None, result)
        return review


def nbg_permissions(cd: CourseDirectory) -> Any:
    """The file mode nbgrader gives autograded files (``BaseConverter.permissions``)."""
    for section in ("Autograde", "BaseConverter"):
        if "permissions" in cd.config.get(section, {}):
            return cd.config[section]["permissions"]
    return 664 if cd.groupshared else 444


