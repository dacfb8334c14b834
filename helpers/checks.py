"""Checks that the notebooks' test cells call inside the student's kernel.

This is the one bridge between the student side and the grading side.  It
holds no answers and no hidden tests: only comparisons that explain
themselves and the fixed grading procedures that hidden tests run.  A student
can read it, by design.

**Verdicts are decided outside the kernel.**  While a notebook is autograded
(``NBGRADER_EXECUTION=autograde``) or recorded (``COURSE_RECORD=1``), every
``check_*`` call also *reports* what it checked: a display output of MIME type
``REPORT_MIME`` holding the check's name (``what``), its kind and the value
seen.  The grader reads those reports in its own process and compares each
value with the instructor-side record (``expected/<assignment>.json``, made by
``course record`` from the reference solution): the expected values, truths
and tolerances there, never the ones in the kernel.  So patching anything in
the kernel (this module, numpy, torch, builtins, the checker's frames) cannot
turn a failing hidden check into a pass; at best it stops a report, which
fails the test.  Hidden tests pass ``REFERENCE`` where a value is "what the
reference solution computes": that value exists only in the record.

The in-kernel assertions stay: they give the student the message at once,
and for the visible checks and Validate they are the whole check.

Values are read through exact built-in types only (``int``, ``float``,
``bool``, numpy scalars and arrays, plain ``torch.Tensor``): a student's
object is never asked to convert itself (its ``__float__`` could read the
checker's frame).
"""
from __future__ import annotations

import math
import os
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:   # names for annotations only: torch is imported when a check runs
    import torch

REPORT_MIME = "application/vnd.mi-course.check+json"


