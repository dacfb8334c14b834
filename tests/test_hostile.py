"""Hostile and broken submissions, graded for real: nbgrader, bubblewrap, the gradebook.

A toy assignment (tests/fixtures/toy/toy.md: two exercises, one test cell
each, numpy and torch) keeps this fast.  Two bystanders are graded first;
then every fixture below is graded in ONE sandboxed batch with a 10 s cell
time limit, and each fixture's test checks its score per test cell, whether
it is on the review list (tampering), the message it got, and that the
bystanders' gradebook rows and graded files are unchanged.

Sandbox attacks define ``square`` correctly only if the attack succeeded,
so a score of 0 on ``test_square`` shows that the sandbox stopped it.
"""
import hashlib
import html
import json
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from grading import build, nbg, report, review
from grading.feedback import leaks

from conftest import ROOT

A = "toy"
TESTS = ("test_square", "test_tensor_mean")
GOOD_SQUARE = "def square(x):\n    return x * x"
GOOD_MEAN = "def tensor_mean(x):\n    return torch.mean(x)"
LISTENER = socket.create_server(("127.0.0.1", 0))  # the network attack's target
PORT = LISTENER.getsockname()[1]


def cheat_if(attack):
    """square is right only if the attack (indented code) runs without an error."""
    return ("def square(x):\n    return 0\n\ntry:\n" + attack +
            "\n    def square(x):\n        return x * x\n    print('ATTACK SUCCEEDED')\n"
            "except Exception as exc:\n    print('attack failed:', type(exc).__name__, exc)\n")


def set_source(gid, source):
    def edit(nb):
        for cell in nb.cells:
            if cell.metadata.get("nbgrader", {}).get("grade_id") == gid:
                cell.source = source
        return nb
    return edit


def drop(gid):
    def edit(nb):
        nb.cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") != gid]
        return nb
    return edit


def to_markdown(gid):
    def edit(nb):
        for i, c in enumerate(nb.cells):
            if c.metadata.get("nbgrader", {}).get("grade_id") == gid:
                md = nbformat.v4.new_markdown_cell(c.source, metadata=c.metadata)
                md["id"] = c["id"]
                nb.cells[i] = md
        return nb
    return edit


# name: square answer, tensor_mean answer, extra edit / raw file, expected scores,
# on the review list?, a message expected on the review list (or None)
FIXTURES = {
    "correct": dict(expect=(1, 1)),
    "unchanged": dict(square=None, mean=None, expect=(0, 0)),
    # --- broken ------------------------------------------------------------------
    "infinite_loop": dict(square="while True:\n    pass", expect=(0, 1),
                          note="ran past the time limit"),
    "ignores_sigint": dict(square="import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n"
                                  "while True:\n    pass", expect=(0, 0),
                           note="ran past the time limit"),
    "memory_bomb": dict(square="blocks = []\nwhile True:\n    blocks.append(bytearray(100 * 2**20))",
                        expect=(0, 1), note="out of memory"),
    "fork_bomb": dict(square="import os\nwhile True:\n    os.fork()", expect=(0, 1),
                      # the loop either ends on the process cap or runs into the time limit
                      note=("too many processes", "ran past the time limit")),
    "kernel_dies": dict(square="import os\nos._exit(1)", expect=(0, 0), note="the kernel died"),
    "huge_output": dict(square="for i in range(200000):\n    print('x' * 100)\n" + GOOD_SQUARE,
                        expect=(1, 1)),
    "deleted_test_cell": dict(edit=drop("test_square"), expect=(1, 1)),
    "edited_locked_cell": dict(square="def square(x):\n    return 3 * x",
                               edit=set_source("test_square", '"""Check that square squares."""\npass'),
                               expect=(0, 1)),
    "changed_cell_type": dict(edit=to_markdown("test_tensor_mean"), expect=(1, 1)),
    "invalid_json": dict(raw=b'{"cells": [{"cell_type": "code", "source": "def square', expect=(0, 0),
                         note="not a readable notebook"),
    "missing_notebook": dict(raw=None, expect=(0, 0), note="no toy.ipynb handed in"),
    "renamed": dict(filename="toy-Copy1.ipynb", expect=(1, 1), note="graded toy-Copy1.ipynb as toy.ipynb"),
    "shadow_module": dict(extra={"numpy.py": "isclose = lambda *a, **k: True\n"},
                          square="def square(x):\n    return 0", expect=(0, 1), note="left out of grading"),
    # --- sandbox attacks (square is right only if the attack worked) ------------------
    "read_source": dict(square=cheat_if("    open('../../../source/toy/toy.ipynb').read()"), expect=(0, 1)),
    "read_source_absolute": dict(square=cheat_if("    open(COURSE + '/source/toy/toy.ipynb').read()"),
                                 expect=(0, 1)),
    "read_gradebook": dict(square=cheat_if("    import sqlite3\n    sqlite3.connect('file:' + COURSE + "
                                           "'/gradebook.db?mode=ro', uri=True).execute("
                                           "'select source from source_cell').fetchall()"),
                           expect=(0, 1)),
    "write_gradebook": dict(square=cheat_if("    import sqlite3\n    db = sqlite3.connect(COURSE + '/gradebook.db')\n"
                                            "    db.execute('update grade set manual_score = 99, extra_credit = 99')\n"
                                            "    db.commit()"), expect=(0, 1)),
    "list_students": dict(square=cheat_if("    import os\n    assert 'bystander' in str(os.listdir('../..')) "
                                          "or os.listdir(COURSE + '/submitted')"),
                          expect=(0, 1)),
    "network": dict(square=cheat_if(f"    import socket\n    socket.create_connection(('127.0.0.1', {PORT}), 3)"),
                    expect=(0, 1)),
    "write_environment": dict(square=cheat_if("    import helpers\n    open(helpers.__file__, 'a').write('#')"),
                              expect=(0, 1)),
    # --- tampering with the test machinery in the kernel -------------------------------
    "patch_isclose": dict(square="np.isclose = lambda *a, **k: True\ndef square(x):\n    return 0",
                          expect=(0, 0), review=True),
    "assert_transformer": dict(
        square="def _no_asserts(lines):\n    return [l.replace('assert ', 'pass  # ') for l in lines]\n"
               "get_ipython().input_transformers_cleanup.append(_no_asserts)\n"
               "def square(x):\n    return 0",
        expect=(0, 0), review=True),
    "settrace": dict(square="import sys\nsys.settrace(lambda *a: None)\ndef square(x):\n    return 0",
                     expect=(0, 0), review=True),
    "sys_modules": dict(square="import sys, types\nsys.modules['helpers.checks'] = types.ModuleType('fake')\n"
                               "def square(x):\n    return 0", expect=(0, 0), review=True),
    "redefine_helper": dict(mean="def check_close(*args, **kwargs):\n    pass\n\n"
                                 "def tensor_mean(x):\n    return torch.tensor(0.0)",
                            expect=(1, 0), review=True),
    "aliased_patch": dict(square="m = [np][0]\nm.isclose = lambda *a, **k: True\ndef square(x):\n    return 0",
                          expect=(0, 0), review=True),
    "tensor_bool": dict(mean="T = [torch][0].Tensor\nT.__bool__ = lambda self: True\n"
                             "def tensor_mean(x):\n    return torch.tensor(0.0)",
                        expect=(1, 0), review=True),
}
BYSTANDERS = ("bystander", "bystander_wrong")
TIMEOUT = 30  # seconds a cell may run: importing torch took 13 s on this machine under load


