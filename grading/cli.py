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
    course feedback              feedback HTML (hidden tests scrubbed) -> feedback/
    course export [--to FILE]    grades as CSV (nbgrader export)
    course report                the grade table, per test cell
    course demo                  release + examples + autograde + feedback + export + report
    course lab                   JupyterLab on release/
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

from . import build as build_mod
from . import examples, nbg, report, review, scale, verdicts
from .sandbox import SandboxUnavailable, tools as sandbox_tools
from .paths import assignments, find_root


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
        nbg.record(args.course, a)
    except (nbg.NbgraderError, verdicts.RecordError) as exc:
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
    except scale.GradingError as e:
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
    """Copy DIR/<student>/<assignment>/ folders into the course's submitted/."""
    found = 0
    for a in assignment_ids:
        for sub in sorted(src.glob(f"*/{a}")):
            dest = course / "submitted" / sub.parent.name / a
            if dest.resolve() == sub.resolve():
                continue
            shutil.rmtree(dest, ignore_errors=True)
            shutil.copytree(sub, dest)
            found += 1
    print(f"collected {found} submissions from {src}")


def cmd_feedback(args):
    for a in _assignments(args):
        if not any((Path(args.course) / "autograded").glob(f"*/{a}")):
            print(f"{a}: nothing autograded yet, no feedback to generate")
            continue
        nbg.generate_feedback(args.course, a)
        print(f"{a}: feedback in {Path(args.course) / 'feedback'}/<student>/{a}/{a}.html")


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
        except Exception:
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


def main(argv=None):
    ap = argparse.ArgumentParser(prog="course", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--course", type=Path, default=None,
                    help="course root (default: the folder at or above the working directory "
                         "that holds nbgrader_config.py)")
    ap.add_argument("--assignment", help="only this assignment (default: all)")
    sub = ap.add_subparsers(dest="cmd", required=True)
    for name in ("build", "release", "record", "examples", "feedback", "report", "demo", "lab"):
        sub.add_parser(name)
    p = sub.add_parser("autograde")
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
    p = sub.add_parser("export")
    p.add_argument("--to", default="grades.csv")
    args = ap.parse_args(argv)
    args.course = (args.course or find_root()).resolve()
    result = globals()[f"cmd_{args.cmd}"](args)
    if args.cmd == "report":
        return 0 if result else 1
    return result if isinstance(result, int) else 0


if __name__ == "__main__":
    raise SystemExit(main())
