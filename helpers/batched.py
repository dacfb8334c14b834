"""Train K small statistics networks at once, each with its own data, seed and state.

A sweep such as the MINE paper's Fig. 1 trains dozens of small networks. One at
a time, an eager step of a 2-100-100-1 network spends most of its time on
per-operation overhead, not on arithmetic. Here the K networks' parameters are
stacked, shape ``(K, fan_in, fan_out)``, and one step does K forward passes with
one batched matmul (``torch.baddbmm``) per layer, one backward pass, and one
Adam update of the stacked tensors. Adam is elementwise, so this is K separate
Adam optimizers; each network sees only its own data and its own loss, so the
result is that of K separate trainings (``tests/test_batched.py`` checks it
against a plain ``nn.Sequential`` + ``torch.optim.Adam`` loop).

The trainer knows no estimator: the loss is a function the caller passes,
``loss_fn(t_joint, t_marg, state) -> (loss, new_state)`` for ONE network, with
``t_joint`` and ``t_marg`` of shape (batch_size,). It is applied to the K
networks with ``torch.func.vmap`` (or, if the function cannot be vmapped, in a
Python loop). Nothing here answers an exercise.

Runs on the device of the data (CUDA when there), without a host sync per
step: batch indices are drawn in chunks, and the best checkpoints are kept with
``torch.where`` on the device.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Callable, Sequence

if TYPE_CHECKING:   # names for annotations only: torch is imported when a function runs
    import torch
    from torch import nn


class StackedMLP:
    """K multilayer perceptrons with stacked parameters.

    Parameters
    ----------
    K : int
        Number of networks.
    sizes : sequence of int
        Layer widths, input first, ending in 1 (e.g. ``(2, 100, 100, 1)``).
    seeds : sequence of K ints
        Network k is initialised from ``torch.Generator().manual_seed(seeds[k])``
        as ``nn.Linear`` initialises itself (uniform in +-1/sqrt(fan_in)).
    device, dtype : where the parameters live.
    activation : {"elu", "relu"}
        After every layer but the last.  ELU (the course's networks) learns the
        high-MI Gaussians of notebook 04 much better than ReLU (measured in
        docs/benchmark.md); ReLU is cheaper to compute.
    """

    ACTIVATIONS = ("relu", "elu")

    def __init__(self, K: int, sizes: Sequence[int], seeds: Sequence[int], device: Any = "cpu",
                 dtype: torch.dtype | None = None, activation: str = "elu") -> None:
        import torch

        if activation not in self.ACTIVATIONS:
            raise ValueError(f"activation must be one of {self.ACTIVATIONS}, got {activation!r}")
        self.activation = activation

        if len(seeds) != K:
            raise ValueError(f"need one seed per network: K = {K}, got {len(seeds)} seeds")
        dtype = dtype or torch.get_default_dtype()
        self.K, self.sizes = K, tuple(sizes)
        weights: list[list[torch.Tensor]] = [[] for _ in sizes[1:]]
        biases: list[list[torch.Tensor]] = [[] for _ in sizes[1:]]
        for seed in seeds:
            g = torch.Generator().manual_seed(int(seed))
            for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
                bound = 1.0 / math.sqrt(a)
                weights[i].append((torch.rand(a, b, generator=g, dtype=dtype) * 2 - 1) * bound)
                biases[i].append((torch.rand(1, b, generator=g, dtype=dtype) * 2 - 1) * bound)
        self.weights = [torch.stack(w).to(device).requires_grad_() for w in weights]
        self.biases = [torch.stack(b).to(device).requires_grad_() for b in biases]

    def parameters(self) -> list[torch.Tensor]:
        return [p for pair in zip(self.weights, self.biases) for p in pair]

    def __call__(self, z: torch.Tensor) -> torch.Tensor:
        """t for each network: z of shape (K, m, sizes[0]) -> (K, m)."""
        import torch
        from torch.nn import functional as F

        # In place: autograd then keeps the activation's output, not its input, and
        # ELU's backward needs no exponential (grad * (y + 1) where y < 0).  Measured
        # with one thread on (16, 200, 100): 0.065 ms against 0.19 ms a layer.
        act = F.relu_ if self.activation == "relu" else F.elu_
        h = z
        *hidden, (w_out, b_out) = zip(self.weights, self.biases)
        for w, b in hidden:
            h = act(torch.baddbmm(b, h, w))
        # The output layer (fan_out 1) as a dot product: a batched matrix-vector
        # product costs about as much as the 100 x 100 layer's matmul (0.3 ms
        # against 0.06 ms for the product and sum, forward and both gradients alike).
        return torch.linalg.vecdot(h, w_out.transpose(1, 2)) + b_out[:, :, 0]

    def module(self, k: int) -> nn.Sequential:
        """Network k as a plain ``nn.Sequential`` (a copy of its current parameters)."""
        import torch
        from torch import nn

        layers = []
        for i, (w, b) in enumerate(zip(self.weights, self.biases)):
            lin = nn.Linear(w.shape[1], w.shape[2], dtype=w.dtype, device=w.device)
            with torch.no_grad():
                lin.weight.copy_(w[k].T)
                lin.bias.copy_(b[k, 0])
            layers.append(lin)
            if i < len(self.weights) - 1:
                layers.append(nn.ReLU() if self.activation == "relu" else nn.ELU())
        return nn.Sequential(*layers)


def keep_freed_memory(limit_mb: int = 256) -> bool:
    """Let this process's C allocator keep freed blocks of up to ``limit_mb`` MiB.

    A batched step allocates activations of about a megabyte each (K = 16 networks,
    200 rows, 100 units, float32).  glibc serves blocks that large with ``mmap`` and
    gives them back to the system when they are freed, so every step faults the same
    memory in again: measured at K = 16, 250 to 570 page faults and 0.6 to 1.3 ms of
    system time per step of about 7 ms.  With ``mallopt`` raising the mmap and trim
    thresholds the step faults 2 to 8 pages and spends 0.04 to 0.06 ms in the system.
    The numbers trained are the same.  The cost: up to ``limit_mb`` MiB of freed memory
    stays with the process until it exits.  Process-wide, Linux with glibc only;
    returns whether it took effect.
    """
    import ctypes
    import sys

    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # no C library symbols, or not glibc
        return False
    M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # glibc's malloc.h
    limit = int(limit_mb) << 20
    return bool(mallopt(M_MMAP_THRESHOLD, limit)) and bool(mallopt(M_TRIM_THRESHOLD, limit))


def _batched(fn: Callable[..., Any], K: int) -> Callable[..., Any]:
    """fn applied to each of K networks' rows: vmap, or a loop if fn cannot be vmapped."""
    import torch

    vmapped = torch.func.vmap(fn)

    def apply(*args):
        nonlocal vmapped
        if vmapped is not None:
            try:
                return vmapped(*args)
            except Exception:  # noqa: BLE001  (the caller's function may not support vmap)
                vmapped = None
        outs = [fn(*(a[k] for a in args)) for k in range(K)]
        if isinstance(outs[0], tuple):
            return tuple(torch.stack([torch.as_tensor(o[i]) for o in outs])
                         for i in range(len(outs[0])))
        return torch.stack([torch.as_tensor(o) for o in outs])

    return apply


def draw_indices(generators: Sequence[torch.Generator], n: int, steps: int, batch_size: int,
                 device: Any) -> torch.Tensor:
    """Indices for ``steps`` steps: joint rows, then the rows of X' and of Y', each
    uniform with replacement, from each network's own generator; shape (K, steps, 3, B)."""
    import torch

    return torch.stack([torch.randint(n, (steps, 3, batch_size), generator=g)
                        for g in generators]).to(device)


class BatchedTrainer:
    """Train K statistics networks on K data sets at once (see the module's docstring).

    Parameters
    ----------
    X, Y : Tensor, shape (K, n, dx) and (K, n, dy)
        Training samples: row i of X[k] is paired with row i of Y[k].
    loss_fn : callable
        ``loss_fn(t_joint, t_marg, state) -> (loss, new_state)`` for one network:
        t_joint, t_marg of shape (batch_size,), state a 0-dim tensor (for example
        the log of a moving average), loss a 0-dim tensor to minimize.
    seeds : sequence of K ints
        Seeds of each network's initialisation and of its batches.
    hidden : widths of the hidden layers.
    activation : {"elu", "relu"}
    lr : Adam's learning rate.
    state0 : float
        Initial value of every network's state.
    fused : bool
        Use ``torch.optim.Adam(fused=True)`` (one kernel for all parameters); the
        same arithmetic as the default implementation up to rounding.
    compile : bool
        Compile the forward pass and the loss (``torch.compile``; the backward pass
        follows); falls back to eager with a warning if compiling fails.  Costs tens
        of seconds the first time in a process: for long sweeps only.
    keep_memory : bool
        Call ``keep_freed_memory()`` (process-wide): without it, glibc returns each
        step's large activations to the system and faults them in again on the next.
    """

    def __init__(self, X: torch.Tensor, Y: torch.Tensor, loss_fn: Callable[..., Any], seeds: Sequence[int],
                 hidden: Sequence[int] = (100, 100), activation: str = "elu", lr: float = 1e-3,
                 state0: float = 0.0, fused: bool = True, compile: bool = False,
                 keep_memory: bool = True) -> None:
        import torch

        if keep_memory:
            keep_freed_memory()

        if X.dim() != 3 or Y.dim() != 3 or X.shape[:2] != Y.shape[:2]:
            raise ValueError("X and Y must have shapes (K, n, dx) and (K, n, dy)")
        self.X, self.Y = X, Y
        self.K, self.n = X.shape[0], X.shape[1]
        self.device = X.device
        self.net = StackedMLP(self.K, (X.shape[2] + Y.shape[2], *hidden, 1), seeds,
                              device=self.device, dtype=X.dtype, activation=activation)
        self.generators = [torch.Generator().manual_seed(int(s) + 1_000_003) for s in seeds]
        self.loss_fn = _batched(loss_fn, self.K)
        self.state = torch.full((self.K,), float(state0), device=self.device, dtype=X.dtype)
        self.optimizer = torch.optim.Adam(self.net.parameters(), lr=lr, fused=fused)
        self.n_iter = 0
        self._rows = torch.arange(self.K, device=self.device)[:, None]
        self._forward = torch.compile(self._losses, dynamic=False) if compile else self._losses

    def _t_pairs(self, X, Y, idx_j, idx_x, idx_y):
        import torch

        r = self._rows
        joint = torch.cat([X[r, idx_j], Y[r, idx_j]], dim=-1)
        marg = torch.cat([X[r, idx_x], Y[r, idx_y]], dim=-1)
        t = self.net(torch.cat([joint, marg], dim=1))  # one forward pass for both
        B = idx_j.shape[1]
        return t[:, :B], t[:, B:]

    def _losses(self, idx, state):
        t_joint, t_marg = self._t_pairs(self.X, self.Y, idx[:, 0], idx[:, 1], idx[:, 2])
        return self.loss_fn(t_joint, t_marg, state)

    def step(self, idx: torch.Tensor) -> torch.Tensor:
        """One Adam step of every network on the batches idx, shape (K, 3, B)."""
        self.optimizer.zero_grad(set_to_none=True)
        try:
            loss, state = self._forward(idx, self.state)
        except Exception as exc:  # noqa: BLE001  (a compiler failure: train eagerly)
            if self._forward is self._losses:
                raise
            import warnings

            warnings.warn(f"torch.compile failed ({type(exc).__name__}); training eagerly")
            self._forward = self._losses
            loss, state = self._forward(idx, self.state)
        self.state = state.detach()
        loss.sum().backward()  # network k's parameters get only the gradient of loss[k]
        self.optimizer.step()
        self.n_iter += 1
        return loss.detach()

    def train(self, iters: int, batch_size: int, chunk: int = 100, X_val: torch.Tensor | None = None,
              Y_val: torch.Tensor | None = None, estimate_fn: Callable[..., Any] | None = None,
              eval_every: int = 0, progress: Any = None) -> torch.Tensor:
        """Train for ``iters`` steps; return the summed losses per network (on the device).

        With ``X_val, Y_val, estimate_fn`` and ``eval_every`` (early stopping on held-out
        data): every ``eval_every`` steps each network is evaluated on the validation
        pairs, and the parameters with the best validation estimate so far are kept;
        at the end each network is set back to its best ones. ``self.val_history``
        holds the validation estimates, shape (K, number of evaluations).
        """
        import torch

        total = torch.zeros(self.K, device=self.device)
        keep_best = eval_every and X_val is not None
        if keep_best and (Y_val is None or estimate_fn is None):
            # (found by mypy: without them the first evaluation failed, eval_every steps in)
            raise ValueError("early stopping needs X_val, Y_val and estimate_fn")
        if keep_best:
            best = [p.detach().clone() for p in self.net.parameters()]
            best_val = torch.full((self.K,), -math.inf, device=self.device)
            history = []
        done = 0
        while done < iters:
            steps = min(chunk, iters - done)
            idx = draw_indices(self.generators, self.n, steps, batch_size, self.device)
            for j in range(steps):
                total += self.step(idx[:, j])
                done += 1
                if keep_best and done % eval_every == 0:
                    assert X_val is not None and Y_val is not None and estimate_fn is not None
                    val = self.estimate(X_val, Y_val, estimate_fn)
                    history.append(val)
                    better = val > best_val  # NaN is never better
                    best_val = torch.where(better, val, best_val)
                    with torch.no_grad():
                        for b, p in zip(best, self.net.parameters()):
                            b.copy_(torch.where(better.view(-1, *[1] * (p.dim() - 1)), p, b))
            if progress is not None:
                progress.update(steps)
        if keep_best:
            with torch.no_grad():
                for b, p in zip(best, self.net.parameters()):
                    p.copy_(b)
            self.val_history = torch.stack(history, dim=1) if history else None
        return total

    def estimate(self, X: torch.Tensor, Y: torch.Tensor, estimate_fn: Callable[..., Any],
                 resamplings: int = 1, seed: int = 0) -> Any:
        """``estimate_fn(t_joint, t_marg)`` of each network on the pairs (X[k], Y[k]), shape
        (K,): t_marg on (X[k], Y[k][perm]) for ``resamplings`` random permutations."""
        import torch

        with torch.no_grad():
            K, m = X.shape[0], X.shape[1]
            g = torch.Generator().manual_seed(seed)
            perm = torch.cat([torch.randperm(m, generator=g) for _ in range(resamplings)])
            perm = perm.to(X.device)
            t_joint = self.net(torch.cat([X, Y], dim=-1))
            X_rep = X.repeat(1, resamplings, 1)
            t_marg = self.net(torch.cat([X_rep, Y[:, perm]], dim=-1))
            return _batched(estimate_fn, K)(t_joint, t_marg)
