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
import fcntl
import hashlib
import logging
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Collection, Iterator, Mapping, Sequence

from . import dispatch, intake, job as job_mod, receipts, review, safeio, shown, verdicts
from .accounting import cpu_seconds
from .course import coursedir, step_path  # coursedir re-exported: tests and tools ask scale for it
from .errors import GradingError
from .findings import Finding, line
from .gradebook import STATE_TABLE, released, submission_scores, template_gradebook  # noqa: F401
from .writer import Writer

if TYPE_CHECKING:
    from nbgrader.coursedir import CourseDirectory

log = logging.getLogger(__name__)


def _digest(*trees: Mapping[str, bytes]) -> str:
    h = hashlib.sha256()
    for tree in trees:
        for rel, data in sorted(tree.items()):
            h.update(rel.encode() + b"\0" + hashlib.sha256(data).digest())
        h.update(b"\1")
    return h.hexdigest()


# --- the command -------------------------------------------------------------------------------

@dataclass
class Summary:
    graded: list[tuple[str, str]] = field(default_factory=list)              # (assignment, student)
    failed: list[tuple[str, str, str | None]] = field(default_factory=list)  # (assignment, student, error)
    flagged: list[tuple[str, str, list[Finding]]] = field(default_factory=list)  # (assignment, student, findings)
    skipped: list[tuple[str, str]] = field(default_factory=list)             # (assignment, student)
    wall_s: float = 0.0
    cpu_s: float = 0.0
    job_wall_s: list[float] = field(default_factory=list)
    write_s: float = 0.0                           # time the one writer spent recording
    interrupted: bool = False

    def lines(self) -> list[str]:
        n = len(self.graded)
        out = [f"graded {n}, failed {len(self.failed)}, flagged for review {len(self.flagged)}, "
               f"skipped (already graded, unchanged) {len(self.skipped)}",
               f"wall time {self.wall_s:.1f} s, CPU time {self.cpu_s:.1f} s"
               + (f", {self.cpu_s / n:.1f} CPU-s per graded submission" if n else "")]
        for a, s, err in self.failed:
            out.append(f"  FAILED  {s}/{a}: {job_mod.gist(err)}")
        for _, _, found in self.flagged:
            out += [line(f) for f in found]   # grading/findings.py: as every screen shows them
        if self.failed or self.interrupted:
            out.append("run the same command again to grade what failed or was not reached")
        return out


def find_submissions(course: str | Path, assignments: Sequence[str],
                     refused: list[str] | None = None,
                     cd: CourseDirectory | None = None) -> list[tuple[str, str]]:
    """(assignment, student) of every hand-in folder ``submitted/<student>/<assignment>``,
    listed without following links.  A student folder that is a link is still graded (as
    unreadable, zero, with a notice: grading/intake.py); a name that is not a valid id is
    left out, with a sentence in ``refused``."""
    course = Path(course)
    cd = cd or coursedir(course)   # the course's paths, relative to it: safeio walks them from the root
    submitted = step_path(course, "submitted", cd=cd)
    try:
        students = safeio.list_dir(course, submitted)
    except safeio.Refused:
        return []
    out = []
    for name, kind in sorted(students.items()):
        if not safeio.valid_id(name):
            if refused is not None:
                refused.append(f"{submitted}/{shown.escape(repr(name))}: not a valid student id, not graded")
            continue
        for a in assignments:
            if kind == "dir":
                if safeio.kind_of(course, step_path(course, "submitted", a, name, cd=cd)) != "missing":
                    out.append((a, name))
            elif kind in ("link", "special"):
                out.append((a, name))
    return sorted(out, key=lambda x: (assignments.index(x[0]), x[1]))


def prepare(course: str | Path, writer: Writer, assignment: str, sandbox: bool = True,
            timeout: float | None = None, measured_limit: bool = True) -> dict[str, Any]:
    """What every job of an assignment shares: config, source notebooks, template gradebook,
    limits (``measured_limit``: the resident-memory limit set from the reference solution's
    recorded peak, grading/sandbox.py ``memory_limit``; else the configured one)."""
    course = Path(course)
    src = course / step_path(course, "source", assignment, cd=writer.cd)
    from .sandbox import limits, memory_limit

    lim = limits(writer.cd.config)
    if measured_limit:
        lim["memory_mb"] = memory_limit(course, assignment, lim)
    return {"config": (course / "nbgrader_config.py").read_bytes(),
            "limits": lim,
            "source": {p.name: p.read_bytes() for p in sorted(src.glob("*.ipynb"))},
            "gradebook": template_gradebook(writer.db_url, writer.course_id, assignment),
            "sandbox": sandbox, "timeout": timeout}


@contextlib.contextmanager
def _alembic_on_path() -> Iterator[None]:
    """nbgrader runs ``alembic`` from PATH when it creates a gradebook: this environment's."""
    old = os.environ.get("PATH", "")
    os.environ["PATH"] = os.pathsep.join([os.path.dirname(sys.executable), old])
    try:
        yield
    finally:
        os.environ["PATH"] = old


@contextlib.contextmanager
def _course_lock(course: str | Path) -> Iterator[None]:
    """One grading command per course directory at a time (this host)."""
    path = Path(course) / ".grading.lock"
    with open(path, "w") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise GradingError(f"another `course autograde` is running on {course}") from None
        yield


