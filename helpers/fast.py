"""A compiled Adam epoch: the fast path of the course's trainers.

Eager PyTorch spends most of a small network's training step on per-operation
overhead: at a batch of 100 a 2-100-100-1 network trains at a few hundred
steps per CPU-second, where the arithmetic alone would allow thousands.
``CompiledAdam`` removes that overhead: it takes gradients with
``torch.func.grad`` of a functional loss, applies the Adam update in place to
the network's own parameter storage, and compiles a whole epoch of steps into
one call with ``torch.compile``.  It computes what ``torch.optim.Adam``
(default settings, no weight decay) computes.

If compiling fails (for example no C++ compiler on a laptop), it warns once
and runs the same functional steps eagerly.
"""
from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:   # names for annotations only: torch is imported when a function runs
    import torch
    from torch import nn


class CompiledAdam:
    """Adam on ``net``'s parameters, one compiled call per epoch.

    Parameters
    ----------
    net : nn.Module
        The network; its parameters are updated in place.
    loss : callable
        ``loss(batch_1, ..., batch_k, t)`` returns the loss of one step, where
        ``t`` is a callable computing ``net`` with the current parameters.
    lr, betas, eps : Adam's settings.
    compile : bool
        Compile (default), or run the same steps eagerly.
    steps_per_call : int
        Steps unrolled into one compiled call. More steps save per-call
        overhead but compile for longer (measured in docs/benchmark.md).
    """

    def __init__(self, net: nn.Module, loss: Callable[..., Any], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8, compile: bool = True,
                 steps_per_call: int = 1) -> None:
        import torch

        self.net, self.loss = net, loss
        self.lr, (self.beta1, self.beta2), self.eps = lr, betas, eps
        self.names = [name for name, _ in net.named_parameters()]
        params = [p for _, p in net.named_parameters()]
        self.m = [torch.zeros_like(p, memory_format=torch.preserve_format).detach() for p in params]
        self.v = [torch.zeros_like(p, memory_format=torch.preserve_format).detach() for p in params]
        self.t = torch.zeros((), device=params[0].device)  # step count, on the device
        self.steps_per_call = steps_per_call
        self._compiled = torch.compile(self._steps, dynamic=False) if compile else None

    def _functional_loss(self, params, *batch):
        from torch.func import functional_call

        named = dict(zip(self.names, params))
        return self.loss(*batch, lambda *x: functional_call(self.net, named, x))

    def _steps(self, params, m, v, t, *batches):
        import torch
        from torch.func import grad_and_value

        g = grad_and_value(self._functional_loss)
        b1, b2 = self.beta1, self.beta2
        total = torch.zeros((), device=t.device)
        for j in range(batches[0].shape[0]):
            grads, loss = g(params, *(b[j] for b in batches))
            t.add_(1)
            c1, c2 = 1 - b1**t, (1 - b2**t).sqrt()
            for p, mj, vj, gj in zip(params, m, v, grads):
                mj.mul_(b1).add_(gj, alpha=1 - b1)
                vj.mul_(b2).addcmul_(gj, gj, value=1 - b2)
                p.sub_(self.lr * (mj / c1) / (vj.sqrt() / c2 + self.eps))
            total = total + loss.detach()
        return total

    def epoch(self, *batches: torch.Tensor) -> torch.Tensor:
        """Run one Adam step per leading index of the batches; return the summed loss.

        Each batch tensor has shape (n_steps, batch_size, ...): step j uses
        ``batch[j]`` of each.  The result stays on the device (no host sync).
        """
        import torch

        params = [p.detach() for p in self.net.parameters()]  # shares their storage
        total = torch.zeros((), device=self.t.device)
        k = self.steps_per_call
        with torch.no_grad():
            for start in range(0, batches[0].shape[0], k):
                chunk = [b[start:start + k] for b in batches]
                total = total + self._run(params, chunk)
        return total

    def _run(self, params, chunk):
        if self._compiled is not None:
            try:
                return self._compiled(params, self.m, self.v, self.t, *chunk)
            except Exception as exc:  # noqa: BLE001  (any backend failure)
                if not _is_compile_error(exc):
                    raise
                warnings.warn(f"torch.compile failed ({type(exc).__name__}: "
                              f"{str(exc).splitlines()[0][:200]}); training eagerly instead")
                self._compiled = None
        return self._steps(params, self.m, self.v, self.t, *chunk)


def _is_compile_error(exc: BaseException) -> bool:
    module = type(exc).__module__
    return module.startswith(("torch._dynamo", "torch._inductor")) or "compile" in str(exc).lower()
