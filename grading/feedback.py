"""Feedback that never shows hidden tests.

nbgrader's feedback HTML shows every test cell whole, hidden tests included,
and a failing hidden assert shows its source line in the traceback.  This
preprocessor, run by ``generate_feedback``, removes the hidden region from
every grade cell and replaces each error traceback of a grade cell by its
last line (exception name and message), which the tests word for the student.
"""
from __future__ import annotations

import re

from nbconvert.preprocessors import Preprocessor
from traitlets import Bool

BEGIN, END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def strip_hidden(source):
    """Source with every BEGIN/END HIDDEN TESTS region removed (an unclosed one runs to the end)."""
    out, hidden = [], False
    for line in source.splitlines():
        if BEGIN in line:
            hidden = True
            continue
        if END in line:
            hidden = False
            continue
        if not hidden:
            out.append(line)
    return "\n".join(out).rstrip() + ("\n" if out else "")


class ScrubTestCells(Preprocessor):
    """Drop hidden-test source and traceback frames from grade (test) cells."""

    # nbconvert preprocessors are off unless enabled; nbgrader registers this
    # one by name from GenerateFeedback.preprocessors, so it must be on by default.
    enabled = Bool(True).tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code" or not (meta.get("grade") or BEGIN in cell.source):
            return cell, resources
        cell.source = strip_hidden(cell.source)
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                message = f"{out.get('ename', 'Error')}: {ANSI.sub('', str(out.get('evalue', '')))}"
                out["traceback"] = [message]
        return cell, resources


def secret_lines(source_nb):
    """Lines of a source notebook that students must never see, stripped of indentation.

    A line counts if it sits in a solution (between the SOLUTION markers, or a
    whole written-answer cell) or in a hidden-test region, and does not also
    occur in the public part of the notebook (a generic line such as
    ``check_close(`` that visible code shares is not a secret).
    """
    public, secret = set(), []
    for cell in source_nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        lines = cell.source.splitlines()
        if meta.get("solution") and cell.cell_type == "markdown":
            secret += lines
            continue
        inside = False
        for line in strip_hidden(cell.source).splitlines():
            if "### BEGIN SOLUTION" in line or "### END SOLUTION" in line:
                inside = "BEGIN" in line
            elif inside:
                secret.append(line)
            else:
                public.add(line.strip())
        visible = set(strip_hidden(cell.source).splitlines())
        secret += [ln for ln in lines if ln not in visible and "HIDDEN TESTS" not in ln]
    return sorted({s.strip() for s in secret if s.strip() and s.strip() not in public})


def leaks(text, source_nb, min_len=12, substring_len=40):
    """Secret lines of ``source_nb`` that occur in ``text``.

    A secret of ``min_len`` characters or more leaks if it is a line of the
    text; one of ``substring_len`` or more also if it occurs inside a line
    (shorter pieces such as ``loss.backward()`` may be quoted in prose).
    """
    lines = {ln.strip() for ln in text.splitlines()}
    return [s for s in secret_lines(source_nb)
            if (len(s) >= min_len and s in lines) or (len(s) >= substring_len and s in text)]
