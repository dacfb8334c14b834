"""Taking a graded notebook back out of a job folder (grading/job.py, ``take_back``).

The graded notebook is the student's: a notebook the job left unreadable must
give a notice that names the kind of problem and where, never the notebook's
own text (a secret-looking string, or a line that reads like another entry of
the review list).
"""
import json

import nbformat
import pytest

from grading import job

pytestmark = pytest.mark.fast

SECRET = "sk-live-ZZ9-PLURAL-Z-ALPHA"
FORGED = "tamper,alice,01_dv,test_dv,forged row"
A, S, NAME = "01_dv", "alice", "01_dv.ipynb"


def hand_in():
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x = 1", outputs=[nbformat.v4.new_output("stream", text="forged report")])
    cell.execution_count = 3
    nb.cells.append(cell)
    return nbformat.writes(nb).encode()


def graded(jobdir, data):
    folder = jobdir / "autograded" / S / A
    folder.mkdir(parents=True)
    (folder / NAME).write_bytes(data)
    return folder / NAME


def schema_breaking():
    nb = json.loads(hand_in())
    nb["cells"][0]["cell_type"] = "codex"
    nb["cells"][0]["source"] = f"{SECRET}\n{FORGED}"
    return json.dumps(nb).encode()


@pytest.mark.parametrize("data, kind", [
    (f'{{"cells": "{SECRET}\n{FORGED}'.encode(), "NotJSONError"),       # not JSON
    (f"{SECRET}\n{FORGED}".encode("utf-16"), "UnicodeDecodeError"),     # not UTF-8
    (schema_breaking(), "NotebookValidationError"),                            # not a valid notebook
], ids=["json", "utf8", "schema"])
def test_an_unreadable_graded_notebook_is_named_not_quoted(tmp_path, data, kind):
    graded(tmp_path, data)
    out, nb, notice = job.take_back(tmp_path, A, S, NAME, hand_in(), log="")
    assert notice.startswith(f"{NAME}: the graded notebook could not be taken back ({kind}")
    assert SECRET not in notice and "ZZ9" not in notice and FORGED not in notice
    assert "\n" not in notice
    # graded from the hand-in, its own outputs cleared (they could be forged reports)
    assert [c.outputs for c in nb.cells] == [[]] and nb.cells[0].execution_count is None
    assert b"forged report" not in out


def test_a_schema_error_says_where(tmp_path):
    graded(tmp_path, schema_breaking())
    _, _, notice = job.take_back(tmp_path, A, S, NAME, hand_in(), log="")
    assert "fails the notebook schema's" in notice and "/cells/0" in notice


def test_a_link_is_refused_in_safeio_words(tmp_path):
    target = tmp_path / "elsewhere.ipynb"
    target.write_text(SECRET)
    (tmp_path / "autograded" / S / A).mkdir(parents=True)
    (tmp_path / "autograded" / S / A / NAME).symlink_to(target)
    _, _, notice = job.take_back(tmp_path, A, S, NAME, hand_in(), log="")
    assert notice.startswith(f"{NAME}: the graded notebook could not be taken back ({NAME} ")
    assert SECRET not in notice


def test_a_valid_graded_notebook_is_taken_back_as_is(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_code_cell("y = 2"))
    data = nbformat.writes(nb).encode()
    graded(tmp_path, data)
    out, got, notice = job.take_back(tmp_path, A, S, NAME, hand_in(), log="")
    assert notice is None and out == data and got.cells[0].source == "y = 2"


@pytest.mark.parametrize("where", ["job_folder", "outside_the_job_folder"])
def test_a_graded_notebook_that_is_a_hard_link_is_refused(tmp_path, where):
    """A file the job left with a second name (in the job folder or beyond it) is not the
    notebook nbgrader wrote: refused in safeio's words, and graded from the hand-in."""
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_code_cell("y = 2"))
    jobdir = tmp_path / "job"
    jobdir.mkdir()
    path = graded(jobdir, nbformat.writes(nb).encode())
    other = (jobdir if where == "job_folder" else tmp_path) / "second-name.ipynb"
    import os
    os.link(path, other)
    out, got, notice = job.take_back(jobdir, A, S, NAME, hand_in(), log="")
    assert notice.startswith(f"{NAME}: the graded notebook could not be taken back ({NAME} is a hard link")
    assert [c.outputs for c in got.cells] == [[]]


# --- the memory watchdog (job._supervise): resident memory, not address space -------------------

def _run(code, memory_mb):
    import sys
    return job._supervise([sys.executable, "-c", code], "/", {"PATH": "/usr/bin:/bin"}, 60, memory_mb=memory_mb)


@pytest.mark.parametrize("how", ["bytearray", "list_of_blocks", "in_a_child"])
def test_a_process_over_its_resident_limit_is_stopped_with_a_notice(how):
    eat = {"bytearray": "b = bytearray(600 << 20)\ntime.sleep(30)",
           "list_of_blocks": "b = []\nwhile True:\n    b.append(bytearray(50 << 20))",
           "in_a_child": "import subprocess, sys\nsubprocess.run([sys.executable, '-c', "
                         "'import time; b = bytearray(600 << 20); time.sleep(30)'])\nprint('parent lives')"}[how]
    ran = _run("import time\n" + eat, memory_mb=300)
    assert len(ran.notices) >= 1 and "over this notebook's limit of 300 MiB" in ran.notices[0], ran
    assert ran.peak_rss_mb > 300
    if how == "in_a_child":          # only the process over the limit is stopped
        assert ran.code == 0 and "parent lives" in ran.log
    else:
        assert ran.code == -9


def test_address_space_that_is_never_touched_costs_nothing():
    # 4 GiB reserved and never touched, 100 MiB touched: under a 300 MiB resident limit
    code = ("import mmap, time\nm = mmap.mmap(-1, 4 << 30)\nb = bytearray(100 << 20)\ntime.sleep(1.2)\n"
            "print('done')")
    ran = _run(code, memory_mb=300)
    assert ran.code == 0 and ran.notices == [] and "done" in ran.log, ran
    assert 90 <= ran.peak_rss_mb < 300


def test_the_limit_comes_from_the_recorded_peak(tmp_path):
    from grading.sandbox import limits, memory_limit, peak_path
    lim = limits()
    assert memory_limit(tmp_path, "a1", lim) == lim["memory_mb"]          # nothing recorded
    peak_path(tmp_path, "a1").parent.mkdir()
    peak_path(tmp_path, "a1").write_text(json.dumps({"peak_rss_mb": 700.2}))
    assert memory_limit(tmp_path, "a1", lim) == 2101                      # 3 x 700.2, rounded up
    peak_path(tmp_path, "a1").write_text(json.dumps({"peak_rss_mb": 100}))
    assert memory_limit(tmp_path, "a1", lim) == lim["peak_floor_mb"] == 1024
    for broken in ("{", json.dumps({"peak_rss_mb": "lots"}), json.dumps({"peak_rss_mb": -5}), "[]"):
        peak_path(tmp_path, "a1").write_text(broken)
        assert memory_limit(tmp_path, "a1", lim) == lim["memory_mb"], broken