def write_submission(course, student, spec):
    folder = course / "submitted" / student / A
    folder.mkdir(parents=True)
    name = spec.get("filename", f"{A}.ipynb")
    if "raw" in spec:
        if spec["raw"] is not None:
            (folder / name).write_bytes(spec["raw"])
        (folder / "notes.txt").write_text("my notes\n")
        return
    nb = nbformat.read(course / "release" / A / f"{A}.ipynb", as_version=4)
    course_var = f"COURSE = {str(course)!r}\n"
    answers = {"square": spec.get("square", GOOD_SQUARE), "tensor_mean": spec.get("mean", GOOD_MEAN)}
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid in answers and answers[gid] is not None:
            cell.source = (course_var if "COURSE" in answers[gid] else "") + answers[gid]
    nb = spec.get("edit", lambda n: n)(nb)
    nbformat.write(nb, str(folder / name))
    for fname, text in spec.get("extra", {}).items():
        (folder / fname).write_text(text)


def gradebook_rows(course, students):
    with Gradebook(report.db_url(course)) as gb:
        return {s: sorted((g.name, g.auto_score, g.manual_score, g.extra_credit, g.needs_manual_grade)
                          for g in gb.find_submission_notebook(A, A, s).grades) for s in students}


def files_digest(course, student):
    folder = course / "autograded" / student / A
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    import time

    course = tmp_path_factory.mktemp("toycourse")
    shutil.copy(ROOT / "nbgrader_config.py", course)
    (course / "notebooks").mkdir()
    shutil.copy(ROOT / "tests" / "fixtures" / "toy" / "toy.md", course / "notebooks")
    build.build(course)
    nbg.generate_assignment(course, A)
    # The bystanders are graded first, on their own.
    write_submission(course, "bystander", {})
    write_submission(course, "bystander_wrong", dict(square="def square(x):\n    return x"))
    nbg.autograde(course, A, timeout=TIMEOUT)
    before = gradebook_rows(course, BYSTANDERS)
    digests = {s: files_digest(course, s) for s in BYSTANDERS}
    for s in BYSTANDERS:  # out of submitted/: the batch below does not re-grade them
        shutil.move(course / "submitted" / s, course / f"handed-in-{s}")
    for student, spec in FIXTURES.items():
        write_submission(course, student, spec)
    t0 = time.time()
    proc = nbg.autograde(course, A, timeout=TIMEOUT)
    batch_s = time.time() - t0
    nbg.generate_feedback(course, A)
    return dict(course=course, before=before, digests=digests, proc=proc, batch_s=batch_s)


