"""A finding: one row of the review list, and the one way it is shown to a person.

Findings come from the tamper scan and the graded notebook (grading/intake.py),
from the intake of a hand-in and from the verdicts (grading/writer.py); they are
stored in ``review.csv`` (grading/review.py, ``Finding.row``) and shown by the
summary of ``course autograde``, the review list of ``course autograde`` and
``course report``, and the dashboard, all through ``describe`` and ``line``.

Kinds: ``tamper`` (tampering was detected: the tests named were zeroed; an
instructor must look), ``review`` (code that reaches the grader's internals:
nothing zeroed, an instructor should look), ``notice`` (a broken submission
graded anyway: what happened).
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from .shown import escape

KINDS = ("tamper", "review", "notice")
TAGS = {"tamper": "REVIEW", "review": "LOOK", "notice": "note"}


def printable(text: str) -> str:
    """``text`` as a person may read it: control and bidirectional characters shown as
    visible escapes (grading/shown.py), any other unprintable character as ?."""
    return "".join(ch if ch.isprintable() or ch == " " else "?" for ch in escape(text))


@dataclass(frozen=True)
class Finding:
    """One row of the review list."""

    kind: str                      # tamper | review | notice
    reason: str
    tests: tuple[str, ...] = ()    # the tests zeroed (tamper)
    notebook: str = ""             # the notebook it is about ("": the submission)
    student: str = ""
    assignment: str = ""

    def about(self, assignment: str, student: str) -> Finding:
        return replace(self, assignment=assignment, student=student)

    def row(self) -> dict[str, str]:
        """The row of ``review.csv``."""
        return dict(assignment=self.assignment, student=self.student, notebook=self.notebook,
                    kind=self.kind, tests=" ".join(self.tests), reason=self.reason)

    @classmethod
    def from_row(cls, row: Mapping[str, str]) -> Finding:
        return cls(kind=row.get("kind", "") or "notice", reason=row.get("reason", ""),
                   tests=tuple((row.get("tests") or "").split()), notebook=row.get("notebook", "") or "",
                   student=row.get("student", "") or "", assignment=row.get("assignment", "") or "")


def merge(findings: Iterable[Finding]) -> list[Finding]:
    """The findings, each said once: those of the same kind, submission, notebook and
    reason become one, with their tests together (first seen first)."""
    out: dict[tuple[str, str, str, str, str], Finding] = {}
    for f in findings:
        key = (f.kind, f.assignment, f.student, f.notebook, f.reason)
        if key in out:
            f = replace(out[key], tests=tuple(dict.fromkeys(out[key].tests + f.tests)))
        out[key] = f
    return list(out.values())


def describe(f: Finding) -> str:
    """What a finding says, without whom it is about: ``(notebook) [zeroed: tests]: reason``."""
    where = " ".join(([f"({f.notebook})"] if f.notebook else [])
                     + ([f"[zeroed: {', '.join(f.tests) or 'nothing'}]"] if f.kind == "tamper" else []))
    return printable(f"{where}: {f.reason}" if where else f.reason)


def line(f: Finding) -> str:
    """The one line of a finding on a screen:
    ``TAG student/assignment (notebook) [zeroed: tests]: reason``."""
    said = describe(f)
    return (f"  {TAGS.get(f.kind, 'note'):<6} " + printable(f"{f.student}/{f.assignment}")
            + (f" {said}" if said.startswith(("(", "[")) else f": {said}"))
