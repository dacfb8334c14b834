"""Measure the spread of notebook 06's reference solution at the grading budget.

Runs the source notebook's own reference solution (``mine_min_step``, the
encoders, ``ib_step``, with the locked ``LinearGaussianEncoder`` and
``StatisticsNetwork``) through the exact procedures of the hidden training
tests (``helpers.checks.linear_min_grading_run`` and ``ib_grading_run``) over
many seeds, and prints one table row per check: the distribution of the value
the test checks, its accepted interval, the false rejects seen and the rate a
normal fit predicts.  docs/tolerances-06.md records its output.

Usage: python scripts/measure_tolerances_06.py [--seeds 60] [--first-seed 1000] [--only ib]
"""
from __future__ import annotations

import argparse
import math
import os
import sys
import time
from pathlib import Path

os.environ["OMP_NUM_THREADS"] = "1"
os.environ["NBGRADER_EXECUTION"] = "tolerances"  # no progress bars, no logs

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from grading import defs  # noqa: E402
from helpers.checks import ib_grading_run, linear_min_grading_run  # noqa: E402

CELLS = ["init", "mine_given", "linear_encoder", "mine_min_step", "encoders", "ib_step"]
I_MIN = 0.5 * math.log(9.0)


def closed_form(W):
    """I(X; Z) for X ~ N(0, I), Z = W X + N(0, I), as the hidden test computes it."""
    return 0.5 * float(np.sum(np.log(1.0 + np.linalg.eigvalsh(W @ W.T))))


def row(name, values, low, high):
    """One table row: the distribution of the checked value, the interval, false rejects."""
    from math import erfc, sqrt

    v = np.asarray(values, dtype=float)
    mu, sd = v.mean(), v.std(ddof=1)
    tail = lambda z: 0.5 * erfc(z / sqrt(2))  # noqa: E731  P(N(0,1) > z)
    predicted = tail((mu - low) / sd) + (tail((high - mu) / sd) if math.isfinite(high) else 0.0)
    rejects = ((v < low) | (v > high)).mean()
    q = np.quantile(v, [0, 0.01, 0.05, 0.5, 0.95, 0.99, 1])
    print(f"| {name} | {len(v)} | {mu:+.4f} | {sd:.4f} | " + " / ".join(f"{x:+.3f}" for x in q)
          + f" | [{low:g}, {high:g}] | {rejects:.1%} | {predicted:.2%} |", flush=True)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=60)
    ap.add_argument("--first-seed", type=int, default=1000)
    ap.add_argument("--only", choices=("linear", "ib"))
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    ns = defs.load(ROOT / "source/06_info_bottleneck/06_info_bottleneck.ipynb", CELLS)
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    print(f"\n### 06_info_bottleneck, reference solution, seeds {seeds[0]}-{seeds[-1]}\n")
    print("| check | seeds | mean | std | min / 1% / 5% / median / 95% / 99% / max "
          "| accepted | false rejects seen | normal-fit rate |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    if args.only in (None, "linear"):
        start = time.process_time()
        gaps, errors = [], []
        for s in seeds:
            W, mine = linear_min_grading_run(ns["mine_min_step"], ns["LinearGaussianEncoder"],
                                             ns["StatisticsNetwork"], s)
            final = closed_form(W)
            gaps.append(final - I_MIN)
            errors.append(mine - final)
        row("test_mine_min_run: closed-form I(X; Z) after 1000 steps - log(9) / 2", gaps, 0.0, 0.35)
        row("test_mine_min_run: MINE's held-out estimate - closed form", errors, -0.5, 0.15)
        print(f"<!-- linear: {time.process_time() - start:.0f} CPU-s -->", flush=True)
    if args.only in (None, "ib"):
        start = time.process_time()
        acc = [ib_grading_run(ns["GaussianEncoder"], ns["ib_step"], ns["StatisticsNetwork"], s) for s in seeds]
        row("test_ib_training: test accuracy, 3 epochs on 2000 digits, beta 0.01", acc, 0.75, 1.0)
        print(f"<!-- ib: {time.process_time() - start:.0f} CPU-s -->", flush=True)


if __name__ == "__main__":
    main()
