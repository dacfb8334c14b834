"""Notebook 06's experiment, outside Jupyter: the numbers its text quotes, and more.

Runs the source notebook's own cells (the reference solution and the locked
training code: ``train_ib``, ``evaluate``, ``estimate_mi``, ``run_experiment``,
``print_table``) with the notebook's settings, so that the default run prints
the very table a full run of the notebook prints (same seeds, one thread, CPU).
Options widen the sweep (more betas, more seeds) or swap the data for
scikit-learn's 8 x 8 digits (the data-choice measurement).  Prints markdown:
docs/ib-experiment-06.md records its output.

Usage: python scripts/ib_experiment_06.py [--dvb-betas 1e-3,1e-2,1e-1] [--mine-betas 1e-2,1e-1]
           [--seeds 3] [--epochs 10] [--mi-steps 300] [--data mnist|digits] [--methods none,dvb,mine]
"""
from __future__ import annotations

import argparse
import math
import os
import sys
import time
from pathlib import Path

os.environ["OMP_NUM_THREADS"] = "1"
os.environ.pop("MI_COURSE_QUICK", None)
os.environ.pop("NBGRADER_EXECUTION", None)   # full mode, as the notebook on a student's machine

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import torch  # noqa: E402

from grading import defs  # noqa: E402

CELLS = ["init", "mine_given", "encoders", "dvb_kl", "ib_step", "training"]


def sklearn_digits(seed=0, n_train=1297):
    """scikit-learn's 1,797 8 x 8 digits scaled to [0, 1], shuffled, split 1297 / 500."""
    import numpy as np
    from sklearn.datasets import load_digits

    d = load_digits()
    order = np.random.default_rng(seed).permutation(len(d.data))
    X = torch.tensor(d.data[order] / 16.0, dtype=torch.float32)
    y = torch.tensor(d.target[order], dtype=torch.int64)
    return X[:n_train], y[:n_train], X[n_train:], y[n_train:]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dvb-betas", default="1e-3,1e-2,1e-1")
    ap.add_argument("--mine-betas", default="1e-2,1e-1")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--mi-steps", type=int, default=300)
    ap.add_argument("--data", choices=("mnist", "digits"), default="mnist")
    ap.add_argument("--methods", default="none,dvb,mine")
    ap.add_argument("--encoders", default="gaussian,additive,propagated", help="MINE's encoders")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    start = time.process_time()
    ns = defs.load(ROOT / "source/06_info_bottleneck/06_info_bottleneck.ipynb", CELLS)
    if args.data == "digits":
        ns["X_train"], ns["y_train"], ns["X_test"], ns["y_test"] = sklearn_digits()
        E = {"GaussianEncoder": ns["GaussianEncoder"], "Additive": ns["AdditiveNoiseEncoder"],
             "Propagated": ns["PropagatedNoiseEncoder"]}
        K, hidden = ns["K"], (128, 128)
        ns["ENCODERS"] = {
            "deterministic": lambda: E["Additive"](d_in=64, hidden=hidden, k=K, sigma=0.0),
            "gaussian": lambda: E["GaussianEncoder"](d_in=64, hidden=hidden, k=K),
            "additive": lambda: E["Additive"](d_in=64, hidden=hidden, k=K, sigma=1.0),
            "propagated": lambda: E["Propagated"](d_in=64, hidden=hidden, k=K, sigma=0.5)}
    dvb_betas = [float(b) for b in args.dvb_betas.split(",")]
    mine_betas = [float(b) for b in args.mine_betas.split(",")]
    methods = args.methods.split(",")
    configs = [("none", "deterministic", 0.0)] if "none" in methods else []
    configs += [("dvb", "gaussian", b) for b in dvb_betas] if "dvb" in methods else []
    configs += [("mine", kind, b) for kind in args.encoders.split(",") for b in mine_betas] if "mine" in methods else []
    seeds = [ns["SEED"] + i for i in range(args.seeds)]
    n_train, n_test = ns["X_train"].shape[0], ns["X_test"].shape[0]
    print(f"## {args.data}: {n_train} training and {n_test} test digits, {args.epochs} epochs, "
          f"{args.seeds} seeds, I(X; Z) by MINE with {args.mi_steps} steps\n")
    print(f"`python scripts/ib_experiment_06.py {' '.join(argv if argv is not None else sys.argv[1:])}`\n")
    results, models = ns["run_experiment"](configs, seeds, args.epochs, args.mi_steps)
    print("```")
    ns["print_table"](results)
    print("```\n")
    print("Information plane (means over seeds): beta, I(X; Z) in nats, log 10 - test CE in nats\n")
    print("| method | encoder | beta | I(X; Z) | log 10 - CE | test error % |")
    print("| --- | --- | --- | --- | --- | --- |")
    for (method, kind, beta), runs in results.items():
        err, ce, mi = (sum(v) / len(v) for v in zip(*runs))
        print(f"| {method} | {kind} | {beta:g} | {mi:.3f} | {math.log(10) - ce:.3f} | {100 * err:.2f} |")
    print(f"\n{time.process_time() - start:.0f} CPU-s ({len(configs) * len(seeds)} trainings)")


if __name__ == "__main__":
    main()
