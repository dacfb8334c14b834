"""helpers.batched: K networks trained at once are K separate trainings.

Each estimator in the batch must follow exactly the trajectory of a plain
one-at-a-time loop (an ``nn.Sequential`` with the same initial parameters,
``torch.optim.Adam``, the same loss and the same batches), up to float
rounding: nothing leaks between the K networks.
"""
import math
import os
import subprocess
import sys

import pytest
import torch

from helpers.batched import BatchedTrainer, StackedMLP, draw_indices

pytestmark = pytest.mark.fast  # torch on the CPU, no kernel: about 10 s


def dv(t_joint, t_marg):
    return t_joint.mean() - (torch.logsumexp(t_marg, 0) - math.log(t_marg.shape[0]))


def log_space_loss(t_joint, t_marg, log_m, beta=0.9):
    """A loss with a state (a moving average kept in log space), as MINE's."""
    ell = torch.logsumexp(t_marg, 0) - math.log(t_marg.shape[0])
    log_m = torch.logaddexp(math.log(beta) + log_m, math.log(1 - beta) + ell.detach())
    return -t_joint.mean() + torch.exp(ell - log_m), log_m


def plain_dv_loss(t_joint, t_marg, state):
    return -dv(t_joint, t_marg), state


def data(K, n, dx, dy, seed=0, dtype=torch.float32):
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(K, n, dx, generator=g, dtype=dtype)
    Y = 0.7 * X[..., :1] + torch.randn(K, n, dy, generator=g, dtype=dtype)
    return X, Y


def separate_run(net, X, Y, loss_fn, seed, iters, batch_size, lr=1e-3):
    """The one-at-a-time reference: plain modules, torch.optim.Adam, the same batches."""
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    gen = torch.Generator().manual_seed(int(seed) + 1_000_003)  # as BatchedTrainer draws them
    state = torch.zeros((), dtype=X.dtype)
    losses = []
    done = 0
    while done < iters:  # the trainer draws indices in chunks of 100 steps
        steps = min(100, iters - done)
        idx = draw_indices([gen], X.shape[0], steps, batch_size, "cpu")[0]
        for j in range(steps):
            i0, i1, i2 = idx[j]
            opt.zero_grad()
            z = torch.cat([torch.cat([X[i0], Y[i0]], 1), torch.cat([X[i1], Y[i2]], 1)])
            t = net(z).flatten()
            loss, state = loss_fn(t[:batch_size], t[batch_size:], state)
            state = state.detach()
            loss.backward()
            opt.step()
            losses.append(float(loss.detach()))
        done += steps
    return state, losses


# In float64 the two computations agree to rounding (about 1e-12 here); in float32
# Adam's normalised steps amplify rounding differences to about 2e-5 over 120 steps.
@pytest.mark.parametrize("loss_fn,activation,dtype,tol", [
    (log_space_loss, "relu", torch.float64, 1e-9),
    (plain_dv_loss, "elu", torch.float64, 1e-9),
    (log_space_loss, "elu", torch.float32, 2e-4),
])
def test_batched_runs_equal_separate_runs(loss_fn, activation, dtype, tol):
    torch.manual_seed(0)
    K, n, iters, B = 4, 300, 120, 32
    X, Y = data(K, n, 2, 3, dtype=dtype)
    seeds = [11, 12, 13, 14]
    trainer = BatchedTrainer(X, Y, loss_fn, seeds=seeds, activation=activation, fused=False)
    start = [trainer.net.module(k) for k in range(K)]
    total = trainer.train(iters, B)
    for k in range(K):
        state, losses = separate_run(start[k], X[k], Y[k], loss_fn, seeds[k], iters, B)
        got = trainer.net.module(k)
        for p_batched, p_separate in zip(got.parameters(), start[k].parameters()):
            assert torch.allclose(p_batched, p_separate, rtol=tol, atol=tol), (
                f"network {k}: largest parameter difference "
                f"{float((p_batched - p_separate).abs().max()):.2e} after {iters} steps")
        assert torch.allclose(trainer.state[k], state, rtol=tol, atol=tol)
        assert math.isclose(float(total[k]), sum(losses), rel_tol=1e-4, abs_tol=1e-3)


def test_fused_adam_matches_the_default_adam():
    X, Y = data(3, 200, 1, 1, seed=1)
    runs = []
    for fused in (False, True):
        trainer = BatchedTrainer(X, Y, log_space_loss, seeds=[1, 2, 3], fused=fused)
        trainer.train(50, 20)
        runs.append([p.detach().clone() for p in trainer.net.parameters()])
    for a, b in zip(*runs):
        assert torch.allclose(a, b, rtol=1e-4, atol=1e-5)


