"""Feedback that fails closed: no hidden test, no solution, no active content.

Feedback is written by the grader.  ``GraderOnlyOutputs`` runs first and removes
every output the kernel produced: what a student reads of a code cell is its
source and, for a test cell, the grader's verdict (grading/verdicts.py: each
check's label, pass or fail, the value seen to 3 significant digits, the
expected value and tolerance, the hint).  Any code running in the kernel after
a hidden test line reached it could carry that line into any output, in any
encoding; no output of the kernel reaches feedback, so none can.

Then two preprocessors, kept as a second line of defence on what is left:

- ``ScrubTestCells`` removes the hidden region from every grade cell's source
  and replaces each error traceback of a grade cell by its last line
  (exception name and message), which the tests word for the student.
- ``ScrubOutputs`` checks every output of every cell (streams, error names,
  values and tracebacks, ``execute_result`` and ``display_data`` of every MIME
  type) against the hidden-test and solution lines of the SOURCE notebook
  (``secret_lines``), and replaces a matching output by a visible note.  It
  drops the grader's check reports (``REPORT_MIME``), and shows student HTML,
  JavaScript, SVG, Markdown, LaTeX and any other active MIME type as plain
  text (``sanitize_notebook``, which the grader's writer also applies to the
  autograded notebook that formgrader renders).  If the source notebook cannot
  be read, every output is removed: nothing is shown that was not checked.

What the leak check catches: a secret line (12 characters or more once
normalized) anywhere in the text of the outputs, after HTML tags are dropped,
HTML entities, ``\\u``/``\\x`` and URL escapes decoded (three levels deep),
Unicode folded (NFKC) and case-folded, quotes unified, ANSI escapes,
zero-width characters, backslashes and every whitespace removed, and
the outputs of the whole notebook concatenated in order (so a line split
across prints, cells or outputs is still found; every output that holds part
of a match is removed).  What it does not catch: any reversible encoding the
student's code applies (base64, reversal, ROT13, characters interleaved with
noise, compression, text drawn into an image), and lines shorter than 12
characters.  Those need the student to read the hidden tests in the first
place, which the kernel can do (IPython's history, the test cell's frame):
the grader's scan (grading/tamper.py) puts such code on the review list.

The parts: ``leakcheck`` (secret lines, normalizing, matching) and ``sanitize``
(outputs that fail closed) are pure functions; this module holds the two
preprocessors that nbgrader runs.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from nbconvert.preprocessors import Preprocessor
from traitlets import Bool

from . import cells
from .leakcheck import ANSI, BEGIN, secret_patterns, strip_hidden
from .sanitize import scrub_outputs
from .cells import is_test_cell
from .verdicts import VERDICT_KEY

if TYPE_CHECKING:
    from nbformat import NotebookNode


def grader_only(nb: NotebookNode) -> int:
    """Every output the kernel made removed from ``nb`` (in place); returns how many.

    What stays of a code cell is its source, and in a test cell the grader's verdict
    (the output tagged ``{VERDICT_KEY: "verdict"}``, which only the grader's writer adds:
    grading/verdicts.annotate drops any output a kernel tagged so).  Execution counts and
    cell metadata other than nbgrader's go too: nbclient copies them from the kernel's
    replies.  See docs/grading-note.md for why all outputs go, not only the later ones."""
    removed = 0
    for cell in nb.cells:
        if cell.get("cell_type") != "code":
            continue
        outs = cell.get("outputs", []) or []
        keep = [o for o in outs if is_test_cell(cell) and isinstance(o, dict)
                and isinstance(o.get("metadata"), dict) and o["metadata"].get(VERDICT_KEY) == "verdict"
                and o.get("output_type") == "display_data"][-1:]
        removed += len(outs) - len(keep)
        cell["outputs"] = keep
        cell["execution_count"] = None
        meta = cell.get("metadata") or {}
        cell["metadata"] = {"nbgrader": meta["nbgrader"]} if isinstance(meta.get("nbgrader"), dict) else {}
    return removed


class GraderOnlyOutputs(Preprocessor):
    """Feedback written by the grader: every kernel output removed (``grader_only``)."""

    enabled = Bool(True).tag(config=True)

    def preprocess(self, nb: NotebookNode, resources: dict[str, Any]) -> tuple[NotebookNode, dict[str, Any]]:
        grader_only(nb)
        return nb, resources


class ScrubTestCells(Preprocessor):
    """Drop hidden-test source and traceback frames from grade (test) cells."""

    # nbconvert preprocessors are off unless enabled; nbgrader registers this
    # one by name from GenerateFeedback.preprocessors, so it must be on by default.
    enabled = Bool(True).tag(config=True)

    def preprocess_cell(self, cell: NotebookNode, resources: dict[str, Any], index: int
                        ) -> tuple[NotebookNode, dict[str, Any]]:
        if cell.cell_type != "code" or not (cells.is_grade(cell) or BEGIN in cell.source):
            return cell, resources
        cell.source = strip_hidden(cell.source)
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                message = f"{out.get('ename', 'Error')}: {ANSI.sub('', str(out.get('evalue', '')))}"
                out["traceback"] = [message]
        return cell, resources


class ScrubOutputs(Preprocessor):
    """Every output leak-checked against the source notebook, reports dropped, HTML inert."""

    enabled = Bool(True).tag(config=True)

    def _source_path(self, resources: dict[str, Any] | None) -> Path | None:
        from nbgrader.coursedir import CourseDirectory

        info = (resources or {}).get("nbgrader", {})
        assignment, notebook = info.get("assignment"), info.get("notebook")
        if not assignment or not notebook:
            return None
        coursedir = CourseDirectory(config=self.config)
        folder = coursedir.format_path(coursedir.source_directory, ".", assignment)
        return Path(folder) / f"{notebook}.ipynb"

    def preprocess(self, nb: NotebookNode, resources: dict[str, Any]) -> tuple[NotebookNode, dict[str, Any]]:
        import nbformat

        path = self._source_path(resources)
        try:
            patterns = secret_patterns(nbformat.read(str(path), as_version=4)) if path else None
        except Exception as exc:  # noqa: BLE001  (unreadable in any way: fail closed)
            self.log.warning("feedback: cannot read the source notebook %s (%s): every output "
                             "is removed", path, exc)
            patterns = None
        removed = scrub_outputs(nb, patterns)
        if removed:
            self.log.warning("feedback: %d output(s) removed for hidden test text", removed)
        return nb, resources
