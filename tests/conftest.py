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


TIERS = ("fast", "slow", "grading", "browser", "postgres", "dask")


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


# What `make test` ran, per tier, and what it did not run: printed at the end of every run,
# so that nothing leaves the suite silently (tests add their own notes to NOT_RUN).
TIER_SECONDS: dict = {}
NOT_RUN: list = []


def tier_of(item) -> str:
    marked = [t for t in TIERS if item.get_closest_marker(t)]
    return "slow" if "slow" in marked else (marked[0] if marked else "?")


def pytest_runtest_makereport(item, call):
    TIER_SECONDS[tier_of(item)] = TIER_SECONDS.get(tier_of(item), 0.0) + call.duration


def pytest_deselected(items):
    by_tier: dict = {}
    for item in items:
        by_tier[tier_of(item)] = by_tier.get(tier_of(item), 0) + 1
    for tier, n in sorted(by_tier.items()):
        NOT_RUN.append(f"{n} test(s) of the {tier} tier: deselected by this run's -m/-k")


def pytest_terminal_summary(terminalreporter):
    tr = terminalreporter
    if TIER_SECONDS:
        tr.section("time per tier (setup, call and teardown)")
        for tier in TIERS:
            if tier in TIER_SECONDS:
                tr.write_line(f"{tier:>9}: {TIER_SECONDS[tier]:8.1f} s")
    tr.section("not run, and why")
    skipped = tr.stats.get("skipped", [])
    for rep in skipped:
        reason = rep.longrepr[2] if isinstance(rep.longrepr, tuple) else str(rep.longrepr)
        tr.write_line(f"{rep.nodeid}: skipped: {reason}")
    for line in NOT_RUN:
        tr.write_line(line)
    if not skipped and not NOT_RUN:
        tr.write_line("nothing: every collected test ran")


@pytest.fixture(scope="session")
def empty_gradebook(tmp_path_factory):
    """An empty SQLite gradebook, made once (nbgrader runs `alembic` for seconds to create
    one); copy it into a course with ``shutil.copyfile``."""
    from nbgrader.api import Gradebook

    path = tmp_path_factory.mktemp("gradebook") / "gradebook.db"
    old = os.environ["PATH"]
    # nbgrader runs `alembic` from PATH: this environment's
    os.environ["PATH"] = os.pathsep.join([os.path.dirname(sys.executable), old])
    try:
        with Gradebook(f"sqlite:///{path}"):
            pass
    finally:
        os.environ["PATH"] = old
    return path
