r"""Real nbgrader, end to end, on the bundled example submissions.

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

from grading import example_record, examples, nbg, report, scale
from grading.leakcheck import leaks, secret_lines
from grading.paths import assignments

from conftest import NOT_RUN, ROOT, make_course

pytestmark = pytest.mark.grading


def suite_set(specs):
    """The examples this suite grades while the record of the full check is current: the
    first screen of `course demo`, every example that tests a feedback message or the
    review list, and the first example marked "message" (at least one)."""
    chosen = set(example_record.first_screen(specs))
    chosen |= {s for s, spec in specs.items() if spec.get("review")}
    with_message = [s for s, spec in specs.items() if spec.get("message")]
    chosen |= set(with_message[:1])
    return chosen


def ci_specs(assignment):
    """The examples this suite grades.  While the record of `course demo`'s full check
    (expected/examples-checked.json) is current, that is, was made on exactly today's
    examples, notebooks, grading and helpers code and pins (grading/example_record.py):
    the representative set of ``suite_set``, and the rest is listed under "not run, and
    why" with the record it relies on.  When it is stale: every example not marked
    demo_only, and the demo_only ones are listed under "not run, and why"."""
    specs = examples.specs(ROOT, assignment)
    if not example_record.is_current(ROOT, assignment, specs):
        # stale: every example but the demo_only ones (which only `make demo` grades, to keep
        # this suite within CI's time); the note says what that leaves unchecked
        kept = {s for s, spec in specs.items() if not spec.get("demo_only")}
        note = (f"{assignment}: {len(specs) - len(kept)} of {len(specs)} example submissions "
                f"(demo_only) not graded here, and the record of `make demo`'s full check "
                f"({example_record.CHECKED}) is stale for these inputs: run `make demo`")
        if len(kept) < len(specs) and note not in NOT_RUN:
            NOT_RUN.append(note)
        return {s: spec for s, spec in specs.items() if s in kept}
    kept = suite_set(specs)
    left = sorted(set(specs) - kept)
    note = (f"{assignment}: {len(left)} of {len(specs)} example submissions not graded here; "
            f"their scores and messages were checked by `make demo` on these exact inputs "
            f"({example_record.CHECKED}, digest {example_record.digest(ROOT, assignment)[:12]})")
    if left and note not in NOT_RUN:
        NOT_RUN.append(note)
    return {s: spec for s, spec in specs.items() if s in kept}


def grade_examples(assignment, course, students):
    nbg.generate_assignment(course, assignment)
    examples.write_submissions(course, assignment, students)
    scale.grade(course, [assignment], jobs=os.cpu_count() or 1)
    done, failed, _ = nbg.generate_feedback(course, assignment)  # as `course feedback` runs it
    assert done and not failed, failed
    nbg.export(course, course / "grades.csv")
    return course


@pytest.fixture(scope="session")
def graded_courses(tmp_path_factory):
    """Every assignment's examples, graded by the course's grader (side by side, one job
    per core), each assignment in a course directory of its own.
    Returns {assignment: {course directory: [its students]}}."""
    out = {}
    for a in assignments(ROOT):
        students = sorted(ci_specs(a))
        course = make_course(tmp_path_factory.mktemp(a), [a])
        grade_examples(a, course, students)
        out[a] = {course: students}
    return out


@pytest.fixture(params=assignments(ROOT))
def graded(request, graded_courses):
    return request.param, graded_courses[request.param]


def test_every_example_gets_its_expected_scores(graded):
    assignment, chunks = graded
    specs = ci_specs(assignment)
    assert {"correct", "unchanged"} <= set(specs)
    assert sorted(s for st in chunks.values() for s in st) == sorted(specs)
    wrong = {}
    for course, students in chunks.items():
        max_scores = report.autograded_max(course, assignment)
        for student in students:
            got = report.cell_scores(course, assignment, student)
            want = examples.expected_scores(specs[student], max_scores)
            if got != want:
                wrong[student] = {c: (got.get(c) if got else None, w) for c, w in want.items()
                                  if not got or got.get(c) != w}
    assert not wrong, "(got, expected) per test cell: " + repr(wrong)


def test_each_exercise_has_three_typical_mistakes(graded):
    """Every code exercise with autograded tests (the test cells that follow it, up
    to the next exercise) has at least three typical-mistake examples."""
    assignment, chunks = graded
    course = next(iter(chunks))
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


def feedback_pages(assignment, chunks):
    return {page.parent.parent.name: (course, page) for course in chunks
            for page in (course / "feedback").glob(f"*/{assignment}/{assignment}.html")}


def test_feedback_shows_no_hidden_test_line(graded):
    import html

    assignment, chunks = graded
    course = next(iter(chunks))
    source = nbformat.read(course / "source" / assignment / f"{assignment}.ipynb", as_version=4)
    assert len(secret_lines(source)) >= 10
    pages = feedback_pages(assignment, chunks)
    assert sorted(pages) == sorted(ci_specs(assignment))
    for student, (course, page) in pages.items():
        # Compare against the rendered text: syntax highlighting splits code into spans.
        text = re.sub(r"<[^>]+>", "", html.unescape(page.read_text()))
        assert "HIDDEN TESTS" not in text
        # The student's own answers may legitimately contain solution lines.
        own = (course / "submitted" / student / assignment / f"{assignment}.ipynb").read_text()
        own_text = "\n".join(c.source for c in nbformat.reads(own, as_version=4).cells)
        leaked = [h for h in leaks(text, source) if h not in own_text]
        assert not leaked, f"{page}: hidden-test lines in feedback: {leaked[:3]}"


def test_feedback_shows_failure_messages(graded):
    """Examples with a "message" must see it in their feedback, as the test worded it."""
    import html

    assignment, chunks = graded
    expected = {s: spec["message"] for s, spec in ci_specs(assignment).items()
                if "message" in spec}
    assert expected, "no example names a message to check"
    pages = feedback_pages(assignment, chunks)
    for student, message in expected.items():
        page = pages[student][1]
        assert message in html.unescape(page.read_text()), f"{student}: {message!r} not in feedback"


def test_export_lists_every_student(graded):
    assignment, chunks = graded
    by = {}
    for course in chunks:
        with open(course / "grades.csv") as f:
            by.update({r["student_id"]: float(r["score"]) for r in csv.DictReader(f)
                       if r["assignment"] == assignment})
        max_total = sum(report.autograded_max(course, assignment).values())
    assert set(by) == set(ci_specs(assignment))
    assert by["unchanged"] == 0
    assert by["correct"] == max_total


def test_review_list_flags_exactly_the_tamper_examples(graded):
    """No typical mistake is taken for tampering; every tamper example is flagged with a reason."""
    from grading import review

    assignment, chunks = graded
    specs = ci_specs(assignment)
    flagged = {}
    for course in chunks:
        for row in review.read(course):
            if row["assignment"] == assignment and row["kind"] == "tamper":
                flagged[row["student"]] = row["reason"]
    assert sorted(flagged) == sorted(s for s, spec in specs.items() if spec.get("review")), flagged
    assert all(flagged.values())
