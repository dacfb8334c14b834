"""nbgrader commands in processes forked from a server that has nbgrader imported.

Importing nbgrader takes about 2.6 CPU-s on the course machines (its package
imports Jupyter Server's handlers).  Grading at scale runs one nbgrader
command per submission, so a fresh ``python -m nbgrader`` per job pays that
again and again.  Here a multiprocessing *forkserver* imports nbgrader and
this course's executor once; each command is a fresh fork of it, which runs
``nbgrader`` exactly as ``python -m nbgrader ARGS`` would, with its own working
directory, environment and output file, and exits.  A command still has a
process of its own: killing it, or a crash in it, costs that command only.

``run`` returns a ``subprocess.CompletedProcess`` like ``subprocess.run`` (stdout
and stderr together), plus ``cpu_s``: the CPU time of the command and of the
children it waited for (a forked process's time reaches the forkserver, not
this process, so it is reported back).

As with any multiprocessing start method but fork, a script that grades must
keep its top level import-safe (``if __name__ == "__main__":``): each forked
command imports the main script again (``python -m`` modules are exempt).

Not used where a process may not have children of its own (a daemonic process,
such as a Dask worker by default) or when ``COURSE_NBGRADER_FORK=0``: there
``available()`` is False and callers start ``python -m nbgrader``.
"""
from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any, Mapping, Sequence

PRELOAD = ["nbgrader.apps.nbgraderapp", "grading.execute"]
_lock = threading.Lock()
_context: Any = None   # multiprocessing's forkserver context, made on first use


class Completed(subprocess.CompletedProcess[str]):
    """A finished nbgrader command: ``subprocess.CompletedProcess`` (stdout and stderr
    together) with its CPU time ``cpu_s`` and the part of it that this process's
    RUSAGE_CHILDREN does not count, ``uncounted_cpu_s`` (grading/nbg.py sets it)."""

    cpu_s: float = 0.0
    uncounted_cpu_s: float = 0.0


def available() -> bool:
    if os.environ.get("COURSE_NBGRADER_FORK", "1").strip() == "0":
        return False
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return False
    return not multiprocessing.current_process().daemon


def _ctx():
    global _context
    with _lock:
        if _context is None:
            ctx = multiprocessing.get_context("forkserver")
            ctx.set_forkserver_preload(PRELOAD)
            _context = ctx
        return _context


def _child(argv, cwd, env, out_path, cpu_path):
    """In the forked process: run nbgrader, then report the CPU time and exit."""
    import traceback

    from .accounting import cpu_seconds

    code = 1
    try:
        fd = os.open(out_path, os.O_WRONLY | os.O_APPEND)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.close(fd)
        os.chdir(cwd)
        os.environ.clear()
        os.environ.update(env)
        sys.argv = ["nbgrader", *argv]
        from nbgrader.apps.nbgraderapp import main

        try:
            main()
            code = 0
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        except BaseException:
            traceback.print_exc()
            code = 1
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
            with open(cpu_path, "w") as f:
                f.write(f"{cpu_seconds():.3f}\n")
        finally:
            os._exit(code)


def run(argv: Sequence[str], cwd: str | Path, env: Mapping[str, str]) -> Completed:
    """``nbgrader ARGV`` in ``cwd`` with exactly the environment ``env``."""
    ctx = _ctx()
    fd, out_path = tempfile.mkstemp(prefix="nbgrader-", suffix=".log")
    os.close(fd)
    cpu_path = out_path[:-4] + ".cpu"
    try:
        p = ctx.Process(target=_child, args=(list(argv), str(cwd), dict(env), out_path, cpu_path),
                        name="nbgrader " + " ".join(map(str, argv[:2])))
        p.start()
        p.join()
        with open(out_path, errors="replace") as f:
            output = f.read()
        try:
            with open(cpu_path) as f:
                cpu = float(f.read())
        except (OSError, ValueError):
            cpu = 0.0  # killed before it could say: its time is lost to the count
        proc = Completed([sys.executable, "-m", "nbgrader", *argv], p.exitcode, stdout=output)
        proc.cpu_s = cpu
        return proc
    finally:
        for path in (out_path, cpu_path):
            try:
                os.unlink(path)
            except OSError:
                pass
