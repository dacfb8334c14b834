"""Hidden verdicts, decided in the grader's own process.

The test cells run in the student's kernel, where student code can patch
anything: the checks, numpy, torch, builtins, IPython, the checker's frames.
So a test cell's in-kernel assertions are not trusted for the grade.  Instead
every check a test cell makes *reports* the value it saw (helpers/checks.py,
a display output of MIME ``REPORT_MIME``), and the grader decides:

- the **record**, ``expected/<assignment>.json``, holds for each test cell the
  checks the reference solution made and their parameters: expected values
  (the reference solution's own value where the test says ``REFERENCE``),
  truths and tolerances.  ``course record`` makes it by grading the source
  notebook (the reference solution) through the same sandboxed job, and it
  lives only on the instructor's side: not in ``source/``, not in ``release/``,
  not in the installed packages the kernel can read;
- a test cell **passes** when it has no error output, no ``execute_result``
  (nbgrader would read one as partial credit: closed here), and every check
  in its record was reported, and every report of it passes against the
  record's parameters, never the kernel's;
- a warning on stderr is not a failure (nbgrader's own rule zeroes it).

Scores are written by ``CourseSaveAutoGrades`` (grading/decide.py), nbgrader's
SaveAutoGrades with this decision in place of ``nbgrader.utils.determine_grade``
for code test cells.  Written answers keep nbgrader's rule (they wait for a
person).  This module is pure: the nbgrader preprocessors that apply it live in
grading/decide.py.

What kernel code can still do: stop a report (the test fails), or report a
value it computed by other means (it must then know the right value, that is,
solve the exercise; a closed form in place of training is what the hidden
tests' recomputations and the tamper scan look for).
"""
from __future__ import annotations

import builtins
import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nbformat import NotebookNode

REPORT_MIME = "application/vnd.mi-course.check+json"   # = helpers.checks.REPORT_MIME
VERDICT_KEY = "mi_course"                              # output metadata of the grader's own notes
KINDS = ("close", "finite", "estimate", "true", "between")
MAX_REPORTS = 2000                                     # per cell; more is a flood, not a test


from . import cells as cellmeta  # noqa: E402  (a record's own `cells` is a dict)
from .errors import RecordError  # noqa: E402,F401


def record_path(course: str | Path, assignment: str) -> Path:
    return Path(course) / "expected" / f"{assignment}.json"


def source_digest(source_bytes: bytes) -> str:
    """What a record was made from: the SHA-256 of the test cells' sources, in order.

    Only grade cells count, so that a change of text or of a demonstration does not make
    the record stale, while any change to a test does."""
    import nbformat

    nb = nbformat.reads(source_bytes.decode("utf-8"), as_version=4)
    h = hashlib.sha256()
    for cell in nb.cells:
        if cellmeta.is_grade(cell) and cell.cell_type == "code":
            h.update((cellmeta.grade_id(cell) or "").encode() + b"\0" + cell.source.encode() + b"\1")
    return h.hexdigest()


def load_record(course: str | Path, assignment: str) -> dict:
    """{notebook name: {grade_id: [check, ...]}}; RecordError if missing or stale."""
    path = record_path(course, assignment)
    if not path.is_file():
        raise RecordError(f"no record of the expected values: {path} is missing; run "
                          f"`course record --assignment {assignment}` (after `course release`)")
    rec = json.loads(path.read_text())
    for name, entry in rec["notebooks"].items():
        src = Path(course) / "source" / assignment / name
        if src.is_file() and source_digest(src.read_bytes()) != entry["source_digest"]:
            raise RecordError(f"{path} is stale: the tests of source/{assignment}/{name} changed "
                              f"since it was recorded; run `course record --assignment {assignment}`")
    return {name: entry["cells"] for name, entry in rec["notebooks"].items()}


# --- reading reports -------------------------------------------------------------------------

