"""Grading at scale: many submissions side by side, one writer to the gradebook.

nbgrader grades one submission at a time and a SQLite gradebook takes one
writer at a time.  So the work is split in two:

- The grading command reads each submission into memory first, without
  following links (grading/intake.py).
- A **job** grades one submission, on its own (grading/job.py): a scratch
  course in a job folder of its own, ``nbgrader autograde`` and the kernel
  in the job sandbox (grading/sandbox.py), and back come only the graded
  notebooks, validated, and the tamper scan's findings.  No two jobs share a
  file, so jobs run side by side: in threads on this machine (``--jobs N``,
  each job one nbgrader process with a single-threaded kernel), or as Dask
  tasks on any number of hosts (``--scheduler tcp://host:8786``).
- **One writer**, the process that runs ``course autograde``, records each
  result as it arrives: it creates the student and the submission as
  ``nbgrader autograde`` does, decides every test cell's verdict from the
  graded notebook and the instructor-side record (grading/verdicts.py), writes
  the notebook into ``autograded/<student>/<assignment>/``, and runs
  nbgrader's ``SaveAutoGrades`` (scoring by those verdicts) and
  ``AssignLatePenalties`` against the real gradebook (SQLite or PostgreSQL,
  ``CourseDirectory.db_url``).  ``--jobs 1`` is the serial grader: the same
  job, the same writer.

What was graded is kept in a table of the gradebook, ``course_grading_state``:
per (assignment, student) the SHA-256 of the submission and of what grades it
(the config and ``source/<assignment>/``), and whether it was graded or failed.
A re-run skips what is graded and unchanged (unless ``force``), and grades
again whatever failed, changed, or was never reached by an interrupted run.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import os
import shutil
import socket
import sys
import tempfile
import time
import warnings
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from . import intake, job as job_mod, nbg, review, safeio, verdicts

STATE_TABLE = "course_grading_state"


# --- the course's configuration and gradebook ----------------------------------------------

def load_config(course):
    """The course's nbgrader configuration (``nbgrader_config.py``) as a traitlets Config."""
    from traitlets.config.loader import PyFileConfigLoader

    return PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()


def coursedir(course, db_url=None):
    """nbgrader's CourseDirectory of the course, with ``db_url`` overriding the config's."""
    from nbgrader.coursedir import CourseDirectory

    cd = CourseDirectory(config=load_config(course), root=str(Path(course).resolve()))
    if db_url:
        cd.db_url = db_url
    return cd


def _read_tree(folder):
    """{relative path: bytes} of every file under ``folder``, in sorted order."""
    folder = Path(folder)
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _write_tree(folder, files):
    folder = Path(folder)
    for rel, data in files.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def _digest(*trees):
    h = hashlib.sha256()
    for tree in trees:
        for rel, data in sorted(tree.items()):
            h.update(rel.encode() + b"\0" + hashlib.sha256(data).digest())
        h.update(b"\1")
    return h.hexdigest()


