"""grading.cells: nbgrader's metadata of a cell, safe on a student's malformed notebook."""
import nbformat
import pytest

from grading import cells

pytestmark = pytest.mark.fast


@pytest.mark.parametrize("metadata, meta, gid, solution, grade", [
    ({"nbgrader": {"grade_id": "ex1", "solution": True, "grade": False}}, {"grade_id": "ex1", "solution": True,
                                                                            "grade": False}, "ex1", True, False),
    ({"nbgrader": {"grade_id": "t1", "grade": True, "points": 2}}, {"grade_id": "t1", "grade": True, "points": 2},
     "t1", False, True),
    ({}, {}, None, False, False),                                     # no nbgrader metadata
    ({"nbgrader": "grade_id"}, {}, None, False, False),               # a string where a mapping belongs
    ({"nbgrader": ["grade", True]}, {}, None, False, False),           # a list
    ({"nbgrader": None}, {}, None, False, False),
    ({"nbgrader": {"grade_id": 7, "grade": "yes"}}, {"grade_id": 7, "grade": "yes"}, None, False, True),
    ("not a mapping", {}, None, False, False),                        # metadata itself malformed
    (None, {}, None, False, False),
])
def test_metadata_read_safely(metadata, meta, gid, solution, grade):
    cell = {"cell_type": "code", "source": "", "metadata": metadata}
    assert dict(cells.meta(cell)) == meta
    assert cells.grade_id(cell) == gid
    assert cells.is_solution(cell) is solution
    assert cells.is_grade(cell) is grade


def test_a_cell_without_metadata_and_a_notebooknode():
    assert cells.meta({"cell_type": "code", "source": ""}) == {}
    node = nbformat.v4.new_code_cell("x = 1", metadata={"nbgrader": {"grade_id": "a", "solution": True}})
    assert cells.grade_id(node) == "a" and cells.is_solution(node) and not cells.is_grade(node)
