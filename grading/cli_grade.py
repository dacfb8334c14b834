"""The grading commands of ``course``: build, release, record, examples, autograde."""
from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path
from typing import Collection

from . import build as build_mod
from . import examples, intake, nbg, receipts, review, scale, serial, shown, verdicts
from .cli_parse import _assignments
from .console import say
from .errors import CourseError
from .findings import line
from .sandbox import SandboxUnavailable, tools as sandbox_tools


def cmd_build(args: argparse.Namespace) -> None:
    changed = build_mod.build(args.course)
    for p in changed:
        say(f"built {Path(p).relative_to(args.course)}")
    if not changed:
        say("source/ is up to date")


def cmd_release(args: argparse.Namespace) -> int | None:
    cmd_build(args)
    for a in _assignments(args):
        nbg.generate_assignment(args.course, a)
        say(f"released release/{a}/{a}.ipynb")
        try:
            verdicts.load_record(args.course, a)
        except verdicts.RecordError as exc:  # missing or stale: the tests changed
            say(f"{a}: {exc}; recording now")
            if _record(args, a):
                return 2
    return None


def cmd_record(args: argparse.Namespace) -> int | None:
    """expected/<assignment>.json from the reference solution's graded run (grading/verdicts.py)."""
    for a in _assignments(args):
        if _record(args, a):
            return 2
    return None


def _record(args: argparse.Namespace, a: str) -> int | None:
    try:
        sandbox_tools()
    except SandboxUnavailable as exc:
        say(f"course record: {exc}", err=True)
        return 2
    try:
        serial.record(args.course, a)
    except CourseError as exc:
        say(f"course record: {exc}", err=True)
        return 2
    return None


def cmd_examples(args: argparse.Namespace) -> None:
    for a in _assignments(args):
        written = examples.write_submissions(args.course, a)
        say(f"{a}: {len(written)} example submissions in submitted/")


def cmd_autograde(args: argparse.Namespace) -> int:
    course = Path(args.course)
    chosen = _assignments(args)   # checked once: an unknown one is an error before anything
    sandbox = not getattr(args, "no_sandbox_i_trust_these_submissions", False)
    if not sandbox:
        say("WARNING: grading WITHOUT the sandbox: student code runs as you, with access to "
              "the hidden tests, the gradebook and other students' work.", err=True)
    if getattr(args, "submissions", None):
        _collect(Path(args.submissions), course, chosen)
    if sandbox:
        try:
            sandbox_tools()  # before anything is graded: a clear error without bwrap
        except SandboxUnavailable as exc:
            say(f"course autograde: {exc}", err=True)
            return 2
    try:
        summary = scale.grade(course, chosen, jobs=getattr(args, "jobs", None),
                              scheduler=getattr(args, "scheduler", None),
                              db_url=getattr(args, "db", None), force=getattr(args, "force", False),
                              sandbox=sandbox, timeout=getattr(args, "timeout", None))
    except CourseError as e:
        say(f"course autograde: {e}", err=True)
        return 2
    shown = {(a, s) for a, s in summary.graded}   # their findings are in the summary above
    for a in chosen:
        _print_review(course, a, leave_out=shown, title="from earlier runs")
    if summary.interrupted:
        return 130
    return 1 if summary.failed else 0


def _print_review(course: Path, assignment: str, leave_out: Collection[tuple[str, str]] = (),
                  title: str = "") -> None:
    """The review list of an assignment, a line per finding (grading/findings.py), but for
    the submissions in ``leave_out`` ((assignment, student))."""
    found = [f for f in review.findings(course, assignment) if (f.assignment, f.student) not in leave_out]
    if found:
        say(f"{assignment}: review list{', ' + title if title else ''} ({review.path(course).name}; "
              "REVIEW = tampering, tests zeroed; LOOK = code that reaches the grader's internals):")
        say("\n".join(line(f) for f in found), block=True)   # each line escaped (findings.line)


def _collect(src: Path, course: Path, assignment_ids: list[str]) -> None:
    """Copy DIR/<student>/<assignment>/ folders into the course's submitted/.

    Nothing is followed: links and special files in DIR are left out (and said so), a
    student folder that is a link is skipped, and a name that is not a valid id too."""
    from . import safeio

    found, problems = 0, []
    try:
        students = safeio.list_dir(src)
    except safeio.Refused as exc:
        say(f"course autograde: cannot read {src}: {exc}", err=True)
        return
    for name, kind in sorted(students.items()):
        seen = shown.escape(repr(name))
        if not safeio.valid_id(name):
            problems.append(f"{seen}: not a valid student id, skipped")
            continue
        if kind != "dir":
            problems.append(f"{seen}: {'a symbolic link' if kind == 'link' else 'not a folder'}, skipped")
            continue
        for a in assignment_ids:
            if safeio.kind_of(src, f"{name}/{a}") == "missing":
                continue
            dest = course / "submitted" / name / a
            if dest.exists() and src.resolve() == (course / "submitted").resolve():
                continue
            shutil.rmtree(dest, ignore_errors=True)
            dest.parent.mkdir(parents=True, exist_ok=True)
            for why in safeio.copy_tree_nofollow(src / name / a, dest):
                problems.append(f"{seen}/{a}: {why}")
            found += 1
    say(f"collected {found} submissions from {src}")
    for p in problems:
        say(f"  left out: {shown.escape(p)}")


def cmd_collect(args: argparse.Namespace) -> None:
    """Copy ``--submissions DIR`` into submitted/ (if given), then record when the course
    received each hand-in under submitted/ (grading/receipts.py)."""
    course = Path(args.course)
    assignment_ids = _assignments(args)
    if getattr(args, "submissions", None):
        _collect(Path(args.submissions), course, assignment_ids)
    refused: list[str] = []
    for a, s in scale.find_submissions(course, assignment_ids, refused):
        files, _ = intake.collect(course, a, s)
        when = receipts.receive(course, a, s, files)
        late = receipts.disagreement(when, files.get(receipts.STAMP))
        say(f"{a}/{s}: received {when:%Y-%m-%d %H:%M:%S} UTC" + (f" ({late})" if late else ""))
    for line in refused:
        say(f"skipped {line}")
