import filecmp
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
# Torch single-threaded in this process and in every kernel it starts.
os.environ["OMP_NUM_THREADS"] = "1"


def pytest_sessionstart(session):
    """The grading kernels import the installed copy of helpers: it must be this one."""
    import importlib.util

    spec = importlib.util.find_spec("helpers")
    installed = [Path(p) for p in spec.submodule_search_locations]
    for inst in installed:
        if inst.resolve() == (ROOT / "helpers").resolve():
            continue
        for f in (ROOT / "helpers").glob("*.py"):
            if not (inst / f.name).exists() or not filecmp.cmp(f, inst / f.name, shallow=False):
                raise pytest.UsageError(
                    f"the installed helpers ({inst}) differ from helpers/ ({f.name}): "
                    "run the tests with `make test`, which reinstalls them")


TIERS = ("fast", "grading", "browser", "postgres", "dask")


def pytest_collection_modifyitems(config, items):
    """Every test is in a tier (pyproject.toml's markers): `make test-fast` selects one, and a
    test without a marker would silently drop out of every tier but `make test`."""
    untiered = [item.nodeid for item in items if not any(item.get_closest_marker(t) for t in TIERS)]
    if untiered:
        raise pytest.UsageError("tests without a tier marker (" + ", ".join(TIERS) + "): "
                                + ", ".join(untiered[:10]) + (" ..." if len(untiered) > 10 else ""))


@pytest.fixture(scope="session")
def root():
    return ROOT


def make_course(dest, assignments=("01_dv",), **options):
    """A fresh course directory from this checkout (grading/scratch.py): the config and, per
    assignment, its master, source notebook, course record and examples; ``options`` as there."""
    from grading import scratch

    return scratch.make_course(dest, assignments, origin=ROOT, **options)
