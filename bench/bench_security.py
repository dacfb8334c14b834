"""Benchmark: what issue 24's changes cost, in CPU seconds, against the grader before them.

    .venv/bin/python bench/bench_security.py --old DIR [--n 4] [--rounds 2] [--outputs 10000]

``--old DIR``: the course's files before the change (for example
``git archive <commit> | tar -x -C DIR``); it runs with this checkout's Python
environment (PYTHONPATH=DIR), so only the code differs.

1. **Feedback**, in this process: an autograded notebook of 01_dv whose cells carry
   ``--outputs`` outputs in all (streams, displays, errors), through the feedback
   preprocessors as nbgrader_config.py lists them, old (ScrubTestCells, ScrubOutputs)
   and new (GraderOnlyOutputs first), alternating ROUNDS times; CPU seconds of this
   process (``time.process_time``).
2. **The grading path**: N copies of the toy assignment's reference solution graded by
   ``course autograde --jobs 1`` of each version, alternating ROUNDS times; CPU seconds
   per submission from the command's own summary line (this process and its children,
   the sandboxed kernels included).

Prints each run and the ratio new / old of the medians.  The machine is shared: the
load average is printed before and after.
"""
from __future__ import annotations

import argparse
import os
import re
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


def many_outputs(total: int):
    import nbformat

    nb = nbformat.read(str(NEW / "source/01_dv/01_dv.ipynb"), as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    for k in range(total):
        c = code[k % len(code)]
        kind = k % 3
        if kind == 0:
            out = nbformat.v4.new_output("stream", name="stdout", text=f"epoch {k}: loss {k * 0.001:.4f}\n")
        elif kind == 1:
            out = nbformat.v4.new_output("display_data", data={"text/plain": f"<Figure {k}>"})
        else:
            out = nbformat.v4.new_output("error", ename="ValueError", evalue=f"bad {k}", traceback=[f"bad {k}"])
        c.outputs.append(out)
    return nb


def feedback_cpu(nb, new: bool) -> float:
    import copy

    from traitlets.config import Config

    from grading.feedback import GraderOnlyOutputs, ScrubOutputs, ScrubTestCells

    nb = copy.deepcopy(nb)
    resources = {"nbgrader": {"assignment": "01_dv", "notebook": "01_dv", "student": "s"}}
    config = Config({"CourseDirectory": {"root": str(NEW)}})
    steps = ([GraderOnlyOutputs()] if new else []) + [ScrubTestCells(), ScrubOutputs(config=config)]
    t0 = time.process_time()
    for step in steps:
        nb, resources = step.preprocess(nb, resources)
    return time.process_time() - t0


def course_cmd(tree: Path, course: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "grading", "--course", str(course), *args],
                          capture_output=True, text=True, cwd=str(course),
                          env=dict(os.environ, PYTHONPATH=str(tree), OMP_NUM_THREADS="1"))


def grading_cpu(tree: Path, template: Path, work: Path, n: int) -> float:
    import nbformat

    course = work
    shutil.copytree(template, course)
    source = nbformat.read(scratch.notebook(course, "source", "toy"), as_version=4)
    scratch.hand_in(course, "toy", {f"student{k:02d}": source for k in range(n)})
    proc = course_cmd(tree, course, "--assignment", "toy", "autograde", "--jobs", "1", "--timeout", "60",
                      "--no-progress")
    m = re.search(r"CPU time ([0-9.]+) s", proc.stdout)
    if proc.returncode != 0 or not m or f"graded {n}, failed 0" not in proc.stdout:
        raise SystemExit(f"{tree} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return float(m.group(1)) / n


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--old", type=Path, required=True)
    ap.add_argument("--n", type=int, default=4)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--outputs", type=int, default=10000)
    ap.add_argument("--skip-grading", action="store_true")
    args = ap.parse_args(argv)
    print(f"load average before: {os.getloadavg()[0]:.2f}", flush=True)

    nb = many_outputs(args.outputs)
    fb = {"old": [], "new": []}
    for r in range(args.rounds + 1):
        for k in ("old", "new"):
            fb[k].append(feedback_cpu(nb, k == "new"))
            print(f"feedback, {args.outputs} outputs, round {r} {k}: {fb[k][-1]:.3f} CPU-s", flush=True)
    med = {k: statistics.median(v) for k, v in fb.items()}
    print(f"feedback median CPU-s: old {med['old']:.3f}, new {med['new']:.3f}; "
          f"new / old = {med['new'] / med['old']:.3f}", flush=True)

    if not args.skip_grading:
        trees = {"old": args.old.resolve(), "new": NEW}
        cpu = {k: [] for k in trees}
        with tempfile.TemporaryDirectory(prefix="bench-security-") as tmp:
            templates = {}
            for k, tree in trees.items():
                dest = Path(tmp) / f"template-{k}"
                scratch.make_course(dest, origin=tree, fixtures=["toy"])
                proc = course_cmd(tree, dest, "--assignment", "toy", "release")
                if proc.returncode != 0:
                    raise SystemExit(f"release with {tree} failed:\n{proc.stdout[-2000:]}")
                templates[k] = dest
            for r in range(args.rounds):
                for k, tree in trees.items():
                    cpu[k].append(grading_cpu(tree, templates[k], Path(tmp) / f"{k}-{r}", args.n))
                    print(f"grading, round {r} {k}: {cpu[k][-1]:.2f} CPU-s per submission", flush=True)
        med = {k: statistics.median(v) for k, v in cpu.items()}
        print(f"grading median CPU-s per submission: old {med['old']:.2f}, new {med['new']:.2f}; "
              f"new - old = {med['new'] - med['old']:+.2f}, new / old = {med['new'] / med['old']:.3f}")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    sys.exit(main())