def test_a_network_does_not_depend_on_the_others():
    """Network 0 trained alone or among others: the same result (in float64, where batched
    matrix products of another K round alike; float32 differed by 1e-5 after 40 Adam steps)."""
    X, Y = data(3, 200, 1, 1, seed=2, dtype=torch.float64)
    alone = BatchedTrainer(X[:1], Y[:1], log_space_loss, seeds=[5], fused=False)
    alone.train(40, 16)
    together = BatchedTrainer(X, Y, log_space_loss, seeds=[5, 6, 7], fused=False)
    together.train(40, 16)
    for a, b in zip(alone.net.parameters(), together.net.parameters()):
        assert torch.allclose(a[0], b[0], rtol=1e-9, atol=1e-10)


def test_a_loss_that_cannot_be_vmapped_runs_in_a_loop():
    def item_loss(t_joint, t_marg, state):
        scale = float(t_joint.detach().abs().max().item()) * 0 + 1.0  # .item() defeats vmap
        return -scale * dv(t_joint, t_marg), state

    X, Y = data(2, 100, 1, 1, seed=3)
    a = BatchedTrainer(X, Y, item_loss, seeds=[1, 2], fused=False)
    b = BatchedTrainer(X, Y, plain_dv_loss, seeds=[1, 2], fused=False)
    a.train(10, 10)
    b.train(10, 10)
    for p, q in zip(a.net.parameters(), b.net.parameters()):
        assert torch.allclose(p, q, rtol=1e-5, atol=1e-6)


def test_early_stopping_keeps_the_best_validation_checkpoint():
    X, Y = data(2, 400, 1, 1, seed=4)
    Xv, Yv = data(2, 400, 1, 1, seed=5)
    trainer = BatchedTrainer(X, Y, plain_dv_loss, seeds=[1, 2], fused=False)
    trainer.train(200, 32, X_val=Xv, Y_val=Yv, estimate_fn=dv, eval_every=50)
    assert trainer.val_history.shape == (2, 4)
    final = trainer.estimate(Xv, Yv, dv)
    assert torch.allclose(final, trainer.val_history.max(dim=1).values, atol=1e-5), (
        "after training, each network should hold its best validation checkpoint")


@pytest.mark.fast
@pytest.mark.parametrize("missing", ["Y_val", "estimate_fn"])
def test_early_stopping_without_its_inputs_is_refused_before_training(missing):
    X, Y = data(2, 50, 1, 1, seed=4)
    Xv, Yv = data(2, 50, 1, 1, seed=5)
    trainer = BatchedTrainer(X, Y, plain_dv_loss, seeds=[1, 2], fused=False)
    kw = dict(X_val=Xv, Y_val=Yv, estimate_fn=dv, eval_every=5)
    kw[missing] = None
    with pytest.raises(ValueError, match="early stopping needs"):
        trainer.train(20, 8, **kw)
    assert trainer.n_iter == 0, "refused before the first step"


def test_stacked_mlp_module_is_the_same_function():
    mlp = StackedMLP(3, (4, 8, 8, 1), seeds=[1, 2, 3], activation="elu")
    z = torch.randn(3, 5, 4)
    out = mlp(z)
    for k in range(3):
        assert torch.allclose(out[k], mlp.module(k)(z[k]).flatten(), atol=1e-6)
    with pytest.raises(ValueError):
        StackedMLP(2, (4, 1), seeds=[1])


FAULTS = r"""
import resource, sys, torch
torch.set_num_threads(1)
from helpers.batched import BatchedTrainer
keep = sys.argv[1] == "1"
g = torch.Generator().manual_seed(0)
X = torch.randn(16, 2000, 1, generator=g)
Y = 0.9 * X + 0.4 * torch.randn(16, 2000, 1, generator=g)
loss = lambda tj, tm, s: (-(tj.mean() - torch.logsumexp(tm, 0)), s)
tr = BatchedTrainer(X, Y, loss, seeds=list(range(16)), keep_memory=keep)
tr.train(20, 100)
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
tr.train(100, 100)
print((resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 100)
"""


@pytest.mark.slow  # two fresh interpreters importing torch
def test_freed_activations_stay_in_the_process():
    """With keep_memory (the default) a step does not fault its activations in again.

    Measured at K = 16 (activations of 1.28 MB): 2 to 8 page faults a step with it,
    250 to 570 without (glibc unmaps freed blocks over its mmap threshold)."""
    env = {**os.environ, "OMP_NUM_THREADS": "1"}

    def faults_per_step(keep):
        out = subprocess.run([sys.executable, "-c", FAULTS, keep], env=env, check=True,
                             capture_output=True, text=True).stdout
        return float(out.split()[-1])

    kept, unkept = faults_per_step("1"), faults_per_step("0")
    assert kept < 64, f"{kept} page faults a step with keep_memory"
    assert kept < unkept, (kept, unkept)
