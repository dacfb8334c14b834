"""Plots shared by the notebooks."""
from __future__ import annotations

import numpy as np


def plot_samples_with_kde(df, **kwargs):
    """Pair grid of samples: scatter below the diagonal, KDE above and on it.

    Parameters
    ----------
    df : pandas DataFrame, one column per variable.
    kwargs : passed to ``seaborn.PairGrid``.
    """
    import seaborn as sns

    p = sns.PairGrid(df, **kwargs)
    p.map_lower(sns.scatterplot, s=2)  # samples
    p.map_upper(sns.kdeplot)  # joint density estimate
    p.map_diag(sns.kdeplot)  # marginal densities
    return p


def plot_net_heatmap(net, xmin=-5, xmax=5, ymin=-5, ymax=5, xgrids=50, ygrids=50,
                     ax=None, title=r"Heat map of $t(x,y)$"):
    """Heat map of a network ``t(x, y)`` with two scalar inputs.

    ``net`` is called as ``net(x, y)`` with x and y of shape (N, 1), or, if it
    takes one argument, as ``net(z)`` with z of shape (N, 2).  The grid is put
    on the device of the network's parameters.
    """
    import inspect

    import matplotlib.pyplot as plt
    import torch

    x, y = np.mgrid[xmin:xmax:xgrids * 1j, ymin:ymax:ygrids * 1j]
    try:
        device = next(net.parameters()).device
    except (AttributeError, StopIteration):
        device = "cpu"
    xt = torch.as_tensor(x.reshape(-1, 1), dtype=torch.float32, device=device)
    yt = torch.as_tensor(y.reshape(-1, 1), dtype=torch.float32, device=device)
    forward = getattr(net, "forward", net)
    n_args = len(inspect.signature(forward).parameters)
    with torch.no_grad():
        out = net(xt, yt) if n_args >= 2 else net(torch.cat([xt, yt], dim=-1))
    z = out.reshape(x.shape).cpu().numpy()
    if ax is None:
        ax = plt.gca()
    im = ax.pcolormesh(x, y, z, cmap="RdBu_r", shading="auto")
    ax.figure.colorbar(im, ax=ax)
    ax.set(xlabel=r"$x$", ylabel=r"$y$", title=title)
    return ax


def plot_training_curve(estimates, ground_truth, steps=None, ax=None, label="estimate",
                        xlabel="training step", ylabel="nats"):
    """Estimates during training against the ground truth.

    Parameters
    ----------
    estimates : sequence of float
    ground_truth : float
    steps : sequence, optional
        x values (for example iterations); 1, 2, ... by default.
    """
    import matplotlib.pyplot as plt

    if ax is None:
        ax = plt.gca()
    if steps is None:
        steps = np.arange(1, len(estimates) + 1)
    ax.plot(steps, estimates, label=label)
    ax.axhline(ground_truth, color="k", ls="--", label="ground truth")
    ax.set(xlabel=xlabel, ylabel=ylabel)
    ax.legend()
    return ax
