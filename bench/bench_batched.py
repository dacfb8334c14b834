"""Benchmark: K estimators trained at once (helpers.batched) against one at a time.

The baseline is the one-at-a-time loop a student writes: a plain
``nn.Sequential`` statistics network (2-100-100-1, or 20-100-100-1), eager,
``torch.optim.Adam``, the bias-corrected MINE loss in log space, one joint and
one marginal batch of ``batch_size`` pairs per step.  The batched trainer runs
K such estimators, each with its own data, seed and moving average, in one
step.  Both use the same batch size, the same network and loss, one torch
thread, and are timed in CPU seconds in the same process, repeats interleaved.
The figure of merit is the time per estimator-iteration, as a ratio.

A second baseline is the course's own one-at-a-time loop: notebook 04's
``Mine.optimize`` exactly as its reference solution writes it (executed from
the notebook's master), which is what the Fig. 1 sweep would cost without the
batched trainer.  It runs the joint and the marginal batch through ``T`` in two
passes and uses ``optim.Adam`` with its defaults.

Usage: python bench/bench_batched.py [--K 8,16,32] [--d 1] [--steps 200]
       [--repeats 3] [--compile] [--device cpu|cuda]
"""
from __future__ import annotations

import argparse
import math
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402
from torch import nn  # noqa: E402

from helpers.batched import BatchedTrainer  # noqa: E402


def mine_loss(t_joint, t_marg, log_m, beta=0.99):
    ell = torch.logsumexp(t_marg, 0) - math.log(t_marg.shape[0])
    log_m = torch.logaddexp(math.log(beta) + log_m, math.log(1 - beta) + ell.detach())
    return -t_joint.mean() + torch.exp(ell - log_m), log_m


def statistics_net(X, Y, activation, device):
    """The plain d-100-100-1 network both one-at-a-time baselines train."""
    act = nn.ReLU if activation == "relu" else nn.ELU
    d = X.shape[1] + Y.shape[1]
    return nn.Sequential(nn.Linear(d, 100), act(), nn.Linear(100, 100), act(),
                         nn.Linear(100, 1)).to(device)


class OneAtATime:
    """The eager loop: one estimator, plain modules and torch.optim.Adam."""

    def __init__(self, X, Y, activation, device):
        self.net = statistics_net(X, Y, activation, device)
        self.opt = torch.optim.Adam(self.net.parameters(), lr=1e-3)
        self.X, self.Y = X, Y
        self.log_m = torch.zeros((), device=device)

    def train(self, steps, batch_size):
        n = self.X.shape[0]
        for _ in range(steps):
            i, j, k = torch.randint(n, (3, batch_size), device=self.X.device)
            self.opt.zero_grad(set_to_none=True)
            z = torch.cat([torch.cat([self.X[i], self.Y[i]], 1), torch.cat([self.X[j], self.Y[k]], 1)])
            t = self.net(z).flatten()
            loss, self.log_m = mine_loss(t[:batch_size], t[batch_size:], self.log_m)
            loss.backward()
            self.opt.step()


def notebook_mine():
    """The ``Mine`` class of notebook 04 as its reference solution writes it (the source
    notebook's cells, with the bounds it uses, loaded by ``grading.defs``)."""
    from grading import defs

    nb = Path(__file__).resolve().parents[1] / "source" / "04_mine_paper" / "04_mine_paper.ipynb"
    return defs.load(nb, ["init", "dv_bound", "fdiv_bound", "mine_loss", "mine"])["Mine"]


class NotebookLoop:
    """One estimator as notebook 04 trains it: ``Mine(T, loss='mine').optimize(X, Y, ...)``
    (two forward passes a step, ``optim.Adam`` with its defaults)."""

    def __init__(self, X, Y, activation, device, Mine):
        self.mine = Mine(statistics_net(X, Y, activation, device), loss="mine", beta=0.99)
        self.X, self.Y = X, Y

    def train(self, steps, batch_size):
        self.mine.optimize(self.X, self.Y, steps, batch_size)


def sync(device):
    if device == "cuda":
        torch.cuda.synchronize()


