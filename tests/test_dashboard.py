"""The instructor's dashboard (grading/dashboard.py, `course dashboard`).

The inputs are built directly, so that every number on the page is known: a
course with 01_dv registered by nbgrader, four students' scores in its
gradebook, their autograded notebooks with error outputs and grader verdict
notes in the test cells, review.csv rows and the grading-state rows.  Student
text carries HTML and script tags: none may reach the page unescaped.
(tests/test_exchange.py makes a page from a real graded run too.)
"""
from __future__ import annotations

import base64
import copy
import html
import re
from types import SimpleNamespace

import nbformat
import pytest

from conftest import ROOT, make_course

ASSIGNMENT = "01_dv"
HOSTILE = '<script>alert("pwned")</script><img src=x onerror=alert(1)>'
VERDICT_KEY = "mi_course"

# Per student: the test cells they lose and how: ("error", ename, evalue) or ("verdict", message).
STUDENTS = {
    "alice": {},
    "bob": {"test_dv_stable": [("error", "AssertionError",
                                "the DV value is inf for large t: use logsumexp (got inf)")],
            "test_trainer_estimate": [("verdict", "estimate 0.12 is far below the true 0.83")]},
    "carol": {"test_trainer_estimate": [("verdict", "estimate 0.31 is far below the true 0.83"),
                                        ("error", "AssertionError", "estimate 0.31 is far below the true 0.83")]},
    "dave": "release",                     # untouched: NotImplementedError in every test cell
    "mallory": {"test_divergence": [("error", "ValueError", HOSTILE)]},
}
TIMES = {"alice": 12.5, "bob": 20.25, "carol": 15.0, "dave": 4.5, "mallory": 9.75}


def grade_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")
            and not c.metadata["nbgrader"].get("solution")]


