"""How often one command goes back to the course: configuration reloads, path derivations,
gradebook opens, in the grading command's own process (the jobs' nbgrader processes not
counted).

    python scripts/course_calls.py [--students N]

Builds a scratch course with the fixture assignment ``scale_tiny`` (tests/fixtures/),
hands in N of its example submissions, and runs ``course autograde --jobs 1``, then
``course report`` and ``course dashboard``, counting per command:

- ``config loads``: ``nbgrader_config.py`` read by traitlets' PyFileConfigLoader;
- ``CourseDirectory``: nbgrader CourseDirectory objects built;
- ``format_path``: paths derived by ``CourseDirectory.format_path``;
- ``course.py entered``: calls of functions of grading/course.py and grading/paths.py;
- ``gradebook opens``: nbgrader ``Gradebook`` objects opened.

Grading needs the sandbox (bubblewrap), as ``course autograde`` does.
"""
from __future__ import annotations

import argparse
import collections
import contextlib
import io
import os
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

COUNTS: collections.Counter[str] = collections.Counter()


def _counting(cls: type, name: str, key: str) -> None:
    original = getattr(cls, name)

    def wrapper(*a, **kw):  # type: ignore[no-untyped-def]
        COUNTS[key] += 1
        return original(*a, **kw)

    setattr(cls, name, wrapper)


def _profile(frame, event, arg):  # type: ignore[no-untyped-def]
    if event == "call":
        f = frame.f_code.co_filename
        if f.endswith(("grading/course.py", "grading/paths.py")) and frame.f_code.co_name != "<module>":
            COUNTS["course.py entered"] += 1


def install() -> None:
    from nbgrader.api import Gradebook
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config.loader import PyFileConfigLoader

    _counting(PyFileConfigLoader, "load_config", "config loads")
    _counting(CourseDirectory, "__init__", "CourseDirectory")
    _counting(CourseDirectory, "format_path", "format_path")
    _counting(Gradebook, "__init__", "gradebook opens")
    sys.setprofile(_profile)
    threading.setprofile(_profile)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--students", type=int, default=2)
    args = ap.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    import runpy

    from grading import cli, scratch

    examples = sorted(runpy.run_path(str(ROOT / "tests/fixtures/scale_tiny/examples.py"))["SUBMISSIONS"])
    with tempfile.TemporaryDirectory(prefix="course-calls-") as tmp:
        course = scratch.make_course(Path(tmp) / "course", [], origin=ROOT, fixtures=["scale_tiny"],
                                     release="generate")
        scratch.hand_in(course, "scale_tiny",
                        scratch.examples_of(course, "scale_tiny", examples[:args.students]))
        install()
        for command in (["autograde", "--jobs", "1", "--no-progress"], ["report"], ["dashboard"]):
            COUNTS.clear()
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                rc = cli.main(["--course", str(course), "--assignment", "scale_tiny", *command])
            print(f"course {command[0]} ({args.students} submissions, exit {rc}): "
                  + ", ".join(f"{k} {COUNTS[k]}" for k in ("config loads", "CourseDirectory", "format_path",
                                                           "course.py entered", "gradebook opens")))


if __name__ == "__main__":
    main()
