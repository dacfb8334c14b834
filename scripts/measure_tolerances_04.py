"""Measure the spread of notebook 04's reference solution at the grading budget.

Runs the source notebook's own ``Mine`` (the reference solution) with the exact
procedure of the hidden test (``helpers.checks.mine_paper_grading_run``) over
many seeds, and the visible check's procedure too, and prints one table row per
check: the error's distribution, the tolerance and the false-reject rate.
docs/tolerances-04.md records its output.

Usage: python scripts/measure_tolerances_04.py [--seeds 60] [--jobs 1]
"""
from __future__ import annotations

import argparse
import math
import os
import sys
import time
from pathlib import Path

os.environ["OMP_NUM_THREADS"] = "1"
os.environ["NBGRADER_EXECUTION"] = "tolerances"  # no progress bars

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import numpy as np  # noqa: E402
import torch  # noqa: E402

import helpers  # noqa: E402
from grading import defs  # noqa: E402
from helpers.checks import mine_paper_grading_run  # noqa: E402
from measure_tolerances import header, summarize  # noqa: E402

CELLS = ["init", "dv_bound", "fdiv_bound", "mine_loss", "mine"]


def uniform_truth(sigma=0.3):
    """I(X; Y) for X ~ U[-1, 1], Y = X + sigma N(0, 1): the density of Y in closed form."""
    y = torch.linspace(-1 - 12 * sigma, 1 + 12 * sigma, 200001, dtype=torch.float64)
    p = 0.5 * (torch.special.ndtr((y + 1) / sigma) - torch.special.ndtr((y - 1) / sigma))
    h = float(-(p * torch.log(p.clamp_min(1e-300))).sum() * (y[1] - y[0]))
    return h - 0.5 * math.log(2 * math.pi * math.e * sigma**2)


def visible(Mine, seed):
    """The visible check's procedure, with the test's seeds replaced by ``seed``."""
    from torch import nn

    rng = np.random.default_rng([seed, 3])
    Xtr, Ytr = (torch.tensor(a, dtype=torch.float32) for a in helpers.gaussian_pairs(0.9, 1, 2000, rng=rng))
    Xte, Yte = (torch.tensor(a, dtype=torch.float32) for a in helpers.gaussian_pairs(0.9, 1, 2000, rng=rng))
    torch.manual_seed(seed)
    T = nn.Sequential(nn.Linear(2, 100), nn.ELU(), nn.Linear(100, 100), nn.ELU(), nn.Linear(100, 1))
    return Mine(T, loss="mine").optimize(Xtr, Ytr, iters=500, batch_size=100).mi(Xte, Yte)


CASES = {  # name: (run(Mine, seed), truth, tolerance of the test)
    "visible: Mine 'mine', 500 steps, rho 0.9": (visible, helpers.gaussian_mi(0.9), 0.4),
    "hidden: 'mine', 1000 steps, rho 0.9": (
        lambda M, s: mine_paper_grading_run(M, "mine", s), helpers.gaussian_mi(0.9), 0.2),
    "hidden: 'mine_biased', 1000 steps, rho 0.9": (
        lambda M, s: mine_paper_grading_run(M, "mine_biased", s), helpers.gaussian_mi(0.9), 0.2),
    "hidden: 'fdiv', 1000 steps, rho 0.9": (
        lambda M, s: mine_paper_grading_run(M, "fdiv", s), helpers.gaussian_mi(0.9), 0.2),
    "hidden: 'mine', uniform X, sigma 0.3": (
        lambda M, s: mine_paper_grading_run(M, "mine", s, data="uniform"), uniform_truth(), 0.2),
    "hidden: 'mine', X^3 for uniform X, sigma 0.3": (
        lambda M, s: mine_paper_grading_run(M, "mine", s, data="uniform_cube"), uniform_truth(), 0.3),
}


def run_case(args):
    name, seeds = args
    torch.set_num_threads(1)
    ns = defs.load(ROOT / "source/04_mine_paper/04_mine_paper.ipynb", CELLS)
    run, truth, _ = CASES[name]
    return [run(ns["Mine"], s) - truth for s in seeds]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=60)
    ap.add_argument("--first-seed", type=int, default=1000)
    ap.add_argument("--only", help="substring of the case names to run")
    args = ap.parse_args(argv)
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    header("04_mine_paper")
    for name, (_, _, tol) in CASES.items():
        if args.only and args.only not in name:
            continue
        start = time.process_time()
        errors = run_case((name, seeds))
        summarize(name, errors, tol)
        print(f"<!-- {name}: {time.process_time() - start:.0f} CPU-s -->", flush=True)


if __name__ == "__main__":
    main()