class _Reference:
    """``REFERENCE``: the value the reference solution computes, kept in the grader's record."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "REFERENCE"

    def __reduce__(self) -> str:
        return "REFERENCE"


REFERENCE = _Reference()


def reporting() -> bool:
    """Whether checks report to the grader (autograding or recording), not only assert."""
    return (os.environ.get("NBGRADER_EXECUTION") == "autograde"
            or os.environ.get("COURSE_RECORD") == "1")


def plain(value: Any, what: str = "the value") -> float | list[Any]:
    """``value`` as built-in Python numbers (a float, or nested lists of floats).

    Accepts only exact built-in types: bool, int, float, numpy scalars and arrays,
    and plain ``torch.Tensor`` / ``nn.Parameter``.  Anything else (a subclass, a
    student-defined object) raises AssertionError without calling its methods.
    """
    import sys

    t = type(value)
    if t is bool or t is int or t is float:
        return float(value)
    if t is list or t is tuple:
        return [plain(v, what) for v in value]
    np = sys.modules.get("numpy")
    if np is not None:
        if t is np.ndarray:
            return np.ndarray.tolist(np.ndarray.astype(value, np.float64))
        if t in (np.float64, np.float32, np.float16, np.int64, np.int32, np.bool_):
            return float(np.float64(value))
    torch = sys.modules.get("torch")
    if torch is not None and t in (torch.Tensor, torch.nn.Parameter):
        base = torch.Tensor
        data = base.detach(value)
        data = base.to(data, device="cpu", dtype=torch.float64)
        return base.tolist(data) if base.dim(data) else base.item(data)
    raise AssertionError(f"{what}: expected a number, an array or a plain tensor, got "
                         f"{t.__module__}.{t.__qualname__}")


def _json_value(v: Any) -> Any:
    """Floats (nested) with NaN and infinities as strings, for strict JSON."""
    if isinstance(v, list):
        return [_json_value(x) for x in v]
    if isinstance(v, float) and not math.isfinite(v):
        return "nan" if v != v else ("inf" if v > 0 else "-inf")
    return v


def report(kind: str, what: str, value: Any = None, **spec: Any) -> None:
    """Report one check to the grader (only while autograding or recording).

    ``what`` names the check and must be the same on every run: never put a
    value computed by the student's code into it.  ``spec`` holds the check's
    parameters (expected, truth, tol, ...): the grader uses the recorded ones.
    """
    if not reporting():
        return
    try:
        seen = plain(value, what) if value is not None else None
        error = None
    except AssertionError as exc:
        seen, error = None, str(exc)
    payload = {"what": str(what), "kind": kind, "value": _json_value(seen), "error": error,
               "spec": {k: (None if v is REFERENCE else _json_value(plain(v, k)) if
                            not isinstance(v, str) else v) for k, v in spec.items()}}
    from IPython.display import display

    display({REPORT_MIME: payload}, raw=True)


def _as_float(value: Any, what: str) -> float:
    got: Any = plain(value, what)
    if isinstance(got, list):
        flat = _flatten(got)
        if len(flat) != 1:
            raise AssertionError(f"{what}: expected a single number, got {len(flat)} values")
        got = flat[0]
    return got


def _flatten(v: Any) -> list[Any]:
    if isinstance(v, list):
        return [x for item in v for x in _flatten(item)]
    return [v]


def _short(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def check_close(value: Any, expected: Any, what: str, atol: float = 1e-6, rtol: float = 1e-6,
                hint: str = "") -> None:
    """Assert that ``value`` is a finite number close to ``expected``.

    ``expected=REFERENCE`` (hidden tests): the reference solution's value, known
    only to the grader; the kernel then only reports.  The message names the
    quantity, what was expected and what was seen, and adds ``hint`` (a likely
    cause) when they differ.  Like every check here it returns None.
    """
    report("close", what, value, expected=expected, atol=atol, rtol=rtol, hint=hint)
    got = plain(value, what)
    if isinstance(got, list):
        return _check_close_array(got, expected, what, atol, rtol, hint)
    if expected is REFERENCE:
        if not math.isfinite(got):
            raise AssertionError(f"{what}: expected a finite value, got {got}. "
                                 + (hint or "Look for an exp() that overflows or a log of 0."))
        return
    expected = _as_float(expected, "the expected value")
    if not math.isfinite(got):
        raise AssertionError(
            f"{what}: expected the finite value {expected:.6g}, got {got}. "
            + (hint or "Look for an exp() that overflows or a log of 0.")
        )
    if abs(got - expected) > atol + rtol * abs(expected):
        raise AssertionError(
            f"{what}: expected {expected:.6g}, got {got:.6g}. {hint}".rstrip()
        )


def _shape(v):
    return [len(v)] + _shape(v[0]) if isinstance(v, list) and v else ([0] if isinstance(v, list) else [])


def _check_close_array(got, expected, what, atol, rtol, hint):
    flat = _flatten(got)
    if not all(math.isfinite(x) for x in flat):
        raise AssertionError(f"{what}: expected finite values, got {_short(got)}. {hint}".rstrip())
    if expected is REFERENCE:
        return
    exp = plain(expected, "the expected value")
    exp = exp if isinstance(exp, list) else [exp]
    if _shape(exp) != _shape(got):
        raise AssertionError(f"{what}: expected shape {tuple(_shape(exp))}, got {tuple(_shape(got))}. "
                             f"{hint}".rstrip())
    bad = [(g, e) for g, e in zip(flat, _flatten(exp)) if abs(g - e) > atol + rtol * abs(e)]
    if bad:
        raise AssertionError(f"{what}: expected {_short(exp)}, got {_short(got)}. {hint}".rstrip())


def check_finite(value: Any, what: str, hint: str = "") -> None:
    """Assert that ``value`` is a finite number."""
    report("finite", what, value, hint=hint)
    got = _as_float(value, what)
    if not math.isfinite(got):
        raise AssertionError(f"{what}: expected a finite number, got {got}. {hint}".rstrip())


def check_estimate(estimate: Any, truth: Any, tol: Any, what: str = "the estimate", hint: str = "") -> None:
    """Assert that a trained estimate lies within ``tol`` nats of the truth."""
    report("estimate", what, estimate, truth=truth, tol=tol, hint=hint)
    got = _as_float(estimate, what)
    if not math.isfinite(got):
        raise AssertionError(f"{what}: expected a finite number, got {got}. {hint}".rstrip())
    truth = _as_float(truth, "the true value")
    if abs(got - truth) > tol:
        side = "below" if got < truth else "above"
        raise AssertionError(
            f"{what} {got:.3f} is {abs(got - truth):.3f} nats {side} the true value "
            f"{truth:.3f} (allowed: {tol:.3f}). {hint}".rstrip()
        )


def check_true(condition: Any, what: str, hint: str = "") -> None:
    """Assert that ``condition`` (a bool the test computed) holds; ``what`` says what it means."""
    report("true", what, condition, hint=hint)
    if plain(condition, what) != 1.0:
        raise AssertionError(f"{what}. {hint}".rstrip(". ") + ("." if not hint else ""))


def check_between(value: Any, low: Any, high: Any, what: str, hint: str = "") -> None:
    """Assert that ``value`` is a finite number with ``low <= value <= high``."""
    report("between", what, value, low=low, high=high, hint=hint)
    got = _as_float(value, what)
    if not (math.isfinite(got) and low <= got <= high):
        raise AssertionError(f"{what}: expected a value between {low:.6g} and {high:.6g}, "
                             f"got {got:.6g}. {hint}".rstrip())


def dv_grading_run(DVTrainer: Callable[..., Any], Net: Callable[[], torch.nn.Module], rho: float, seed: int,
                   epochs: int = 100, n: int = 1000, batch_size: int = 100, lr: float = 1e-3) -> Any:
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


def coin_channel_mi(rho: float) -> float:
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


def mine_grading_run(MINETrainer: Callable[..., Any], Net: Callable[[], torch.nn.Module], rho: float, seed: int,
                     epochs: int = 100, n: int = 1000, data: str = "gaussian") -> Any:
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


def minee_grading_run(MINEETrainer: Callable[..., Any], rho: float, seed: int, epochs: int = 60, n: int = 1000,
                      d: int = 1, n_: int | None = None, reference: str = "uniform") -> Any:
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


def mixture_divergence(mu: float = 1.5, s: float = 0.5) -> float:
    """D(P || N(0, I)) in nats for the 2-d mixture P = 1/2 N((mu, 0), s^2 I) + 1/2 N((-mu, 0), s^2 I).

    Not the Gaussian formula of P's covariance diag(mu^2 + s^2, s^2): P is not Gaussian,
    and the divergence exceeds that formula by P's negentropy.  Computed as
    -h(P) - E_P[log q] with h(P) by quadrature along the first axis.
    """
    import numpy as np

    x = np.linspace(-mu - 14.0 * s, mu + 14.0 * s, 400001)
    g = lambda m: np.exp(-((x - m) ** 2) / (2 * s**2)) / math.sqrt(2 * math.pi * s**2)  # noqa: E731
    p = 0.5 * g(mu) + 0.5 * g(-mu)
    h1 = -float(np.sum(p * np.log(np.maximum(p, 1e-300)))) * (x[1] - x[0])
    h = h1 + 0.5 * math.log(2 * math.pi * math.e * s**2)
    cross = math.log(2 * math.pi) + 0.5 * (mu**2 + 2 * s**2)  # -E_P[log q] for q = N(0, I)
    return cross - h


def dv_samples(n: int, seed: int, data: str = "gaussian", rho: float = 0.9, mu: float = 1.5,
               s: float = 0.5) -> torch.Tensor:
    """n samples of P_Z for notebook 01's hidden tests, as a float32 tensor (n, 2).

    ``data="gaussian"``: the bivariate Gaussian with correlation ``rho``, whose
    divergence from N(0, I) is ``gaussian_mi(rho)``; ``data="mixture"``: the mixture
    of ``mixture_divergence(mu, s)``.
    """
    import numpy as np
    import torch

    rng = np.random.default_rng([seed, 11])
    if data == "gaussian":
        Z = rng.multivariate_normal([0.0, 0.0], [[1.0, rho], [rho, 1.0]], n)
    elif data == "mixture":
        Z = s * rng.standard_normal((n, 2))
        Z[:, 0] += mu * rng.choice([-1.0, 1.0], n)
    else:
        raise ValueError(f"data must be 'gaussian' or 'mixture', got {data!r}")
    return torch.tensor(Z, dtype=torch.float32)


def reference_dv(t: torch.Tensor, t_ref: torch.Tensor) -> float:
    """The DV value mean(t) - log mean exp(t_ref) in float64, from plain tensors of t's values."""
    import torch

    t = torch.Tensor.double(torch.Tensor.detach(t)).flatten()
    t_ref = torch.Tensor.double(torch.Tensor.detach(t_ref)).flatten()
    return float(t.mean() - (torch.logsumexp(t_ref, 0) - math.log(t_ref.numel())))


