"""ALI / BiGAN with and without MINE on the grid of 25 Gaussians (notebook 05, outside it).

The MINE paper's section 5.2 trains a bi-directional adversarial model whose encoder
also maximizes the mutual information between x and its code under the encoder's
joint, estimated by a statistics network.  Notebook 05 has no time left for it in its
5-minute budget, so this script runs it with the notebook's own reference cells
(``mine_loss``, ``StatisticsNetwork``, ``mlp``, ``clip_mi_grad``, ``mode_metrics``):

- encoder E([x, eps]) -> z in 2 dimensions (eps ~ N(0, I_2): a noisy encoder), decoder
  G(z) -> x with the prior z ~ N(0, I_2), discriminator D(x, z) on the pairs; MLPs of
  128 units with LeakyReLU(0.2), Adam (lr 1e-3, betas (0.5, 0.999));
- the discriminator separates encoder pairs (x, E(x)) from decoder pairs (G(z), z); the
  encoder and decoder minimize the non-saturating loss of the swapped labels;
- ALI + MINE: a statistics network T(x, z) trained with the MINE loss on encoder pairs;
  the encoder also descends -beta * DV bound, its MI gradient clipped per parameter
  tensor against its adversarial gradient (beta = 1).

Reports, per seed: the euclidean reconstruction error mean ||x - G(E(x))|| on 2,500
held-out points, the modes covered, the high-quality share and KL of 2,500 samples
G(z), and a held-out DV estimate of I(x; E(x)) by the trained T.  Prints markdown:
docs/ali-experiment-05.md records its output.

Usage: python scripts/ali_experiment_05.py [--seeds 3] [--steps 2000] [--beta 1] [--no-clip]
"""
from __future__ import annotations

import argparse
import math
import os
import sys
import time
from pathlib import Path

os.environ["OMP_NUM_THREADS"] = "1"
os.environ["NBGRADER_EXECUTION"] = "experiment"  # no progress bars, no logs

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402
from torch.nn import functional as F  # noqa: E402

from grading import defs  # noqa: E402
from helpers import gan  # noqa: E402

CELLS = ["init", "mine_given", "mode_metrics", "networks", "clip_mi_grad"]


def train(ns, seed, steps, beta, clip=True, lr=1e-3, batch_size=100, hidden=128):
    mlp, clip_mi_grad = ns["mlp"], ns["clip_mi_grad"]
    X = torch.tensor(gan.sample("grid", gan.N_TRAIN, rng=[seed, 70])[0])
    torch.manual_seed(seed)
    E, G = mlp([4, hidden, hidden, 2]), mlp([2, hidden, hidden, 2])
    D = mlp([4, hidden, hidden, hidden, 1])
    T = ns["StatisticsNetwork"](2, 2, hidden)
    adam = lambda ps: torch.optim.Adam(ps, lr=lr, betas=(0.5, 0.999))  # noqa: E731
    opt_E, opt_G, opt_D, opt_T = adam(E.parameters()), adam(G.parameters()), adam(D.parameters()), adam(T.parameters())
    log_m = torch.zeros(())
    ones, zeros = torch.ones(batch_size), torch.zeros(batch_size)
    bce = F.binary_cross_entropy_with_logits
    for _ in range(steps):
        x = X[torch.randint(len(X), (batch_size,))]
        eps, prior = torch.randn(batch_size, 2), torch.randn(batch_size, 2)
        with torch.no_grad():
            z_enc, x_dec = E(torch.cat([x, eps], 1)), G(prior)
        loss_D = bce(D(torch.cat([x, z_enc], 1)).flatten(), ones) + bce(D(torch.cat([x_dec, prior], 1)).flatten(), zeros)
        opt_D.zero_grad(set_to_none=True)
        loss_D.backward()
        opt_D.step()
        if beta > 0:
            loss_T, log_m = ns["mine_loss"](*T(x, z_enc), log_m)
            opt_T.zero_grad(set_to_none=True)
            loss_T.backward()
            opt_T.step()
        z_enc, x_dec = E(torch.cat([x, eps], 1)), G(prior)
        loss_adv = bce(D(torch.cat([x, z_enc], 1)).flatten(), zeros) + bce(D(torch.cat([x_dec, prior], 1)).flatten(), ones)
        params_E, params_G = list(E.parameters()), list(G.parameters())
        grads = torch.autograd.grad(loss_adv, params_E + params_G, retain_graph=beta > 0)
        g_adv_E, g_G = grads[:len(params_E)], grads[len(params_E):]
        g_E = list(g_adv_E)
        if beta > 0:
            g_mi = torch.autograd.grad(-beta * ns["dv_bound"](*T(x, z_enc)), params_E)
            if clip:
                g_mi = clip_mi_grad(g_mi, g_adv_E)
            g_E = [a + b for a, b in zip(g_adv_E, g_mi)]
        opt_E.zero_grad(set_to_none=True)
        opt_G.zero_grad(set_to_none=True)
        for p, g in zip(params_E + params_G, g_E + list(g_G)):
            p.grad = g
        opt_E.step()
        opt_G.step()
    return E, G, T


