"""`course report` before grading, and when the gradebook cannot be reached.

An assignment the gradebook does not know yet is reported as such; a gradebook
that cannot be reached (a PostgreSQL server that is down, say) is an error that
stops the command, never "not in the gradebook yet".
"""
import shutil

import pytest
import sqlalchemy.exc

from grading import cli, scratch

from conftest import ROOT

pytestmark = pytest.mark.fast


def test_an_assignment_not_yet_in_the_gradebook_is_reported_as_such(tmp_path, empty_gradebook, capsys):
    course = scratch.make_course(tmp_path / "c", ["01_dv"], origin=ROOT)
    shutil.copyfile(empty_gradebook, course / "gradebook.db")
    assert cli.main(["--course", str(course), "report"]) == 0
    assert "01_dv: not in the gradebook yet" in capsys.readouterr().out


def test_a_gradebook_that_cannot_be_reached_is_an_error(tmp_path, capsys):
    # nothing listens on port 1: the connection is refused at once
    url = "postgresql+psycopg://grader@127.0.0.1:1/gradebook"
    course = scratch.make_course(tmp_path / "c", ["01_dv"], origin=ROOT, db_url=url)
    with pytest.raises(sqlalchemy.exc.OperationalError):
        cli.main(["--course", str(course), "--assignment", "01_dv", "report"])
    assert "not in the gradebook" not in capsys.readouterr().out
