"""Benchmark: grading N real 01_dv submissions one after another and side by side.

Builds a fresh course in a temporary folder, releases 01_dv, and hands in N
submissions cloned from the bundled examples (the reference solution and the
typical mistakes, in turn, under ids s000_<example>, s001_<example>, ...).
Then it grades the same N submissions in up to three ways, each in its own
copy of the course (its own gradebook):

- ``serial``: the course's serial grader (``grading.serial.autograde``: the
  submissions one after another, each a sandboxed job, the verdicts, tamper
  checks and scores in the writer): the baseline;
- ``stock``: stock nbgrader with no sandbox and no tamper checks, for
  reference (not a fair baseline: it does less);
- ``jobs1``: ``course autograde --jobs 1``: this course's command, one at a time
  (its per-submission overhead, without parallelism);
- ``jobsK``: ``course autograde --jobs K`` (default K = 2).

For each it reports wall time, CPU time (nbgrader, the kernels, and for the
course's command the command itself) and seconds per submission, checks that every way recorded the
same scores, and prints the speed-up of ``jobsK`` over ``serial``, ``stock``
and ``jobs1``, and a projection for a larger course from the measured cost.

Usage: python bench/bench_grading.py [--n 40] [--jobs 2] [--modes serial,jobs1,jobs2,stock]
                                     [--json FILE]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ["OMP_NUM_THREADS"] = "1"

from grading import console, examples, nbg, scale, scratch, serial  # noqa: E402
from grading.accounting import cpu_seconds  # noqa: E402

ASSIGNMENT = "01_dv"


def make_course(dest, n):
    """A course with 01_dv released and N submissions handed in (grading/scratch.py): the
    bundled examples, the reference solution first, then the mistakes, round and round."""
    scratch.make_course(dest, [ASSIGNMENT], origin=ROOT, release="generate")
    names = sorted(examples.specs(dest, ASSIGNMENT))
    names.remove("correct")
    names.insert(0, "correct")
    students = {f"s{i:03d}_{names[i % len(names)]}": names[i % len(names)] for i in range(n)}
    scratch.hand_in(dest, ASSIGNMENT, scratch.examples_of(dest, ASSIGNMENT, students))
    return dest


def scores(course):
    from nbgrader.api import Gradebook

    with Gradebook(scale.coursedir(course).db_url) as gb:
        return {sub.student.id: {g.name: g.auto_score for nb in sub.notebooks for g in nb.grades}
                for sub in gb.find_assignment(ASSIGNMENT).submissions}


def run_mode(mode, course, jobs):
    t0, c0 = time.time(), cpu_seconds(own=False)
    extra = {}
    if mode == "serial":
        extra["summary_cpu_s"] = serial.autograde(course, ASSIGNMENT).cpu_s
    elif mode == "stock":
        extra["uncounted_cpu_s"] = nbg.run(course, "autograde", ASSIGNMENT, "--force", quiet=True,
                                           check=False).uncounted_cpu_s
    else:
        k = 1 if mode == "jobs1" else jobs
        with console.shown(bar=sys.stderr.isatty()):   # the grading log, as before it was one
            summary = scale.grade(course, [ASSIGNMENT], jobs=k, force=True)
        extra = {"failed": len(summary.failed), "writer_s": summary.write_s,
                 "summary_cpu_s": summary.cpu_s,
                 "job_wall_s_mean": (sum(summary.job_wall_s) / len(summary.job_wall_s)
                                     if summary.job_wall_s else None)}
    wall, cpu = time.time() - t0, cpu_seconds(own=False) - c0
    # CPU: nbgrader and the kernels; for the course's command, its own summary's figure
    # (its nbgrader processes, their sandboxed kernels, and the command itself: the writer)
    cpu = extra.get("summary_cpu_s", cpu + extra.get("uncounted_cpu_s", 0.0))
    return {"mode": mode, "wall_s": wall, "cpu_s": cpu, **extra}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=40, help="submissions (default 40)")
    ap.add_argument("--jobs", type=int, default=2, help="K of the parallel run (default 2)")
    ap.add_argument("--modes", default=None, help="comma-separated from serial, stock, jobs1, jobsK (default serial,jobsK)")
    ap.add_argument("--json", type=Path, help="also write the results here")
    args = ap.parse_args(argv)
    modes = (args.modes or f"serial,jobs{args.jobs}").split(",")
    load0 = os.getloadavg()
    print(f"{args.n} submissions of {ASSIGNMENT}; {os.cpu_count()} cores; "
          f"load average before: {load0[0]:.2f} {load0[1]:.2f} {load0[2]:.2f}", flush=True)
    results, graded = [], {}
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
        template = make_course(Path(tmp) / "template", args.n)
        for mode in modes:
            course = Path(tmp) / mode
            shutil.copytree(template, course)
            r = run_mode(mode, course, args.jobs)
            r["per_submission_wall_s"] = r["wall_s"] / args.n
            r["per_submission_cpu_s"] = r["cpu_s"] / args.n
            results.append(r)
            graded[mode] = scores(course)
            print(f"{mode:>6}: wall {r['wall_s']:7.1f} s  CPU {r['cpu_s']:7.1f} s  "
                  f"per submission {r['per_submission_wall_s']:5.1f} s wall, "
                  f"{r['per_submission_cpu_s']:5.1f} s CPU"
                  + (f"  (writer {r['writer_s']:.1f} s in all)" if "writer_s" in r else ""),
                  flush=True)
    load1 = os.getloadavg()
    same = all(g == graded[modes[0]] for g in graded.values())
    complete = all(len(g) == args.n for g in graded.values())
    by = {r["mode"]: r for r in results}
    print(f"load average after: {load1[0]:.2f} {load1[1]:.2f} {load1[2]:.2f}")
    print(f"every run graded all {args.n}: {complete}; identical scores in every run: {same}")
    par = by.get(f"jobs{args.jobs}")
    if par:
        for base in ("serial", "stock", "jobs1"):
            if base in by:
                print(f"speed-up of --jobs {args.jobs} over {base}: "
                      f"{by[base]['wall_s'] / par['wall_s']:.2f}x")
        # Projection: CPU-bound, linear in cores, same cost per submission for every notebook.
        cost = par["per_submission_cpu_s"]
        writer = par["writer_s"] / args.n
        total = 500 * 3
        print(f"measured cost: {cost:.1f} CPU-s per submission; the one writer {writer:.2f} s per submission")
        for label, cores in (("16-core machine, --jobs 16", 16),
                             ("4-host Dask cluster, 16 cores each (64 workers)", 64)):
            t = max(total * cost / cores, total * writer)
            print(f"projected 500 students x 3 notebooks on a {label}: {t / 60:.0f} min "
                  f"(max of {total} x {cost:.1f} s / {cores} and the writer's {total * writer / 60:.1f} min)")
    if args.json:
        args.json.write_text(json.dumps({"n": args.n, "jobs": args.jobs, "load_before": load0,
                                         "load_after": load1, "results": results,
                                         "identical_scores": same, "complete": complete}, indent=1))
    return 0 if same and complete else 1


if __name__ == "__main__":
    raise SystemExit(main())
