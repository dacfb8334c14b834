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
    course demo                  release + examples + autograde + feedback + export + report
    course lab                   JupyterLab on release/

--course DIR and --assignment A may come before or after the command.
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

from nbgrader.api import MissingEntry

from . import build as build_mod
from . import console, examples, exchange, nbg, report, review, scale, serial, verdicts
from .errors import CourseError
from .paths import assignments, find_root
from .sandbox import SandboxUnavailable, tools as sandbox_tools


def cmd_build(args):
    changed = build_mod.build(args.course)
    for p in changed:
        print(f"built {Path(p).relative_to(args.course)}")
    if not changed:
        print("source/ is up to date")


def cmd_release(args):
    cmd_build(args)
    for a in _assignments(args):
        nbg.generate_assignment(args.course, a)
        print(f"released release/{a}/{a}.ipynb")
        try:
            verdicts.load_record(args.course, a)
        except verdicts.RecordError as exc:  # missing or stale: the tests changed
            print(f"{a}: {exc}; recording now")
            if _record(args, a):
                return 2


def cmd_record(args):
    """expected/<assignment>.json from the reference solution's graded run (grading/verdicts.py)."""
    for a in _assignments(args):
        if _record(args, a):
            return 2


def _record(args, a):
    try:
        sandbox_tools()
    except SandboxUnavailable as exc:
        print(f"course record: {exc}", file=sys.stderr)
        return 2
    try:
        serial.record(args.course, a)
    except CourseError as exc:
        print(f"course record: {exc}", file=sys.stderr)
        return 2


def cmd_examples(args):
    for a in _assignments(args):
        written = examples.write_submissions(args.course, a)
        print(f"{a}: {len(written)} example submissions in submitted/")


def cmd_autograde(args):
    course = Path(args.course)
    sandbox = not getattr(args, "no_sandbox_i_trust_these_submissions", False)
    if not sandbox:
        print("WARNING: grading WITHOUT the sandbox: student code runs as you, with access to "
              "the hidden tests, the gradebook and other students' work.", file=sys.stderr)
    if getattr(args, "submissions", None):
        _collect(Path(args.submissions), course, _assignments(args))
    if sandbox:
        try:
            sandbox_tools()  # before anything is graded: a clear error without bwrap
        except SandboxUnavailable as exc:
            print(f"course autograde: {exc}", file=sys.stderr)
            return 2
    try:
        summary = scale.grade(course, _assignments(args), jobs=getattr(args, "jobs", None),
                              scheduler=getattr(args, "scheduler", None),
                              db_url=getattr(args, "db", None), force=getattr(args, "force", False),
                              progress=False if getattr(args, "no_progress", False) else None,
                              sandbox=sandbox, timeout=getattr(args, "timeout", None))
    except CourseError as e:
        print(f"course autograde: {e}", file=sys.stderr)
        return 2
    for a in _assignments(args):
        _print_review(course, a)
    if summary.interrupted:
        return 130
    return 1 if summary.failed else 0


def _print_review(course, assignment):
    text = review.render(course, assignment)
    if text:
        print(f"{assignment}: review list ({review.path(course).name}; REVIEW = tampering, tests zeroed):")
        print(text)


def _collect(src, course, assignment_ids):
    """Copy DIR/<student>/<assignment>/ folders into the course's submitted/.

    Nothing is followed: links and special files in DIR are left out (and said so), a
    student folder that is a link is skipped, and a name that is not a valid id too."""
    from . import safeio

    found, problems = 0, []
    try:
        students = safeio.list_dir(src)
    except safeio.Refused as exc:
        print(f"course autograde: cannot read {src}: {exc}", file=sys.stderr)
        return
    for name, kind in sorted(students.items()):
        shown = review.printable(repr(name))
        if not safeio.valid_id(name):
            problems.append(f"{shown}: not a valid student id, skipped")
            continue
        if kind != "dir":
            problems.append(f"{shown}: {'a symbolic link' if kind == 'link' else 'not a folder'}, skipped")
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
                problems.append(f"{shown}/{a}: {why}")
            found += 1
    print(f"collected {found} submissions from {src}")
    for p in problems:
        print(f"  left out: {review.printable(p)}")


def feedback_jobs(course, assignment):
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


def generate_feedback(course, assignment):
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


