"""Real nbgrader, end to end, on the bundled example submissions.

A fresh course directory per run: generate_assignment, the example
submissions (the reference solution, the untouched release, typical
mistakes), autograde, generate_feedback, export.  Each example must get
exactly its expected score on every autograded test cell.
"""
import csv
import os
import re

import nbformat
import pytest

from grading import examples, nbg, report
from grading.feedback import leaks, secret_lines
from grading.paths import assignments

from conftest import ROOT, make_course


def grade_examples(assignment, course):
    nbg.generate_assignment(course, assignment)
    examples.write_submissions(course, assignment)
    nbg.autograde(course, assignment)
    nbg.generate_feedback(course, assignment)
    nbg.export(course, course / "grades.csv")
    return course


@pytest.fixture(scope="session")
def graded_courses(tmp_path_factory):
    """Every assignment's examples, graded side by side: one course directory (and
    gradebook) per assignment, one single-threaded nbgrader process each."""
    from concurrent.futures import ThreadPoolExecutor

    ids = assignments(ROOT)
    courses = {a: make_course(tmp_path_factory.mktemp(a), [a]) for a in ids}
    with ThreadPoolExecutor(max_workers=max(1, min(len(ids), os.cpu_count() or 1))) as pool:
        futures = {a: pool.submit(grade_examples, a, c) for a, c in courses.items()}
        return {a: f.result() for a, f in futures.items()}


@pytest.fixture(params=assignments(ROOT))
def graded(request, graded_courses):
    return request.param, graded_courses[request.param]


def test_every_example_gets_its_expected_scores(graded):
    assignment, course = graded
    specs = examples.specs(course, assignment)
    assert {"correct", "unchanged"} <= set(specs)
    max_scores = report.autograded_max(course, assignment)
    wrong = {}
    for student, spec in specs.items():
        got = report.cell_scores(course, assignment, student)
        want = examples.expected_scores(spec, max_scores)
        if got != want:
            wrong[student] = {c: (got.get(c) if got else None, w) for c, w in want.items()
                              if not got or got.get(c) != w}
    assert not wrong, "(got, expected) per test cell: " + repr(wrong)


def test_each_exercise_has_three_typical_mistakes(graded):
    """Every code exercise with autograded tests (the test cells that follow it, up
    to the next exercise) has at least three typical-mistake examples."""
    assignment, course = graded
    counts = {}
    for spec in examples.specs(course, assignment).values():
        for cell in spec.get("edits", {}):
            counts[cell] = counts.get(cell, 0) + 1
    source = nbformat.read(course / "source" / assignment / f"{assignment}.ipynb", as_version=4)
    graded_exercises, current = set(), None
    for cell in source.cells:
        meta = cell.metadata.nbgrader
        if cell.cell_type == "code" and meta.get("solution"):
            current = meta["grade_id"]
        elif cell.cell_type == "code" and meta.get("grade") and current:
            graded_exercises.add(current)
    assert graded_exercises
    short = {e: counts.get(e, 0) for e in graded_exercises if counts.get(e, 0) < 3}
    assert not short, f"exercises with fewer than 3 typical-mistake examples: {short}"


def test_feedback_shows_no_hidden_test_line(graded):
    import html

    assignment, course = graded
    source = nbformat.read(course / "source" / assignment / f"{assignment}.ipynb", as_version=4)
    hidden = secret_lines(source)
    assert len(hidden) >= 10
    pages = sorted((course / "feedback").glob(f"*/{assignment}/{assignment}.html"))
    assert len(pages) == len(examples.specs(course, assignment))
    for page in pages:
        # Compare against the rendered text: syntax highlighting splits code into spans.
        text = re.sub(r"<[^>]+>", "", html.unescape(page.read_text()))
        assert "HIDDEN TESTS" not in text
        student = page.parent.parent.name
        # The student's own answers may legitimately contain solution lines.
        own = (course / "submitted" / student / assignment / f"{assignment}.ipynb").read_text()
        own_text = "\n".join(c.source for c in nbformat.reads(own, as_version=4).cells)
        leaked = [h for h in leaks(text, source) if h not in own_text]
        assert not leaked, f"{page}: hidden-test lines in feedback: {leaked[:3]}"


def test_feedback_shows_failure_messages(graded):
    """Examples with a "message" must see it in their feedback, as the test worded it."""
    import html

    assignment, course = graded
    expected = {s: spec["message"] for s, spec in examples.specs(course, assignment).items()
                if "message" in spec}
    assert expected, "no example names a message to check"
    for student, message in expected.items():
        page = course / "feedback" / student / assignment / f"{assignment}.html"
        assert message in html.unescape(page.read_text()), f"{student}: {message!r} not in feedback"


def test_export_lists_every_student(graded):
    assignment, course = graded
    with open(course / "grades.csv") as f:
        rows = [r for r in csv.DictReader(f) if r["assignment"] == assignment]
    assert {r["student_id"] for r in rows} == set(examples.specs(course, assignment))
    by = {r["student_id"]: float(r["score"]) for r in rows}
    assert by["unchanged"] == 0
    assert by["correct"] == sum(report.autograded_max(course, assignment).values())