def dv_trained_run(DVTrainer: Callable[..., Any], Net: Callable[[], torch.nn.Module], seed: int,
                   data: str = "gaussian", epochs: int = 100, n: int = 1000, n_fresh: int = 10000,
                   batch_size: int = 100, lr: float = 1e-3, **kwargs: Any) -> tuple[Any, float, float]:
    """The fixed procedure behind notebook 01's hidden trainer tests.

    Trains a fresh ``Net()`` with ``DVTrainer`` on n samples Z of ``dv_samples(data=...)``
    against n samples Z_ref of N(0, I) for ``epochs`` epochs, on the CPU.  Returns
    ``(reported, recomputed, held_out)``:

    - ``reported``: the estimate the trainer reports;
    - ``recomputed``: the DV value of the network the test gave the trainer on Z and
      Z_ref, computed here (``reference_dv``): a trainer that reports anything but the
      DV of the network it trained fails the comparison of the two;
    - ``held_out``: the mean of that network's t on ``n_fresh`` fresh samples of P_Z,
      minus log mean exp t on Z_ref.  (Fresh reference samples would be the textbook
      held-out value, but a trained t can be very large in the tails, where Z_ref has no
      samples: over 60 seeds two such values fell 3 to 4 nats low.)
    """
    import numpy as np
    import torch

    Z = dv_samples(n, seed, data, **kwargs)
    Z_ref = torch.tensor(np.random.default_rng([seed, 12]).standard_normal((n, 2)),
                         dtype=torch.float32)
    torch.manual_seed(seed)
    net = Net()
    trainer = DVTrainer(Z, Z_ref, net, batch_size=batch_size, lr=lr)
    reported = trainer.step(epochs)
    Z_fresh = dv_samples(n_fresh, seed + 10**6, data, **kwargs)
    with torch.no_grad():
        t_ref = net(Z_ref)
        recomputed = reference_dv(net(Z), t_ref)
        held_out = reference_dv(net(Z_fresh), t_ref)
    return reported, recomputed, held_out


