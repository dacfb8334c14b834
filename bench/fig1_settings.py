"""Settings for notebook 04's Fig. 1 sweep: held-out estimates per configuration.

10-d X and Y (componentwise correlation rho in 0.5, 0.9, 0.99), n training pairs,
2,000 validation pairs (early stopping every 100 steps), 5,000 test pairs, with
the reference solution's losses (loaded from the source notebook) and
``helpers.batched.BatchedTrainer``. docs/benchmark.md records the output.

Usage: python bench/fig1_settings.py N_TRAIN LOSS,BATCH,LR,STEPS,ACTIVATION [...]
e.g.   python bench/fig1_settings.py 5000 mine,100,1e-3,3000,elu fdiv,100,1e-3,3000,elu
"""
import os
import sys
import time
from pathlib import Path

os.environ["OMP_NUM_THREADS"] = "1"
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import torch  # noqa: E402

import helpers  # noqa: E402
from grading import defs  # noqa: E402
from helpers.batched import BatchedTrainer  # noqa: E402

torch.set_num_threads(1)
ns = defs.load(ROOT / "source/04_mine_paper/04_mine_paper.ipynb", ["init", "dv_bound", "fdiv_bound", "mine_loss"])
dv_bound, fdiv_bound, mine_loss = ns["dv_bound"], ns["fdiv_bound"], ns["mine_loss"]
rhos, d = [0.5, 0.9, 0.99], 10
n_tr, n_val, n_te = int(sys.argv[1]), 2000, 5000
splits = [helpers.gaussian_pairs(r, d, n_tr + n_val + n_te, rng=[0, 41, d, i]) for i, r in enumerate(rhos)]


def part(a, b):
    return (torch.tensor(np.stack([X[a:b] for X, _ in splits]), dtype=torch.float32),
            torch.tensor(np.stack([Y[a:b] for _, Y in splits]), dtype=torch.float32))


train, val, test = part(0, n_tr), part(n_tr, n_tr + n_val), part(n_tr + n_val, None)
losses = {"mine": (lambda tj, tm, s: mine_loss(tj, tm, s, 0.99), dv_bound),
          "biased": (lambda tj, tm, s: (-dv_bound(tj, tm), s), dv_bound),
          "fdiv": (lambda tj, tm, s: (-fdiv_bound(tj, tm), s), fdiv_bound)}
print("n_train", n_tr, "truth", np.round([helpers.gaussian_mi(r, d) for r in rhos], 2), flush=True)
for cfg in sys.argv[2:]:
    loss, B, lr, iters, act = cfg.split(",")
    B, lr, iters = int(B), float(lr), int(iters)
    t0 = time.process_time()
    tr = BatchedTrainer(*train, losses[loss][0], seeds=[0, 1, 2], lr=lr, activation=act)
    tr.train(iters, B, X_val=val[0], Y_val=val[1], estimate_fn=losses[loss][1], eval_every=100)
    est = tr.estimate(*test, losses[loss][1]).numpy()
    best_it = (tr.val_history.argmax(1) + 1) * 100
    last = tr.val_history[:, -1].numpy()
    print(f"{cfg:32s} test {np.round(est, 3)} best-it {best_it.tolist()} last-val {np.round(last, 2)} "
          f"{time.process_time() - t0:.0f} CPU-s", flush=True)
