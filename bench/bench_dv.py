"""Benchmark: the course's DVTrainer against a seed-style trainer, in one process.

Both train the same 2-100-100-1 ELU network on the same data with Adam at the
same batch size (100 joint + 100 reference samples a step), torch on one
thread.  The seed style is the course text's trainer loop: two forward
passes, ``loss.item()`` and a TensorBoard scalar every step, unfused Adam.
The course's DVTrainer is loaded from the source notebook (the reference
solution) and run with a writer, so it logs once per epoch.

Three variants of the course's trainer are timed: the default eager
``DVTrainer`` and ``DVTrainer(compile=True)`` with 1 and 5 Adam steps per
compiled call (helpers.CompiledAdam).  Compilation happens in a warm-up
epoch whose time is reported separately (cold unless the inductor cache in
TORCHINDUCTOR_CACHE_DIR is warm).

Reports iterations per CPU-second (process time; wall time on a GPU) for
each, interleaving repeats so that load from other work hits all alike, and
the ratio of each to the seed style measured in the same repeat.

Usage: python bench/bench_dv.py [--steps 3000] [--repeats 5] [--device cpu|cuda] [--no-compile]
"""
from __future__ import annotations

import argparse
import os
import warnings
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ["NBGRADER_EXECUTION"] = "benchmark"  # no progress bars

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch.utils.tensorboard import SummaryWriter  # noqa: E402

import helpers  # noqa: E402
from grading import defs  # noqa: E402


class SeedStyleDVTrainer:
    """The course text's trainer loop, kept as the baseline."""

    def __init__(self, Z, Z_ref, net, n_iters_per_epoch, writer_params=None, **kwargs):
        self.Z, self.Z_ref, self.net = Z, Z_ref, net
        self.n = Z.shape[0]
        self.n_ = Z_ref.shape[0]
        self.n_iters_per_epoch = n_iters_per_epoch
        self.optimizer = torch.optim.Adam(self.net.parameters(), **kwargs)
        self.writer = SummaryWriter(**(writer_params or {}))
        self.n_iter = self.n_epoch = 0

    def step(self, epochs=1):
        for _ in range(epochs):
            self.n_epoch += 1
            idx = torch.randperm(self.n)
            idx_ref = torch.randperm(self.n_)
            for j in range(self.n_iters_per_epoch):
                self.n_iter += 1
                self.optimizer.zero_grad()
                batch_Z = self.Z[idx[j: self.n: self.n_iters_per_epoch]]
                batch_Z_ref = self.Z_ref[idx_ref[j: self.n_: self.n_iters_per_epoch]]
                loss = -(self.net(batch_Z).mean()
                         - (self.net(batch_Z_ref).logsumexp(0) - np.log(batch_Z_ref.shape[0])))
                loss.backward()
                self.optimizer.step()
                self.writer.add_scalar("Loss/train", loss.item(), global_step=self.n_iter)
        with torch.no_grad():
            estimate = (self.net(self.Z).mean()
                        - self.net(self.Z_ref).logsumexp(0) + np.log(self.n_)).item()
        self.writer.add_scalar("Estimate", estimate, global_step=self.n_epoch)
        return estimate


def sync(device):
    if device == "cuda":
        torch.cuda.synchronize()


def timed(make, epochs, device, clock):
    trainer = make()
    t0 = time.perf_counter()
    trainer.step(1)  # warm-up: allocations, first kernel launches, compilation
    sync(device)
    warm = time.perf_counter() - t0
    t0 = clock()
    estimate = trainer.step(epochs)
    sync(device)
    return clock() - t0, warm, estimate


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=3000, help="training steps per timed run")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--no-compile", action="store_true", help="time the eager trainer only")
    ap.add_argument("--notebook", default=str(ROOT / "source" / "01_dv" / "01_dv.ipynb"))
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    warnings.filterwarnings("ignore")
    device = args.device
    # Wall time on a GPU (the work is asynchronous); CPU time on the CPU.
    clock = time.perf_counter if device == "cuda" else time.process_time
    unit = "it/s (wall)" if device == "cuda" else "it/CPU-s"

    ns = defs.load(args.notebook, ["init", "net", "dv", "dv_trainer"])
    Net, DVTrainer = ns["Net"], ns["DVTrainer"]
    rng = np.random.default_rng(0)
    rho = 1 - 0.19 * rng.random()
    Z = torch.tensor(rng.multivariate_normal([0, 0], [[1, rho], [rho, 1]], 1000),
                     dtype=torch.float32, device=device)
    Z_ref = torch.tensor(np.random.default_rng(1).standard_normal((1000, 2)),
                         dtype=torch.float32, device=device)
    epochs = max(args.steps // 10, 1)
    logdir = tempfile.mkdtemp(prefix="bench-dv-")

    def seed_style():
        torch.manual_seed(0)
        return SeedStyleDVTrainer(Z, Z_ref, Net().to(device), n_iters_per_epoch=10,
                                  writer_params={"log_dir": f"{logdir}/seed"})

    def course(steps_per_call=None):
        def make():
            torch.manual_seed(0)
            net = Net().to(device)
            trainer = DVTrainer(Z, Z_ref, net, batch_size=100,
                                writer=SummaryWriter(log_dir=f"{logdir}/course"))
            if steps_per_call:
                trainer.fast = helpers.CompiledAdam(net, trainer.loss, lr=1e-3,
                                                    steps_per_call=steps_per_call)
            return trainer
        return make

    variants = {"seed style": seed_style, "DVTrainer (eager)": course()}
    if not args.no_compile:
        variants["DVTrainer (compile, 1 step/call)"] = course(1)
        variants["DVTrainer (compile, 5 steps/call)"] = course(5)
    rates = {name: [] for name in variants}
    warmup = {name: [] for name in variants}
    estimates = {name: [] for name in variants}
    for _ in range(args.repeats):
        for name, make in variants.items():
            seconds, warm, estimate = timed(make, epochs, device, clock)
            rates[name].append(epochs * 10 / seconds)
            warmup[name].append(warm)
            estimates[name].append(estimate)
    print(f"device {device}, torch {torch.__version__}, threads {torch.get_num_threads()}, "
          f"{epochs * 10} steps x {args.repeats} repeats, batch 100 + 100")
    print(f"ground truth {-0.5 * np.log(1 - rho**2):.3f} nats")
    print(f"| trainer | median {unit} | runs | x seed style (median of per-repeat ratios) "
          "| first-epoch time (s): first repeat / later | final estimate (median) |")
    print("| --- | --- | --- | --- | --- | --- |")
    base = np.array(rates["seed style"])
    for name, r in rates.items():
        ratio = np.median(np.array(r) / base)
        print(f"| {name} | {np.median(r):.0f} | {', '.join(f'{x:.0f}' for x in r)} | {ratio:.2f}x "
              f"| {warmup[name][0]:.1f} / {np.median(warmup[name][1:] or [0]):.1f} "
              f"| {np.median(estimates[name]):.3f} |")


if __name__ == "__main__":
    main()
