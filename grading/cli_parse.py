"""``course``: the instructor's one entry point.

    course build                 notebooks/*.md -> source/
    course release               build, then nbgrader generate_assignment -> release/, and
                                 record the expected values if the tests changed
    course record                grade the reference solution in the sandbox and keep what each
                                 test checked -> expected/<assignment>.json (instructor side)
    course examples              write the bundled example submissions into submitted/
    course autograde [--submissions DIR] [--assignment A] [--jobs N] [--force]
                     [--scheduler tcp://HOST:8786] [--db URL] [--timeout S]
                                 copy DIR/<student>/<assignment>/ into submitted/, then grade
                                 submissions side by side (N at a time, default: the number
                                 of cores; or on a Dask cluster), each kernel in the bubblewrap
                                 sandbox, skipping what is graded and unchanged; one writer
                                 records the results; print the review list
    course collect [--submissions DIR]
                                 copy DIR/<student>/<assignment>/ into submitted/ (or take what
                                 nbgrader collect put there) and record when the course received
                                 each hand-in (.grading/receipts/): the submission time used for
                                 late penalties; a timestamp.txt that disagrees is a notice
    course autograde --no-sandbox-i-trust-these-submissions
                                 the same without the sandbox: trusted submissions only
    course feedback              feedback HTML -> feedback/, per student and notebook (hidden
                                 tests, solutions and active content scrubbed; one failure
                                 does not stop the others, it is listed and exits 1)
    course export [--to FILE]    grades as CSV (nbgrader export)
    course report                the grade table, per test cell
    course dashboard             one HTML page per assignment: score distribution, pass rate
                                 per test cell, frequent failure messages, review list,
                                 grading times -> dashboard/<assignment>.html
    course demo [--first-screen] part 1: release, then per notebook the correct solution, the
                                 untouched release, a mistake and a tamper attempt: autograde,
                                 feedback, export, report, dashboard; part 2: every other bundled
                                 example, the full check -> expected/examples-checked.json
    course lab                   JupyterLab on release/

--course DIR and --assignment A may come before or after the command.
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from .course import check_assignments
from .paths import assignments

# The module's docstring above is the overview that ``course --help`` prints.


def _assignments(args: argparse.Namespace) -> list[str]:
    """The assignments a command acts on: ``--assignment``, one the course knows (else a
    CourseError that lists them), or every master ``notebooks/<id>.md``."""
    if getattr(args, "assignment", None):
        check_assignments(args.course, [args.assignment])
        return [args.assignment]
    return assignments(args.course)


COMMANDS = ("build", "release", "record", "examples", "autograde", "feedback", "export", "report", "demo",
            "lab", "dashboard")


def _parser() -> tuple[argparse.ArgumentParser, argparse._SubParsersAction[argparse.ArgumentParser]]:
    """The parser: each subcommand also takes the global options (--course, --assignment),
    so that they may come before or after it."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--course", type=Path, default=argparse.SUPPRESS,
                        help="course root (default: the folder at or above the working directory "
                             "that holds nbgrader_config.py)")
    common.add_argument("--assignment", default=argparse.SUPPRESS,
                        help="only this assignment (default: all)")
    ap = argparse.ArgumentParser(prog="course", description=__doc__, parents=[common],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    for name in ("build", "release", "record", "examples", "feedback", "report", "lab",
                 "dashboard"):
        sub.add_parser(name, parents=[common])
    p = sub.add_parser("demo", parents=[common])
    p.add_argument("--first-screen", action="store_true",
                   help="stop after part 1 (the correct solution, the untouched release, a "
                        "mistake and a tamper attempt per notebook); skip the full example check")
    p.add_argument("--jobs", "-j", type=int, default=None,
                   help="submissions graded side by side (default: number of cores)")
    p = sub.add_parser("autograde", parents=[common])
    p.add_argument("--submissions", type=Path, help="folder of <student>/<assignment>/ to grade")
    p.add_argument("--timeout", type=int, help="seconds a cell may run (default: nbgrader_config.py)")
    p.add_argument("--no-sandbox-i-trust-these-submissions", action="store_true",
                   help="run student code WITHOUT the bubblewrap sandbox, as you (trusted runs only)")
    p.add_argument("--jobs", "-j", type=int, default=None,
                   help="submissions graded side by side on this machine (default: number of cores)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="grade on a Dask cluster, e.g. tcp://host:8786, instead of local jobs")
    p.add_argument("--db", metavar="URL",
                   help="gradebook URL (default: CourseDirectory.db_url of nbgrader_config.py, "
                        "else sqlite gradebook.db), e.g. postgresql+psycopg://user@host/grades")
    p.add_argument("--force", action="store_true",
                   help="grade again what is already graded and unchanged")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p = sub.add_parser("collect", parents=[common])
    p.add_argument("--submissions", type=Path, help="folder of <student>/<assignment>/ to collect")
    p = sub.add_parser("export", parents=[common])
    p.add_argument("--to", default="grades.csv")
    return ap, sub


def _valued_options(ap: argparse.ArgumentParser,
                    sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> set[str]:
    """Option strings (of any subcommand) that take a value."""
    out = set()
    for parser in [ap, *sub.choices.values()]:
        for action in parser._actions:
            if action.option_strings and action.nargs != 0:
                out |= set(action.option_strings)
    return out


def _command_first(argv: list[str], ap: argparse.ArgumentParser,
                   sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> list[str]:
    """``argv`` with the subcommand moved to the front: options may come before or after it
    (``course --assignment 01_dv autograde`` and ``course autograde --assignment 01_dv``,
    ``course -j 2 autograde`` as well)."""
    valued = _valued_options(ap, sub)
    i = 0
    while i < len(argv):
        tok = argv[i]
        if tok == "--":
            break
        if tok in sub.choices:
            return [tok, *argv[:i], *argv[i + 1:]]
        if tok.startswith("-") and "=" not in tok and tok in valued:
            i += 2  # the option's value is not a subcommand
            continue
        i += 1
    return list(argv)


def parse(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line as a Namespace (``cmd``, ``course`` (None: find it), ``assignment``
    (None: all) and the subcommand's options); nothing is run and no course is needed."""
    ap, sub = _parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    if any(a in ("-h", "--help") for a in argv) and not any(a in sub.choices for a in argv):
        ap.parse_args(argv)  # the overview
    args = ap.parse_args(_command_first(argv, ap, sub))
    args.course = getattr(args, "course", None)
    args.assignment = getattr(args, "assignment", None)
    return args
