"""Run real nbgrader commands on a course directory."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


class NbgraderError(RuntimeError):
    pass


def kernel_env(extra=None):
    """Environment for nbgrader and the kernels it starts: torch single-threaded."""
    env = dict(os.environ)
    env.update({"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYTHONHASHSEED": "0",
                "MPLBACKEND": "agg"})
    # nbgrader runs `alembic` and kernels from PATH: this environment's first.
    env["PATH"] = os.pathsep.join([os.path.dirname(sys.executable), env.get("PATH", "")])
    env.update(extra or {})
    return env


def cpu_seconds(own=True, children=True):
    """User + system CPU seconds of this process and/or of the children it has waited for."""
    from .job import cpu_seconds as cpu
    return cpu(own, children)


def run(course, *args, check=True, quiet=False, extra_env=None):
    """``nbgrader ARGS`` in the course directory, with this interpreter's nbgrader.

    Forked from a process that has nbgrader imported (grading/forked.py) where
    possible, else ``python -m nbgrader``; the same command either way.  The
    result's ``uncounted_cpu_s`` is the CPU time of the command that this
    process's RUSAGE_CHILDREN does not include (a forked command's).
    """
    from . import forked

    args = [str(a) for a in args]
    env = kernel_env(extra_env)
    if forked.available():
        proc = forked.run(args, course, env)
        proc.uncounted_cpu_s = proc.cpu_s
    else:
        proc = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=str(course), env=env,
                              text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        proc.uncounted_cpu_s = 0.0
    if not quiet:
        sys.stdout.write(proc.stdout)
    if check and proc.returncode != 0:
        raise NbgraderError(f"nbgrader {' '.join(args)} failed ({proc.returncode}):\n"
                            + proc.stdout[-4000:])
    return proc


def generate_assignment(course, assignment):
    return run(course, "generate_assignment", assignment, "--force", quiet=True)


def autograde(course, assignment, student=None, force=True, sandbox=True, timeout=None, out=None):
    """Grade one assignment's submissions (all, or one student's), one at a time.

    The serial grader is the parallel one with one job: every submission is read by
    the grading command, graded in its own sandboxed job and recorded by the one
    writer (grading/scale.py).  Returns the Summary; raises NbgraderError if a
    submission could not be graded at all.
    """
    import io

    from . import scale

    buf = io.StringIO()
    summary = scale.grade(course, [assignment], jobs=1, force=force, progress=False, sandbox=sandbox,
                          timeout=timeout, students=[student] if student else None, out=out or buf)
    if summary.failed:
        raise NbgraderError("; ".join(f"{s}/{a}: {e[-2000:]}" for a, s, e in summary.failed))
    return summary


def record(course, assignment, sandbox=True, timeout=None, out=sys.stdout):
    """Make ``expected/<assignment>.json``: grade the source notebooks (the reference
    solution) through the same sandboxed job, and keep what each test cell checked
    (grading/verdicts.py).  Returns the record's path."""
    import json

    import nbformat

    from . import job as job_mod, scale, verdicts

    course = Path(course).resolve()
    with scale._alembic_on_path():
        writer = scale.Writer(course)
        try:
            common = scale.prepare(course, writer, assignment, sandbox=sandbox, timeout=timeout)
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
    n = sum(len(c) for e in entries.values() for c in e["cells"].values())
    print(f"recorded {n} checks of {sum(len(e['cells']) for e in entries.values())} test cells "
          f"in {path.relative_to(course)} ({result.wall_s:.0f} s)", file=out)
    return path


def generate_feedback(course, assignment):
    return run(course, "generate_feedback", assignment, "--force", quiet=True)


def export(course, to):
    return run(course, "export", "--to", str(Path(to).resolve()), quiet=True)
