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


def run(course, *args, check=True, quiet=False, extra_env=None):
    """``nbgrader ARGS`` in the course directory, with this interpreter's nbgrader."""
    cmd = [sys.executable, "-m", "nbgrader", *map(str, args)]
    proc = subprocess.run(cmd, cwd=str(course), env=kernel_env(extra_env), text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if not quiet:
        sys.stdout.write(proc.stdout)
    if check and proc.returncode != 0:
        raise NbgraderError(f"nbgrader {' '.join(map(str, args))} failed ({proc.returncode}):\n"
                            + proc.stdout[-4000:])
    return proc


def generate_assignment(course, assignment):
    return run(course, "generate_assignment", assignment, "--force", quiet=True)


def autograde(course, assignment, student=None, force=True):
    args = ["autograde", assignment]
    if student:
        args += ["--student", student]
    if force:
        args.append("--force")
    return run(course, *args, quiet=True)


def generate_feedback(course, assignment):
    return run(course, "generate_feedback", assignment, "--force", quiet=True)


def export(course, to):
    return run(course, "export", "--to", str(Path(to).resolve()), quiet=True)