def grade(course: str | Path, assignments: Sequence[str], jobs: int | None = None,
          scheduler: Any = None, db_url: str | None = None, force: bool = False,
          sandbox: bool = True, timeout: float | None = None,
          students: Collection[str] | None = None) -> Summary:
    """Grade every submission ``submitted/<student>/<assignment>/`` of the assignments.

    ``jobs``: submissions side by side on this machine (default: the number of cores);
    ``scheduler``: a Dask scheduler address (or a ``distributed.Client``) to grade on
    instead; ``db_url``: the gradebook (default: the config's ``CourseDirectory.db_url``);
    ``sandbox``: each job in the sandbox (False: trusted submissions only);
    ``timeout``: seconds a cell may run (default: the config's); ``students``: only these.
    Returns a Summary; the gradebook, ``autograded/`` and ``review.csv`` hold the results.

    What it has to say goes to this module's logger (``grading.scale``), nothing to a
    stream: info for the run and each submission, a warning for what is left out or
    interrupted.  The line that starts the run and the line of each finished submission
    carry ``progress=(done, total)`` (a ``LogRecord`` attribute), from which the CLI
    draws its bar on a terminal (grading/console.py).
    """
    course = Path(course).resolve()
    t0, cpu0 = time.time(), cpu_seconds(children=False)
    summary = Summary()
    refused: list[str] = []
    cd = coursedir(course, db_url)   # the course's configuration, read once for the command
    todo = find_submissions(course, list(assignments), refused, cd=cd)
    if students is not None:
        todo = [(a, s) for a, s in todo if s in set(students)]
    for line in refused:
        log.warning("skipped %s", line)
    for a in assignments:
        if not any(x == a for x, _ in todo):
            log.info("%s: no submissions", a)
    if not todo:
        return summary
    known = released(cd.db_url)
    unreleased = sorted({a for a, _ in todo} - known)
    if unreleased:  # before anything is written: no gradebook, no lock file, no log
        raise GradingError(f"{', '.join(unreleased)} has hand-ins but is not released (not in the "
                           f"gradebook): run `course release --assignment {unreleased[0]}` first")
    if sandbox:
        from .sandbox import check_environment

        check_environment()
    records = {}
    for a in sorted({a for a, _ in todo}):
        try:
            records[a] = verdicts.load_record(course, a)
        except verdicts.RecordError as exc:
            raise GradingError(str(exc)) from None

    with _course_lock(course), _alembic_on_path():
        writer = Writer(course, db_url, cd=cd)
        try:
            state = writer.state()
            common, digests, files, notices = {}, {}, {}, {}
            stamps: dict[tuple[str, str], bytes | None] = {}
            for a in sorted({a for a, _ in todo}):
                common[a] = prepare(course, writer, a, sandbox=sandbox, timeout=timeout)
            record_bytes = {a: verdicts.record_path(course, a).read_bytes() for a in common}
            for a, s in todo:
                files[a, s], notices[a, s] = intake.collect(course, a, s, cd=writer.cd)
                # the submission's time: the course's receipt where `course collect` made one
                # for these bytes, else the hand-in's timestamp.txt (grading/receipts.py)
                receipts.receive(course, a, s, files[a, s], by="autograde")
                received = receipts.collected(course, a, s, files[a, s])
                if received is not None:
                    late = receipts.disagreement(received, files[a, s].get(receipts.STAMP))
                    notices[a, s] += [late] if late else []
                    stamps[a, s] = receipts.stamp(received)
                else:
                    stamps[a, s] = files[a, s].get(receipts.STAMP)
                digests[a, s] = _digest({"nbgrader_config.py": common[a]["config"],
                                         "record": record_bytes[a],
                                         "grading mode": f"sandbox={sandbox} timeout={timeout}".encode()},
                                        common[a]["source"], files[a, s],
                                        {"notices": "\n".join(notices[a, s]).encode()})
                graded = (course / step_path(course, "autograded", a, s, cd=writer.cd)).is_dir()
                if not force and graded and state.get((a, s)) == (digests[a, s], "graded"):
                    summary.skipped.append((a, s))
            run = [x for x in todo if x not in summary.skipped]
            where = (f"Dask scheduler {scheduler if isinstance(scheduler, str) else scheduler.scheduler.address}"
                     if scheduler else f"{jobs or os.cpu_count()} jobs")
            log.info("grading %d submissions on %s%s", len(run), where,
                     f" ({len(summary.skipped)} already graded and unchanged)" if summary.skipped else "",
                     extra={"progress": (0, len(run))})
            finished = []

            def done(result: job_mod.JobResult) -> None:
                a, s = result.assignment, result.student
                stamp = stamps[a, s]
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
                # every job measures its own processes, here or on a Dask worker (grading/job.py)
                summary.cpu_s += result.cpu_s or 0.0
                if not result.ok:
                    writer.failed(a, s, digests[a, s], result.error, result, stamp)
                    summary.failed.append((a, s, result.error))
                finished.append((a, s))
                log.log(logging.INFO if result.ok else logging.WARNING, "[%d/%d] %s %s/%s (%.0f s)",
                        len(finished), len(run), "graded" if result.ok else "FAILED", s, a,
                        result.wall_s or 0, extra={"progress": (len(finished), len(run))})

            try:
                if scheduler:
                    dispatch.run_dask(scheduler, run, common, files, done)
                else:
                    dispatch.run_local(jobs or os.cpu_count() or 1, run, common, files, done)
            except KeyboardInterrupt:
                summary.interrupted = True
                log.warning("\ninterrupted: what was recorded stays; run again to resume")
        finally:
            writer.close()
    summary.wall_s = time.time() - t0
    summary.cpu_s += cpu_seconds(children=False) - cpu0  # this process (the writer); the jobs: above
    for line in summary.lines():
        log.info("%s", line)
    return summary


