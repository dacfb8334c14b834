"""Plots shared by the notebooks."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Sequence

import numpy as np

if TYPE_CHECKING:   # names for annotations only: each function imports what it draws with
    import pandas as pd
    from matplotlib.axes import Axes
    from torch import nn


def plot_samples_with_kde(df: pd.DataFrame, **kwargs: Any) -> Any:
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


def plot_net_heatmap(net: nn.Module, xmin: float = -5, xmax: float = 5, ymin: float = -5, ymax: float = 5,
                     xgrids: int = 50, ygrids: int = 50, ax: Axes | None = None,
                     title: str = r"Heat map of $t(x,y)$") -> Axes:
    """Heat map of a network ``t(x, y)`` with two scalar inputs.

    ``net`` is called as ``net(x, y)`` with x and y of shape (N, 1), or, if it
    takes one argument, as ``net(z)`` with z of shape (N, 2).  The grid is put
    on the device of the network's parameters.
    """
    import inspect

    import matplotlib.pyplot as plt
    import torch

    x, y = np.mgrid[xmin:xmax:xgrids * 1j, ymin:ymax:ygrids * 1j]  # type: ignore[misc]  # (numpy's stubs: no complex step)
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


def plot_training_curve(estimates: Sequence[float], ground_truth: float,
                        steps: Sequence[float] | np.ndarray | None = None,
                        ax: Axes | None = None, label: str = "estimate", xlabel: str = "training step",
                        ylabel: str = "nats") -> Axes:
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


def plot_samples_scatter(df: pd.DataFrame, max_points: int | None = None, bins: int = 60) -> Axes:
    """Scatter of two columns with their marginal histograms: fast enough for a slider.

    A pair grid with kernel density estimates takes seconds for 10,000 points; this
    draws the samples themselves, in well under a second.

    Parameters
    ----------
    df : pandas DataFrame with two columns (x first, y second).
    max_points : int, optional
        Plot at most this many points of the scatter (the first ones); the
        histograms always use all of them.
    bins : int
        Number of bins of each histogram.
    """
    import matplotlib.pyplot as plt

    x_name, y_name = df.columns[:2]
    x, y = df[x_name].to_numpy(), df[y_name].to_numpy()
    fig = plt.figure(figsize=(5, 5))
    grid = fig.add_gridspec(2, 2, width_ratios=(4, 1), height_ratios=(1, 4), wspace=0.05, hspace=0.05)
    ax = fig.add_subplot(grid[1, 0])
    ax_x = fig.add_subplot(grid[0, 0], sharex=ax)
    ax_y = fig.add_subplot(grid[1, 1], sharey=ax)
    k = len(x) if max_points is None else min(len(x), max_points)
    ax.plot(x[:k], y[:k], ".", markersize=1.5, alpha=0.5)
    ax.set(xlabel=x_name, ylabel=y_name)
    ax_x.hist(x, bins=bins, density=True)
    ax_y.hist(y, bins=bins, density=True, orientation="horizontal")
    ax_x.tick_params(labelbottom=False)
    ax_y.tick_params(labelleft=False)
    return ax


def plot_log_ratio_comparison(t: Callable[[np.ndarray, np.ndarray], np.ndarray],
                              log_ratio: Callable[[np.ndarray, np.ndarray], np.ndarray], lim: float = 4.0,
                              vrange: tuple[float, float] = (-8.0, 3.0),
                              slice_ylim: tuple[float, float] = (-12.0, 4.0),
                              t_label: str = "trained $t$") -> np.ndarray:
    """A trained statistics function beside the analytic log density ratio.

    Three panels: heat maps of ``t`` and ``log_ratio`` on [-lim, lim]^2 with the same
    colour scale, and both along the diagonal x = y and the anti-diagonal x = -y.

    Parameters
    ----------
    t, log_ratio : callables
        Map numpy arrays x, y of the same shape to an array of that shape.
    """
    import matplotlib.pyplot as plt

    gx, gy = np.mgrid[-lim:lim:81j, -lim:lim:81j]  # type: ignore[misc]  # (numpy's stubs: no complex step)
    fig, axes = plt.subplots(1, 3, figsize=(16, 4))
    for ax, values, title in [(axes[0], t(gx, gy), t_label), (axes[1], log_ratio(gx, gy), "log density ratio")]:
        im = ax.pcolormesh(gx, gy, values, cmap="RdBu_r", shading="auto", vmin=vrange[0], vmax=vrange[1])
        fig.colorbar(im, ax=ax)
        ax.set(xlabel="$x$", ylabel="$y$", title=title)
    s = np.linspace(-lim, lim, 161)
    for sign, style in [(1, "-"), (-1, "--")]:
        where = "x = y" if sign == 1 else "x = -y"
        axes[2].plot(s, t(s, sign * s), "C0" + style, label=f"{t_label}, {where}")
        axes[2].plot(s, log_ratio(s, sign * s), "k" + style, label=f"log ratio, {where}")
    axes[2].set(xlabel="position s along the line", ylabel="nats", ylim=slice_ylim, title="slices")
    axes[2].legend(fontsize="small")
    return axes