def _number(v: object) -> Any:
    """A JSON value of a report as float / nested lists of floats; ValueError otherwise."""
    if isinstance(v, bool):
        return float(v)
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, str) and v in ("nan", "inf", "-inf"):
        return float(v)
    if isinstance(v, list) and len(v) <= 1_000_000:
        return [_number(x) for x in v]
    raise ValueError(f"not a number: {type(v).__name__}")


def reports(cell: NotebookNode) -> list[dict]:
    """The well-formed reports among a cell's outputs (anything malformed is ignored)."""
    out = []
    for o in cell.get("outputs", []):
        data = o.get("data") if o.get("output_type") in ("display_data", "execute_result") else None
        if not isinstance(data, dict) or REPORT_MIME not in data:
            continue
        p = data[REPORT_MIME]
        if isinstance(p, str):
            try:
                p = json.loads(p)
            except ValueError:
                continue
        if not isinstance(p, dict) or not isinstance(p.get("what"), str) or p.get("kind") not in KINDS:
            continue
        try:
            value = _number(p["value"]) if p.get("value") is not None else None
        except ValueError:
            value = None
        err = p.get("error") if isinstance(p.get("error"), str) else None
        out.append({"what": p["what"][:500], "kind": p["kind"], "value": value, "error": err,
                    "spec": p.get("spec") if isinstance(p.get("spec"), dict) else {}})
        if len(out) >= MAX_REPORTS:
            break
    return out


def _flat(v: Any) -> list[Any]:
    if isinstance(v, list):
        return [x for item in v for x in _flat(item)]
    return [v]


def _shape(v: Any) -> list[int]:
    return [len(v)] + _shape(v[0]) if isinstance(v, list) and v else ([0] if isinstance(v, list) else [])


SHOWN_ITEMS = 3   # elements of an array a student is shown (a kernel chooses the values seen)


def _fmt(v: Any) -> str:
    """A value as a student reads it: 3 significant digits, at most ``SHOWN_ITEMS`` elements.

    Values seen come from the kernel; rounding them and showing few keeps what a hostile
    kernel can carry through them into the feedback to a few digits per check."""
    f = _flat(v)
    if len(f) == 1:
        return f"{f[0]:.3g}"
    return ("[" + ", ".join(f"{x:.3g}" for x in f[:SHOWN_ITEMS]) + (", ..." if len(f) > SHOWN_ITEMS else "")
            + f"] (shape {_shape(v)})")


def judge(check: dict, value: Any) -> str | None:
    """None if ``value`` passes the recorded ``check``, else a sentence for the student."""
    what, kind, spec = check["what"], check["kind"], check.get("spec") or {}
    hint = spec.get("hint") or ""
    tail = f" {hint}" if hint else ""
    if value is None:
        return f"{what}: no number was reported (expected a number, an array or a plain tensor).{tail}"
    vals = _flat(value)
    if kind == "true":
        return None if vals == [1.0] else f"{what}: this does not hold.{tail}"
    if not vals or not all(math.isfinite(x) for x in vals):
        return f"{what}: expected finite values, got {_fmt(value)}.{tail}"
    if kind == "finite":
        return None
    if kind == "between":
        lo, hi = float(spec["low"]), float(spec["high"])
        ok = len(vals) == 1 and lo <= vals[0] <= hi
        return None if ok else f"{what}: expected a value between {lo:.3g} and {hi:.3g}, got {_fmt(value)}.{tail}"
    if kind == "estimate":
        truth, tol = float(spec["truth"]), float(spec["tol"])
        if len(vals) != 1:
            return f"{what}: expected one number, got {len(vals)}.{tail}"
        if abs(vals[0] - truth) <= tol:
            return None
        side = "below" if vals[0] < truth else "above"
        return (f"{what} {vals[0]:.3g} is {abs(vals[0] - truth):.3g} nats {side} the true value "
                f"{truth:.3g} (allowed: {tol:.3g}).{tail}")
    if kind == "close":
        expected = spec.get("expected")
        expected = check.get("value") if expected is None else expected
        exp = _number(expected)
        if _shape(exp) != _shape(value) and not (len(_flat(exp)) == len(vals) == 1):
            return f"{what}: expected shape {_shape(exp) or 'scalar'}, got {_shape(value) or 'scalar'}.{tail}"
        atol, rtol = float(spec.get("atol", 1e-6)), float(spec.get("rtol", 1e-6))
        bad = [(g, e) for g, e in zip(vals, _flat(exp)) if not abs(g - e) <= atol + rtol * abs(e)]
        if not bad:
            return None
        return (f"{what}: expected {_fmt(exp)}, got {_fmt(value)} (allowed difference "
                f"{atol:.3g} + {rtol:.3g} x |expected|).{tail}")
    return f"{what}: unknown check kind {kind!r}"