def evaluate(ns, E, G, T, seed):
    X_test = torch.tensor(gan.sample("grid", gan.N_EVAL, rng=[seed, 71])[0])
    torch.manual_seed(seed + 1)
    with torch.no_grad():
        z = E(torch.cat([X_test, torch.randn(len(X_test), 2)], 1))
        rec = float((X_test - G(z)).norm(dim=1).mean())
        samples = G(torch.randn(gan.N_EVAL, 2))
        mi = float(ns["dv_bound"](*T(X_test, z)))
    hq, cov, kl = ns["mode_metrics"](samples, gan.modes("grid"), gan.STD)
    return rec, cov, hq, kl, mi


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--beta", type=float, default=1.0)
    ap.add_argument("--no-clip", action="store_true")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    ns = defs.load(ROOT / "source/05_mine_gan/05_mine_gan.ipynb", CELLS)
    print(f"\n### ALI on the grid, {args.steps} steps, seeds 0-{args.seeds - 1}"
          f"{', MINE not clipped' if args.no_clip else ''}\n")
    print("| model | seed | reconstruction error | modes covered | high quality | KL | T's DV bound on held-out pairs |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    summary = {}
    for beta in (0.0, args.beta):
        label = "ALI" if beta == 0 else f"ALI + MINE (beta {beta:g})"
        for seed in range(args.seeds):
            start = time.process_time()
            E, G, T = train(ns, seed, args.steps, beta, clip=not args.no_clip)
            rec, cov, hq, kl, mi = evaluate(ns, E, G, T, seed)
            summary.setdefault(label, []).append((rec, cov, hq, kl))
            mi_text = f"{mi:.2f}" if beta > 0 else "(no T)"
            print(f"| {label} | {seed} | {rec:.3f} | {cov} | {100 * hq:.1f}% | {kl:.2f} | {mi_text} |"
                  f" <!-- {time.process_time() - start:.0f} CPU-s -->", flush=True)
    print("\n| model | reconstruction error, mean (min..max) | modes covered | high quality, % | KL |")
    print("| --- | --- | --- | --- | --- |")
    for label, runs in summary.items():
        cols = [gan.summarize(c) for c in zip(*runs)]
        (r, c, h, k) = cols
        print(f"| {label} | {r[0]:.3f} ({r[1]:.3f}..{r[2]:.3f}) | {c[0]:.1f} ({c[1]:.0f}..{c[2]:.0f}) | "
              f"{100 * h[0]:.1f} ({100 * h[1]:.0f}..{100 * h[2]:.0f}) | {k[0]:.2f} ({k[1]:.2f}..{k[2]:.2f}) |")


if __name__ == "__main__":
    main()
