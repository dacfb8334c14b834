"""Run real nbgrader commands on a course directory: release, feedback, export.

Feedback runs nbgrader once per student and notebook (``generate_feedback``, what
``course feedback`` runs): one broken notebook cannot stop the others.

(Autograding is the course's own pipeline around ``nbgrader autograde``:
grading/job.py runs it in the sandbox, grading/scale.py records its results.)"""
from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Mapping


from .errors import NbgraderError  # noqa: E402,F401
from .forked import Completed

log = logging.getLogger(__name__)


def kernel_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """Environment for nbgrader and the kernels it starts: torch single-threaded."""
    env = dict(os.environ)
    env.update({"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYTHONHASHSEED": "0",
                "MPLBACKEND": "agg"})
    # nbgrader runs `alembic` and kernels from PATH: this environment's first.
    env["PATH"] = os.pathsep.join([os.path.dirname(sys.executable), env.get("PATH", "")])
    env.update(extra or {})
    return env


def run(course: str | Path, *args: Any, check: bool = True, quiet: bool = False,
        extra_env: Mapping[str, str] | None = None) -> Completed:
    """``nbgrader ARGS`` in the course directory, with this interpreter's nbgrader.

    Forked from a process that has nbgrader imported (grading/forked.py) where
    possible, else ``python -m nbgrader``; the same command either way.  The
    result's ``uncounted_cpu_s`` is the CPU time of the command that this
    process's RUSAGE_CHILDREN does not include (a forked command's).
    """
    from . import forked

    args = tuple(str(a) for a in args)
    env = kernel_env(extra_env)
    if forked.available():
        proc = forked.run(args, course, env)
        proc.uncounted_cpu_s = proc.cpu_s
    else:
        done = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=str(course), env=env,
                              text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        proc = Completed(done.args, done.returncode, stdout=done.stdout)
    if not quiet:
        for line in proc.stdout.rstrip("\n").splitlines():
            log.info("%s", line)
    if check and proc.returncode != 0:
        raise NbgraderError(f"nbgrader {' '.join(args)} failed ({proc.returncode}):\n"
                            + proc.stdout[-4000:])
    return proc


def generate_assignment(course: str | Path, assignment: str) -> Completed:
    return run(course, "generate_assignment", assignment, "--force", quiet=True)


def feedback_jobs(course: str | Path, assignment: str) -> tuple[list[tuple[str, str]], list[str]]:
    """[(student, notebook id)] whose feedback to generate, and [notices] of what is skipped.

    One job per student and notebook of the assignment's source, for the
    autograded notebooks that are regular files: an extra ``.ipynb`` in an
    autograded folder (not in the gradebook) is skipped, not fed to nbgrader,
    where it would stop the whole command.
    """
    course = Path(course)
    names = sorted(p.stem for p in (course / "source" / assignment).glob("*.ipynb"))
    jobs, notices = [], []
    for folder in sorted((course / "autograded").glob(f"*/{assignment}")):
        student = folder.parent.name
        if folder.is_symlink() or not folder.is_dir():
            notices.append(f"{student}: autograded/{student}/{assignment} is not a folder, skipped")
            continue
        for p in sorted(folder.glob("*.ipynb")):
            if p.stem not in names:
                notices.append(f"{student}: {p.name} is not a notebook of {assignment}, skipped")
        for name in names:
            p = folder / f"{name}.ipynb"
            if p.is_symlink() or (p.exists() and not p.is_file()):
                notices.append(f"{student}: {p.name} is not a regular file, skipped")
            elif p.is_file():
                jobs.append((student, name))
    return jobs, notices


def generate_feedback(course: str | Path, assignment: str
                      ) -> tuple[int, list[tuple[str, str, str]], list[str]]:
    """Feedback for every autograded notebook of ``assignment``, one nbgrader run per student
    and notebook: (notebooks done, [(student, notebook, why) that failed], [notices]).

    A student's old feedback file goes first, so that a failed run leaves none
    (never an older one, scrubbed by older rules).
    """
    course = Path(course)
    jobs, notices = feedback_jobs(course, assignment)
    done, failed = 0, []
    for student, name in jobs:
        html = course / "feedback" / student / assignment / f"{name}.html"
        html.unlink(missing_ok=True)
        try:
            proc = run(course, "generate_feedback", assignment, "--student", student,
                           "--notebook", name, "--force", quiet=True, check=False)
            ok, tail = proc.returncode == 0, proc.stdout
        except Exception as exc:  # noqa: BLE001  (one job's failure is reported, not fatal)
            ok, tail = False, f"{type(exc).__name__}: {exc}"
        if ok and html.is_file():
            done += 1
        else:
            last = [ln for ln in str(tail).strip().splitlines() if ln.strip()][-3:]
            failed.append((student, name, " | ".join(last) or "no feedback file written"))
    return done, failed, notices


def export(course: str | Path, to: str | Path) -> Completed:
    return run(course, "export", "--to", str(Path(to).resolve()), quiet=True)
