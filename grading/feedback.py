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
