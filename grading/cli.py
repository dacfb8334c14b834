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
from collections.abc import Sequence
from pathlib import Path

from . import console, nbg
from .cli_grade import cmd_autograde, cmd_build, cmd_collect, cmd_examples, cmd_record, cmd_release  # noqa: F401
from .cli_parse import parse
from .console import say
from .cli_results import cmd_dashboard, cmd_export, cmd_feedback, cmd_report  # noqa: F401
from .errors import CourseError
from .paths import find_root

# main() runs cmd_<command> of this module: each command's function is imported above.


def cmd_demo(args: argparse.Namespace) -> int:
    course = Path(args.course)
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
    cmd_examples(args)
    if cmd_autograde(args):
        return 2
    cmd_feedback(args)
    args.to = str(course / "grades.csv")
    cmd_export(args)
    ok = cmd_report(args)
    say("\nAll example submissions got their expected scores." if ok
          else "\nSome example submissions did NOT get their expected scores (see above).", block=True)
    return 0 if ok else 1


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
