"""The commands of ``course`` that show results: feedback, export, report, dashboard."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from nbgrader.api import MissingEntry

from . import examples, exchange, nbg, report
from .cli_grade import _print_review
from .cli_parse import _assignments
from .console import say
from .errors import CourseError, GradebookError


def cmd_feedback(args: argparse.Namespace) -> int:
    """Feedback per student and notebook: one broken submission cannot stop the others.
    Failures are listed at the end; the exit status is 1 if there was any."""
    course = Path(args.course)
    failed = []
    for a in _assignments(args):
        if not nbg.feedback_jobs(course, a)[0]:
            for n in nbg.feedback_jobs(course, a)[1]:
                say(f"{a}: {n}")
            say(f"{a}: nothing autograded yet, no feedback to generate")
            continue
        done, bad, notices = nbg.generate_feedback(course, a)
        for n in notices:
            say(f"{a}: {n}")
        failed += [(a, *f) for f in bad]
        exchange.carry_submission_secrets(course, a)  # for nbgrader release_feedback
        say(f"{a}: feedback for {done} of {done + len(bad)} notebooks in "
              f"{course / 'feedback'}/<student>/{a}/<notebook>.html")
    if failed:
        say(f"feedback FAILED for {len(failed)} notebook(s):", err=True)
        for a, student, name, why in failed:
            say(f"  {a} {student} {name}.ipynb: {why}", err=True)
        return 1
    return 0


def cmd_export(args: argparse.Namespace) -> None:
    nbg.export(args.course, args.to)
    say(f"grades exported to {args.to}")


def cmd_report(args: argparse.Namespace) -> bool:
    """Print each assignment's grade table; return False if an example missed its expected score."""
    ok = True
    course = Path(args.course)
    for a in _assignments(args):
        specs = examples.specs(course, a)
        try:
            max_scores = report.autograded_max(course, a)
        except MissingEntry:  # only that: a database that cannot be reached is an error
            say(f"{a}: not in the gradebook yet")
            continue
        students = sorted(p.parent.name for p in (course / "autograded").glob(f"*/{a}"))
        if not students:
            say(f"\n{a}: no graded submissions yet", block=True)
            continue
        rows = []
        for s in students:
            got = report.cell_scores(course, a, s) or {}
            cells = [f"{got.get(c, 0):g}/{m:g}" for c, m in max_scores.items()]
            total = sum(got.values())
            verdict = ""
            if s in specs:
                want = examples.expected_scores(specs[s], max_scores)
                match = all(abs(got.get(c, -1) - v) < 1e-9 for c, v in want.items())
                verdict = "as expected" if match else "UNEXPECTED (expected " + ", ".join(
                    f"{c}={v:g}" for c, v in want.items()) + ")"
                ok &= match
            rows.append([s, *cells, f"{total:g}/{sum(max_scores.values()):g}", verdict])
        say(f"\n{a}: autograded test cells", block=True)
        say(report.table(rows, ["student", *max_scores, "total", "example check"]), block=True)
        _print_review(course, a)
        fb = course / "feedback"
        if fb.exists():
            say(f"feedback HTML: {fb}/<student>/{a}/{a}.html")
    return ok


def cmd_dashboard(args: argparse.Namespace) -> None:
    from . import dashboard

    for a in _assignments(args):
        try:
            report.autograded_max(args.course, a)
        except MissingEntry:  # only that: a gradebook that cannot be read is an error
            say(f"{a}: not in the gradebook yet, no dashboard")
            continue
        except Exception as exc:
            raise GradebookError(f"{a}: no dashboard, the gradebook cannot be read "
                                 f"({_first_line(exc)})") from exc
        try:
            path = dashboard.write(args.course, a)
        except CourseError:
            raise
        except Exception as exc:  # the grading times come from the gradebook too
            raise GradebookError(f"{a}: no dashboard, the grading results cannot be read "
                                 f"({_first_line(exc)})") from exc
        say(f"{a}: dashboard in {path}")


def _first_line(exc: BaseException) -> str:
    """The exception's kind and the first line of its message (a driver's is many lines)."""
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0][:300]}" if lines else type(exc).__name__
