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


def feedback_jobs(course: str | Path, assignment: str) -> tuple[list[tuple[str, str]], list[str]]:
    """[(student, notebook id)] whose feedback to generate, and [notices] of what is skipped.

    One job per student and notebook of the assignment's source, for the
    autograded notebooks that are regular files: an extra ``.ipynb`` in an
    autograded folder (not in the gradebook) is skipped, not fed to nbgrader,
    where it would stop the whole command.
    """
    course = Path(course)
    names = sorted(p.stem for p in (course / "source" / assignment).glob("*.ipynb"))
    jobs, notices = [], []
    for folder in sorted((course / "autograded").glob(f"*/{assignment}")):
        student = folder.parent.name
        if folder.is_symlink() or not folder.is_dir():
            notices.append(f"{student}: autograded/{student}/{assignment} is not a folder, skipped")
            continue
        for p in sorted(folder.glob("*.ipynb")):
            if p.stem not in names:
                notices.append(f"{student}: {p.name} is not a notebook of {assignment}, skipped")
        for name in names:
            p = folder / f"{name}.ipynb"
            if p.is_symlink() or (p.exists() and not p.is_file()):
                notices.append(f"{student}: {p.name} is not a regular file, skipped")
            elif p.is_file():
                jobs.append((student, name))
    return jobs, notices


def generate_feedback(course: str | Path, assignment: str
                      ) -> tuple[int, list[tuple[str, str, str]], list[str]]:
    """Feedback for every autograded notebook of ``assignment``, one nbgrader run per student
    and notebook: (notebooks done, [(student, notebook, why) that failed], [notices]).

    A student's old feedback file goes first, so that a failed run leaves none
    (never an older one, scrubbed by older rules).
    """
    course = Path(course)
    jobs, notices = feedback_jobs(course, assignment)
    done, failed = 0, []
    for student, name in jobs:
        html = course / "feedback" / student / assignment / f"{name}.html"
        html.unlink(missing_ok=True)
        try:
            proc = nbg.run(course, "generate_feedback", assignment, "--student", student,
                           "--notebook", name, "--force", quiet=True, check=False)
            ok, tail = proc.returncode == 0, proc.stdout
        except Exception as exc:  # noqa: BLE001  (one job's failure is reported, not fatal)
            ok, tail = False, f"{type(exc).__name__}: {exc}"
        if ok and html.is_file():
            done += 1
        else:
            last = [ln for ln in str(tail).strip().splitlines() if ln.strip()][-3:]
            failed.append((student, name, " | ".join(last) or "no feedback file written"))
    return done, failed, notices


def cmd_feedback(args: argparse.Namespace) -> int:
    """Feedback per student and notebook: one broken submission cannot stop the others.
    Failures are listed at the end; the exit status is 1 if there was any."""
    course = Path(args.course)
    failed = []
    for a in _assignments(args):
        if not feedback_jobs(course, a)[0]:
            for n in feedback_jobs(course, a)[1]:
                say(f"{a}: {n}")
            say(f"{a}: nothing autograded yet, no feedback to generate")
            continue
        done, bad, notices = generate_feedback(course, a)
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
