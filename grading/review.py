"""The instructor's review list, ``review.csv`` at the course root.

Every field is written escaped (grading/shown.py), and shown escaped again: a
row read from a file edited by hand cannot drive a terminal either.

One row per finding: ``assignment, student, notebook, kind, tests, reason``.  ``kind``
is ``tamper`` (tampering was detected: the tests named were zeroed; an
instructor must look), ``review`` (code that reaches the grader's internals,
such as IPython's input history or the checker's frames: nothing is zeroed,
an instructor should look) or ``notice`` (a broken submission graded
anyway: what happened).  ``notebook`` names the notebook a row is about.  Each
autograde of a student replaces that student's rows for the assignment.
Writers in parallel processes take a file lock.
"""
from __future__ import annotations

import csv
import fcntl
import io
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Mapping, Sequence

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


def replace(course: str | Path, assignment: str, student: str,
            rows: Sequence[Mapping[str, str]]) -> list[dict[str, str]]:
    """Replace a student's rows for an assignment; return their previous rows."""
    with _locked(course):
        old = read(course)
        mine = [r for r in old if r["assignment"] == assignment and r["student"] == student]
        keep = [r for r in old if not (r["assignment"] == assignment and r["student"] == student)]
        # every field escaped (grading/shown.py): a reason quotes a student's file name
        keep += [dict(assignment=escape(assignment), student=escape(student),
                      **{k: escape(r.get(k, "")) for k in FIELDS if k not in ("assignment", "student")})
                 for r in rows]
        buf = io.StringIO()
        w = csv.DictWriter(buf, FIELDS, restval="", extrasaction="ignore")
        w.writeheader()
        w.writerows(sorted(keep, key=lambda r: (r["assignment"], r["student"], r["kind"])))
        tmp = path(course).with_suffix(".csv.tmp")
        tmp.write_text(buf.getvalue())
        tmp.replace(path(course))
        return mine


def render(course: str | Path, assignment: str | None = None) -> str:
    """The review list as text ('' when it is empty)."""
    rows = [r for r in read(course) if assignment is None or r["assignment"] == assignment]
    if not rows:
        return ""
    out = []
    for r in rows:
        tag = {"tamper": "REVIEW", "review": "LOOK  "}.get(r["kind"], "note  ")
        tests = f" [zeroed: {r['tests']}]" if r["tests"] else ""
        where = f" ({r['notebook']})" if r.get("notebook") else ""
        out.append(escape(f"  {tag} {r['assignment']}/{r['student']}{where}{tests}: {r['reason']}"))
    return "\n".join(out)
