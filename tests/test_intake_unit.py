"""The intake rules (grading/intake.py), out of any kernel.

``collect``: what of ``submitted/<student>/<assignment>/`` is graded, on hand-ins
written into a temporary course (links, FIFOs, folders, oversize and broken
notebooks among them); ``findings``: the review rows of a graded notebook, as a
table of small in-memory notebooks; ``record_findings``: the tampered tests are
zeroed per notebook in a SQLite gradebook.
"""
import copy
import json
import os
import shutil
import sys

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from grading import intake, safeio
from grading.findings import Finding

pytestmark = pytest.mark.fast

A = "hw"


def cell(source, gid=None, kind=None, points=1):
    """A code cell; kind "solution", "test" (autograded, locked) or "locked"."""
    c = new_code_cell(source)
    if gid:
        c.metadata["nbgrader"] = {"grade_id": gid, "schema_version": 3,
                                  "solution": kind == "solution", "grade": kind == "test",
                                  "locked": kind != "solution"}
        if kind == "test":
            c.metadata["nbgrader"]["points"] = points
    return c


def source_nb():
    """setup, answer, test_a, answer2, test_b: two exercises, a test after each."""
    nb = new_notebook(cells=[
        cell("import numpy as np", "setup", "locked"),
        cell("def f(x):\n    ### BEGIN SOLUTION\n    return x * x\n    ### END SOLUTION", "answer", "solution"),
        cell("assert np.isclose(f(2), 4)", "test_a", "test"),
        new_markdown_cell("Now g."),
        cell("def g(x):\n    ### BEGIN SOLUTION\n    return x + 1\n    ### END SOLUTION", "answer2", "solution"),
        cell("assert np.isclose(g(2), 3)", "test_b", "test"),
    ])
    for i, c in enumerate(nb.cells):
        c.id = f"cell-{i}"  # fixed, so that the same notebook gives the same bytes
    return nb


def release_nb():
    nb = source_nb()
    for c in nb.cells:
        if c.metadata.get("nbgrader", {}).get("solution"):
            c.source = c.source.split("\n")[0] + "\n    # YOUR CODE HERE\n    raise NotImplementedError()"
    return nb


# --- collect -----------------------------------------------------------------------------

@pytest.fixture
def course(tmp_path):
    """A course with one assignment: its source and its (distinct) release notebook."""
    for step, nb in (("source", source_nb()), ("release", release_nb())):
        (tmp_path / step / A).mkdir(parents=True)
        nbformat.write(nb, str(tmp_path / step / A / f"{A}.ipynb"))
    return tmp_path


def handin(course, student="s"):
    folder = course / "submitted" / student / A
    folder.mkdir(parents=True)
    return folder


def release_bytes(course):
    return (course / "release" / A / f"{A}.ipynb").read_bytes()


def answer_bytes():
    nb = release_nb()
    nb.cells[1].source = "def f(x):\n    return x * x"
    return nbformat.writes(nb).encode()


def test_a_regular_notebook_and_its_timestamp_are_read_as_they_are(course):
    folder = handin(course)
    (folder / f"{A}.ipynb").write_bytes(answer_bytes())
    (folder / "timestamp.txt").write_text("2026-11-20 12:00:00 UTC")
    files, notes = intake.collect(course, A, "s")
    assert files == {f"{A}.ipynb": answer_bytes(), "timestamp.txt": b"2026-11-20 12:00:00 UTC"}
    assert notes == []


def test_a_notebook_under_another_name_is_graded_under_the_releases(course):
    (handin(course) / "my work.ipynb").write_bytes(answer_bytes())
    files, notes = intake.collect(course, A, "s")
    assert files == {f"{A}.ipynb": answer_bytes()}
    assert notes == [f"graded my work.ipynb as {A}.ipynb (the release's name)"]


