"""Gaussian data with known mutual information."""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    # a Generator, or a seed for one (np.random.default_rng's argument)
    Rng = np.random.Generator | int | None

#: The seed chapter's seed.
SEED = 0


def _rng(rng: Rng) -> np.random.Generator:
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)


def bivariate_gaussian(rho: float, n: int, rng: Rng = None) -> np.ndarray:
    """Draw n samples of (X, Y), zero mean, unit variances, correlation rho.

    Parameters
    ----------
    rho : float in (-1, 1)
    n : int
    rng : numpy Generator or seed

    Returns
    -------
    ndarray, shape (n, 2): column 0 is X, column 1 is Y.
    """
    if not -1 < rho < 1:
        raise ValueError(f"rho must lie in (-1, 1), got {rho}")
    cov = [[1.0, rho], [rho, 1.0]]
    return _rng(rng).multivariate_normal([0.0, 0.0], cov, n)


def gaussian_pairs(rho: float, d: int, n: int, rng: Rng = None) -> tuple[np.ndarray, np.ndarray]:
    """Draw n samples of d-dimensional X and Y with componentwise correlation rho.

    cov(X_i, Y_j) = rho if i == j else 0; every component has unit variance.

    Returns
    -------
    X, Y : ndarrays of shape (n, d)
    """
    if not -1 < rho < 1:
        raise ValueError(f"rho must lie in (-1, 1), got {rho}")
    g = _rng(rng)
    X = g.standard_normal((n, d))
    # Y = rho X + sqrt(1 - rho^2) noise has the required covariance.
    Y = rho * X + np.sqrt(1.0 - rho**2) * g.standard_normal((n, d))
    return X, Y


def gaussian_mi(rho: float, d: int = 1) -> float:
    """Ground-truth I(X ^ Y) in nats for componentwise correlation rho in d dims:
    -d/2 log(1 - rho^2)."""
    return -0.5 * d * float(np.log1p(-float(rho) ** 2))


def seed_data(seed: int = SEED, n: int = 1000) -> tuple[float, np.ndarray]:
    """Reproduce the seed chapter's data exactly.

    ``rng = default_rng(seed); rho = 1 - 0.19 * rng.random()``, then n samples
    of the bivariate Gaussian with correlation rho from the same generator.

    Returns
    -------
    rho : float
    XY : ndarray, shape (n, 2)
    """
    rng = np.random.default_rng(seed)
    rho = 1 - 0.19 * rng.random()
    XY = rng.multivariate_normal([0, 0], [[1, rho], [rho, 1]], n)
    return rho, XY


def standard_normal(n: int, d: int = 2, seed: int = 1) -> np.ndarray:
    """n i.i.d. samples of N(0, I_d), from a generator of their own.

    The seed chapter drew its reference with ``default_rng(SEED)``, the very
    seed that drew the data, so the two sample sets share random numbers;
    a reference should be independent of the data, hence a different seed.
    """
    return np.random.default_rng(seed).standard_normal((n, d))