def meta_device_problem(call: Callable[[], Any]) -> str:
    """What goes wrong with devices when ``call()`` runs a student's code on tensors of
    the "meta" device; "" when nothing does.

    The grader has no GPU, so tests give the student's code tensors on the "meta" device,
    which has the CUDA device's rules: mixing them with a CPU tensor (other than a 0-dim
    scalar) raises, as a CUDA tensor would.  Reading a value (``.item()``, ``float()``)
    is legitimate on a GPU but impossible on "meta": such a call is not counted as a
    mistake.  ``call`` returns the result(s) whose device must be "meta".
    """
    import torch

    try:
        out = call()
    except Exception as exc:  # noqa: BLE001  (the student's code may raise anything)
        text = str(exc)
        if "cannot be called on meta tensors" in text:
            return ""  # reads a value: fine on a GPU, not checkable here
        return (f"with inputs on another device than the CPU it raised "
                f"{type(exc).__name__}: {text[:200]}")
    outs = out if isinstance(out, (tuple, list)) else (out,)
    for o in outs:
        if isinstance(o, torch.Tensor) and torch.Tensor.__getattribute__(o, "device").type != "meta":
            return "with inputs on another device than the CPU the result came back on the CPU"
    return ""


def mine_paper_grading_run(Mine: Callable[..., Any], loss: str, seed: int, data: str = "gaussian",
                           iters: int = 1000, n: int = 2000, batch_size: int = 100) -> Any:
    """The fixed procedure behind notebook 04's ``Mine.optimize`` tests.

    Draws 2n pairs from ``seed`` (n to train on, n held out): with
    ``data="gaussian"`` the bivariate Gaussian with rho = 0.9 (MI
    ``helpers.gaussian_mi(0.9)``); with ``data="uniform"`` X uniform on [-1, 1]
    and Y = X + 0.3 N(0, 1); with ``data="uniform_cube"`` the same pairs with
    X^3 in place of X (the same MI).  Builds a fresh 2-100-100-1 ELU network
    ``T``, trains ``Mine(T, loss=loss)`` (default beta and lr) with
    ``optimize(X, Y, iters, batch_size)`` on the CPU and returns ``mi`` on the
    held-out pairs.  ``scripts/measure_tolerances_04.py`` runs the very same
    procedure over many seeds.
    """
    import numpy as np
    import torch
    from torch import nn

    rng = np.random.default_rng([seed, 4])
    if data == "gaussian":
        XY = rng.multivariate_normal([0.0, 0.0], [[1.0, 0.9], [0.9, 1.0]], 2 * n)
    elif data in ("uniform", "uniform_cube"):
        x = rng.uniform(-1.0, 1.0, 2 * n)
        y = x + 0.3 * rng.standard_normal(2 * n)
        XY = np.stack([x**3 if data == "uniform_cube" else x, y], axis=1)
    else:
        raise ValueError(f"data must be 'gaussian', 'uniform' or 'uniform_cube', got {data!r}")
    X = torch.tensor(XY[:, [0]], dtype=torch.float32)
    Y = torch.tensor(XY[:, [1]], dtype=torch.float32)
    torch.manual_seed(seed)
    T = nn.Sequential(nn.Linear(2, 100), nn.ELU(), nn.Linear(100, 100), nn.ELU(), nn.Linear(100, 1))
    mine = Mine(T, loss=loss)
    mine.optimize(X[:n], Y[:n], iters, batch_size)
    return mine.mi(X[n:], Y[n:])


# --- Devices without a GPU ----------------------------------------------------
# The grader has no GPU, so a tensor made on the CPU "whatever the data's
# device" cannot be told from a right one on CPU data.  PyTorch's "meta"
# device can: a meta tensor has a shape, a dtype and a device but no values,
# every CPU machine has it, and mixing it with a (non-scalar) CPU tensor
# raises, as mixing a CUDA tensor with a CPU one does.

def _meta(value: Any) -> Any:
    import torch

    if type(value) in (torch.Tensor, torch.nn.Parameter):
        return torch.Tensor.to(torch.Tensor.detach(value), device="meta")
    return value


