"""Data, mode geometry and plots for notebook 05 (MINE inside adversarial training).

Two mixtures of isotropic Gaussians in the plane, each with its list of mode centres:

- ``GRID``: 25 Gaussians on a 5 x 5 grid, centres at {-2, -1, 0, 1, 2}^2;
- ``SPIRAL``: 20 Gaussians at equal arc length along an Archimedean spiral.

The MINE paper (appendix 1.2) draws 100,000 examples of each; the course's text of
the paper lost its standard deviation and the spiral's noise, so this module states
its own: standard deviation 0.05 for both, a spacing of the centres (1 on the grid,
about 0.86 along the spiral) that is at least 12 standard deviations, so that the
"3 standard deviations" balls of the mode counter never overlap.  The spiral is
drawn as a chain of modes (not a continuous curve plus noise) so that one mode
counter serves both data sets.

Nothing here answers an exercise: the nearest centre and its distance are given,
what counts as a high-quality sample, a covered mode and the KL divergence of the
mode histogram is the notebook's exercise.  Importing draws nothing.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:   # names for annotations only: numpy and torch are imported when a function runs
    import numpy as np
    import torch

#: Standard deviation of every mode (both data sets).
STD = 0.05
#: Examples drawn for the training set, as in the paper's appendix 1.2.
N_TRAIN = 100_000
#: Samples of a trained generator that the mode counter looks at.
N_EVAL = 2500
#: A mode is covered when it has at least this many high-quality samples among N_EVAL
#: (the uniform expectation is 100 on the grid, 125 on the spiral).
MIN_COUNT = 20
#: A sample is of high quality when it lies within this many standard deviations of its nearest mode.
RADIUS = 3.0


def grid_modes() -> np.ndarray:
    """The 25 centres of the grid, float64 array of shape (25, 2), row by row."""
    import numpy as np

    v = np.arange(-2.0, 3.0)
    return np.array([[a, b] for a in v for b in v])


def spiral_modes(k: int = 20) -> np.ndarray:
    """k centres at equal arc length along r = theta / (2 pi), theta in [2 pi, 5 pi] (1.5 turns).

    Returns a float64 array of shape (k, 2).  With k = 20 neighbours are about 0.86
    apart along the curve, and successive turns 1 apart.
    """
    import numpy as np

    theta = np.linspace(2 * math.pi, 5 * math.pi, 20001)
    r = theta / (2 * math.pi)
    xy = np.stack([r * np.cos(theta), r * np.sin(theta)], axis=1)
    arc = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(xy, axis=0), axis=1))])
    targets = np.linspace(0.0, arc[-1], k)
    return np.stack([np.interp(targets, arc, xy[:, 0]), np.interp(targets, arc, xy[:, 1])], axis=1)


MODES: dict[str, Callable[[], np.ndarray]] = {"grid": grid_modes, "spiral": spiral_modes}


def modes(name: str) -> np.ndarray:
    """The centres of data set ``name`` ("grid" or "spiral")."""
    return MODES[name]()


def sample(name: str, n: int, rng: Any = None, std: float = STD) -> tuple[np.ndarray, np.ndarray]:
    """n points of data set ``name``: a mode drawn uniformly, plus N(0, std^2 I) noise.

    Parameters
    ----------
    name : "grid" or "spiral"
    n : int
    rng : numpy Generator, seed or None
    std : float

    Returns
    -------
    X : float32 array, shape (n, 2)
    labels : int64 array, shape (n,): the mode each point was drawn from
    """
    import numpy as np

    rng = np.random.default_rng(rng)
    centres = modes(name)
    labels = rng.integers(len(centres), size=n)
    X = centres[labels] + std * rng.standard_normal((n, 2))
    return X.astype(np.float32), labels.astype(np.int64)


def nearest_mode(samples: Any, centres: Any) -> tuple[np.ndarray, np.ndarray]:
    """For each sample, the index of its nearest centre and the euclidean distance to it.

    Parameters
    ----------
    samples : array or tensor, shape (n, 2)
    centres : array, shape (K, 2)

    Returns
    -------
    index : int64 array, shape (n,)
    distance : float64 array, shape (n,)
    """
    import numpy as np

    if hasattr(samples, "detach"):
        samples = samples.detach().cpu().numpy()
    s = np.asarray(samples, dtype=np.float64)
    c = np.asarray(centres, dtype=np.float64)
    d2 = ((s[:, None, :] - c[None, :, :]) ** 2).sum(axis=2)
    index = d2.argmin(axis=1)
    return index.astype(np.int64), np.sqrt(d2[np.arange(len(s)), index])


def summarize(values: Any) -> tuple[float, float, float]:
    """(mean, min, max) of a sequence of numbers."""
    import numpy as np

    v = np.asarray(values, dtype=np.float64)
    return float(v.mean()), float(v.min()), float(v.max())


def plot_by_code(ax: Any, samples: Any, codes: Any, title: str = "", k: int | None = None,
                 centres: Any = None) -> None:
    """Scatter 2-d samples on ``ax``, coloured by their integer code (the generator's c)."""
    import numpy as np

    if hasattr(samples, "detach"):
        samples = samples.detach().cpu().numpy()
    if hasattr(codes, "detach"):
        codes = codes.detach().cpu().numpy()
    codes = np.asarray(codes)
    if centres is not None:
        ax.scatter(centres[:, 0], centres[:, 1], marker="x", c="k", s=25, lw=1, zorder=3)
    ax.scatter(samples[:, 0], samples[:, 1], c=codes, cmap="tab10", s=2, alpha=0.6,
               vmin=0, vmax=max(int(k or codes.max() + 1) - 1, 1))
    ax.set_title(title, fontsize=9)
    ax.set_xlim(-2.8, 2.8)
    ax.set_ylim(-2.8, 2.8)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])


def to_tensor(X: np.ndarray, device: Any = "cpu") -> torch.Tensor:
    """A float32 tensor of ``X`` on ``device``."""
    import torch

    return torch.as_tensor(X, dtype=torch.float32, device=device)