def refused_notebook(course, folder, how):
    nb = folder / f"{A}.ipynb"
    if how == "symlink":
        nb.symlink_to(course / "source" / A / f"{A}.ipynb")  # the source: solutions and hidden tests
    elif how == "fifo":
        os.mkfifo(nb)  # opening it for reading would block: it is never opened
    elif how == "folder":
        nb.mkdir()
        (nb / "inside.txt").write_text("x")
    elif how == "oversize":
        with open(nb, "wb") as f:  # sparse: the size alone refuses it, nothing is read
            f.truncate(safeio.NOTEBOOK_LIMIT + 1)
    elif how == "not_json":
        nb.write_bytes(b'{"cells": [{"cell_type": "code", "source": "def f' + MARK.encode())
    elif how == "not_utf8":
        nb.write_bytes(b"\xff\xfe\x00" + MARK.encode())
    elif how == "not_a_notebook":
        nb.write_text(f'{{"cells": "{MARK}", "metadata": {{}}}}')
    elif how == "unknown_version":
        nb.write_text(f'{{"nbformat": "{MARK}", "cells": []}}')
    elif how == "wrong_schema":
        bad = release_nb()
        bad.cells[1].source = MARK
        nb.write_text(nbformat.writes(bad).replace('"cell_type": "code"', '"cell_type": "codex"', 1))
    elif how == "hardlink_source":   # the source: 11/11 and the solutions in the feedback
        os.link(course / "source" / A / f"{A}.ipynb", nb)
    elif how == "hardlink_release":
        os.link(course / "release" / A / f"{A}.ipynb", nb)
    elif how == "hardlink_outside":  # a file elsewhere on the same file system
        outside = course.parent / f"{course.name}-elsewhere.ipynb"
        outside.write_bytes(answer_bytes())
        os.link(outside, nb)
    elif how == "student_key":
        bad = json.loads(nbformat.writes(release_nb()))
        bad["cells"][1]["outputs"] = [{"output_type": "display_data", "metadata": {},
                                       "data": {f"text/{MARK}": 1}}]
        nb.write_text(json.dumps(bad))


MARK = "HAND_IN_TEXT graded as the untouched release"  # what a hand-in says: never quoted
REFUSED = [  # (how the notebook is broken, words its notice must contain)
    ("symlink", f"{A}.ipynb is a symbolic link (refused)"),
    ("fifo", f"{A}.ipynb is not a regular file (a FIFO)"),
    ("folder", f"{A}.ipynb is not a regular file (a folder)"),
    ("oversize", f"{A}.ipynb is {safeio.NOTEBOOK_LIMIT + 1} bytes, over the {safeio.NOTEBOOK_LIMIT}-byte limit"),
    ("hardlink_source", f"{A}.ipynb is a hard link (2 names for one file; refused)"),
    ("hardlink_release", f"{A}.ipynb is a hard link (2 names for one file; refused)"),
    ("hardlink_outside", f"{A}.ipynb is a hard link (2 names for one file; refused)"),
    ("not_json", "(NotJSONError: Unterminated string starting at (line 1, column 44))"),
    ("not_utf8", "(UnicodeDecodeError: invalid start byte at byte 0)"),
    ("not_a_notebook", "(ValidationError: not a notebook that nbformat can read)"),
    ("unknown_version", "(NBFormatError)"),
    ("wrong_schema", "(NotebookValidationError: fails the notebook schema's 'oneOf' check at /cells/0)"),
    ("student_key", "(NotebookValidationError: fails the notebook schema's 'oneOf' check at "
                    "/cells/1/outputs/0/data/?)"),
]


@pytest.mark.parametrize("how,words", REFUSED, ids=[r[0] for r in REFUSED])
def test_a_notebook_that_cannot_be_read_safely_is_replaced_by_the_release(course, how, words):
    folder = handin(course)
    refused_notebook(course, folder, how)
    files, notes = intake.collect(course, A, "s")
    assert files == {f"{A}.ipynb": release_bytes(course)}
    assert len(notes) == 1 and notes[0].startswith(f"{A}.ipynb is not a readable notebook ("), notes
    assert words in notes[0] and notes[0].endswith("graded as the untouched release, zero")
    assert "HAND_IN_TEXT" not in notes[0]  # the review list never quotes a hand-in


def test_a_hand_in_that_is_a_course_file_is_refused_even_with_one_link(course, tmp_path_factory):
    """(device, inode) of a course file, as a bind mount shows it with one link: refused.
    The check is safeio's, with the course's files as ``intake.collect`` lists them."""
    from grading.course import step_path

    src = course / "source" / A / f"{A}.ipynb"
    own = safeio.inodes(course, [step_path(course, "source"), step_path(course, "release"), "expected"])
    assert (os.stat(src).st_dev, os.stat(src).st_ino) in own
    with pytest.raises(safeio.Refused, match="is a course file"):
        safeio.read_file(course, f"source/{A}/{A}.ipynb", forbidden=own)
    folder = handin(course)
    (folder / f"{A}.ipynb").write_bytes(answer_bytes())
    st = os.stat(folder / f"{A}.ipynb")
    assert safeio.read_file(course, f"submitted/s/{A}/{A}.ipynb", forbidden=own) == answer_bytes()
    with pytest.raises(safeio.Refused, match="is a course file"):
        safeio.read_file(course, f"submitted/s/{A}/{A}.ipynb", forbidden=own | {(st.st_dev, st.st_ino)})