def template_gradebook(db_url, course_id, assignment):
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
                raise GradingError(f"{assignment} is not in the gradebook ({_safe_url(db_url)}): "
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


def _safe_url(url):
    """The URL without a password."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def submission_scores(db_url, assignment, student):
    """{notebook: {grade cell: auto_score}} of one submission in a gradebook."""
    from nbgrader.api import Gradebook

    with Gradebook(db_url) as gb:
        sub = gb.find_submission(assignment, student)
        return {nb.name: {g.name: g.auto_score for g in nb.grades} for nb in sub.notebooks}


# --- the job lives in grading/job.py --------------------------------------------------------

grade_job = job_mod.grade_job


# --- the writer: records results in the real gradebook ---------------------------------------

class GradingError(RuntimeError):
    pass


def _state_table():
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


class Writer:
    """The one process that writes to the gradebook and to ``autograded/``."""

    def __init__(self, course, db_url=None):
        from nbgrader.api import Gradebook
        from sqlalchemy import create_engine

        self.course = Path(course).resolve()
        self.cd = coursedir(self.course, db_url)
        self.db_url = self.cd.db_url
        self.course_id = self.cd.course_id
        with Gradebook(self.db_url, self.course_id):
            pass  # creates nbgrader's tables (and alembic's stamp) on a fresh database
        self.engine = create_engine(self.db_url, future=True)
        self.table = _state_table()
        self.table.metadata.create_all(self.engine)

    def close(self):
        self.engine.dispose()

    def state(self):
        """{(assignment, student): (digest, status)} of earlier runs."""
        from sqlalchemy import select

        t = self.table
        with self.engine.connect() as conn:
            return {(r.assignment, r.student): (r.digest, r.status)
                    for r in conn.execute(select(t.c.assignment, t.c.student, t.c.digest, t.c.status))}

    def _set_state(self, assignment, student, digest, status, detail=None, result=None):
        from sqlalchemy import delete

        t = self.table
        row = dict(assignment=assignment, student=student, digest=digest, status=status,
                   detail=detail, updated=dt.datetime.now(dt.timezone.utc).replace(tzinfo=None),
                   host=getattr(result, "host", None), wall_s=getattr(result, "wall_s", None),
                   cpu_s=getattr(result, "cpu_s", None))
        with self.engine.begin() as conn:
            conn.execute(delete(t).where(t.c.assignment == assignment, t.c.student == student))
            conn.execute(t.insert().values(**row))

    def failed(self, assignment, student, digest, error, result=None, timestamp=None):
        """Record a failed job as a failed serial autograde leaves it: the submission in
        the gradebook (without new scores) and no autograded folder."""
        try:
            self._register(assignment, student, timestamp)
        finally:
            dest = self._fresh_dir(student, assignment)
            if dest.is_symlink():
                dest.unlink()
            shutil.rmtree(dest, ignore_errors=True)
            self._set_state(assignment, student, digest, "failed", error, result)

    def _register(self, a, s, timestamp=None):
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

    def _fresh_dir(self, student, assignment):
        """``autograded/<student>/`` as a real folder of the writer's (a link there is removed)."""
        top = Path(self.cd.format_path(self.cd.autograded_directory, ".", ".")).resolve()
        top.mkdir(parents=True, exist_ok=True)
        parent = top / student
        if parent.is_symlink() or (parent.exists() and not parent.is_dir()):
            parent.unlink()
        parent.mkdir(exist_ok=True)
        return parent / assignment

    def record(self, result, digest, notices=(), record_cells=None, timestamp=None):
        """Record one job's result; return the reasons to review it ([] if none).

        ``record_cells``: {notebook name: {grade_id: checks}}, the instructor-side record
        (grading/verdicts.py) that decides every test cell's verdict here."""
        import nbformat
        from nbgrader.api import Gradebook
        from nbgrader.preprocessors import AssignLatePenalties

        a, s = result.assignment, result.student
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
            nb, resources = verdicts.DecideVerdicts(config=config).preprocess(nb, resources)
            sanitize = getattr(_feedback(), "sanitize_notebook", None)
            if sanitize:
                nb = sanitize(nb) or nb
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
            for pp in (verdicts.CourseSaveAutoGrades(config=config), AssignLatePenalties(config=config)):
                nb, resources = pp.preprocess(nb, resources)

        rows = [dict(kind="notice", tests="", reason=n, notebook="") for n in notices]
        rows += list(result.review_rows or [])
        for name, (nb, resources) in notebooks.items():
            for gid, v in resources.get("mi_course_verdicts", {}).items():
                rows += [dict(kind="review", tests="", reason=f"{gid}: {r}", notebook=name) for r in v.review]
        intake.record_findings(self.course, a, s, rows, self.db_url)
        # the review list, as review.csv has it
        review = [f"tampering, zeroed {r['tests'] or 'nothing'}: {r['reason']}"
                  if r["kind"] == "tamper" else f"{r['kind']}: {r['reason']}" for r in rows]
        with Gradebook(self.db_url, self.course_id) as gb:
            for nb in gb.find_submission(a, s).notebooks:
                # Written answers always wait for a person; a *test* cell should not.
                stuck = [g.name for g in nb.grades
                         if g.cell.cell_type == "code" and g.needs_manual_grade]
                if stuck:
                    review.append(f"{nb.name}: test cells need manual grading: {', '.join(stuck)}")
        self._set_state(a, s, digest, "graded", "; ".join(review) or None, result)
        return review


def _feedback():
    from . import feedback
    return feedback


def nbg_permissions(cd):
    """The file mode nbgrader gives autograded files (``BaseConverter.permissions``)."""
    for section in ("Autograde", "BaseConverter"):
        if "permissions" in cd.config.get(section, {}):
            return cd.config[section]["permissions"]
    return 664 if cd.groupshared else 444


# --- the command -------------------------------------------------------------------------------

@dataclass
class Summary:
    graded: list = field(default_factory=list)     # (assignment, student)
    failed: list = field(default_factory=list)     # (assignment, student, error)
    flagged: list = field(default_factory=list)    # (assignment, student, reasons)
    skipped: list = field(default_factory=list)    # (assignment, student)
    wall_s: float = 0.0
    cpu_s: float = 0.0
    job_wall_s: list = field(default_factory=list)
    write_s: float = 0.0                           # time the one writer spent recording
    interrupted: bool = False

    def lines(self):
        n = len(self.graded)
        out = [f"graded {n}, failed {len(self.failed)}, flagged for review {len(self.flagged)}, "
               f"skipped (already graded, unchanged) {len(self.skipped)}",
               f"wall time {self.wall_s:.1f} s, CPU time {self.cpu_s:.1f} s"
               + (f", {self.cpu_s / n:.1f} CPU-s per graded submission" if n else "")]
        for a, s, err in self.failed:
            out.append(f"  FAILED  {s}/{a}: {_gist(err)}")
        for a, s, reasons in self.flagged:
            out.append(f"  REVIEW  {s}/{a}: {'; '.join(reasons)}")
        if self.failed or self.interrupted:
            out.append("run the same command again to grade what failed or was not reached")
        return out


def _gist(error):
    """The telling line of a failed job's log (nbgrader ends with generic ones)."""
    lines = [ln.strip() for ln in (error or "?").strip().splitlines() if ln.strip()]
    generic = ("Please see the", "There was an error processing", "failed (", "Removing failed")
    telling = [ln for ln in lines if not any(g in ln for g in generic)
               and any(k in ln for k in ("Error", "Exception", "died", "Timeout", "Killed"))]
    # else the first line: nbg's "nbgrader autograde ... failed (<exit status>)"
    return (telling[-1:] or lines[:1] or ["?"])[0][:240]


def find_submissions(course, assignments, refused=None):
    """(assignment, student) of every hand-in folder ``submitted/<student>/<assignment>``,
    listed without following links.  A student folder that is a link is still graded (as
    unreadable, zero, with a notice: grading/intake.py); a name that is not a valid id is
    left out, with a sentence in ``refused``."""
    course = Path(course)
    try:
        students = safeio.list_dir(course, "submitted")
    except safeio.Refused:
        return []
    out = []
    for name, kind in sorted(students.items()):
        if not safeio.valid_id(name):
            if refused is not None:
                refused.append(f"submitted/{review.printable(repr(name))}: not a valid student id, not graded")
            continue
        for a in assignments:
            if kind == "dir":
                if safeio.kind_of(course, f"submitted/{name}/{a}") != "missing":
                    out.append((a, name))
            elif kind in ("link", "special"):
                out.append((a, name))
    return sorted(out, key=lambda x: (assignments.index(x[0]), x[1]))


def prepare(course, writer, assignment, sandbox=True, timeout=None):
    """What every job of an assignment shares: config, source notebooks, template gradebook."""
    course = Path(course)
    src = course / "source" / assignment
    return {"config": (course / "nbgrader_config.py").read_bytes(),
            "source": {p.name: p.read_bytes() for p in sorted(src.glob("*.ipynb"))},
            "gradebook": template_gradebook(writer.db_url, writer.course_id, assignment),
            "sandbox": sandbox, "timeout": timeout}


@contextlib.contextmanager
def _alembic_on_path():
    """nbgrader runs ``alembic`` from PATH when it creates a gradebook: this environment's."""
    old = os.environ.get("PATH", "")
    os.environ["PATH"] = os.pathsep.join([os.path.dirname(sys.executable), old])
    try:
        yield
    finally:
        os.environ["PATH"] = old


@contextlib.contextmanager
def _course_lock(course):
    """One grading command per course directory at a time (this host)."""
    path = Path(course) / ".grading.lock"
    with open(path, "w") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise GradingError(f"another `course autograde` is running on {course}") from None
        yield


def grade(course, assignments, jobs=None, scheduler=None, db_url=None, force=False,
          out=sys.stdout, progress=None, sandbox=True, timeout=None, students=None):
    """Grade every submission ``submitted/<student>/<assignment>/`` of the assignments.

    ``jobs``: submissions side by side on this machine (default: the number of cores);
    ``scheduler``: a Dask scheduler address (or a ``distributed.Client``) to grade on
    instead; ``db_url``: the gradebook (default: the config's ``CourseDirectory.db_url``);
    ``sandbox``: each job in the sandbox (False: trusted submissions only);
    ``timeout``: seconds a cell may run (default: the config's); ``students``: only these.
    Returns a Summary; the gradebook, ``autograded/`` and ``review.csv`` hold the results.
    """
    from tqdm import tqdm

    course = Path(course).resolve()
    t0, cpu0 = time.time(), job_mod.cpu_seconds()
    summary = Summary()
    refused = []
    todo = find_submissions(course, list(assignments), refused)
    if students is not None:
        todo = [(a, s) for a, s in todo if s in set(students)]
    for line in refused:
        print(f"skipped {line}", file=out)
    for a in assignments:
        if not any(x == a for x, _ in todo):
            print(f"{a}: no submissions", file=out)
    if not todo:
        return summary
    records = {}
    for a in sorted({a for a, _ in todo}):
        try:
            records[a] = verdicts.load_record(course, a)
        except verdicts.RecordError as exc:
            raise GradingError(str(exc)) from None

    with _course_lock(course), _alembic_on_path():
        writer = Writer(course, db_url)
        try:
            state = writer.state()
            common, digests, files, notices = {}, {}, {}, {}
            for a in sorted({a for a, _ in todo}):
                common[a] = prepare(course, writer, a, sandbox=sandbox, timeout=timeout)
            record_bytes = {a: verdicts.record_path(course, a).read_bytes() for a in common}
            for a, s in todo:
                files[a, s], notices[a, s] = intake.collect(course, a, s)
                digests[a, s] = _digest({"nbgrader_config.py": common[a]["config"],
                                         "record": record_bytes[a],
                                         "grading mode": f"sandbox={sandbox} timeout={timeout}".encode()},
                                        common[a]["source"], files[a, s],
                                        {"notices": "\n".join(notices[a, s]).encode()})
                graded = (course / "autograded" / s / a).is_dir()
                if not force and graded and state.get((a, s)) == (digests[a, s], "graded"):
                    summary.skipped.append((a, s))
            run = [x for x in todo if x not in summary.skipped]
            where = (f"Dask scheduler {scheduler if isinstance(scheduler, str) else scheduler.scheduler.address}"
                     if scheduler else f"{jobs or os.cpu_count()} jobs")
            print(f"grading {len(run)} submissions on {where}"
                  + (f" ({len(summary.skipped)} already graded and unchanged)" if summary.skipped else ""),
                  file=out, flush=True)

            # progress=None: a bar on a terminal, one line per submission otherwise (logs, CI)
            bar = tqdm(total=len(run), unit="sub", file=sys.stderr, dynamic_ncols=True,
                       disable=True if progress is False else (False if progress else None))
            bar_on = not bar.disable
            finished = []

            def done(result):
                a, s = result.assignment, result.student
                stamp = files[a, s].get("timestamp.txt")
                if result.ok:
                    try:
                        w0 = time.time()
                        review = writer.record(result, digests[a, s], notices[a, s], records[a], stamp)
                        summary.write_s += time.time() - w0
                    except Exception as e:
                        result.ok, result.error = False, f"recording failed: {type(e).__name__}: {e}"
                    else:
                        summary.graded.append((a, s))
                        summary.job_wall_s.append(result.wall_s or 0.0)
                        if review:
                            summary.flagged.append((a, s, review))
                # The CPU time a job reports: on a Dask worker all of it; here only what
                # this process's RUSAGE_CHILDREN misses (the sandboxed kernels).
                summary.cpu_s += (result.cpu_s if scheduler else result.uncounted_cpu_s) or 0.0
                if not result.ok:
                    writer.failed(a, s, digests[a, s], result.error, result, stamp)
                    summary.failed.append((a, s, result.error))
                bar.update(1)
                finished.append((a, s))
                if not bar_on:
                    status = "graded" if result.ok else "FAILED"
                    print(f"[{len(finished)}/{len(run)}] {status} {s}/{a} ({result.wall_s or 0:.0f} s)",
                          file=out, flush=True)

            try:
                if scheduler:
                    _run_dask(scheduler, run, common, files, done)
                else:
                    _run_local(jobs or os.cpu_count() or 1, run, common, files, done)
            except KeyboardInterrupt:
                summary.interrupted = True
                print("\ninterrupted: what was recorded stays; run again to resume", file=out)
            finally:
                bar.close()
        finally:
            writer.close()
    summary.wall_s = time.time() - t0
    summary.cpu_s += job_mod.cpu_seconds() - cpu0  # this process (the writer) and its children
    for line in summary.lines():
        print(line, file=out)
    return summary


def _run_local(jobs, run, common, files, done):
    pool = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="grade")
    try:
        futures = [pool.submit(grade_job, common[a], a, s, files[a, s], own_process=False)
                   for a, s in run]
        for f in as_completed(futures):
            done(f.result())
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _run_dask(scheduler, run, common, files, done):
    from distributed import Client, as_completed as dask_completed

    own = isinstance(scheduler, str)
    client = Client(scheduler) if own else scheduler
    try:
        # One future per assignment.  (Scattering the dict itself would scatter its
        # values under its keys, "config", "source", ..., shared by every assignment.)
        shared = {a: client.scatter([c], broadcast=True, hash=False)[0] for a, c in common.items()}
        futures = {}
        for a, s in run:
            f = client.submit(grade_job, shared[a], a, s, files[a, s], pure=False,
                              key=f"grade-{a}-{s}-{hashlib.sha1(os.urandom(8)).hexdigest()[:8]}")
            futures[f] = (a, s)
        for f in dask_completed(list(futures)):
            a, s = futures[f]
            try:
                result = f.result()
            except Exception as e:  # the worker died (KilledWorker) or the task could not run
                result = job_mod.JobResult.failure(a, s, f"{type(e).__name__}: {e}")
            done(result)
    except KeyboardInterrupt:
        client.cancel(list(futures))
        raise
    finally:
        if own:
            client.close()
