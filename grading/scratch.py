"""A scratch course: a fresh course folder built from a checkout's files, for tests,
benchmarks and scripts.

The tests, the benchmarks and the measuring scripts all grade in a course of
their own, in a temporary folder, so that nothing they do touches the
checkout.  This module is the one builder of such a course::

    course = make_course(tmp / "course", ["01_dv"], origin=ROOT, release="generate")
    hand_in(course, "01_dv", examples_of(course, "01_dv", ["correct", "unchanged"]))

What an assignment brings, each part where it exists (``parts`` chooses), from the
checkout (``assignments``) or from a fixture folder ``<origin>/tests/fixtures/<a>/``
(``fixtures``):

- master: ``notebooks/<a>.md``; in a fixture ``<a>.md``;
- source: ``source/<a>/``; in a fixture ``source/<a>/``;
- record: ``expected/<a>.json``; in a fixture ``expected/<a>.json``;
- examples: ``examples/<a>.py``; in a fixture ``examples.py``;

and ``release`` says how ``release/<a>/`` comes about: not at all, copied from
the checkout's committed release, made by nbgrader's ``generate_assignment``,
or as ``course release`` makes it (the source built from the master, then
``generate_assignment``, then the course record from the reference solution's
graded run in the sandbox, if it is missing or stale).

Paths inside the course (``source/``, ``release/``, ``submitted/``) come from
nbgrader's ``CourseDirectory.format_path`` of the course's own configuration
(grading/course.py), as the grader's writer finds them.  (Reading that
configuration makes the course's ``exchange/`` folder: nbgrader_config.py does so.)
"""
from __future__ import annotations

import shutil
from collections.abc import Collection, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Literal

import nbformat

from . import build, examples, nbg, verdicts
from .course import coursedir

Part = Literal["master", "source", "record", "examples"]
Release = Literal["none", "copy", "generate", "course"]
Step = Literal["source", "release", "submitted", "autograded", "feedback"]

PARTS: tuple[Part, ...] = ("master", "source", "record", "examples")
FIXTURES = Path("tests") / "fixtures"   # under the checkout: one folder per fixture assignment


def folder(course: Path, step: Step, assignment: str, student: str = ".") -> Path:
    """``<step>/<student>/<assignment>/`` of the course, as nbgrader's CourseDirectory places it."""
    cd = coursedir(course)
    return Path(cd.format_path(getattr(cd, f"{step}_directory"), student, assignment))


def notebook(course: Path, step: Step, assignment: str, student: str = ".") -> Path:
    """The assignment's notebook ``<assignment>.ipynb`` in that folder."""
    return folder(course, step, assignment, student) / f"{assignment}.ipynb"


def _origin_files(origin: Path, assignment: str, fixture: bool) -> dict[Part, Path]:
    """Where each part of an assignment lies in the checkout (whether or not it exists)."""
    if fixture:
        base = origin / FIXTURES / assignment
        return {"master": base / f"{assignment}.md", "source": base / "source" / assignment,
                "record": verdicts.record_path(base, assignment), "examples": base / "examples.py"}
    return {"master": origin / "notebooks" / f"{assignment}.md",
            "source": folder(origin, "source", assignment),
            "record": verdicts.record_path(origin, assignment),
            "examples": origin / "examples" / f"{assignment}.py"}


def _course_files(course: Path, assignment: str) -> dict[Part, Path]:
    """Where each part goes in the scratch course (the checkout's own layout)."""
    return {"master": course / "notebooks" / f"{assignment}.md",
            "source": folder(course, "source", assignment),
            "record": verdicts.record_path(course, assignment),
            "examples": course / "examples" / f"{assignment}.py"}


