"""Benchmark: what grading a submission costs against what running the notebook costs.

For each notebook, in one process and one after the other (the same machine, the same
load):

- ``run``: the source notebook (the reference solution, hidden tests included)
  executed the way the grader executes it, ``NBGRADER_EXECUTION=autograde jupyter
  nbconvert --execute``, one torch thread, no sandbox: the baseline;
- ``graded``: ``course autograde --jobs 1`` (grading/scale.py: sandboxed job,
  verdicts, tamper scan, the writer) on N copies of the bundled correct
  solution, in a scratch course (grading/scratch.py): wall and CPU per submission,
  the CPU from the command's own summary (its nbgrader processes, their sandboxed
  kernels, and the writer).

It prints one row per notebook with the ratio graded / run (wall and CPU), and
checks that every copy got full marks.  A ratio near 1 means grading costs what
running costs; the sandbox, the scan and the writer are the difference.

Usage: python bench/bench_grading_cost.py [--n 2] [--assignments 01_dv,02_mine,...]
                                          [--json FILE]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ["OMP_NUM_THREADS"] = "1"

from grading import console, report, scale, scratch  # noqa: E402
from grading.accounting import cpu_seconds  # noqa: E402


def run_source(assignment: str, tmp: Path) -> tuple[float, float]:
    """Wall and CPU seconds of the source notebook executed as the grader executes it."""
    src = ROOT / "source" / assignment / f"{assignment}.ipynb"
    env = dict(os.environ, NBGRADER_EXECUTION="autograde", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1",
               MPLBACKEND="agg", PYTHONHASHSEED="0")
    t0, c0 = time.time(), cpu_seconds(own=False)
    subprocess.run([sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute",
                    "--ExecutePreprocessor.timeout=1800", "--output-dir", str(tmp), str(src)],
                   check=True, env=env, capture_output=True)
    return time.time() - t0, cpu_seconds(own=False) - c0


def grade_copies(assignment: str, n: int, tmp: Path) -> tuple[float, float, bool]:
    """Wall and CPU seconds per submission of ``course autograde --jobs 1`` on n copies of
    the correct solution, and whether each got full marks."""
    course = tmp / "course"
    scratch.make_course(course, [assignment], origin=ROOT, release="generate")
    students = {f"s{i:02d}_correct": "correct" for i in range(n)}
    scratch.hand_in(course, assignment, scratch.examples_of(course, assignment, students))
    t0 = time.time()
    with console.shown(bar=False):
        summary = scale.grade(course, [assignment], jobs=1, force=True)
    wall = time.time() - t0
    full = not summary.failed
    most = report.autograded_max(course, assignment)
    for s in students:
        full = full and report.cell_scores(course, assignment, s) == most
    return wall / n, summary.cpu_s / n, full


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=2, help="copies of the correct solution per notebook (default 2)")
    ap.add_argument("--assignments", default=None, help="comma-separated (default: every notebook)")
    ap.add_argument("--json", type=Path, help="also write the results here")
    args = ap.parse_args(argv)
    chosen = args.assignments.split(",") if args.assignments else sorted(
        p.name for p in (ROOT / "source").iterdir() if p.is_dir())
    load0 = os.getloadavg()
    print(f"{os.cpu_count()} cores; load average before: {load0[0]:.2f} {load0[1]:.2f} {load0[2]:.2f}; "
          f"{args.n} graded copies per notebook", flush=True)
    print(f"{'notebook':<20} {'run wall':>9} {'run CPU':>8} {'graded wall':>12} {'graded CPU':>11} "
          f"{'ratio wall':>11} {'ratio CPU':>10}  full marks")
    rows, ok = [], True
    for a in chosen:
        assert (ROOT / "source" / a).is_dir(), f"no notebook {a}"
        with tempfile.TemporaryDirectory(prefix=f"bench-cost-{a}-") as tmp:
            run_wall, run_cpu = run_source(a, Path(tmp))
            g_wall, g_cpu, full = grade_copies(a, args.n, Path(tmp))
        ok = ok and full
        row = dict(assignment=a, run_wall_s=run_wall, run_cpu_s=run_cpu, graded_wall_s=g_wall,
                   graded_cpu_s=g_cpu, ratio_wall=g_wall / run_wall, ratio_cpu=g_cpu / run_cpu, full_marks=full)
        rows.append(row)
        print(f"{a:<20} {run_wall:8.1f}s {run_cpu:7.1f}s {g_wall:11.1f}s {g_cpu:10.1f}s "
              f"{row['ratio_wall']:10.2f}x {row['ratio_cpu']:9.2f}x  {full}", flush=True)
    load1 = os.getloadavg()
    print(f"load average after: {load1[0]:.2f} {load1[1]:.2f} {load1[2]:.2f}")
    if args.json:
        args.json.write_text(json.dumps({"n": args.n, "load_before": load0, "load_after": load1,
                                         "rows": rows}, indent=1))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