@dataclass
class Verdict:
    passed: bool
    messages: list = field(default_factory=list)   # for the student: why it failed, one per line
    review: list = field(default_factory=list)     # for the instructor's review list
    checks: list = field(default_factory=list)     # for the student: each recorded check's outcome


# Exception names a student may be shown: Python's own, and the executor's two.  A kernel
# chooses an error's name and message; any other name is shown as "an error", the message never.
SHOWN_ERRORS = frozenset(
    n for n, v in vars(builtins).items() if isinstance(v, type) and issubclass(v, BaseException)
) | {"CellTimeoutError", "DeadKernelError"}
_ERROR_WORDS = {"CellTimeoutError": "the test ran past its time limit",
                "DeadKernelError": "the kernel had died, or died while the test ran"}


def _error_words(out: dict) -> str:
    name = out.get("ename")
    name = name if isinstance(name, str) and name in SHOWN_ERRORS else ""
    return _ERROR_WORDS.get(name, f"the test stopped with {name or 'an error'}")


def decide(cell: NotebookNode, checks: list | None) -> Verdict:
    """The verdict of one code test cell from its outputs and its recorded ``checks``.

    Every word of the verdict is the grader's: the record's labels, tolerances and hints,
    and the values the kernel reported, rounded (``_fmt``).  Nothing else the kernel wrote
    (an error's message, a report's error text, a label the record does not have) is
    quoted.  A cell fails on an error output, an ``execute_result``, a recorded check not
    reported or failing, a report that carries an error, or a report of a check the record
    does not expect; the last two, and an error next to passing reports, go on the review
    list."""
    messages, review, lines = [], [], []
    errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
    for o in errors:
        messages.append(_error_words(o))
    if any(o.get("output_type") == "execute_result" for o in cell.get("outputs", [])):
        messages.append("the test cell displayed a value: a test cell must not, and earns "
                        "nothing when it does")
        review.append("an execute_result in a test cell (code called by the test displayed a "
                      "value; nbgrader would have read it as partial credit)")
    if checks is None:
        # no record for this cell (a test without checks): the in-kernel outcome, errors only
        return Verdict(not messages, list(dict.fromkeys(messages)), review)
    got: dict[str, list[dict]] = {}
    for r in reports(cell):
        got.setdefault(r["what"], []).append(r)
    known = {c["what"] for c in checks}
    unexpected = [w for w in got if w not in known]
    if unexpected:
        messages.append(f"{len(unexpected)} report(s) of a check this test does not make")
        review.append(f"{len(unexpected)} report(s) of a check the record does not expect "
                      "(a forged report?)")
    all_passed = True
    for check in checks:
        seen = got.get(check["what"], [])
        if not seen:
            all_passed = False
            lines.append(f"not reached: {check['what']}")
            if not messages:
                messages.append(f"the test did not finish the check \"{check['what']}\"")
            continue
        why = None
        for r in seen:
            if r["error"]:
                why = (f"{check['what']}: the value could not be read (expected a number, an array "
                       "or a plain tensor)")
                review.append(f"a report of \"{check['what']}\" arrived with an error")
                break
            why = judge(check, r["value"])
            if why:
                break
        if why:
            all_passed = False
            messages.append(why)
        else:
            value = seen[0]["value"]
            lines.append(f"passed: {check['what']}" + ("" if check["kind"] == "true" or value is None
                                                       else f" (seen {_fmt(value)})"))
    if errors and all_passed and checks:
        review.append("an error output next to reports that all pass (a forged report?)")
    return Verdict(not messages, list(dict.fromkeys(messages)), list(dict.fromkeys(review)), lines)