def _results_on(value: Any, device_type: str) -> bool:
    """Whether every tensor in a result (a tensor, or a tuple or list of them) is on the device."""
    import torch

    if type(value) in (tuple, list):
        return all(_results_on(v, device_type) for v in value)
    if isinstance(value, torch.Tensor):
        return torch._C.TensorBase.device.__get__(value).type == device_type
    return True


_MIXED = ("expected device meta", "on the same device", "not on the expected device")


def follows_device(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> bool:
    """Whether ``fn(*args, **kwargs)`` keeps its tensors on the device of its tensor arguments.

    Runs ``fn`` with every tensor argument moved to the "meta" device (and
    torch.distributions' validation of arguments off, since it reads values
    that meta tensors do not have).  Returns False when a tensor result is on
    another device, or when the call raised because a meta tensor met a CPU
    tensor: a constant, random numbers or a network made on the CPU whatever
    the data's device.  Returns True when every tensor result is on the meta
    device, and also when the call raised because an operation has no meta
    implementation (the device cannot be judged then, so a right answer is
    never failed for it).  Any other error propagates.
    """
    import torch

    dist = torch.distributions.Distribution
    validate = dist._validate_args
    dist.set_default_validate_args(False)
    try:
        result = fn(*[_meta(a) for a in args], **{k: _meta(v) for k, v in kwargs.items()})
    except (RuntimeError, NotImplementedError, TypeError, ValueError) as exc:
        text = str(exc)
        if any(m.lower() in text.lower() for m in _MIXED):
            return False
        if "meta" in text.lower():
            return True
        raise
    finally:
        dist.set_default_validate_args(validate)
    return _results_on(result, "meta")


# --- Integrity of the test machinery ----------------------------------------
# The notebook's locked setup cell calls seal(); every test cell calls
# check_integrity() first.  Together they notice the effects of code that
# patches what the tests rely on: functions of numpy, torch, math, builtins or
# these helpers replaced, modules swapped in sys.modules, IPython input or AST
# transformers, custom exception handlers, trace or profile hooks, the setup
# cell's names rebound to code defined in the notebook, the seal made again
# while grading, or its record edited.  None of this decides a hidden verdict
# (the grader does, outside the kernel): a kernel can defeat any check that
# runs inside it, and the grader's static scan (grading/tamper.py) is what
# sees the spellings.  These checks give the review list the effect, and give
# the student a clear message in their own runs.

WATCHED = ("builtins", "math", "numpy", "numpy.linalg", "numpy.random", "numpy.testing",
           "torch", "torch.nn", "torch.nn.functional", "torch.linalg", "torch.optim",
           "helpers", "helpers.checks", "helpers.data")
_SEAL = {}  # type: dict[str, Any]
# One entry per seal() call: (the call's number, a fingerprint of what it recorded).
# Kept apart from _SEAL, so that editing the record or clearing it and sealing again
# shows.  (A kernel can reach this too: the grader's scan reports any code that names it.)
_SEALS = []  # type: list[tuple[int, int]]
IPYTHON_SWAPS = ("input", "raw_input", "getpass", "display", "get_ipython", "exit", "quit")


class TamperDetected(AssertionError):
    """The test machinery was changed by code outside the locked cells."""


def _shell():
    try:
        return get_ipython()  # noqa: F821  (defined in IPython kernels)
    except NameError:
        return None


def _shell_hooks(shell):
    if shell is None:
        return {}
    hooks = {
        "input transformers (cleanup)": list(shell.input_transformers_cleanup),
        "input transformers": list(shell.input_transformers_post),
        "AST transformers": list(shell.ast_transformers),
        "the input transformer manager": [shell.input_transformer_manager],
        "custom exception handlers": [shell.custom_exceptions, vars(shell).get("CustomTB")],
        "the cell compiler": [shell.compile],
    }
    for event in ("pre_execute", "pre_run_cell", "post_execute", "post_run_cell"):
        hooks[f"{event} callbacks"] = list(shell.events.callbacks.get(event, []))
    return hooks


def _env_roots():
    import os
    import sys
    return tuple(os.path.realpath(p) for p in {sys.prefix, sys.base_prefix})


def _fingerprint(record):
    """A number that changes when any object the record holds is replaced, added or removed."""
    items = []
    for key in ("sys_modules", "tensor", "names"):
        items += [(key, k, id(v)) for k, v in record.get(key, {}).items()]
    for name, contents in record.get("contents", {}).items():
        items += [(name, k, id(v)) for k, v in contents.items()]
    for what, objs in record.get("hooks", {}).items():
        items += [(what, i, id(o)) for i, o in enumerate(objs)]
    items.append(("namespace", "", id(record.get("namespace"))))
    return hash(frozenset(items)) ^ len(items)


def seal(namespace: dict[str, Any] | None = None) -> None:
    """Record the test machinery as the locked setup cell leaves it (call it there)."""
    import sys

    namespace = namespace if namespace is not None else sys._getframe(1).f_globals
    modules = {name: sys.modules[name] for name in WATCHED if name in sys.modules}
    _SEAL.clear()
    _SEAL.update(
        sys_modules=dict(sys.modules),
        contents={name: dict(vars(m)) for name, m in modules.items()},
        tensor=dict(vars(sys.modules["torch"].Tensor)) if "torch" in modules else {},
        names={k: v for k, v in namespace.items() if not k.startswith("_")},
        namespace=namespace,
        hooks=_shell_hooks(_shell()),
    )
    _SEALS.append((len(_SEALS) + 1, _fingerprint(_SEAL)))


def _foreign(obj, roots):
    """Where a Python function comes from, if not from a file of the environment."""
    import os

    code = getattr(obj, "__code__", None)
    if code is None:
        return None
    path = os.path.realpath(code.co_filename) if code.co_filename.startswith("/") else code.co_filename
    return None if path.startswith(roots) else code.co_filename


def _env_wrapper(new, old, roots):
    """Whether ``new`` is the environment's own wrapper of ``old`` (torch._dynamo wraps
    torch.manual_seed when it is first imported, for example)."""
    return getattr(new, "__wrapped__", None) is old and getattr(new, "__code__", None) is not None \
        and _foreign(new, roots) is None


def _from_installed_module(obj, roots):
    """Whether ``obj`` is a module, function or class of an installed module (not of code
    the notebook defined): ``from tqdm import trange`` after the setup cell's
    ``from tqdm.auto import trange`` rebinds ``trange`` to such an object.

    Read without calling anything of ``obj``: type(), ``vars`` of its type and of the
    module, and plain attribute lookups on modules and functions only.
    """
    import os
    import sys
    import types

    def in_env(path):
        return bool(path) and isinstance(path, str) and path.startswith("/") and \
            os.path.realpath(path).startswith(roots) and not _in_cwd(path)

    t = type(obj)
    if t is types.ModuleType:
        f = vars(obj).get("__file__")
        return in_env(f) or (f is None and vars(obj).get("__name__") in sys.builtin_module_names)
    if t in (types.FunctionType, types.MethodType):
        return _foreign(obj, roots) is None and in_env(obj.__code__.co_filename)
    if t is types.BuiltinFunctionType or t is type:  # a class with a metaclass of its own: no
        mod_name = vars(obj).get("__module__") if t is type else obj.__module__
        if not isinstance(mod_name, str) or mod_name == "__main__":
            return False
        mod = sys.modules.get(mod_name)
        if mod is None:
            return False
        f = vars(mod).get("__file__")
        return in_env(f) or (f is None and mod_name in sys.builtin_module_names)
    return False


def _in_cwd(path):
    """Whether ``path`` lies in the kernel's working folder (where a submission's own
    files are): a module found there shadows the installed one."""
    import os

    try:
        here = os.path.realpath(os.getcwd())
    except OSError:
        return False
    return os.path.realpath(path).startswith(here + os.sep)


def integrity_problems() -> list[str]:
    """What changed since seal() (a list of sentences; empty when nothing did)."""
    import sys

    if not _SEAL:
        if _SEALS:
            return ["the integrity seal's record was cleared"]
        return ["the integrity seal is missing: the setup cell did not run or was changed"]
    problems = []
    if not _SEALS or _SEALS[-1][1] != _fingerprint(_SEAL):
        problems.append("the integrity seal's record was edited after seal()")
    if len(_SEALS) > 1 and reporting():
        problems.append(f"seal() was called {len(_SEALS)} times: the seal was made again after "
                        "the setup cell")
    if sys.gettrace() is not None or sys.getprofile() is not None:
        problems.append("a trace or profile function is installed (sys.settrace/setprofile)")
    import threading
    if getattr(threading, "_trace_hook", None) or getattr(threading, "_profile_hook", None):
        problems.append("a thread trace or profile hook is installed")
    for name, mod in _SEAL["sys_modules"].items():
        if sys.modules.get(name, mod) is not mod:
            problems.append(f"the module {name} was replaced in sys.modules")
    roots = _env_roots()
    for name, before in _SEAL["contents"].items():
        now = vars(sys.modules[name])
        for attr, obj in before.items():
            if name == "builtins" and (attr.startswith("_") or attr in IPYTHON_SWAPS):
                continue  # the kernel itself swaps these on every execution
            new = now.get(attr, obj)
            if new is not obj and not _env_wrapper(new, obj, roots):
                problems.append(f"{name}.{attr} was replaced")
        for attr, obj in now.items():
            if callable(obj) and attr not in before and name != "builtins":
                where = _foreign(obj, roots)
                if where:
                    problems.append(f"{name}.{attr} was added by code in {where}")
        mod_file = getattr(sys.modules[name], "__file__", None)
        if mod_file and _in_cwd(mod_file):
            # a file of the submission's folder shadows the installed module (an editable
            # or PYTHONPATH install of the course, outside the environment, is fine)
            problems.append(f"the module {name} is loaded from {mod_file}, the submission's folder")
    if _SEAL["tensor"]:
        now = vars(sys.modules["torch"].Tensor)
        for attr, obj in _SEAL["tensor"].items():
            if now.get(attr, obj) is not obj:
                problems.append(f"torch.Tensor.{attr} was replaced")
        problems += [f"torch.Tensor.{a} was added" for a in now if a not in _SEAL["tensor"]]
    ns = _SEAL["namespace"]
    for key, obj in _SEAL["names"].items():
        new = ns.get(key, obj)
        if new is not obj and (callable(obj) or type(obj).__name__ == "module") and \
                not _from_installed_module(new, roots):
            problems.append(f"the setup cell's {key} was rebound")
    now_hooks = _shell_hooks(_shell())
    for what, before in _SEAL["hooks"].items():
        after = now_hooks.get(what, before)
        if what.endswith("callbacks"):
            # Callbacks that installed libraries register as they are imported (matplotlib's
            # inline backend adds a post_execute one with pyplot) are fine; a removed one,
            # or one defined in the notebook, is not.
            kept = all(any(a is b for a in after) for b in before)
            added = [a for a in after if not any(a is b for b in before)]
            if not kept or any(not _from_installed_module(a, roots) for a in added):
                problems.append(f"IPython's {what} were changed")
        elif len(after) != len(before) or any(a is not b for a, b in zip(after, before)):
            problems.append(f"IPython's {what} were changed")
    return sorted(set(problems))


def _make_check_integrity(problems_of):
    # The test cells call check_integrity(); it holds the real integrity_problems, so that
    # replacing the module's integrity_problems (through __setattr__, say) does not
    # silence it: the replacement itself is then reported as a change of helpers.checks.
    def check_integrity():
        """Raise TamperDetected if the test machinery changed since seal() (test cells call it first)."""
        problems = problems_of()
        if problems:
            raise TamperDetected("integrity check failed, this test cannot be trusted: "
                                 + "; ".join(problems[:5])
                                 + (f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""))
    return check_integrity


check_integrity = _make_check_integrity(integrity_problems)


# --- 06_info_bottleneck ------------------------------------------------------
# The fixed procedures behind notebook 06's hidden training tests.  They train with
# the student's own step functions and classes; scripts/measure_tolerances_06.py runs
# the very same procedures over many seeds.

def linear_min_grading_run(mine_min_step: Callable[..., Any], LinearGaussianEncoder: Callable[..., Any],
                           StatisticsNetwork: Callable[..., Any], seed: int, steps: int = 1000,
                           d: int = 4, power: float = 8.0, sigma: float = 1.0, batch_size: int = 200,
                           n: int = 5000) -> tuple[Any, float]:
    """Notebook 06's MI minimization game on the CPU: X ~ N(0, I_d), a
    ``LinearGaussianEncoder(d, d, power, sigma)`` against a ``StatisticsNetwork(d, d, 64)``,
    Adam (lr 3e-2 for the encoder, 5e-3 for T), ``steps`` calls of ``mine_min_step`` on
    batches of ``batch_size`` of n training inputs.  Returns ``(W, estimate)``: the final
    encoder matrix (float64 numpy, shape (d, d)) and the DV bound of the final T on n
    held-out inputs and their codes (a float)."""
    import numpy as np
    import torch

    from .ib import gaussian_inputs

    X = gaussian_inputs(n, np.eye(d), rng=[seed, 16])
    X_test = gaussian_inputs(n, np.eye(d), rng=[seed, 17])
    torch.manual_seed(seed)
    encoder = LinearGaussianEncoder(d, d, power, sigma)
    T = StatisticsNetwork(d, d, hidden=64)
    opt_T = torch.optim.Adam(T.parameters(), lr=5e-3)
    opt_enc = torch.optim.Adam(encoder.parameters(), lr=3e-2)
    log_m = torch.zeros(())
    g = torch.Generator().manual_seed(seed)
    for _ in range(steps):
        idx = torch.randint(n, (batch_size,), generator=g)
        _, log_m = mine_min_step(X[idx], encoder, T, opt_T, opt_enc, log_m)
    with torch.no_grad():
        t_joint, t_marg = T(X_test, encoder(X_test))
        t_joint, t_marg = t_joint.double().flatten(), t_marg.double().flatten()
        estimate = float(t_joint.mean() - (torch.logsumexp(t_marg, 0) - math.log(t_marg.numel())))
        W = torch.Tensor.numpy(torch.Tensor.double(torch.Tensor.detach(encoder.W)))
    return W, estimate


def ib_grading_run(GaussianEncoder: Callable[..., Any], ib_step: Callable[..., Any],
                   StatisticsNetwork: Callable[..., Any], seed: int, epochs: int = 3, n_train: int = 2000,
                   beta: float = 0.01, k: int = 16, batch_size: int = 100) -> float:
    """Notebook 06's short IB training on the CPU: the first ``n_train`` of the notebook's
    training digits, a ``GaussianEncoder(k=k)``, a linear classifier and a
    ``StatisticsNetwork(784, k)``, Adam (lr 1e-3) for both, ``epochs`` epochs of ``ib_step``
    with ``beta`` on shuffled batches.  Returns the accuracy on the 1,000 test digits with
    the encoder in evaluation mode (a float)."""
    import torch
    from torch import nn

    from .ib import mnist_digits

    X_train, y_train, X_test, y_test = mnist_digits()
    X_train, y_train = X_train[:n_train], y_train[:n_train]
    torch.manual_seed(seed)
    encoder, classifier = GaussianEncoder(k=k), nn.Linear(k, 10)
    T = StatisticsNetwork(X_train.shape[1], k)
    opt_model = torch.optim.Adam([*encoder.parameters(), *classifier.parameters()], lr=1e-3)
    opt_T = torch.optim.Adam(T.parameters(), lr=1e-3)
    log_m = torch.zeros(())
    g = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        encoder.train()
        order = torch.randperm(n_train, generator=g)
        for start in range(0, n_train - batch_size + 1, batch_size):
            idx = order[start:start + batch_size]
            _, _, log_m = ib_step(X_train[idx], y_train[idx], encoder, classifier, T, opt_T, opt_model,
                                  log_m, beta)
    encoder.eval()
    with torch.no_grad():
        predicted = classifier(encoder(X_test)).argmax(dim=1)
    return float((predicted == y_test).double().mean())


# --- 05_mine_gan ---------------------------------------------------------------
# The fixed procedure behind notebook 05's hidden training test.  It trains with the
# student's own sample_latent (through the step) and gan_mine_step, and returns the
# generator's samples; the hidden test counts the modes itself.
# scripts/measure_tolerances_05.py runs the very same procedure over many seeds.

def gan_grading_run(gan_mine_step: Callable[..., Any], Generator: Callable[..., Any],
                    Discriminator: Callable[..., Any], StatisticsNetwork: Callable[..., Any],
                    sample_latent: Callable[..., Any], seed: int, name: str = "grid",
                    steps: int = 2000, beta: float = 1.0, k: int = 10, noise_dim: int = 2,
                    hidden: int = 128, lr: float = 1e-3, batch_size: int = 100) -> Any:
    """Notebook 05's short GAN + MINE training on the CPU: ``steps`` calls of
    ``gan_mine_step`` (with clipping) on batches of ``batch_size`` of the data set
    ``name`` (100,000 training examples drawn from ``seed``), a ``Generator(noise_dim, k,
    hidden)``, a ``Discriminator(hidden)`` and a ``StatisticsNetwork(2, k, hidden)``,
    Adam (lr, betas (0.5, 0.999)) for all three.  Returns the generator's
    ``N_EVAL`` samples after training, a float64 numpy array of shape (2500, 2)."""
    import torch

    from .gan import N_EVAL, N_TRAIN, sample

    X, _ = sample(name, N_TRAIN, rng=[seed, 50])
    X = torch.tensor(X)
    torch.manual_seed(seed)
    G, D, T = Generator(noise_dim, k, hidden), Discriminator(hidden), StatisticsNetwork(2, k, hidden)
    opts = [torch.optim.Adam(net.parameters(), lr=lr, betas=(0.5, 0.999)) for net in (G, D, T)]
    log_m = torch.zeros(())
    g = torch.Generator().manual_seed(seed)
    for _ in range(steps):
        idx = torch.randint(len(X), (batch_size,), generator=g)
        *_, log_m = gan_mine_step(X[idx], G, D, T, *opts, log_m, beta)
    with torch.no_grad():
        z, _ = sample_latent(N_EVAL, k, noise_dim)
        samples = G(z)
    return torch.Tensor.numpy(torch.Tensor.double(torch.Tensor.detach(samples)))
