"""Student-side helpers for the mutual-information course.

Small and free of side effects on import: nothing is drawn, printed,
created on disk, and no global torch flag is changed until a function is
called.  Nothing here answers an exercise.
"""
from .data import (
    SEED,
    bivariate_gaussian,
    gaussian_mi,
    gaussian_pairs,
    seed_data,
    standard_normal,
)
from .device import get_device, single_thread
from .fast import CompiledAdam
from .logs import grading, make_writer, quick
from .plots import plot_net_heatmap, plot_samples_with_kde, plot_training_curve

__all__ = [
    "SEED",
    "bivariate_gaussian",
    "gaussian_mi",
    "gaussian_pairs",
    "seed_data",
    "standard_normal",
    "CompiledAdam",
    "get_device",
    "single_thread",
    "grading",
    "quick",
    "make_writer",
    "plot_net_heatmap",
    "plot_samples_with_kde",
    "plot_training_curve",
]