def graded_course(tmp_path):
    """A course whose gradebook, autograded/, review.csv and state table hold STUDENTS.
    Returns (course, {student: {test cell: score}}, {test cell: max points})."""
    from nbgrader.api import Gradebook

    from grading import nbg, report, review
    from grading.scale import Writer

    course = make_course(tmp_path / "course", [ASSIGNMENT])
    nbg.generate_assignment(course, ASSIGNMENT)
    max_scores = report.autograded_max(course, ASSIGNMENT)
    release = nbformat.read(str(course / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"), as_version=4)
    expected = {}
    with Gradebook(report.db_url(course)) as gb:
        for student, spec in STUDENTS.items():
            gb.add_student(student)
            gb.add_submission(ASSIGNMENT, student)
            nb = copy.deepcopy(release)
            scores = {}
            for cell in grade_cells(nb):
                gid = cell.metadata["nbgrader"]["grade_id"]
                outs = ([("error", "NotImplementedError", "")] if spec == "release"
                        else spec.get(gid, []))
                for kind, *what in outs:
                    if kind == "error":
                        cell.outputs.append(nbformat.v4.new_output(
                            "error", ename=what[0], evalue=what[1], traceback=[]))
                    else:
                        cell.outputs.append(nbformat.v4.new_output(
                            "display_data", data={"text/plain": f"Graded: this test failed.\n  - {what[0]}\n"},
                            metadata={VERDICT_KEY: "verdict"}))
                if not outs:
                    cell.outputs.append(nbformat.v4.new_output(
                        "display_data", data={"text/plain": "Graded: every check passed.\n"},
                        metadata={VERDICT_KEY: "verdict"}))
                scores[gid] = 0.0 if outs else float(max_scores[gid])
                grade = gb.find_grade(gid, ASSIGNMENT, ASSIGNMENT, student)
                grade.auto_score = scores[gid]
            gb.db.commit()
            out = course / "autograded" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
            out.parent.mkdir(parents=True)
            nbformat.write(nb, str(out))
            expected[student] = scores
    from grading.findings import Finding

    # the same tamper finding twice (as two scans may say it): one row on the page
    tamper = Finding("tamper", f"np.isclose was replaced {HOSTILE}", ("test_divergence",), ASSIGNMENT)
    review.replace(course, ASSIGNMENT, "mallory", [tamper, tamper])
    review.replace(course, ASSIGNMENT, "dave", [
        Finding("notice", "the notebook was handed in unchanged", notebook=ASSIGNMENT)])
    writer = Writer(course)
    try:
        for student, wall in TIMES.items():
            writer._set_state(ASSIGNMENT, student, "0" * 64, "graded",
                              result=SimpleNamespace(wall_s=wall, cpu_s=wall / 2, host="h"))
    finally:
        writer.close()
    return course, expected, max_scores


def png_images(page):
    """{id: PNG bytes} of the page's embedded images."""
    found = re.findall(r'<img class="chart" id="([^"]+)" alt="[^"]*" src="data:image/png;base64,([^"]+)">', page)
    return {i: base64.b64decode(b) for i, b in found}


def table_rows(page, table_id):
    body = re.search(rf'<table id="{table_id}">(.*?)</table>', page, re.S)
    assert body, f"no table {table_id}"
    return [[html.unescape(re.sub(r"<[^>]+>", "", td)) for td in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
            for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body[1], re.S) if "<td" in row]


@pytest.mark.grading
def test_dashboard_page(tmp_path):
    from grading import cli

    course, expected, max_scores = graded_course(tmp_path)
    assert cli.main(["--course", str(course), "dashboard"]) == 0
    page = (course / "dashboard" / f"{ASSIGNMENT}.html").read_text()

    # self-contained, nothing student-written unescaped
    assert "<script" not in page.lower()
    assert "<img src=x" not in page
    assert html.escape(HOSTILE) in page
    assert not re.search(r'(src|href)="(?!data:image/png;base64,)', page), "the page loads something"

    # three charts, each a real PNG
    images = png_images(page)
    assert set(images) == {"chart-scores", "chart-pass-rates", "chart-times"}
    assert all(b.startswith(b"\x89PNG\r\n\x1a\n") and len(b) > 2000 for b in images.values())

    # pass rates per test cell, in notebook order
    n = len(STUDENTS)
    want = [[c, f"{m:g}", f"{sum(expected[s][c] > 0 for s in expected)}/{n}",
             f"{100 * sum(expected[s][c] > 0 for s in expected) / n:.0f}%"] for c, m in max_scores.items()]
    assert table_rows(page, "pass-rate-table") == want
    assert want[0][0] == "test_divergence" and want[0][2] == "3/5"   # dave and mallory lose it

    # failure messages with counts: numbers ignored when grouping (bob 0.12, carol 0.31);
    # carol's error and verdict note are one failure: counted once, as the note says it
    est = re.search(r'<table class="failures" data-cell="test_trainer_estimate">(.*?)</table>', page, re.S)[1]
    rows = [[html.unescape(re.sub(r"<[^>]+>", "", td)) for td in re.findall(r"<td[^>]*>(.*?)</td>", r, re.S)]
            for r in re.findall(r"<tr>(.*?)</tr>", est, re.S) if "<td" in r]
    assert rows[0] == ["2", "estimate 0.12 is far below the true 0.83"], rows
    assert not [r for r in rows if r[1].startswith("AssertionError")], rows
    assert sum(int(r[0]) for r in rows) == 3     # bob, carol and dave: three failures, each once
    assert ["1", "NotImplementedError:"] in rows
    div = re.search(r'<table class="failures" data-cell="test_divergence">(.*?)</table>', page, re.S)[1]
    assert html.escape(f"ValueError: {HOSTILE}") in div

    # the review list, a row per finding, said as every screen says it (grading/findings.py)
    assert table_rows(page, "review-table") == [
        ["dave", "notice", f"({ASSIGNMENT}): the notebook was handed in unchanged"],
        ["mallory", "tamper", f"({ASSIGNMENT}) [zeroed: test_divergence]: np.isclose was replaced {HOSTILE}"]]

    # grading time per submission
    assert table_rows(page, "time-table") == [
        [s, "graded", f"{w:.1f}", f"{w / 2:.1f}"] for s, w in sorted(TIMES.items())]

    # who passed what: students by test cell, the highest total first (ties by id), each
    # test cell's passes in the last row
    total = sum(max_scores.values())
    order = sorted(expected, key=lambda s: (-sum(expected[s].values()), s))
    rows = table_rows(page, "matrix")
    assert rows == [[s, *("pass" if expected[s][c] >= m else "fail" for c, m in max_scores.items()),
                     f"{sum(expected[s].values()):g}/{total:g}"] for s in order]
    assert order[0] == "alice" and order[-1] == "dave"
    assert "score-table" not in page                     # the matrix replaces it
    # the grading times are operations data: the last section
    assert page.index('id="times"') > max(page.index(f'id="{i}"') for i in
                                          ("scores", "matrix", "pass-rates", "failures", "review"))


@pytest.mark.fast
def test_failure_messages_grouping():
    from grading.dashboard import failure_messages

    def nb(*outs):
        cell = nbformat.v4.new_code_cell("pass", metadata={"nbgrader": {"grade": True, "solution": False,
                                                                        "grade_id": "t"}})
        cell.outputs = list(outs)
        return {"cells": [cell]}

    err = lambda v: nbformat.v4.new_output("error", ename="AssertionError", evalue=v, traceback=[])  # noqa: E731
    got = failure_messages([nb(err("got 1.5\nmore")), nb(err("got 2")), nb(err("other")),
                            nb(nbformat.v4.new_output("stream", name="stderr", text="warning"))])
    assert got == {"t": [("AssertionError: got 1.5", 2), ("AssertionError: other", 1)]}
    # a failed check: the kernel's error and the grader's note, one failure counted once
    note = nbformat.v4.new_output("display_data", metadata={VERDICT_KEY: "verdict"},
                                  data={"text/plain": "Graded: this test failed.\n  - got 3, expected 4\n"})
    got = failure_messages([nb(err("got 3, expected 4"), note), nb(note)])
    assert got == {"t": [("got 3, expected 4", 2)]}