@pytest.mark.parametrize("target", ["source", "outside"])
def test_a_timestamp_that_is_a_hard_link_is_refused(course, target):
    folder = handin(course)
    (folder / f"{A}.ipynb").write_bytes(answer_bytes())
    other = course / "source" / A / "stamp.txt" if target == "source" else course.parent / "stamp.txt"
    other.write_text("2020-01-01 00:00:00 UTC")
    os.link(other, folder / "timestamp.txt")
    files, notes = intake.collect(course, A, "s")
    assert "timestamp.txt" not in files
    assert notes == ["timestamp.txt ignored: timestamp.txt is a hard link (2 names for one file; refused)"]


FOLDERS = [  # (what submitted/s or submitted/s/hw is, the notice)
    ("student_link", f"submitted/s/ is a symbolic link (refused): graded as the untouched release, zero"),
    ("assignment_link", f"submitted/s/{A}/ is a symbolic link (refused): graded as the untouched release, zero"),
    ("assignment_file", f"submitted/s/{A}/ is a file, not a folder: graded as the untouched release, zero"),
    ("assignment_fifo", f"submitted/s/{A}/ is a special file (refused): graded as the untouched release, zero"),
    ("missing", f"submitted/s/{A}/ does not exist: graded as the untouched release, zero"),
]


@pytest.mark.parametrize("what,notice", FOLDERS, ids=[f[0] for f in FOLDERS])
def test_a_hand_in_folder_that_is_not_a_plain_folder_is_not_entered(course, tmp_path_factory, what, notice):
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    (elsewhere / A).mkdir()
    (elsewhere / A / f"{A}.ipynb").write_bytes(answer_bytes())  # would earn marks if followed
    (course / "submitted").mkdir()
    if what == "student_link":
        (course / "submitted" / "s").symlink_to(elsewhere)
    else:
        (course / "submitted" / "s").mkdir()
        target = course / "submitted" / "s" / A
        if what == "assignment_link":
            target.symlink_to(elsewhere / A)
        elif what == "assignment_file":
            target.write_bytes(answer_bytes())
        elif what == "assignment_fifo":
            os.mkfifo(target)
    files, notes = intake.collect(course, A, "s")
    assert files == {f"{A}.ipynb": release_bytes(course)}
    assert notes == [notice]


@pytest.mark.parametrize("how", ["not_json", "symlink"])
def test_without_a_release_the_stand_in_is_an_empty_notebook_and_the_notice_says_so(course, how):
    (course / "release" / A / f"{A}.ipynb").unlink()  # nbgrader grades without release/
    refused_notebook(course, handin(course), how)
    files, notes = intake.collect(course, A, "s")
    assert nbformat.reads(files[f"{A}.ipynb"].decode(), as_version=4).cells == []
    assert len(notes) == 1 and notes[0].endswith(
        f"graded as an empty notebook (the course has no release/{A}/{A}.ipynb), zero"), notes
    assert "untouched release" not in notes[0]


def test_an_empty_hand_in_folder_is_graded_as_the_release(course):
    handin(course)
    files, notes = intake.collect(course, A, "s")
    assert files == {f"{A}.ipynb": release_bytes(course)}
    assert notes == [f"no {A}.ipynb handed in: graded as the untouched release, zero"]


def test_other_files_are_left_out_and_links_among_them_never_read(course):
    folder = handin(course)
    (folder / f"{A}.ipynb").write_bytes(answer_bytes())
    (folder / "numpy.py").write_text("isclose = lambda *a, **k: True\n")  # would shadow numpy
    (folder / "data").mkdir()
    (folder / "secret.txt").symlink_to(course / "source" / A / f"{A}.ipynb")
    os.mkfifo(folder / "pipe")
    (folder / ".ipynb_checkpoints").mkdir()
    files, notes = intake.collect(course, A, "s")
    assert files == {f"{A}.ipynb": answer_bytes()}
    assert notes == ["refused (links or special files are never read): pipe, secret.txt",
                     "left out of grading (only the notebook is graded): data, numpy.py"]


