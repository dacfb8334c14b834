"""TensorBoard logging that stays out of the way when grading."""
from __future__ import annotations

import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:   # tensorboard is imported when a writer is made
    from torch.utils.tensorboard import SummaryWriter


def grading() -> bool:
    """True while nbgrader executes the notebook (autograde or validate)."""
    return bool(os.environ.get("NBGRADER_EXECUTION"))


QUICK_ENV = "MI_COURSE_QUICK"


def quick() -> bool:
    """True when the notebooks' ungraded demonstrations should train for a few epochs only.

    That is while nbgrader executes the notebook, or when the environment sets
    ``MI_COURSE_QUICK=1`` before JupyterLab starts: a first pass through a notebook
    on a slow laptop, or a test of the notebook's interface.  The exercises, the
    tests and the sliders are the same either way; only the long training runs of
    the demonstrations are cut short, and their printed results say less.
    """
    return grading() or os.environ.get(QUICK_ENV, "").strip() not in ("", "0")


def make_writer(name: str, root: str | Path = "runs", enabled: bool | None = None) -> SummaryWriter | None:
    """A TensorBoard ``SummaryWriter`` writing to ``root/<name>-<timestamp>``.

    Returns None when disabled, which is the default during autograde: a
    grading run should not write logs into the student's folder.  Trainers
    log once per epoch, so a writer costs one host sync per epoch at most.

    Parameters
    ----------
    name : str
        Prefix of the run directory.
    root : str or Path
        Folder holding the runs (``runs/`` next to the notebook by default).
    enabled : bool, optional
        Force logging on or off; by default on unless grading.
    """
    if enabled is None:
        enabled = not grading()
    if not enabled:
        return None
    from torch.utils.tensorboard import SummaryWriter

    stamp = time.strftime("%Y%m%d-%H%M%S")
    logdir = Path(root) / f"{name}-{stamp}"
    suffix = 1
    while logdir.exists():
        logdir = Path(root) / f"{name}-{stamp}-{suffix}"
        suffix += 1
    return SummaryWriter(log_dir=str(logdir))
