"""Benchmark: what the privilege separation costs per submission, against the grader before it.

    .venv/bin/python bench/bench_separation.py --old DIR [--n 6] [--rounds 2] [--assignment toy]

``--old DIR`` is a checkout of the course before the separation (for example
``git worktree add DIR b3d9634 && make -C DIR setup``), with its own ``.venv``.
Both versions grade the same batch: N copies of the reference solution of the
toy assignment (tests/fixtures/toy: numpy and torch cells), each version in a
fresh course built with its own ``course release``, with
``course autograde --jobs 1`` (one submission after another, sandboxed).  The
two versions alternate, ROUNDS times each, so that both see the same load.
Prints seconds per submission for each run and the ratio new / old of the
medians.  Run it on a quiet machine: other load dominates these numbers.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

NEW = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(NEW))

from grading import scratch  # noqa: E402


def course_cmd(tree: Path, course: Path, *args: str) -> subprocess.CompletedProcess:
    python = tree / ".venv" / "bin" / "python"
    return subprocess.run([str(python), "-m", "grading", "--course", str(course), *args],
                          capture_output=True, text=True, cwd=str(course),
                          env=dict(os.environ, PYTHONPATH=str(tree), OMP_NUM_THREADS="1"))


def template(tree: Path, dest: Path, assignment: str) -> Path:
    """A course of that version's own toy fixture (tests/fixtures/<assignment>/, the new one
    reports through REFERENCE checks), built by grading/scratch.py from that version's
    files, and released by that version's own ``course release``."""
    scratch.make_course(dest, origin=tree, fixtures=[assignment])
    proc = course_cmd(tree, dest, "--assignment", assignment, "release")
    if proc.returncode != 0:
        raise SystemExit(f"release with {tree} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return dest


def batch(course: Path, assignment: str, n: int) -> None:
    """N students hand in the source notebook (the reference solution)."""
    import nbformat

    source = nbformat.read(scratch.notebook(course, "source", assignment), as_version=4)
    scratch.hand_in(course, assignment, {f"student{k:02d}": source for k in range(n)})


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--old", type=Path, required=True)
    ap.add_argument("--n", type=int, default=6)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--assignment", default="toy")
    args = ap.parse_args(argv)
    trees = {"old": args.old.resolve(), "new": NEW}
    print(f"{args.n} submissions of {args.assignment}, {args.rounds} rounds; load average before: "
          f"{os.getloadavg()[0]:.2f}", flush=True)
    times = {k: [] for k in trees}
    with tempfile.TemporaryDirectory(prefix="bench-separation-") as tmp:
        templates = {k: template(t, Path(tmp) / f"template-{k}", args.assignment) for k, t in trees.items()}
        for r in range(args.rounds):
            for k, tree in trees.items():
                course = Path(tmp) / f"{k}-{r}"
                shutil.copytree(templates[k], course)
                batch(course, args.assignment, args.n)
                t0 = time.time()
                proc = course_cmd(tree, course, "--assignment", args.assignment, "autograde",
                                  "--jobs", "1", "--timeout", "60", "--no-progress")
                wall = time.time() - t0
                if proc.returncode != 0:
                    raise SystemExit(f"{k} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
                times[k].append(wall / args.n)
                print(f"round {r} {k}: {wall / args.n:.2f} s per submission", flush=True)
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"\nmedian s per submission: old {med['old']:.2f}, new {med['new']:.2f}; "
          f"new / old = {med['new'] / med['old']:.2f}; load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    sys.exit(main())
