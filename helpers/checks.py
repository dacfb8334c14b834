"""Checks that the notebooks' test cells call inside the student's kernel.

This is the one bridge between the student side and the grading side.  It
holds no answers and no hidden tests: only comparisons that explain
themselves and the fixed grading procedures that hidden tests run (their
tolerances live in the test cells).  A student can read it, by design.
"""
from __future__ import annotations

import math


def _as_float(value, what):
    if hasattr(value, "detach"):  # a tensor that requires grad: no warning (stderr fails a test)
        value = value.detach()
    try:
        return float(value)
    except Exception as exc:  # tensors with more than one element, None, ...
        raise AssertionError(
            f"{what}: expected a single number, got {type(value).__name__} "
            f"{_short(value)} ({exc})"
        ) from None


def _short(value, limit=80):
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def check_close(value, expected, what, atol=1e-6, rtol=1e-6, hint=""):
    """Assert that ``value`` is a finite number close to ``expected``.

    The message names the quantity, what was expected and what was seen,
    and adds ``hint`` (a likely cause) when they differ.  Like every check
    here it returns None: nbgrader would read a number that a test cell
    displays as partial credit.
    """
    got = _as_float(value, what)
    if not math.isfinite(got):
        raise AssertionError(
            f"{what}: expected the finite value {expected:.6g}, got {got}. "
            + (hint or "Look for an exp() that overflows or a log of 0.")
        )
    if abs(got - expected) > atol + rtol * abs(expected):
        raise AssertionError(
            f"{what}: expected {expected:.6g}, got {got:.6g}. {hint}".rstrip()
        )


def check_finite(value, what, hint=""):
    """Assert that ``value`` is a finite number."""
    got = _as_float(value, what)
    if not math.isfinite(got):
        raise AssertionError(f"{what}: expected a finite number, got {got}. {hint}".rstrip())


def check_estimate(estimate, truth, tol, what="the estimate", hint=""):
    """Assert that a trained estimate lies within ``tol`` nats of the truth."""
    check_finite(estimate, what, hint)
    got = float(estimate)
    if abs(got - truth) > tol:
        side = "below" if got < truth else "above"
        raise AssertionError(
            f"{what} {got:.3f} is {abs(got - truth):.3f} nats {side} the true value "
            f"{truth:.3f} (allowed: {tol:.3f}). {hint}".rstrip()
        )


def dv_grading_run(DVTrainer, Net, rho, seed, epochs=100, n=1000, batch_size=100, lr=1e-3):
    """The fixed procedure behind notebook 01's trainer tests.

    Draws n samples of the bivariate Gaussian with correlation ``rho`` and an
    independent N(0, I) reference, both from ``seed``, trains a fresh
    ``Net()`` with ``DVTrainer`` for ``epochs`` epochs on the CPU and
    returns the estimate the trainer reports.  The tolerance-measurement
    script runs the very same procedure over many seeds.
    """
    import numpy as np
    import torch

    rng = np.random.default_rng([seed, 1])
    cov = [[1.0, rho], [rho, 1.0]]
    Z = torch.tensor(rng.multivariate_normal([0.0, 0.0], cov, n), dtype=torch.float32)
    Z_ref = torch.tensor(rng.standard_normal((n, 2)), dtype=torch.float32)
    torch.manual_seed(seed)
    net = Net()
    trainer = DVTrainer(Z, Z_ref, net, batch_size=batch_size, lr=lr)
    return trainer.step(epochs)


def coin_channel_mi(rho):
    """I(X ^ Y) in nats for a fair coin X = +-1 and Y = X + sigma N(0, 1), where sigma
    is chosen so that corr(X, Y) = rho, that is sigma = sqrt(1 / rho^2 - 1).

    Unlike the Gaussian case, the MI is not -1/2 log(1 - rho^2): it is at most
    H(X) = log 2.  Computed as h(Y) - h(Y | X) by quadrature.
    """
    import numpy as np

    sigma = math.sqrt(1.0 / rho**2 - 1.0)
    y = np.linspace(-1.0 - 12.0 * sigma, 1.0 + 12.0 * sigma, 200001)
    g = lambda mu: np.exp(-((y - mu) ** 2) / (2 * sigma**2)) / math.sqrt(2 * math.pi * sigma**2)  # noqa: E731
    p = 0.5 * g(1.0) + 0.5 * g(-1.0)
    h_y = -float(np.sum(p * np.log(np.maximum(p, 1e-300)))) * (y[1] - y[0])
    return h_y - 0.5 * math.log(2 * math.pi * math.e * sigma**2)


def mine_grading_run(MINETrainer, Net, rho, seed, epochs=100, n=1000, data="gaussian"):
    """The fixed procedure behind notebook 02's trainer tests.

    Draws n samples of (X, Y) from ``seed``: with ``data="gaussian"`` the
    bivariate Gaussian with correlation ``rho`` (MI ``helpers.gaussian_mi(rho)``);
    with ``data="coin"`` a fair coin X = +-1 and Y = X + Gaussian noise with the
    same correlation (MI ``coin_channel_mi(rho)``, not the Gaussian formula).
    Trains a fresh ``Net()`` with ``MINETrainer`` (10 iterations an epoch,
    default settings) for ``epochs`` epochs on the CPU and returns the estimate
    the trainer reports.  The tolerance-measurement script runs the very same
    procedure over many seeds.
    """
    import numpy as np
    import torch

    rng = np.random.default_rng([seed, 2])
    if data == "gaussian":
        XY = rng.multivariate_normal([0.0, 0.0], [[1.0, rho], [rho, 1.0]], n)
    elif data == "coin":
        x = rng.choice([-1.0, 1.0], n)
        XY = np.stack([x, x + math.sqrt(1.0 / rho**2 - 1.0) * rng.standard_normal(n)], axis=1)
    else:
        raise ValueError(f"data must be 'gaussian' or 'coin', got {data!r}")
    X = torch.tensor(XY[:, [0]], dtype=torch.float32)
    Y = torch.tensor(XY[:, [1]], dtype=torch.float32)
    torch.manual_seed(seed)
    net = Net()
    trainer = MINETrainer(X, Y, net, n_iters_per_epoch=10)
    return trainer.step(epochs)


def minee_grading_run(MINEETrainer, rho, seed, epochs=60, n=1000, d=1, n_=None,
                      reference="uniform"):
    """The fixed procedure behind notebook 03's trainer tests.

    Draws n samples of d-dimensional X and Y with componentwise correlation
    ``rho`` (MI ``helpers.gaussian_mi(rho, d)``) from ``seed``, trains
    ``MINEETrainer(X, Y, n_=n_, reference=reference)`` (batches of 100, default
    settings) for ``epochs`` epochs on the CPU and returns the estimate the
    trainer reports.  The tolerance-measurement script runs the very same
    procedure over many seeds.
    """
    import numpy as np
    import torch

    from .data import gaussian_pairs

    X, Y = gaussian_pairs(rho, d, n, rng=np.random.default_rng([seed, 3]))
    X = torch.tensor(X, dtype=torch.float32)
    Y = torch.tensor(Y, dtype=torch.float32)
    torch.manual_seed(seed)
    trainer = MINEETrainer(X, Y, n_=n_, reference=reference)
    return trainer.step(epochs)
