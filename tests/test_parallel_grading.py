"""No flaky verdicts: the same correct submission graded 20 times side by side scores the same.

CPython 3.11's ``ast.parse`` fails now and then when two threads run it at once
(python/cpython#106905: "AST constructor recursion depth mismatch"); the grader
scans cells in its job threads, and a batch once lost a correct submission to it.
Every ``ast.parse`` of the package now holds one lock (grading/tamper_cells.py,
``PARSE_LOCK``).  Here 20 copies of the toy assignment's correct submission (the
smallest notebook) are graded by the real command with ``--jobs 2``: every one
must be graded, with full marks, and none flagged.  A source scan keeps every
``ast.parse`` of the package behind the lock.
"""
import ast
import os
import subprocess
import sys

import nbformat
import pytest

from conftest import ROOT, make_course
from grading import report, review

A = "toy"
N = 20


@pytest.mark.fast
def test_every_ast_parse_of_the_package_holds_the_lock():
    calls = []
    for path in sorted((ROOT / "grading").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "parse"
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "ast"):
                calls.append((path.name, node.lineno))
    # the one call is the locked one, in tamper_cells.parse
    assert [name for name, _ in calls] == ["tamper_cells.py"], calls
    src = (ROOT / "grading" / "tamper_cells.py").read_text()
    assert "with PARSE_LOCK:\n        return ast.parse(source)" in src


@pytest.mark.grading
def test_the_same_correct_submission_graded_20_times_in_parallel_scores_the_same(tmp_path):
    course = make_course(tmp_path / "course", [], fixtures=[A], release="course")
    release = nbformat.read(course / "release" / A / f"{A}.ipynb", as_version=4)
    answers = {"square": "def square(x):\n    return x * x", "tensor_mean": "def tensor_mean(x):\n    return torch.mean(x)"}
    for cell in release.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid in answers:
            cell.source = answers[gid]
    students = [f"same{i:02d}" for i in range(N)]
    for s in students:
        folder = course / "submitted" / s / A
        folder.mkdir(parents=True)
        nbformat.write(release, str(folder / f"{A}.ipynb"))
    proc = subprocess.run([sys.executable, "-m", "grading", "--course", str(course), "autograde",
                           "--assignment", A, "--jobs", "2", "--no-progress", "--timeout", "60"],
                          capture_output=True, text=True, cwd=str(course),
                          env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert proc.returncode == 0 and f"graded {N}, failed 0" in proc.stdout, proc.stdout[-3000:] + proc.stderr[-3000:]
    scores = {s: report.cell_scores(course, A, s) for s in students}
    assert all(v == {"test_square": 1.0, "test_tensor_mean": 1.0} for v in scores.values()), scores
    assert not [r for r in review.read(course) if r["student"] in students], review.read(course)