def cmd_feedback(args):
    """Feedback per student and notebook: one broken submission cannot stop the others.
    Failures are listed at the end; the exit status is 1 if there was any."""
    course = Path(args.course)
    failed = []
    for a in _assignments(args):
        if not feedback_jobs(course, a)[0]:
            for n in feedback_jobs(course, a)[1]:
                print(f"{a}: {n}")
            print(f"{a}: nothing autograded yet, no feedback to generate")
            continue
        done, bad, notices = generate_feedback(course, a)
        for n in notices:
            print(f"{a}: {n}")
        failed += [(a, *f) for f in bad]
        exchange.carry_submission_secrets(course, a)  # for nbgrader release_feedback
        print(f"{a}: feedback for {done} of {done + len(bad)} notebooks in "
              f"{course / 'feedback'}/<student>/{a}/<notebook>.html")
    if failed:
        print(f"feedback FAILED for {len(failed)} notebook(s):", file=sys.stderr)
        for a, student, name, why in failed:
            print(f"  {a} {student} {name}.ipynb: {why}", file=sys.stderr)
        return 1
    return 0


def cmd_export(args):
    nbg.export(args.course, args.to)
    print(f"grades exported to {args.to}")


def cmd_report(args):
    """Print each assignment's grade table; return False if an example missed its expected score."""
    ok = True
    course = Path(args.course)
    for a in _assignments(args):
        specs = examples.specs(course, a)
        try:
            max_scores = report.autograded_max(course, a)
        except MissingEntry:  # only that: a database that cannot be reached is an error
            print(f"{a}: not in the gradebook yet")
            continue
        students = sorted(p.parent.name for p in (course / "autograded").glob(f"*/{a}"))
        if not students:
            print(f"\n{a}: no graded submissions yet")
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
        print(f"\n{a}: autograded test cells")
        print(report.table(rows, ["student", *max_scores, "total", "example check"]))
        _print_review(course, a)
        fb = course / "feedback"
        if fb.exists():
            print(f"feedback HTML: {fb}/<student>/{a}/{a}.html")
    return ok


def cmd_dashboard(args):
    from . import dashboard

    for a in _assignments(args):
        try:
            report.autograded_max(args.course, a)
        except Exception:
            print(f"{a}: not in the gradebook yet, no dashboard")
            continue
        print(f"{a}: dashboard in {dashboard.write(args.course, a)}")


def cmd_demo(args):
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
    print("\nAll example submissions got their expected scores." if ok
          else "\nSome example submissions did NOT get their expected scores (see above).")
    return 0 if ok else 1


def cmd_lab(args):
    return subprocess.call([sys.executable, "-m", "jupyter", "lab", "--notebook-dir",
                            str(Path(args.course) / "release")], env=nbg.kernel_env())


def _assignments(args):
    return [args.assignment] if getattr(args, "assignment", None) else assignments(args.course)


COMMANDS = ("build", "release", "record", "examples", "autograde", "feedback", "export", "report", "demo",
            "lab", "dashboard")


def _parser():
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
    for name in ("build", "release", "record", "examples", "feedback", "report", "demo", "lab",
                 "dashboard"):
        sub.add_parser(name, parents=[common])
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
    p = sub.add_parser("export", parents=[common])
    p.add_argument("--to", default="grades.csv")
    return ap, sub


def _valued_options(ap, sub):
    """Option strings (of any subcommand) that take a value."""
    out = set()
    for parser in [ap, *sub.choices.values()]:
        for action in parser._actions:
            if action.option_strings and action.nargs != 0:
                out |= set(action.option_strings)
    return out


def _command_first(argv, ap, sub):
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


def parse(argv=None):
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


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    # the grading package logs; a person sees its info and warnings on stdout, and the
    # progress of `autograde` as a bar when stderr is a terminal (grading/console.py)
    bar = not getattr(args, "no_progress", False) and sys.stderr.isatty()
    try:
        with console.shown(bar=bar):
            args.course = (args.course or find_root()).resolve()
            result = globals()[f"cmd_{args.cmd}"](args)
    except CourseError as exc:  # a message for a person; library code never exits
        print(f"course {args.cmd}: {exc}", file=sys.stderr)
        return 2
    if args.cmd == "report":
        return 0 if result else 1
    return result if isinstance(result, int) else 0


if __name__ == "__main__":
    raise SystemExit(main())
