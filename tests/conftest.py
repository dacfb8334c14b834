import filecmp
import os
import shutil
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


@pytest.fixture(scope="session")
def root():
    return ROOT


def make_course(dest, assignments=("01_dv",)):
    """A fresh course directory: config and source notebooks copied from the repo."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "nbgrader_config.py", dest)
    (dest / "examples").mkdir()
    for a in assignments:
        shutil.copytree(ROOT / "source" / a, dest / "source" / a)
        record = ROOT / "expected" / f"{a}.json"  # the instructor-side record of the hidden tests
        if record.exists():
            (dest / "expected").mkdir(exist_ok=True)
            shutil.copy(record, dest / "expected")
        (dest / "notebooks").mkdir(exist_ok=True)
        shutil.copy(ROOT / "notebooks" / f"{a}.md", dest / "notebooks")
        if (ROOT / "examples" / f"{a}.py").exists():
            shutil.copy(ROOT / "examples" / f"{a}.py", dest / "examples")
    return dest