def decide_notebook(nb: NotebookNode, record_cells: dict) -> dict[str, Verdict]:
    """{grade_id: Verdict} for every code test cell of a graded notebook."""
    out = {}
    for cell in nb.cells:
        if cellmeta.is_test_cell(cell):
            gid = cellmeta.grade_id(cell) or ""
            out[gid] = decide(cell, record_cells.get(gid))
    return out


def annotate(nb: NotebookNode, verdicts: dict[str, Verdict]) -> None:
    """Put the grader's verdict into each test cell as its last output, for the feedback,
    and drop the raw reports (they are for the grader)."""
    import nbformat

    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        cell.outputs = [o for o in cell.get("outputs", [])
                        if not (isinstance(o.get("data"), dict) and REPORT_MIME in o["data"])
                        and o.get("metadata", {}).get(VERDICT_KEY) != "verdict"]
        if not cellmeta.is_test_cell(cell):
            continue
        v = verdicts.get(cellmeta.grade_id(cell) or "")
        if v is None:
            continue
        # failures as "  - " lines (the dashboard counts them), the rest as "  + " lines
        text = (("Graded: every check passed.\n" if v.passed else
                 "Graded: this test failed.\n" + "".join(f"  - {m}\n" for m in v.messages))
                + "".join(f"  + {line}\n" for line in v.checks))
        cell.outputs.append(nbformat.v4.new_output(
            "display_data", data={"text/plain": text}, metadata={VERDICT_KEY: "verdict"}))


# --- making the record -----------------------------------------------------------------------

def record_from_graded(graded_nb: NotebookNode, source_bytes: bytes) -> dict:
    """The record of one notebook from the reference solution's graded run.

    RecordError unless every test cell passed in the kernel (no error, no execute_result),
    every check was reported once per ``what`` with consistent parameters, and each test
    cell made at least one check."""
    cells, problems = {}, []
    for cell in graded_nb.cells:
        if not cellmeta.is_test_cell(cell):
            continue
        gid = cellmeta.grade_id(cell) or ""
        bad = [o for o in cell.get("outputs", []) if o.get("output_type") in ("error", "execute_result")]
        if bad:
            o = bad[0]
            problems.append(f"{gid}: the reference solution's run has an {o.get('output_type')} "
                            f"({o.get('ename', '')}: {str(o.get('evalue', ''))[:300]})")
            continue
        checks: dict[str, dict] = {}
        for r in reports(cell):
            if r["error"] or r["value"] is None:
                problems.append(f"{gid}: check {r['what']!r} reported no value ({r['error']})")
                continue
            entry = {"what": r["what"], "kind": r["kind"], "value": r["value"], "spec": r["spec"]}
            if r["what"] in checks and checks[r["what"]] != entry:
                problems.append(f"{gid}: two different checks are named {r['what']!r}")
            checks[r["what"]] = entry
            why = judge(entry, r["value"])
            if why:
                problems.append(f"{gid}: the reference solution fails its own check: {why}")
        if not checks:
            problems.append(f"{gid}: the test cell reported no check (every test needs at least one "
                            "helpers.checks check_* call)")
        cells[gid] = list(checks.values())
    if problems:
        raise RecordError("cannot record: " + "; ".join(problems))
    return {"source_digest": source_digest(source_bytes), "cells": cells}
