"""Run real nbgrader commands on a course directory: release, feedback, export.

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


def generate_feedback(course: str | Path, assignment: str) -> Completed:
    return run(course, "generate_feedback", assignment, "--force", quiet=True)


def export(course: str | Path, to: str | Path) -> Completed:
    return run(course, "export", "--to", str(Path(to).resolve()), quiet=True)
