"""Where jobs run: threads of the grading command, or tasks on a Dask cluster.

Each function calls ``done(result)`` in the calling thread as results arrive, so the one
writer records them one at a time.
"""
from __future__ import annotations

import hashlib
import os
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import Any, Callable

from . import job as job_mod

grade_job = job_mod.grade_job

# what the jobs of a run need: (assignment, student) to grade, each assignment's shared
# inputs (scale.prepare), each submission's files (intake.collect), and the writer's callback
Run = list[tuple[str, str]]
Common = dict[str, dict[str, Any]]
Files = dict[tuple[str, str], dict[str, bytes]]
Done = Callable[[job_mod.JobResult], None]


def run_local(jobs: int, run: Run, common: Common, files: Files, done: Done) -> None:
    pool = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="grade")
    try:
        futures = [pool.submit(grade_job, common[a], a, s, files[a, s])
                   for a, s in run]
        for f in as_completed(futures):
            done(f.result())
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def run_dask(scheduler: Any, run: Run, common: Common, files: Files, done: Done) -> None:
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
