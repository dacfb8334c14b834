"""Before and after ``nbgrader autograde``: stage the submissions, then judge the results.

``stage`` copies what will be graded into a private folder that nbgrader
reads as its ``submitted/`` (the students' hand-ins in ``submitted/`` are
never changed): the release's notebooks only, plus ``timestamp.txt``.

- a notebook that is not valid JSON or not a valid notebook, or that is
  missing, is replaced by the untouched release notebook (which earns zero);
- a single notebook named differently from the release is graded under the
  release's name;
- other files are left out (a ``numpy.py`` next to the notebook would
  otherwise shadow the real module in the kernel).

``finish`` runs the tamper checks on each autograded notebook, zeroes the
affected test cells in the gradebook, and writes the review list.
"""
from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

import nbformat

from . import review, tamper
from .report import db_url

MESSAGES = [  # (pattern in a test or answer cell's error, message for the review list)
    ("did not stop when interrupted", "a cell ran past the time limit and ignored the interrupt: "
                                      "the cells after it were not run"),
    ("CellTimeoutError", "a cell ran past the time limit and was stopped"),
    ("DeadKernelError", "the kernel died (it exited, was killed or ran out of memory): the cells after it were not run"),
    ("MemoryError", "a cell ran out of memory (the sandbox caps each kernel's memory)"),
    ("BlockingIOError", "a cell tried to start too many processes (the sandbox caps them)"),
    ("Kernel died", "the kernel died while a cell ran"),
]


class Staged:
    def __init__(self, course):
        root = Path(course) / ".grading"
        root.mkdir(exist_ok=True)
        self.dir = Path(tempfile.mkdtemp(prefix="stage", dir=root))
        self.submitted = self.dir / "submitted"
        self.submitted.mkdir()
        self.students, self.notices = [], {}

    def close(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def notebook_names(course, assignment):
    return sorted(p.name for p in (Path(course) / "source" / assignment).glob("*.ipynb"))


def _readable(path):
    try:
        nb = nbformat.read(str(path), as_version=4)
        nbformat.validate(nb)
        return None
    except Exception as exc:  # invalid JSON, not a notebook, wrong schema
        return f"{type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}"


def stage(course, assignment, student=None):
    course = Path(course)
    staged = Staged(course)
    students = [student] if student else sorted(
        p.parent.name for p in (course / "submitted").glob(f"*/{assignment}") if p.is_dir())
    names = notebook_names(course, assignment)
    for s in students:
        src = course / "submitted" / s / assignment
        dest = staged.submitted / s / assignment
        dest.mkdir(parents=True)
        notes = staged.notices.setdefault(s, [])
        if not src.is_dir():
            notes.append(f"no submission folder submitted/{s}/{assignment}/: graded zero")
        handed = sorted(p.name for p in src.glob("*.ipynb")) if src.is_dir() else []
        strays = [n for n in handed if n not in names]
        for name in names:
            chosen = name if name in handed else None
            if chosen is None and len(names) == 1 and len(strays) == 1:
                chosen = strays.pop()
                notes.append(f"graded {chosen} as {name} (the release's name)")
            problem = _readable(src / chosen) if chosen else None
            if chosen and not problem:
                shutil.copy(src / chosen, dest / name)
                continue
            notes.append(f"{chosen} is not a readable notebook ({problem}): graded as the "
                         "untouched release, zero" if chosen else
                         f"no {name} handed in: graded as the untouched release, zero")
            release = course / "release" / assignment / name
            if release.exists():
                shutil.copy(release, dest / name)
            else:
                nbformat.write(nbformat.v4.new_notebook(), str(dest / name))
        if (src / "timestamp.txt").is_file():
            shutil.copy(src / "timestamp.txt", dest / "timestamp.txt")
        extra = sorted(str(p.relative_to(src)) for p in src.rglob("*") if p.is_file()
                       and p.name != "timestamp.txt" and not (p.suffix == ".ipynb" and p.parent == src)
                       and ".ipynb_checkpoints" not in p.parts) if src.is_dir() else []
        extra += strays
        if extra:
            notes.append("left out of grading (only the notebook is graded): " + ", ".join(extra[:10]))
        staged.students.append(s)
    return staged


def _messages(nb):
    """One message per kind of breakage, naming the cells it hit."""
    found = {}
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") != "error":
                continue
            text = f"{out.get('ename', '')}: {out.get('evalue', '')}"
            gid = cell.metadata.get("nbgrader", {}).get("grade_id", "?")
            for pattern, message in MESSAGES:
                if pattern in text:
                    found.setdefault(message, []).append(gid)
                    break
    return [f"{m} (cells: {', '.join(dict.fromkeys(cells))})" for m, cells in found.items()]


def finish(course, assignment, staged, proc=None, url=None):
    """Tamper checks, zeroing and the review list for each staged student; return those graded."""
    course = Path(course)
    graded = []
    for s in staged.students:
        rows = [dict(kind="notice", tests="", reason=n) for n in staged.notices.get(s, [])]
        for name in notebook_names(course, assignment):
            out = course / "autograded" / s / assignment / name
            if not out.exists():
                tail = re.sub(r"\s+", " ", (proc.stdout if proc else "")[-300:])
                rows.append(dict(kind="tamper", tests="", reason=f"autograde failed for {name}: {tail}"))
                continue
            nb = nbformat.read(str(out), as_version=4)
            source = nbformat.read(str(course / "source" / assignment / name), as_version=4)
            tests, reasons = tamper.check(source, nb)
            if tests:
                rows.append(dict(kind="tamper", tests=" ".join(tests), reason="; ".join(reasons),
                                 notebook=name.removesuffix(".ipynb")))
            rows += [dict(kind="notice", tests="", reason=m) for m in _messages(nb)]
            graded.append(s)
        record_findings(course, assignment, s, rows, url or db_url(course))
    return graded


def record_findings(course, assignment, student, rows, url):
    """Put a student's findings on the review list and zero the tampered tests.

    ``rows``: review rows (kind, tests, reason).  Tests zeroed by an earlier
    grading that this one does not flag get their automatic score back.
    """
    from nbgrader.api import Gradebook, MissingEntry

    zero = {}
    for r in rows:
        if r["kind"] == "tamper" and r.get("tests"):
            zero.setdefault(r.get("notebook") or "", set()).update(r["tests"].split())
    old = review.replace(course, assignment, student,
                         [{k: r[k] for k in ("kind", "tests", "reason")} for r in rows])
    previously = {t for r in old if r["kind"] == "tamper" for t in r["tests"].split()}
    flagged = set().union(*zero.values()) if zero else set()
    with Gradebook(url) as gb:
        for name in notebook_names(course, assignment):
            nb_id = name.removesuffix(".ipynb")
            try:
                sub = gb.find_submission_notebook(nb_id, assignment, student)
            except MissingEntry:
                continue
            for g in sub.grades:
                if g.name in zero.get(nb_id, set()) | zero.get("", set()):
                    g.manual_score = 0.0
                elif g.name in previously and g.name not in flagged and g.cell.cell_type == "code":
                    g.manual_score = None
        gb.db.commit()
