"""Before and after a grading job: what is graded, and what the result tells.

``collect`` reads a hand-in from ``submitted/<student>/<assignment>/`` into
memory, without following links and size-capped (grading/safeio.py); the job
gets those bytes, never a path into ``submitted/``, which is never changed.

- a notebook that is a link, a special file, too large, not valid JSON or not
  a valid notebook, or that is missing, is replaced by the untouched release
  notebook (which earns zero), with a notice for the review list;
- a single notebook named differently from the release is graded under the
  release's name;
- other files are left out (a ``numpy.py`` next to the notebook would
  otherwise shadow the real module in the kernel).

``findings`` turns a graded notebook into review rows (tampering, code that
reaches internals, breakage), and ``record_findings`` stores them: the review
list, and zero for the tampered tests in the gradebook.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Mapping, Sequence

import nbformat

if TYPE_CHECKING:
    from nbformat import NotebookNode
    from nbgrader.coursedir import CourseDirectory

from . import cells, review, safeio, tamper
from .findings import Finding
from .course import coursedir, step_path

MESSAGES = [  # (pattern in a test or answer cell's error, message for the review list)
    ("did not stop when interrupted", "a cell ran past the time limit and ignored the interrupt: "
                                      "the cells after it were not run"),
    ("CellTimeoutError", "a cell ran past the time limit and was stopped"),
    ("DeadKernelError", "the kernel died (it exited, was killed or ran out of memory): the cells after it were not run"),
    ("MemoryError", "a cell ran out of memory (the sandbox caps each kernel's memory)"),
    ("BlockingIOError", "a cell tried to start too many processes (the sandbox caps them)"),
    ("Kernel died", "the kernel died while a cell ran"),
]


def notebook_names(course: str | Path, assignment: str, cd: CourseDirectory | None = None) -> list[str]:
    """The notebooks of the assignment's source folder (the course's paths: grading/course.py)."""
    return sorted(p.name for p in (Path(course) / step_path(course, "source", assignment, cd=cd))
                  .glob("*.ipynb"))


def _readable(data: bytes) -> str | None:
    """None if ``data`` is a valid notebook, else why not (one line, no contents)."""
    try:
        nb = nbformat.reads(data.decode("utf-8"), as_version=4)
        nbformat.validate(nb)
        return None
    except Exception as exc:  # invalid UTF-8 or JSON, not a notebook, wrong schema
        return why_unreadable(exc)


def why_unreadable(exc: Exception) -> str:
    """The kind of problem and where it is, never the file's own text: nbformat's and
    jsonschema's messages quote it (``Notebook does not appear to be JSON: '{"cells"...'``,
    ``{'cell_type': 'codex', 'source': ...} is not valid``), and a student could write
    anything there, a line that reads like another entry of the review list included."""
    name = type(exc).__name__
    if isinstance(exc, UnicodeDecodeError):
        return f"{name}: {exc.reason} at byte {exc.start}"
    cause = exc if isinstance(exc, json.JSONDecodeError) else exc.__cause__
    if isinstance(cause, json.JSONDecodeError):  # nbformat's NotJSONError wraps it
        return f"{name}: {cause.msg} (line {cause.lineno}, column {cause.colno})"
    check = getattr(exc, "validator", None)  # a schema error: which check failed, and where
    if isinstance(check, str):
        path = getattr(exc, "absolute_path", None) or getattr(exc, "path", None) or []
        # the keys of a path are the student's too: only plain schema-like names are shown
        where = "/".join(str(p) if isinstance(p, int) or re.fullmatch(r"[a-z_]{1,32}", str(p)) else "?"
                         for p in path)
        return f"{name}: fails the notebook schema's {check!r} check at /{where}"
    return f"{name}: not a notebook that nbformat can read" if "Validation" in name else name


def _restored(course: str | Path, assignment: str, name: str, data: bytes,
              cd: CourseDirectory | None = None) -> tuple[bytes, list[str]]:
    """The hand-in's bytes with its test cells restored (``restore_test_cells``), or as they
    are where nothing needed restoring."""
    src = Path(course) / step_path(course, "source", assignment, cd=cd) / name
    if not src.is_file():
        return data, []
    nb = nbformat.reads(data.decode("utf-8"), as_version=4)
    notes = restore_test_cells(nb, nbformat.read(str(src), as_version=4))
    if not notes:
        return data, []
    return nbformat.writes(nb).encode(), notes


def _release_or_empty(course: str | Path, assignment: str, name: str,
                      cd: CourseDirectory | None = None) -> bytes:
    release = Path(course) / step_path(course, "release", assignment, cd=cd) / name
    if release.is_file():
        return release.read_bytes()
    return nbformat.writes(nbformat.v4.new_notebook()).encode()


def _stand_in(course: str | Path, assignment: str, names: list[str],
              cd: CourseDirectory | None = None) -> str:
    """What a refused or missing notebook is graded as, in the notices' words: the untouched
    release; or, where the course has no release of it (nbgrader grades without release/),
    an empty notebook (its tests are put back and score zero all the same)."""
    release = step_path(course, "release", assignment, cd=cd)
    missing = [n for n in names if not (Path(course) / release / n).is_file()]
    if not missing:
        return "the untouched release"
    return f"an empty notebook (the course has no {release}/{', '.join(missing)})"


def restore_test_cells(nb: NotebookNode, source_nb: NotebookNode) -> list[str]:
    """Put ``nb``'s test cells back as the source has them, in place; return the notices.

    A second cell with the grade id of an earlier one (a duplicated test or answer cell)
    is removed: nbgrader stops on it and refuses the whole notebook.  A test cell of the
    source that ``nb`` lacks (deleted, or turned into another kind of cell and so removed
    here too) is put back from the source at its place: after the cell that precedes it
    in the source.  nbgrader then restores every test cell's source as it does for an
    edited one, and the rest is graded as handed in."""
    notes, seen, kept = [], set(), []
    for cell in nb.cells:
        gid = cells.grade_id(cell)
        if gid is not None and gid in seen:
            notes.append(f"a second copy of cell {gid} was removed")
            continue
        if gid is not None:
            seen.add(gid)
        kept.append(cell)
    nb.cells = kept
    for i, cell in enumerate(source_nb.cells):
        gid = cells.grade_id(cell)
        if gid is None or gid in seen or not (cells.is_grade(cell) and not cells.is_solution(cell)
                                              and cell.cell_type == "code"):
            continue
        before = [cells.grade_id(c) for c in source_nb.cells[:i] if cells.grade_id(c) in seen]
        at = next((k + 1 for k, c in enumerate(nb.cells) if before and cells.grade_id(c) == before[-1]), 0)
        fresh = nbformat.from_dict(json.loads(json.dumps(cell)))
        fresh.outputs, fresh.execution_count = [], None
        fresh.pop("id", None)
        if nb.get("nbformat", 4) == 4 and nb.get("nbformat_minor", 5) >= 5:
            fresh["id"] = f"restored-{i}"
        nb.cells.insert(at, fresh)
        seen.add(gid)
        notes.append(f"test cell {gid} was missing: put back from the source at its place")
    return notes


def collect(course: str | Path, assignment: str, student: str,
            cd: CourseDirectory | None = None) -> tuple[dict[str, bytes], list[str]]:
    """What will be graded of ``submitted/<student>/<assignment>/``: ({name: bytes}, notices).

    Read without following links (grading/safeio.py): a hand-in folder or notebook that
    is a link, a FIFO or a device, or a notebook over the size limit, is refused, and the
    untouched release is graded in its place (zero), with a notice (an empty notebook where
    the course has no release of it, and the notice says so).  An unreadable or
    missing notebook is replaced the same way; a single notebook named differently from
    the release is graded under the release's name; other files are left out (a
    ``numpy.py`` next to the notebook would otherwise shadow the real module).

    The folders are the course's (grading/course.py, ``step_path``); ``cd``: its
    CourseDirectory, where the caller has it already.
    """
    course = Path(course)
    cd = cd or coursedir(course)   # the course's paths, relative to it: safeio walks them from the root
    names = notebook_names(course, assignment, cd)
    files, notes = {}, []
    instead = _stand_in(course, assignment, names, cd)
    rel = step_path(course, "submitted", assignment, student, cd=cd)
    kinds = {p: safeio.kind_of(course, p)
             for p in (step_path(course, "submitted", ".", student, cd=cd), rel)}
    entries = {}
    if all(k == "dir" for k in kinds.values()):
        try:
            entries = safeio.list_dir(course, rel)
        except safeio.Refused as exc:
            notes.append(f"the submission folder could not be read ({exc}): graded as {instead}, zero")
    else:
        bad = next(p for p, k in kinds.items() if k != "dir")
        what = {"link": "is a symbolic link (refused)", "missing": "does not exist",
                "file": "is a file, not a folder", "special": "is a special file (refused)"}[kinds[bad]]
        notes.append(f"{bad}/ {what}: graded as {instead}, zero")
    # the course's own files: a hand-in that is one of them (a hard link, a bind mount) is refused
    own = safeio.inodes(course, [step_path(course, "source", cd=cd), step_path(course, "release", cd=cd),
                                 "expected", "gradebook.db", "nbgrader_config.py"])
    handed = sorted(n for n in entries if n.endswith(".ipynb"))
    strays = [n for n in handed if n not in names]
    for name in names:
        chosen = name if name in handed else None
        if chosen is None and len(names) == 1 and len(strays) == 1:
            chosen = strays.pop()
            notes.append(f"graded {chosen} as {name} (the release's name)")
        problem = None
        if chosen:
            try:
                data = safeio.read_file(course, f"{rel}/{chosen}", forbidden=own)
                problem = _readable(data)
            except safeio.Refused as exc:
                problem = str(exc)
        if chosen and not problem:
            files[name], restored = _restored(course, assignment, name, data, cd)
            notes += [f"{name}: {n}" for n in restored]
            continue
        if chosen:
            notes.append(f"{chosen} is not a readable notebook ({problem}): graded as {instead}, zero")
        elif entries or not notes:
            notes.append(f"no {name} handed in: graded as {instead}, zero")
        files[name] = _release_or_empty(course, assignment, name, cd)
    if entries.get("timestamp.txt") == "file":
        try:
            files["timestamp.txt"] = safeio.read_file(course, f"{rel}/timestamp.txt", safeio.SMALL_LIMIT,
                                                       forbidden=own)
        except safeio.Refused as exc:
            notes.append(f"timestamp.txt ignored: {exc}")
    # a timestamp.txt that is a link or a special file is refused below, with the others
    extra = sorted(n for n in entries if n not in files and (n, entries[n]) != ("timestamp.txt", "file")
                   and n != ".ipynb_checkpoints" and n not in handed) + strays
    links = [n for n in extra if entries.get(n) in ("link", "special")]
    if links:
        notes.append("refused (links or special files are never read): " + ", ".join(links[:10]))
    extra = [n for n in extra if n not in links]
    if extra:
        notes.append("left out of grading (only the notebook is graded): " + ", ".join(extra[:10]))
    return files, notes


def _messages(nb: NotebookNode) -> list[str]:
    """One message per kind of breakage, naming the cells it hit."""
    found: dict[str, list[str]] = {}
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") != "error":
                continue
            text = f"{out.get('ename', '')}: {out.get('evalue', '')}"
            gid = cells.grade_id(cell) or "?"
            for pattern, message in MESSAGES:
                if pattern in text:
                    found.setdefault(message, []).append(gid)
                    break
    return [f"{m} (cells: {', '.join(dict.fromkeys(cells))})" for m, cells in found.items()]


def findings(source_nbs: Mapping[str, NotebookNode], graded_nbs: Mapping[str, NotebookNode],
             notices: Iterable[str] = ()) -> list[Finding]:
    """The findings of one graded submission (nothing is stored here).

    ``source_nbs``/``graded_nbs``: {notebook name: NotebookNode}.  Tampering that was
    detected zeroes the tests it affects (kind "tamper"); code that reaches internals
    goes on the review list only (kind "review"); breakage is a "notice".
    """
    rows = [Finding("notice", n) for n in notices]
    for name, nb in graded_nbs.items():
        source = source_nbs[name]
        nb_id = name.removesuffix(".ipynb")
        tests, reasons = tamper.check(source, nb)
        if tests or reasons:
            rows.append(Finding("tamper", "; ".join(reasons), tuple(tests), nb_id))
        for reason in tamper.suspicious(source, nb):
            rows.append(Finding("review", reason, notebook=nb_id))
        rows += [Finding("notice", m, notebook=nb_id) for m in _messages(nb)]
    return rows


def record_findings(course: str | Path, assignment: str, student: str,
                    rows: Sequence[Finding], url: str,
                    cd: CourseDirectory | None = None) -> None:
    """Put a student's findings on the review list and zero the tampered tests.

    ``rows``: the findings.  Tests zeroed by an earlier
    grading that this one does not flag get their automatic score back.  ``cd``: the
    course's CourseDirectory, where the caller has it already (the writer does).
    """
    from nbgrader.api import Gradebook, MissingEntry

    def tampered(rs: Sequence[Finding]) -> dict[str, set[str]]:
        """{notebook id: tests zeroed}; "" (a row that names no notebook): in every notebook."""
        out: dict[str, set[str]] = {}
        for r in rs:
            if r.kind == "tamper" and r.tests:
                out.setdefault(r.notebook, set()).update(r.tests)
        return out

    zero = tampered(rows)
    old = review.replace(course, assignment, student, rows)
    previously = tampered(old)
    with Gradebook(url) as gb:
        for name in notebook_names(course, assignment, cd):
            nb_id = name.removesuffix(".ipynb")
            try:
                sub = gb.find_submission_notebook(nb_id, assignment, student)
            except MissingEntry:
                continue
            # per notebook: two notebooks may have test cells of the same name
            now = zero.get(nb_id, set()) | zero.get("", set())
            before = previously.get(nb_id, set()) | previously.get("", set())
            for g in sub.grades:
                if g.name in now:
                    g.manual_score = 0.0
                    g.needs_manual_grade = False  # the grader's own decision, not a person's to make
                elif g.name in before and g.cell.cell_type == "code":
                    g.manual_score = None
                    g.needs_manual_grade = False
        gb.db.commit()
