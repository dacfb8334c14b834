"""The sandbox's cost per submission: one batch of toy submissions, graded with and without it.

    .venv/bin/python scripts/sandbox_cost.py [N] [ROUNDS]

Builds a course with the toy assignment of tests/fixtures/toy (numpy and torch
cells), hands in N correct submissions, and autogrades the same batch with the
sandbox and without it, alternating, ROUNDS times each.  Prints seconds per
submission.  Run it on a quiet machine: other load dominates these numbers.
"""
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import nbformat  # noqa: E402

from grading import report, scratch, serial  # noqa: E402


def main(n=6, rounds=2):
    # the toy assignment released as `course release` does it: source, release, course record
    course = scratch.make_course(Path(tempfile.mkdtemp(prefix="sandbox-cost-")), origin=ROOT,
                                 fixtures=["toy"], release="course")
    source = nbformat.read(scratch.notebook(course, "source", "toy"), as_version=4)
    scratch.hand_in(course, "toy", {f"student{k:02d}": source for k in range(n)})
    times = {True: [], False: []}
    for _ in range(rounds):
        for sandbox in (True, False):
            t0 = time.time()
            serial.autograde(course, "toy", sandbox=sandbox)
            times[sandbox].append((time.time() - t0) / n)
            assert all(report.cell_scores(course, "toy", f"student{k:02d}") ==
                       {"test_square": 1.0, "test_tensor_mean": 1.0} for k in range(n))
    for sandbox in (True, False):
        t = times[sandbox]
        print(f"{'sandboxed  ' if sandbox else 'unsandboxed'}: {statistics.median(t):.2f} s per submission "
              f"(median of {len(t)} batches of {n}; all: {', '.join(f'{x:.2f}' for x in t)})")
    shutil.rmtree(course, ignore_errors=True)


if __name__ == "__main__":
    main(*map(int, sys.argv[1:3]))