def make_course(dest: Path, assignments: Sequence[str] = (), *, origin: Path,
                fixtures: Sequence[str] = (), parts: Collection[Part] = PARTS,
                release: Release = "none", db_url: str | None = None) -> Path:
    """Build a course in ``dest`` (made if missing) from the checkout ``origin``; return ``dest``.

    - ``assignments``: taken from the checkout (``notebooks/``, ``source/``, ...);
      ``fixtures``: taken from ``<origin>/tests/fixtures/<a>/`` (the module's docstring says
      where each part lies);
    - ``parts``: which of master, source, record and examples to copy (each where it exists);
    - ``release``: "none"; "copy" (the checkout's committed ``release/<a>/``); "generate"
      (nbgrader's ``generate_assignment``); "course" (as ``course release``: build the
      source from the master, generate, and record ``expected/<a>.json`` from the reference
      solution's graded run if it is missing or stale; the record needs the sandbox);
    - ``db_url``: the gradebook, written into the course's ``nbgrader_config.py``
      (``CourseDirectory.db_url``), as an instructor would configure a shared one.
    """
    dest, origin = Path(dest), Path(origin)
    unknown = set(parts) - set(PARTS)
    if unknown:
        raise ValueError(f"unknown parts {sorted(unknown)}: choose from {PARTS}")
    if release not in ("none", "copy", "generate", "course"):
        raise ValueError(f"release={release!r}: choose none, copy, generate or course")
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy(origin / "nbgrader_config.py", dest)
    if db_url:
        with open(dest / "nbgrader_config.py", "a") as f:
            f.write(f"\nc.CourseDirectory.db_url = {db_url!r}\n")
    todo = [(a, False) for a in assignments] + [(a, True) for a in fixtures]
    for a, fixture in todo:
        src, out = _origin_files(origin, a, fixture), _course_files(dest, a)
        for part in PARTS:
            if part not in parts or not src[part].exists():
                continue
            out[part].parent.mkdir(parents=True, exist_ok=True)
            if src[part].is_dir():
                shutil.copytree(src[part], out[part])
            else:
                shutil.copy(src[part], out[part])
        if release == "copy":
            shutil.copytree(folder(origin, "release", a), folder(dest, "release", a))
        elif release == "generate":
            nbg.generate_assignment(dest, a)
        elif release == "course":
            _course_release(dest, a)
    return dest


def _course_release(course: Path, assignment: str) -> None:
    """What ``course release`` does for one assignment (grading/cli.py)."""
    from . import serial  # the record grades the reference solution: the serial grader

    master = course / "notebooks" / f"{assignment}.md"
    if master.is_file():
        out = notebook(course, "source", assignment)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(build.to_source(master))
    nbg.generate_assignment(course, assignment)
    try:
        verdicts.load_record(course, assignment)
    except verdicts.RecordError:  # missing or stale: the tests changed
        serial.record(course, assignment)  # its line goes to grading.serial's logger


def examples_of(course: Path, assignment: str,
                students: Iterable[str] | Mapping[str, str]) -> dict[str, nbformat.NotebookNode]:
    """The course's example submissions (``examples/<assignment>.py``, grading/examples.py)
    as notebooks, by student id: ``students`` names the examples (each student named for
    its example), or maps student ids to example names.  KeyError for an unknown example."""
    specs = examples.specs(course, assignment)
    names = dict(students) if isinstance(students, Mapping) else {s: s for s in students}
    source, release = notebook(course, "source", assignment), notebook(course, "release", assignment)
    return {student: examples.make_submission(source, release, specs[name])
            for student, name in names.items()}


def hand_in(course: Path, assignment: str, notebooks: Mapping[str, nbformat.NotebookNode],
            timestamps: Mapping[str, str] | None = None) -> dict[str, Path]:
    """Write each student's notebook into ``submitted/<student>/<assignment>/`` (and its
    ``timestamp.txt`` where ``timestamps`` gives one); return {student: notebook path}."""
    written = {}
    for student, nb in notebooks.items():
        out = notebook(course, "submitted", assignment, student)
        out.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, str(out))
        if timestamps and student in timestamps:
            (out.parent / "timestamp.txt").write_text(timestamps[student])
        written[student] = out
    return written
