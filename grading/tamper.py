"""Tamper detection: code in a student's cells that patches or reads the test machinery.

The verdicts of hidden tests are decided outside the student's kernel (the
grader compares the reported values with its own record), so nothing the
kernel does can turn a failing hidden check into a pass.  This module sorts
what the student's code does to the machinery into two classes:

- **Detected tampering** (``check``): code that changes what the tests run:
  attributes of the modules the tests call written or deleted
  (``np.isclose = ...``, ``helpers.checks.check_close = ...``), the locked
  cells' functions and classes redefined, IPython's input or AST transformers,
  hooks and exception handlers changed, trace or profile hooks installed, the
  integrity seal re-made or edited, and what the in-kernel integrity check
  (``helpers.checks.check_integrity``) reported as ``TamperDetected``.  The
  test cells from the first such cell on are zeroed, and the submission goes
  on the review list with the reason.
- **Reaching internals** (``suspicious``): code that reads or reaches what a
  solution never needs: IPython's input history (``In``, ``_ii``, ``%history``,
  the history manager), frames and tracebacks (``sys._getframe``, ``inspect``,
  ``f_back``, ``__traceback__``, ``linecache``, ``traceback``), dunder
  attributes and dunder or private names built from strings (``getattr(m,
  "__set" + "attr__")``), anything of ``helpers.checks`` beyond its public
  checks (``seal``, ``_SEAL``, ``integrity_problems``, ``report``, ...),
  ``exec``/``eval``/``compile``, ``ctypes``, ``gc``, ``sys.modules``,
  ``importlib``, builtins, display hooks (an ``execute_result`` emitted from
  code a test cell calls), signal handlers (they receive the running frame),
  warnings or logs with a stack level (they print the caller's source line),
  ``/proc``.  These go on the review list and zero nothing: a person decides.

What never flags: importing any module installed in the environment (the
same name the setup cell imported included, as ``from tqdm import trange``
after ``from tqdm.auto import trange``), defining functions and classes under
new names, adding cells, printing, plotting, setting plotting or torch
backend options.

The scan is static (AST, with IPython's own transforms of magics): code that
is built at run time and run with ``exec`` is itself a finding, but a scan
cannot follow every spelling.  Not caught statically: an object reached
through a chain the scan cannot name (``m = [np][0]; m.isclose = ...`` is
left to the in-kernel integrity check), names built by other means than
constant concatenation, joins, f-strings, ``chr`` and reversal, and code in
files the notebook writes and then imports (the import itself is reviewed
when the module is not installed).  The verdicts outside the kernel are the
guarantee; the scan is what puts the attempt in front of a person.

The parts: ``tamper_tables`` (what the two classes are made of),
``tamper_cells`` (reading a cell, and what the source notebook's locked cells
define), ``tamper_scan`` (one cell's findings); this module checks a notebook.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from . import cells
from .tamper_cells import Context
from .tamper_scan import scan_cell

if TYPE_CHECKING:
    from nbformat import NotebookNode

def scan_source(source: str, ctx: Context) -> list[str]:
    """Every reason one cell's code may tamper with or reach the tests ([] if none)."""
    zero, review = scan_cell(source, ctx)
    return zero + review


def scan(source_nb: NotebookNode, graded_nb: NotebookNode
         ) -> list[tuple[int, str | None, list[str], list[str]]]:
    """[(cell index, grade_id or None, zero reasons, review reasons)] for the student's cells."""
    ctx = Context(source_nb)
    ctx.learn(graded_nb)
    out = []
    for i, cell in ctx.student_cells(graded_nb):
        zero, review = scan_cell(cell.source, ctx)
        if zero or review:
            out.append((i, cells.grade_id(cell), zero, review))
    return out


def kernel_findings(graded_nb: NotebookNode) -> list[tuple[int, str | None, str]]:
    """[(cell index, grade_id, message)] of test cells whose integrity check failed in the kernel."""
    out = []
    for i, cell in enumerate(graded_nb.cells):
        for o in cell.get("outputs", []):
            if o.get("output_type") == "error" and o.get("ename") == "TamperDetected":
                out.append((i, cells.grade_id(cell), str(o.get("evalue", ""))))
    return out


def affected(graded_nb: NotebookNode, first_index: int) -> list[str]:
    """grade_ids of the autograded test cells at or after ``first_index``."""
    return [cells.meta(c)["grade_id"] for i, c in enumerate(graded_nb.cells)
            if i >= first_index and c.cell_type == "code" and cells.is_grade(c)]


def _where(i: int, gid: str | None) -> str:
    return f"cell {gid or f'#{i}'}"


def check(source_nb: NotebookNode, graded_nb: NotebookNode) -> tuple[list[str], list[str]]:
    """(test grade_ids to zero, reasons) for detected tampering in one graded notebook.

    ``reasons`` lists every finding, also one whose tests list is empty (a patch
    after the last test cell affects no test, but it still belongs on the review
    list): record a review row whenever ``reasons`` is not empty.  ``([], [])``
    when clean.
    """
    firsts, reasons = [], []
    for i, gid, zero, _ in scan(source_nb, graded_nb):
        if zero:
            firsts.append(i)
            reasons.append(f"{_where(i, gid)}: " + "; ".join(zero))
    # the in-kernel check fails every test cell after a patch with the same message: one
    # reason per message, naming its tests
    said: dict[str, list[str]] = {}
    for i, gid, msg in kernel_findings(graded_nb):
        firsts.append(i)
        said.setdefault(msg, []).append(gid or f"#{i}")
    for msg, tests in said.items():
        tests = list(dict.fromkeys(tests))
        reasons.append(f"test{'s' if len(tests) > 1 else ''} {', '.join(tests)}: {msg}")
    if not firsts:
        return [], []
    return affected(graded_nb, min(firsts)), reasons


def suspicious(source_nb: NotebookNode, graded_nb: NotebookNode) -> list[str]:
    """Reasons (one per cell) why the student's code reaches the test machinery's internals.

    For the review list only: they zero nothing.  Findings already in
    ``check`` (detected tampering) are not repeated here.  [] when clean.
    """
    return [f"{_where(i, gid)}: " + "; ".join(review)
            for i, gid, _, review in scan(source_nb, graded_nb) if review]