def test_a_timestamp_that_is_a_link_is_refused_with_a_notice(course):
    """Not read, and not dropped in silence: without it no late penalty applies."""
    folder = handin(course)
    (folder / f"{A}.ipynb").write_bytes(answer_bytes())
    (folder / "timestamp.txt").symlink_to(course / "source" / A / f"{A}.ipynb")
    files, notes = intake.collect(course, A, "s")
    assert set(files) == {f"{A}.ipynb"}
    assert notes == ["refused (links or special files are never read): timestamp.txt"]


def test_an_oversize_timestamp_is_ignored(course):
    folder = handin(course)
    (folder / f"{A}.ipynb").write_bytes(answer_bytes())
    (folder / "timestamp.txt").write_bytes(b"2" * (safeio.SMALL_LIMIT + 1))
    files, notes = intake.collect(course, A, "s")
    assert set(files) == {f"{A}.ipynb"}
    assert len(notes) == 1 and notes[0].startswith("timestamp.txt ignored: timestamp.txt is "), notes


def test_a_second_stray_notebook_is_not_guessed(course):
    """Two notebooks, neither named as the release: nothing is guessed, the release is graded."""
    folder = handin(course)
    (folder / "a.ipynb").write_bytes(answer_bytes())
    (folder / "b.ipynb").write_bytes(answer_bytes())
    files, notes = intake.collect(course, A, "s")
    assert files == {f"{A}.ipynb": release_bytes(course)}
    assert notes == [f"no {A}.ipynb handed in: graded as the untouched release, zero",
                     "left out of grading (only the notebook is graded): a.ipynb, b.ipynb"]


# --- findings ----------------------------------------------------------------------------

def graded(answer=None, answer2=None, outputs=None):
    """The source notebook as graded: answers replaced, error outputs on cells by grade_id."""
    nb = source_nb()
    by_id = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in nb.cells}
    if answer is not None:
        by_id["answer"].source = answer
    if answer2 is not None:
        by_id["answer2"].source = answer2
    for gid, errors in (outputs or {}).items():
        by_id[gid].outputs = [new_output("error", ename=e, evalue=v, traceback=[]) for e, v in errors]
    return nb


PATCH = "np.isclose = lambda *a, **k: True\ndef f(x):\n    return 0"

FINDINGS = [
    # (case, graded notebook, [(kind, tests, words in the reason)])
    ("clean", graded(), []),
    ("failing_test_is_no_finding", graded(answer="def f(x):\n    return 0",
                                          outputs={"test_a": [("AssertionError", "")]}), []),
    ("patch_before_every_test", graded(answer=PATCH), [("tamper", "test_a test_b", "cell answer")]),
    ("patch_zeroes_only_later_tests", graded(answer2="np.isclose = print\ndef g(x):\n    return 3"),
     [("tamper", "test_b", "cell answer2")]),
    ("reaches_history", graded(answer="print(In[-1])\ndef f(x):\n    return x * x"),
     [("review", "", "cell answer")]),
    ("kernel_saw_tampering", graded(outputs={"test_b": [("TamperDetected", "numpy.isclose was replaced")]}),
     [("tamper", "test_b", "test test_b: numpy.isclose was replaced")]),
    # the in-kernel check fails every later test with the same message: one clause naming them
    ("kernel_saw_tampering_in_every_test", graded(outputs={
        "test_a": [("TamperDetected", "numpy.isclose was replaced")],
        "test_b": [("TamperDetected", "numpy.isclose was replaced")]}),
     [("tamper", "test_a test_b", "tests test_a, test_b: numpy.isclose was replaced")]),
    ("timeout", graded(outputs={"test_a": [("CellTimeoutError", "cell timed out")]}),
     [("notice", "", "a cell ran past the time limit and was stopped (cells: test_a)")]),
    ("ignored_interrupt", graded(outputs={
        "test_a": [("CellTimeoutError", "")],
        "test_b": [("DeadKernelError", "not run: an earlier cell ran past the time limit and its kernel "
                                       "did not stop when interrupted")]}),
     [("notice", "", "a cell ran past the time limit and was stopped (cells: test_a)"),
      ("notice", "", "ignored the interrupt: the cells after it were not run (cells: test_b)")]),
    ("dead_kernel_names_each_cell_once", graded(outputs={
        "answer": [("DeadKernelError", "the kernel died")],
        "test_a": [("DeadKernelError", "not run"), ("DeadKernelError", "not run")],
        "test_b": [("DeadKernelError", "not run")]}),
     [("notice", "", "the kernel died (it exited, was killed or ran out of memory): the cells after it "
                     "were not run (cells: answer, test_a, test_b)")]),
    ("memory_and_processes", graded(outputs={"test_a": [("MemoryError", "")],
                                             "test_b": [("BlockingIOError", "[Errno 11]")]}),
     [("notice", "", "ran out of memory (the sandbox caps each kernel's memory) (cells: test_a)"),
      ("notice", "", "too many processes (the sandbox caps them) (cells: test_b)")]),
    ("tamper_and_review_and_breakage", graded(answer=PATCH + "\nx = _ih[0]",
                                              outputs={"test_b": [("MemoryError", "")]}),
     [("tamper", "test_a test_b", "cell answer"), ("review", "", "cell answer"),
      ("notice", "", "(cells: test_b)")]),
]


