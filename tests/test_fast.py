"""helpers.CompiledAdam computes the same training as torch.optim.Adam, faster."""
import pytest
import torch

import helpers

pytestmark = pytest.mark.fast  # torch on the CPU, no kernel


def tiny_net():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(2, 16), torch.nn.ELU(), torch.nn.Linear(16, 1))


def dv_loss(bz, bzr, t):
    # DV plus a term on the output's offset: DV alone leaves the last bias with a zero
    # gradient, where Adam only amplifies rounding noise and no two implementations agree.
    out = t(bz)
    dv = out.mean() - (t(bzr).flatten().logsumexp(0) - torch.log(torch.tensor(float(len(bzr)))))
    return -dv + 0.1 * out.mean() ** 2


def reference_training(net, batches, lr):
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    total = 0.0
    for bz, bzr in zip(*batches):
        opt.zero_grad()
        loss = dv_loss(bz, bzr, net)
        loss.backward()
        opt.step()
        total += loss.item()
    return total


def batches(seed, steps=12):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(steps, 32, 2, generator=g) * 1.5, torch.randn(steps, 32, 2, generator=g)


@pytest.mark.parametrize("compile", [
    # An empty inductor cache makes the compiled case cost about a minute: its own tier.
    pytest.param(True, marks=pytest.mark.slow, id="compiled"),
    pytest.param(False, id="eager"),
])
def test_matches_torch_adam(compile):
    ref, fast = tiny_net(), tiny_net()
    lr = 1e-2
    expected = reference_training(ref, batches(1), lr)
    opt = helpers.CompiledAdam(fast, dv_loss, lr=lr, compile=compile)
    got = float(opt.epoch(*batches(1)))
    assert abs(got - expected) < 1e-4, (compile, got, expected)
    for p, q in zip(ref.parameters(), fast.parameters()):
        torch.testing.assert_close(p, q, atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("compile", [
    pytest.param(True, marks=pytest.mark.slow, id="compiled"),
    pytest.param(False, id="eager"),
])
def test_state_carries_over_between_epochs(compile):
    ref, fast = tiny_net(), tiny_net()
    opt_ref = torch.optim.Adam(ref.parameters(), lr=5e-3)
    fast_opt = helpers.CompiledAdam(fast, dv_loss, lr=5e-3, compile=compile)
    for seed in (3, 4, 5):
        bz, bzr = batches(seed, steps=5)
        for j in range(5):
            opt_ref.zero_grad()
            dv_loss(bz[j], bzr[j], ref).backward()
            opt_ref.step()
        fast_opt.epoch(bz, bzr)
    assert int(fast_opt.t) == 15
    for p, q in zip(ref.parameters(), fast.parameters()):
        torch.testing.assert_close(p, q, atol=1e-5, rtol=1e-4)
