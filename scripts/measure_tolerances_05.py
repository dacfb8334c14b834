"""Measure the spread of notebook 05's reference solution at the grading budget.

Runs the source notebook's own reference solution (``sample_latent``,
``clip_mi_grad``, ``gan_mine_step``, with the locked ``Generator``,
``Discriminator`` and ``StatisticsNetwork``) through the exact procedure of the
hidden training test (``helpers.checks.gan_grading_run``: 2,000 steps of GAN +
MINE, beta = 1, clipped, on the grid) over many seeds, counts the covered modes
as the hidden test does, and prints the table row of docs/tolerances-05.md: the
distribution, the accepted interval, the false rejects seen and the rate a
normal fit predicts.

Usage: python scripts/measure_tolerances_05.py [--seeds 60] [--first-seed 1000] [--low 12]
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
from helpers import gan  # noqa: E402
from helpers.checks import gan_grading_run  # noqa: E402

CELLS = ["init", "mine_given", "mode_metrics", "networks", "sample_latent", "clip_mi_grad", "gan_mine_step"]


def covered(samples):
    """Modes of the grid with at least 20 samples within 3 std, as the hidden test counts them."""
    index, dist = gan.nearest_mode(samples, gan.modes("grid"))
    good = dist <= gan.RADIUS * gan.STD
    return int((np.bincount(index[good], minlength=25) >= gan.MIN_COUNT).sum())


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=60)
    ap.add_argument("--first-seed", type=int, default=1000)
    ap.add_argument("--low", type=float, default=12)
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    ns = defs.load(ROOT / "source/05_mine_gan/05_mine_gan.ipynb", CELLS)
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    start = time.process_time()
    values = []
    for s in seeds:
        samples = gan_grading_run(ns["gan_mine_step"], ns["Generator"], ns["Discriminator"],
                                  ns["StatisticsNetwork"], ns["sample_latent"], s)
        values.append(covered(samples))
        print(f"<!-- seed {s}: {values[-1]} modes -->", flush=True)
    v = np.asarray(values, dtype=float)
    mu, sd = v.mean(), v.std(ddof=1)
    predicted = 0.5 * math.erfc((mu - args.low) / sd / math.sqrt(2))
    q = np.quantile(v, [0, 0.01, 0.05, 0.5, 0.95, 0.99, 1])
    print(f"\n### 05_mine_gan, reference solution, seeds {seeds[0]}-{seeds[-1]}\n")
    print("| check | seeds | mean | std | min / 1% / 5% / median / 95% / 99% / max "
          "| accepted | false rejects seen | normal-fit rate |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    print(f"| test_gan_training: modes covered of 25, 2000 steps, beta 1 | {len(v)} | {mu:.2f} | {sd:.2f} | "
          + " / ".join(f"{x:.0f}" for x in q)
          + f" | [{args.low:g}, 25] | {(v < args.low).mean():.1%} | {predicted:.2%} |")
    print(f"<!-- {time.process_time() - start:.0f} CPU-s -->")


if __name__ == "__main__":
    main()
