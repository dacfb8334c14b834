"""``course``: the instructor's one entry point (``main``).

``course --help`` lists the commands and their options (grading/cli_parse.py).
The commands: grading/cli_grade.py (build, release, record, examples,
autograde), grading/cli_results.py (feedback, export, report, dashboard), and
here demo and lab.
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from . import console, example_record, examples, nbg
from .cli_grade import cmd_autograde, cmd_build, cmd_collect, cmd_examples, cmd_record, cmd_release  # noqa: F401
from .cli_parse import _assignments, parse
from .console import say
from .cli_results import cmd_dashboard, cmd_export, cmd_feedback, cmd_report  # noqa: F401
from .errors import CourseError
from .paths import find_root

# main() runs cmd_<command> of this module: each command's function is imported above.


def cmd_demo(args: argparse.Namespace) -> int:
    """Part 1, the first screen: per assignment the correct solution, the untouched
    release, a typical mistake and a tamper attempt, graded, with feedback, the grade
    tables and the dashboard.  Part 2 (unless --first-screen): every other bundled
    example, the full check of their scores, and the record of that check
    (grading/example_record.py)."""
    course = Path(args.course)
    started = time.monotonic()
    # A fresh run: earlier grades and submissions of the examples go first.
    for d in ("submitted", "feedback"):
        shutil.rmtree(course / d, ignore_errors=True)
    for p in (course / "autograded").glob("*"):
        if p.is_dir():
            shutil.rmtree(p)
    (course / "gradebook.db").unlink(missing_ok=True)
    (course / "review.csv").unlink(missing_ok=True)
    if cmd_release(args):
        return 2
    every = {a: examples.specs(course, a) for a in _assignments(args)}
    first = {a: example_record.first_screen(specs) for a, specs in every.items()}
    say("\n== part 1 of 2: the first screen (" + ", ".join(
        f"{a}: {len(s)}" for a, s in first.items()) + " examples) ==", block=True)
    ok, graded_s = _demo_round(args, first)
    n_first = sum(len(s) for s in first.values())
    say(f"\nfirst screen: {time.monotonic() - started:.0f} s; the dashboards are in "
        f"{course / 'dashboard'}/", block=True)
    if getattr(args, "first_screen", False):
        return 0 if ok else 1
    rest = {a: [s for s in specs if s not in first[a]] for a, specs in every.items()}
    n_rest = sum(len(s) for s in rest.values())
    per = graded_s / max(n_first, 1)
    say(f"\n== part 2 of 2: the full example check, {n_rest} more examples "
          f"(estimate: about {per * n_rest / 60:.0f} min, from part 1's "
          f"{per:.0f} s per example) ==", block=True)
    ok, _ = _demo_round(args, {a: list(specs) for a, specs in every.items()})
    say(f"\nwhole demo: {time.monotonic() - started:.0f} s", block=True)
    if ok:
        for a, specs in every.items():
            example_record.write(course, a, specs)
        say("All example submissions got their expected scores and messages "
              f"(recorded in {example_record.CHECKED}).")
    else:
        say("Some example submissions did NOT get their expected scores (see above).")
    return 0 if ok else 1


def _demo_round(args: argparse.Namespace, students: dict[str, list[str]]) -> tuple[bool, float]:
    """Write these examples, grade what is new, then feedback, export, report, dashboard.
    Returns (every graded example as expected, seconds spent grading)."""
    course = Path(args.course)
    for a, names in students.items():
        written = examples.write_submissions(course, a, names)
        say(f"{a}: {len(written)} example submissions in submitted/")
    t0 = time.monotonic()
    if cmd_autograde(args):
        return False, time.monotonic() - t0
    graded_s = time.monotonic() - t0
    cmd_feedback(args)
    args.to = str(course / "grades.csv")
    cmd_export(args)
    ok = bool(cmd_report(args)) and _messages_shown(course, students)
    cmd_dashboard(args)
    return ok, graded_s


def _messages_shown(course: Path, students: dict[str, list[str]]) -> bool:
    """Every example that names a "message" finds it in its feedback, as the test worded it."""
    import html

    ok = True
    for a, names in students.items():
        specs = examples.specs(course, a)
        for s in names:
            message = specs[s].get("message")
            if not message:
                continue
            page = course / "feedback" / s / a / f"{a}.html"
            text = html.unescape(page.read_text()) if page.is_file() else ""
            if message not in text:
                say(f"{a} {s}: feedback does not show the expected message {message!r}")
                ok = False
    return ok


def cmd_lab(args: argparse.Namespace) -> int:
    return subprocess.call([sys.executable, "-m", "jupyter", "lab", "--notebook-dir",
                            str(Path(args.course) / "release")], env=nbg.kernel_env())


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    # the grading package logs; a person sees its info and warnings on stdout, and the
    # progress of `autograde` as a bar when stderr is a terminal (grading/console.py)
    bar = not getattr(args, "no_progress", False) and sys.stderr.isatty()
    try:
        with console.shown(bar=bar):
            args.course = (args.course or find_root()).resolve()
            result = globals()[f"cmd_{args.cmd}"](args)
    except CourseError as exc:  # a message for a person; library code never exits
        say(f"course {args.cmd}: {exc}", err=True)
        return 2
    if args.cmd == "report":
        return 0 if result else 1
    return result if isinstance(result, int) else 0


if __name__ == "__main__":
    raise SystemExit(main())