def test_bystanders_were_graded(toy):
    assert toy["before"]["bystander"] and all(r[1] == 1 for r in toy["before"]["bystander"])
    assert {r[0]: r[1] for r in toy["before"]["bystander_wrong"]} == {"test_square": 0, "test_tensor_mean": 1}


@pytest.mark.parametrize("student", FIXTURES)
def test_fixture(toy, student):
    course, spec = toy["course"], FIXTURES[student]
    got = report.cell_scores(course, A, student)
    assert got == dict(zip(TESTS, map(float, spec["expect"]))), f"{student}: {got}"
    rows = [r for r in review.read(course) if r["student"] == student and r["assignment"] == A]
    flagged = [r for r in rows if r["kind"] == "tamper"]
    assert bool(flagged) == spec.get("review", False), f"{student}: review rows {rows}"
    if flagged:
        assert all(r["reason"] for r in flagged)
    note = spec.get("note")
    if note:
        notes = (note,) if isinstance(note, str) else note
        assert any(n in r["reason"] for r in rows for n in notes), f"{student}: no {note!r} in {rows}"
    # The other students' gradebook rows and graded files are untouched.
    assert gradebook_rows(course, BYSTANDERS) == toy["before"]
    assert {s: files_digest(course, s) for s in BYSTANDERS} == toy["digests"]
    # Nobody's row got a score the grader did not give.
    mine = gradebook_rows(course, [student])[student]
    assert all(r[3] is None and r[2] in (None, 0.0) for r in mine), mine
    graded = nbformat.read(course / "autograded" / student / A / f"{A}.ipynb", as_version=4)
    assert "ATTACK SUCCEEDED" not in json.dumps([c.get("outputs", []) for c in graded.cells])


def test_huge_output_is_truncated(toy):
    path = toy["course"] / "autograded" / "huge_output" / A / f"{A}.ipynb"
    assert path.stat().st_size < 1_000_000
    assert "Output truncated" in path.read_text()


def test_feedback_shows_no_hidden_test_line(toy):
    course = toy["course"]
    source = nbformat.read(course / "source" / A / f"{A}.ipynb", as_version=4)
    pages = sorted((course / "feedback").glob(f"*/{A}/{A}.html"))
    assert len(pages) == len(FIXTURES) + len(BYSTANDERS)
    for page in pages:
        text = re.sub(r"<[^>]+>", "", html.unescape(page.read_text()))
        assert "HIDDEN TESTS" not in text, page
        # The student's own answers may legitimately contain solution lines.
        student = page.parent.parent.name
        own = "\n".join(c.source for c in nbformat.read(
            course / "autograded" / student / A / f"{A}.ipynb", as_version=4).cells
            if c.metadata.get("nbgrader", {}).get("solution") or "nbgrader" not in c.metadata)
        leaked = [h for h in leaks(text, source, min_len=12, substring_len=30) if h not in own]
        assert not leaked, f"{page}: {leaked}"
    # 3 * x passes the visible check (3 * 3 = 9) and fails the hidden one: the
    # feedback shows the hidden test's message, not its source line.
    page = html.unescape((course / "feedback" / "edited_locked_cell" / A / f"{A}.html").read_text())
    text = re.sub(r"<[^>]+>", "", page)
    assert "square(-2.5) should be 6.25, got -7.5: hidden toy check" in text
    assert "assert np.isclose(square(-2.5)" not in text


def test_review_list_is_printed_by_report(toy):
    env_root = str(ROOT)
    proc = subprocess.run([sys.executable, "-m", "grading", "--course", str(toy["course"]),
                           "--assignment", A, "report"], capture_output=True, text=True,
                          cwd=env_root)
    assert "REVIEW toy/patch_isclose" in proc.stdout, proc.stdout + proc.stderr
    assert "REVIEW toy/correct" not in proc.stdout


def test_without_bubblewrap_grading_stops_with_a_clear_error(tmp_path, toy):
    course = toy["course"]
    before = gradebook_rows(course, BYSTANDERS + ("correct",))
    bin_dir = tmp_path / "bin"  # a PATH with prlimit and setpriv but no bwrap
    bin_dir.mkdir()
    for tool in ("prlimit", "setpriv"):
        (bin_dir / tool).symlink_to(shutil.which(tool))
    proc = subprocess.run([sys.executable, "-m", "grading", "--course", str(course),
                           "--assignment", A, "autograde"], capture_output=True, text=True,
                          env={"PATH": str(bin_dir), "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 2
    assert "apt-get install bubblewrap" in proc.stderr and "--no-sandbox-i-trust-these-submissions" in proc.stderr
    assert gradebook_rows(course, BYSTANDERS + ("correct",)) == before
