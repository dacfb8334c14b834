"""The instructor's review list, ``review.csv`` at the course root.

One row per finding (grading/findings.py, which also shows them): ``assignment,
student, notebook, kind, tests, reason``.  ``kind`` is ``tamper`` (tampering was
detected: the tests named were zeroed; an instructor must look), ``review``
(code that reaches the grader's internals, such as IPython's input history or
the checker's frames: nothing is zeroed, an instructor should look) or
``notice`` (a broken submission graded anyway: what happened).  ``notebook``
names the notebook a row is about.  Each autograde of a student replaces that
student's rows for the assignment.  Writers in parallel processes take a file lock.
Every field is written escaped (grading/shown.py), and shown escaped again: a
row read from a file edited by hand cannot drive a terminal either.
"""
from __future__ import annotations

import csv
import fcntl
import io
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Sequence

from .findings import Finding, line, merge, printable  # noqa: F401  (printable: for the CLI)

from .shown import escape

FIELDS = ["assignment", "student", "notebook", "kind", "tests", "reason"]


def path(course: str | Path) -> Path:
    return Path(course) / "review.csv"


@contextmanager
def _locked(course: str | Path) -> Iterator[None]:
    lock = Path(course) / ".review.lock"
    with open(lock, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def read(course: str | Path) -> list[dict[str, str]]:
    p = path(course)
    if not p.exists():
        return []
    with open(p, newline="") as f:
        return list(csv.DictReader(f))


def findings(course: str | Path, assignment: str | None = None) -> list[Finding]:
    """The review list's findings (of one assignment), each said once."""
    return merge(Finding.from_row(r) for r in read(course)
                 if assignment is None or r.get("assignment") == assignment)


def replace(course: str | Path, assignment: str, student: str,
            found: Sequence[Finding]) -> list[Finding]:
    """Replace a student's findings for an assignment; return their previous ones."""
    with _locked(course):
        old = read(course)
        mine = [Finding.from_row(r) for r in old if r["assignment"] == assignment and r["student"] == student]
        keep = [r for r in old if not (r["assignment"] == assignment and r["student"] == student)]
        # every field escaped (grading/shown.py): a reason quotes a student's file name
        keep += [{k: escape(v) for k, v in f.about(assignment, student).row().items()} for f in merge(found)]
        buf = io.StringIO()
        w = csv.DictWriter(buf, FIELDS, restval="", extrasaction="ignore")
        w.writeheader()
        w.writerows(sorted(keep, key=lambda r: (r["assignment"], r["student"], r["kind"])))
        tmp = path(course).with_suffix(".csv.tmp")
        tmp.write_text(buf.getvalue())
        tmp.replace(path(course))
        return mine


def render(course: str | Path, assignment: str | None = None) -> str:
    """The review list as text, a line per finding (grading/findings.py; '' when it is empty)."""
    return "\n".join(line(f) for f in findings(course, assignment))
