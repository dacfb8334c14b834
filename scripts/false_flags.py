"""The false-flag rate: innocent variants of each reference solution, graded for real.

    .venv/bin/python scripts/false_flags.py [--assignments 01_dv,02_mine] [--jobs 2]

For every assignment, the reference solution (the "correct" example) is handed
in as written and in INNOCENT variants: cells a student may add that change
nothing the tests read (re-importing what the setup cell imported, importing
other installed libraries, `from tqdm import trange`, helper functions,
prints, plots, markdown notes, warnings, files written to the working
folder).  Each variant is graded by the course's grader (`course autograde`
path: sandboxed jobs, verdicts in the writer) and must keep full marks and get
no tamper or review row.  Prints one line per variant and the totals:
flags / variants, and lost points / variants.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import nbformat  # noqa: E402

from grading import console, examples, report, review, scale, scratch  # noqa: E402
from grading.paths import assignments as all_assignments  # noqa: E402

# name: cells inserted after the setup cell (a leading "md:" makes a markdown cell)
VARIANTS = {
    "reimports_setup_names": ["import numpy as np\nimport torch\nfrom torch import nn\n"
                              "import matplotlib.pyplot as plt\nfrom tqdm.auto import trange\nimport helpers"],
    "tqdm_trange": ["from tqdm import trange, tqdm\nfor _ in trange(3):\n    pass"],
    "other_libraries": ["import pandas as pd\nimport statistics\nimport math, itertools, functools, collections"],
    "helper_functions": ["def _mean(xs):\n    return sum(xs) / len(xs)\n\ndef _describe(t):\n"
                         "    return f'{tuple(t.shape)} {t.dtype}'\n\nprint(_mean([1, 2, 3]))"],
    "prints": ["print('starting the exercises')\nprint({'a': 1}, [1, 2])"],
    "plot": ["import matplotlib.pyplot as plt\nfig, ax = plt.subplots()\nax.plot([0, 1], [0, 1])\nplt.show()"],
    "markdown_notes": ["md:## My notes\nThe DV bound is a lower bound.", "md:$e^t$ and $\\log$"],
    "warnings": ["import warnings\nwarnings.warn('a note to myself')\nwarnings.simplefilter('default')"],
    "writes_files": ["import os, json\nos.makedirs('scratch', exist_ok=True)\n"
                     "json.dump({'x': 1}, open('scratch/notes.json', 'w'))"],
    "torch_settings": ["torch.set_printoptions(precision=3)\nnp.set_printoptions(precision=3)"],
}


def variant(nb, cells):
    nb = nbformat.from_dict(nb)
    at = next(i for i, c in enumerate(nb.cells)
              if c.metadata.get("nbgrader", {}).get("grade_id") in ("init", "setup")) + 1
    for k, src in enumerate(cells):
        cell = (nbformat.v4.new_markdown_cell(src[3:]) if src.startswith("md:")
                else nbformat.v4.new_code_cell(src))
        nb.cells.insert(at + k, cell)
    return nb


def make_course(dest, ids):
    """A course with the assignments released (grading/scratch.py: source and course record)
    and every innocent variant of each reference solution handed in."""
    course = scratch.make_course(dest, ids, origin=ROOT, parts=("source", "record"), release="generate")
    for a in ids:
        correct = examples.make_submission(scratch.notebook(course, "source", a),
                                           scratch.notebook(course, "release", a), {})
        scratch.hand_in(course, a, {f"innocent_{name}": variant(correct, cells)
                                    for name, cells in VARIANTS.items()})
    return course


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--assignments", default=None)
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args(argv)
    ids = args.assignments.split(",") if args.assignments else all_assignments(ROOT)
    flagged = lost = total = 0
    with tempfile.TemporaryDirectory(prefix="false-flags-") as tmp:
        course = make_course(Path(tmp) / "course", ids)
        with console.shown():   # the grading log: a line per submission, the summary
            scale.grade(course, ids, jobs=args.jobs)
        rows = review.read(course)
        for a in ids:
            max_scores = report.autograded_max(course, a)
            for name in VARIANTS:
                s = f"innocent_{name}"
                got = report.cell_scores(course, a, s) or {}
                short = {k: v for k, v in got.items() if v < max_scores[k]}
                flags = [r for r in rows if r["assignment"] == a and r["student"] == s
                         and r["kind"] in ("tamper", "review")]
                total += 1
                flagged += bool(flags)
                lost += bool(short)
                print(f"{a} {s}: {'FLAGGED ' + flags[0]['reason'][:120] if flags else 'no flag'}; "
                      f"{'LOST ' + str(short) if short else 'full marks'}", flush=True)
    print(f"\nfalse flags: {flagged} of {total} innocent variants; lost points: {lost} of {total}")
    return 1 if flagged or lost else 0


if __name__ == "__main__":
    raise SystemExit(main())
