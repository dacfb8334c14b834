"""The serial grader and the record: one sandboxed job at a time, through the one writer.

``autograde`` is ``scale.grade`` with one job (the reference the parallel and
Dask paths must equal); ``record`` makes the instructor-side record of an
assignment's checks from the reference solution's graded run.
"""
from __future__ import annotations

import logging
from pathlib import Path

from . import job as job_mod, scale, verdicts
from .errors import NbgraderError
from .sandbox import peak_path

log = logging.getLogger(__name__)


def autograde(course: str | Path, assignment: str, student: str | None = None, force: bool = True,
              sandbox: bool = True, timeout: float | None = None) -> scale.Summary:
    """Grade one assignment's submissions (all, or one student's), one at a time.

    The serial grader is the parallel one with one job: every submission is read by
    the grading command, graded in its own sandboxed job and recorded by the one
    writer (grading/scale.py).  Returns the Summary; raises NbgraderError if a
    submission could not be graded at all.  What it has to say goes to the logger
    ``grading.scale``.
    """
    summary = scale.grade(course, [assignment], jobs=1, force=force, sandbox=sandbox,
                          timeout=timeout, students=[student] if student else None)
    if summary.failed:
        raise NbgraderError("; ".join(f"{s}/{a}: {(e or '?')[-2000:]}" for a, s, e in summary.failed))
    return summary


def record(course: str | Path, assignment: str, sandbox: bool = True,
           timeout: float | None = None) -> Path:
    """Make ``expected/<assignment>.json``: grade the source notebooks (the reference
    solution) through the same sandboxed job, and keep what each test cell checked
    (grading/verdicts.py).  Returns the record's path; the line that says what was
    recorded goes to this module's logger."""
    import json

    import nbformat

    course = Path(course).resolve()
    with scale._alembic_on_path():
        writer = scale.Writer(course)
        try:
            # the reference runs under the configured limit, not one set from its own last peak
            common = scale.prepare(course, writer, assignment, sandbox=sandbox, timeout=timeout,
                                   measured_limit=False)
        finally:
            writer.close()
    if not common["source"]:
        raise NbgraderError(f"source/{assignment}/ has no notebook")
    result = job_mod.grade_job(common, assignment, "course-record", dict(common["source"]))
    if not result.ok:
        raise NbgraderError(f"recording {assignment} failed: {result.error}")
    entries = {}
    for name, data in sorted(result.notebooks.items()):
        nb = nbformat.reads(data.decode("utf-8"), as_version=4)
        entries[name] = verdicts.record_from_graded(nb, common["source"][name])
    path = verdicts.record_path(course, assignment)
    path.parent.mkdir(exist_ok=True)
    text = json.dumps({"assignment": assignment,
                       "about": "Expected values, truths and tolerances of the hidden tests, as the "
                                "reference solution's graded run reported them (course record). "
                                "Instructor side only: never hand this out.",
                       "notebooks": entries}, indent=1, sort_keys=True)
    path.write_text(text + "\n")
    peak = {"assignment": assignment, "peak_rss_mb": round(result.peak_rss_mb, 1),
            "about": "The largest resident memory of one process (nbgrader's or the kernel's) while the "
                     "reference solution was graded (course record); each process of a student's job "
                     "may hold SandboxLimits.peak_factor times this (grading/sandbox.py, memory_limit)."}
    peak_path(course, assignment).write_text(json.dumps(peak, indent=1, sort_keys=True) + "\n")
    n = sum(len(c) for e in entries.values() for c in e["cells"].values())
    log.info("recorded %d checks of %d test cells in %s (%.0f s)", n,
             sum(len(e["cells"]) for e in entries.values()), path.relative_to(course), result.wall_s)
    return path


