"""nbgrader's metadata of a cell, read in one place.

A graded notebook comes from a student: its JSON passed nbformat's schema, which
says nothing of ``metadata.nbgrader``. So ``meta`` answers ``{}`` for anything that
is not a mapping, instead of raising on ``.get`` of a string or a list.  The flags
(grade, solution, locked) are those of nbgrader's own ``nbgrader.utils``.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def meta(cell: Mapping[str, Any]) -> Mapping[str, Any]:
    """The cell's ``metadata.nbgrader``, or ``{}`` when it is missing or not a mapping."""
    metadata = cell.get("metadata")
    found = metadata.get("nbgrader") if isinstance(metadata, Mapping) else None
    return found if isinstance(found, Mapping) else {}


def grade_id(cell: Mapping[str, Any]) -> str | None:
    """The cell's nbgrader grade_id, if it has a string one."""
    gid = meta(cell).get("grade_id")
    return gid if isinstance(gid, str) else None


def is_solution(cell: Mapping[str, Any]) -> bool:
    """An answer cell (nbgrader's ``solution`` flag)."""
    return bool(meta(cell).get("solution"))


def is_grade(cell: Mapping[str, Any]) -> bool:
    """A graded cell (nbgrader's ``grade`` flag): a test cell, or a hand-graded answer."""
    return bool(meta(cell).get("grade"))


def is_test_cell(cell: Mapping[str, Any]) -> bool:
    """An autograded test cell: a graded code cell that is not an answer."""
    return cell.get("cell_type") == "code" and is_grade(cell) and not is_solution(cell)
