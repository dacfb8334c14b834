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
    import resource

    who = ([resource.RUSAGE_SELF] if own else []) + ([resource.RUSAGE_CHILDREN] if children else [])
    return sum(r.ru_utime + r.ru_stime for r in map(resource.getrusage, who))


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


def autograde(course, assignment, student=None, force=True, sandbox=True, timeout=None):
    """``nbgrader autograde`` of one assignment (all its submissions, or one student's).

    Every call is sandboxed unless ``sandbox=False`` (trusted submissions only):
    see grading/sandbox.py.  Before grading, each submission is checked and
    staged (grading/intake.py): an unreadable or missing notebook is graded
    zero, a renamed one is graded under the release's name, extra files are
    left out.  After grading, tampering zeroes the affected test cells
    (grading/tamper.py), and every finding goes to the course's review list
    (``review.csv``).  Safe to run in parallel processes, one student each.
    Returns the finished process; its ``uncounted_cpu_s`` is the CPU time of
    nbgrader and its kernels that this process's RUSAGE_CHILDREN does not count
    (a forked nbgrader's, and the sandboxed kernels', ``kernel_cpu_s``).
    """
    from . import intake, sandbox as sandbox_mod

    course = Path(course).resolve()
    box = sandbox_mod.Sandbox(course) if sandbox else None
    staged = intake.stage(course, assignment, student)
    try:
        args = ["autograde", assignment,
                f"--CourseDirectory.submitted_directory={staged.submitted}"]
        if student:
            args += ["--student", student]
        if force:
            args.append("--force")
        if timeout:
            args.append(f"--Execute.timeout={int(timeout)}")
        extra_env = {}
        if box:
            args += box.nbgrader_args()
            extra_env.update(box.env())
        proc = run(course, *args, quiet=True, check=False, extra_env=extra_env)
        # CPU seconds of the kernels that nbgrader's own children's time does not hold
        # (a sandboxed kernel's time stops at its pid namespace: see sandbox.KERNEL_LAUNCHER)
        proc.kernel_cpu_s = sandbox_mod.kernel_cpu(proc.stdout) if box else 0.0
        proc.uncounted_cpu_s += proc.kernel_cpu_s
        if proc.returncode < 0:
            # killed by a signal mid-run: what it left in autograded/ is unfinished (a
            # notebook copied but not executed would score as if every test passed)
            raise NbgraderError(f"nbgrader {' '.join(args[:2])} was killed by signal "
                                f"{-proc.returncode}:\n" + proc.stdout[-4000:])
        graded = intake.finish(course, assignment, staged, proc)
        if proc.returncode != 0 and not graded:
            raise NbgraderError(f"nbgrader {' '.join(args[:2])} failed ({proc.returncode}):\n"
                                + proc.stdout[-4000:])
        return proc
    finally:
        staged.close()
        if box:
            box.close()


def generate_feedback(course, assignment):
    return run(course, "generate_feedback", assignment, "--force", quiet=True)


def export(course, to):
    return run(course, "export", "--to", str(Path(to).resolve()), quiet=True)