def clock(device):
    return time.perf_counter() if device == "cuda" else time.process_time()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--K", default="8,16,32")
    ap.add_argument("--d", type=int, default=1, help="dimension of X and of Y")
    ap.add_argument("--batch-size", type=int, default=100)
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--activation", default="elu")
    ap.add_argument("--compile", action="store_true", help="also the compiled batched trainer")
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    dev, B, steps = args.device, args.batch_size, args.steps
    Ks = [int(k) for k in args.K.split(",")]
    n = 5000
    g = torch.Generator().manual_seed(0)
    X = torch.randn(max(Ks), n, args.d, generator=g)
    Y = 0.9 * X + math.sqrt(1 - 0.81) * torch.randn(max(Ks), n, args.d, generator=g)
    X, Y = X.to(dev), Y.to(dev)
    runners = {"one at a time (eager)": ("single", OneAtATime(X[0], Y[0], args.activation, dev)),
               "notebook 04's Mine.optimize (eager)": (
                   "single", NotebookLoop(X[0], Y[0], args.activation, dev, notebook_mine()))}
    for K in Ks:
        runners[f"batched K={K} (eager)"] = ("batched", K, BatchedTrainer(
            X[:K], Y[:K], mine_loss, seeds=list(range(K)), activation=args.activation))
        if args.compile:
            runners[f"batched K={K} (compiled)"] = ("batched", K, BatchedTrainer(
                X[:K], Y[:K], mine_loss, seeds=list(range(K)), activation=args.activation,
                compile=True))
    warm = {}
    for name, r in runners.items():  # warm-up (and compile)
        t0 = time.perf_counter()
        r[-1].train(20, B)
        sync(dev)
        warm[name] = time.perf_counter() - t0
    per = {name: [] for name in runners}
    for _ in range(args.repeats):
        for name, r in runners.items():
            sync(dev)
            t0 = clock(dev)
            r[-1].train(steps, B)
            sync(dev)
            K = 1 if r[0] == "single" else r[1]
            per[name].append((clock(dev) - t0) / (steps * K))
    base = per["one at a time (eager)"]
    course = per["notebook 04's Mine.optimize (eager)"]
    unit = "wall" if dev == "cuda" else "CPU"
    print(f"device {dev}, d = {args.d} + {args.d}, batch {B} + {B}, {args.activation}, "
          f"{steps} steps x {args.repeats} repeats, torch {torch.__version__}, "
          f"{torch.get_num_threads()} thread")
    print(f"| runner | ms per estimator-iteration ({unit}, median) | x one at a time | "
          "x notebook 04's Mine | warm-up 20 steps (s) |")
    print("| --- | --- | --- | --- | --- |")

    def median_ratio(ref, times):
        ratios = sorted(b / t for b, t in zip(ref, times))
        return ratios[len(ratios) // 2]

    for name, times in per.items():
        med = sorted(times)[len(times) // 2]
        print(f"| {name} | {1e3 * med:.3f} | {median_ratio(base, times):.2f}x | "
              f"{median_ratio(course, times):.2f}x | {warm[name]:.1f} |")
    if dev == "cpu":
        floor(Ks, B, args.activation)


def floor(Ks, B, activation, reps=200):
    """The arithmetic no batched step can avoid, per estimator-iteration: the 100 x 100
    layer's three matmuls (forward, and the two of the backward pass) and the two hidden
    activations' forward pass, on K networks' stacked batches of 2B rows, timed alone."""
    from torch.nn import functional as F

    act = F.elu if activation == "elu" else F.relu
    print("\nArithmetic floor (the 100 x 100 layer's 3 matmuls + 2 activations, timed alone):")
    print("| K | matmuls (ms per estimator-iteration) | activations | sum |")
    print("| --- | --- | --- | --- |")
    for K in Ks:
        h, g, w = torch.randn(K, 2 * B, 100), torch.randn(K, 2 * B, 100), torch.randn(K, 100, 100)

        def mm():
            torch.bmm(h, w)
            torch.bmm(g, w.transpose(1, 2))
            torch.bmm(h.transpose(1, 2), g)

        def acts():
            act(h)
            act(g)

        out = []
        for f in (mm, acts):
            f()
            t0 = time.process_time()
            for _ in range(reps):
                f()
            out.append((time.process_time() - t0) / reps / K)
        print(f"| {K} | {1e3 * out[0]:.3f} | {1e3 * out[1]:.3f} | {1e3 * sum(out):.3f} |")


if __name__ == "__main__":
    main()
