"""`course dashboard` before grading, and when the gradebook or the results cannot be read.

Only an assignment the gradebook does not know yet is "not in the gradebook yet,
no dashboard"; a gradebook that cannot be reached (a PostgreSQL server that is
down, say) or any other failure is an error: a message on stderr, exit code 2,
and no page.
"""
import shutil

import pytest
import sqlalchemy.exc

from grading import cli, dashboard, report, scratch

from conftest import ROOT

pytestmark = pytest.mark.fast


def test_an_assignment_not_yet_in_the_gradebook_has_no_dashboard(tmp_path, empty_gradebook, capsys):
    course = scratch.make_course(tmp_path / "c", ["01_dv"], origin=ROOT)
    shutil.copyfile(empty_gradebook, course / "gradebook.db")
    assert cli.main(["--course", str(course), "--assignment", "01_dv", "dashboard"]) == 0
    assert "01_dv: not in the gradebook yet, no dashboard" in capsys.readouterr().out
    assert not (course / "dashboard" / "01_dv.html").exists()


def test_a_gradebook_that_cannot_be_reached_is_an_error(tmp_path, capsys):
    # nothing listens on port 1: the connection is refused at once
    url = "postgresql+psycopg://grader@127.0.0.1:1/gradebook"
    course = scratch.make_course(tmp_path / "c", ["01_dv"], origin=ROOT, db_url=url)
    assert cli.main(["--course", str(course), "--assignment", "01_dv", "dashboard"]) == 2
    out, err = capsys.readouterr()
    assert "not in the gradebook" not in out
    assert "course dashboard: 01_dv: no dashboard, the gradebook cannot be read (OperationalError" in err
    assert not (course / "dashboard" / "01_dv.html").exists()


def test_any_other_failure_of_the_gradebook_is_an_error(tmp_path, empty_gradebook, monkeypatch, capsys):
    course = scratch.make_course(tmp_path / "c", ["01_dv"], origin=ROOT)
    shutil.copyfile(empty_gradebook, course / "gradebook.db")

    def broken(*args, **kwargs):
        raise RuntimeError("the gradebook file is corrupt\nand a second line")

    monkeypatch.setattr(report, "autograded_max", broken)
    assert cli.main(["--course", str(course), "--assignment", "01_dv", "dashboard"]) == 2
    out, err = capsys.readouterr()
    assert "not in the gradebook" not in out
    assert "the gradebook cannot be read (RuntimeError: the gradebook file is corrupt)" in err
    assert "second line" not in err


def test_a_failure_while_the_page_is_made_is_an_error(tmp_path, empty_gradebook, monkeypatch, capsys):
    # the assignment is in the gradebook; its grading times (the same database) cannot be read
    course = scratch.make_course(tmp_path / "c", ["01_dv"], origin=ROOT)
    shutil.copyfile(empty_gradebook, course / "gradebook.db")
    monkeypatch.setattr(report, "autograded_max", lambda *a, **k: {"test_dv": 1.0})

    def unreachable(*args, **kwargs):
        raise sqlalchemy.exc.OperationalError("SELECT", {}, ConnectionRefusedError("refused"))

    monkeypatch.setattr(dashboard, "grading_times", unreachable)
    assert cli.main(["--course", str(course), "--assignment", "01_dv", "dashboard"]) == 2
    out, err = capsys.readouterr()
    assert "dashboard in" not in out and "not in the gradebook" not in out
    assert "01_dv: no dashboard, the grading results cannot be read (OperationalError" in err
    assert not (course / "dashboard" / "01_dv.html").exists()