@pytest.mark.parametrize("case,nb,want", FINDINGS, ids=[f[0] for f in FINDINGS])
def test_findings(case, nb, want):
    rows = intake.findings({f"{A}.ipynb": source_nb()}, {f"{A}.ipynb": nb})
    assert [(r.kind, " ".join(r.tests)) for r in rows] == [(k, t) for k, t, _ in want], rows
    for r, (_, _, words) in zip(rows, want):
        assert words in r.reason, (r, words)
        assert r.notebook == A


def test_findings_name_their_notebook_and_the_notices_come_first():
    sources = {"one.ipynb": source_nb(), "two.ipynb": source_nb()}
    rows = intake.findings(sources, {"one.ipynb": graded(), "two.ipynb": graded(answer=PATCH)},
                           notices=["graded x.ipynb as one.ipynb (the release's name)"])
    assert rows == [
        Finding("notice", "graded x.ipynb as one.ipynb (the release's name)"),
        Finding("tamper", rows[1].reason, ("test_a", "test_b"), "two")]
    assert rows[1].reason.startswith("cell answer: ")


def test_findings_do_not_change_the_notebooks():
    nb = graded(answer=PATCH, outputs={"test_a": [("CellTimeoutError", "")]})
    before, src = copy.deepcopy(nb), source_nb()
    intake.findings({f"{A}.ipynb": src}, {f"{A}.ipynb": nb})
    assert nb == before and src == source_nb()


# --- record_findings: the tampered tests are zeroed per notebook ------------------------

@pytest.fixture(scope="module")
def two_notebooks_template(tmp_path_factory, empty_gradebook):
    """An assignment of two notebooks whose test cells share their names, one student's
    submission graded full marks automatically, in a SQLite gradebook (made once: nbgrader
    takes seconds to create one)."""
    from nbgrader.api import Gradebook

    course = tmp_path_factory.mktemp("two_notebooks")
    (course / "source" / A).mkdir(parents=True)
    shutil.copyfile(empty_gradebook, course / "gradebook.db")
    old_path = os.environ["PATH"]
    # nbgrader runs `alembic` from PATH when it creates a gradebook: this environment's
    os.environ["PATH"] = os.pathsep.join([os.path.dirname(sys.executable), old_path])
    try:
        with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
            gb.update_or_create_assignment(A)
            for name in ("one", "two"):
                nbformat.write(source_nb(), str(course / "source" / A / f"{name}.ipynb"))
                gb.update_or_create_notebook(name, A)
                for test in ("test_a", "test_b"):
                    gb.update_or_create_grade_cell(test, name, A, max_score=1, cell_type="code")
            gb.add_student("s")
            gb.add_submission(A, "s")
            for name in ("one", "two"):
                for g in gb.find_submission_notebook(name, A, "s").grades:
                    g.auto_score = 1.0
            gb.db.commit()
    finally:
        os.environ["PATH"] = old_path
    return course


@pytest.fixture
def two_notebooks(two_notebooks_template, tmp_path):
    """A fresh copy of that course: (course, gradebook URL)."""
    import shutil

    course = tmp_path / "course"
    shutil.copytree(two_notebooks_template, course)
    return course, f"sqlite:///{course / 'gradebook.db'}"


def scores(url):
    from nbgrader.api import Gradebook

    with Gradebook(url) as gb:
        return {(name, g.name): g.score for name in ("one", "two")
                for g in gb.find_submission_notebook(name, A, "s").grades}


def tamper_row(notebook, tests):
    return Finding("tamper", "cell answer: patched np.isclose", tuple(tests.split()), notebook)


def test_tampered_tests_are_zeroed_in_their_own_notebook_only(two_notebooks):
    course, url = two_notebooks
    intake.record_findings(course, A, "s", [tamper_row("one", "test_a")], url)
    assert scores(url) == {("one", "test_a"): 0.0, ("one", "test_b"): 1.0,
                           ("two", "test_a"): 1.0, ("two", "test_b"): 1.0}
    assert [(r["notebook"], r["kind"], r["tests"]) for r in review_rows(course)] == [("one", "tamper", "test_a")]


def test_a_regrade_gives_back_what_it_no_longer_flags_in_each_notebook(two_notebooks):
    """Graded again, the tampering is now in the other notebook: the first notebook's test
    gets its automatic score back, though a test of that name is zeroed elsewhere."""
    course, url = two_notebooks
    intake.record_findings(course, A, "s", [tamper_row("one", "test_a")], url)
    intake.record_findings(course, A, "s", [tamper_row("two", "test_a")], url)
    assert scores(url) == {("one", "test_a"): 1.0, ("one", "test_b"): 1.0,
                           ("two", "test_a"): 0.0, ("two", "test_b"): 1.0}
    intake.record_findings(course, A, "s", [], url)
    assert set(scores(url).values()) == {1.0}
    assert review_rows(course) == []


def test_a_row_without_a_notebook_zeroes_the_test_in_every_notebook(two_notebooks):
    """Rows from before review.csv had its notebook column name no notebook: all of them."""
    course, url = two_notebooks
    intake.record_findings(course, A, "s", [tamper_row("", "test_b")], url)
    assert scores(url) == {("one", "test_a"): 1.0, ("one", "test_b"): 0.0,
                           ("two", "test_a"): 1.0, ("two", "test_b"): 0.0}
    intake.record_findings(course, A, "s", [], url)
    assert set(scores(url).values()) == {1.0}


def review_rows(course):
    from grading import review

    return review.read(course)


# --- test cells restored from the source ----------------------------------------------------

def _ids(nb):
    return [c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells]


def _dup(gid):
    def edit(nb):
        i = _ids(nb).index(gid)
        copy_ = copy.deepcopy(nb.cells[i])
        copy_.id = "dup-cell"
        nb.cells.insert(i + 1, copy_)
    return edit


def _delete(*gids):
    def edit(nb):
        nb.cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") not in gids]
    return edit


RESTORE = {  # how the hand-in is changed, and the notices
    "duplicated_test": (_dup("test_a"), ["a second copy of cell test_a was removed"]),
    "duplicated_answer": (_dup("answer"), ["a second copy of cell answer was removed"]),
    "deleted_first_test": (_delete("test_a"), ["test cell test_a was missing: put back from the source at its place"]),
    "deleted_both_tests": (_delete("test_a", "test_b"), [
        "test cell test_a was missing: put back from the source at its place",
        "test cell test_b was missing: put back from the source at its place"]),
    "deleted_setup_and_test": (_delete("setup", "test_a"), [
        "test cell test_a was missing: put back from the source at its place"]),
}


@pytest.mark.parametrize("case", RESTORE)
def test_a_deleted_or_duplicated_test_cell_is_restored_at_its_place(course, case):
    edit, notes = RESTORE[case]
    nb = nbformat.reads(answer_bytes().decode(), as_version=4)
    edit(nb)
    (handin(course) / f"{A}.ipynb").write_text(nbformat.writes(nb))
    files, got = intake.collect(course, A, "s")
    assert got == [f"{A}.ipynb: {n}" for n in notes]
    graded = nbformat.reads(files[f"{A}.ipynb"].decode(), as_version=4)
    nbformat.validate(graded)
    want = [g for g in _ids(source_nb()) if g != "setup" or case != "deleted_setup_and_test"]
    assert [g for g in _ids(graded)] == want   # every cell once, each test cell at its place
    src = {c.metadata["nbgrader"]["grade_id"]: c.source for c in source_nb().cells if "nbgrader" in c.metadata}
    for c in graded.cells:
        gid = c.metadata.get("nbgrader", {}).get("grade_id")
        if gid in ("test_a", "test_b"):
            assert c.source == src[gid] and c.cell_type == "code"
    answer = graded.cells[_ids(graded).index("answer")]
    assert answer.source == "def f(x):\n    return x * x"   # the answer as handed in
