"""The grading package logs and prints nothing; the CLI's console (grading/console.py) shows
the log on stdout, line for line as the prints did, or the progress as a bar.

No kernel: ``scale.grade`` on a course without a gradable submission logs and returns before
it grades anything.  (The lines of a real run are checked through the CLI in test_scale.py
and test_cli.py.)"""
import logging

import pytest

from grading import console, scale

pytestmark = pytest.mark.fast


def test_grade_logs_what_it_leaves_out_and_prints_nothing(tmp_path, caplog, capsys):
    (tmp_path / "submitted" / "bad name" / "01_dv").mkdir(parents=True)
    with caplog.at_level(logging.INFO, logger="grading"):
        summary = scale.grade(tmp_path, ["01_dv", "02_mine"])
    assert not summary.graded and not summary.failed
    got = [(r.name, r.levelno, r.getMessage()) for r in caplog.records]
    assert got == [
        ("grading.scale", logging.WARNING,
         "skipped submitted/'bad name': not a valid student id, not graded"),
        ("grading.scale", logging.INFO, "01_dv: no submissions"),
        ("grading.scale", logging.INFO, "02_mine: no submissions"),
    ]
    assert capsys.readouterr() == ("", ""), "library code printed"


def test_without_the_console_nothing_is_shown(tmp_path, capsys):
    """The package's logger has a NullHandler: a program that configures no logging sees
    nothing, not even the warnings (Python's last-resort handler would print them)."""
    (tmp_path / "submitted" / "bad name" / "01_dv").mkdir(parents=True)
    scale.grade(tmp_path, ["01_dv"])
    assert capsys.readouterr() == ("", "")


def test_the_console_shows_the_log_on_stdout_as_print_did(tmp_path, capsys):
    (tmp_path / "submitted" / "bad name" / "01_dv").mkdir(parents=True)
    with console.shown():
        scale.grade(tmp_path, ["01_dv"])
    out, err = capsys.readouterr()
    assert out == ("skipped submitted/'bad name': not a valid student id, not graded\n"
                   "01_dv: no submissions\n")
    assert err == ""
    # and it leaves no handler behind
    assert not [h for h in logging.getLogger("grading").handlers if isinstance(h, console.ConsoleHandler)]


def run_lines(log):
    """The lines scale.grade logs for a run of two submissions, one failed, then a summary."""
    log.info("grading %d submissions on %s%s", 2, "2 jobs", "", extra={"progress": (0, 2)})
    log.info("[%d/%d] %s %s/%s (%.0f s)", 1, 2, "graded", "ann", "01_dv", 3.2, extra={"progress": (1, 2)})
    log.warning("[%d/%d] %s %s/%s (%.0f s)", 2, 2, "FAILED", "bob", "01_dv", 4.0,
                extra={"progress": (2, 2)})
    log.info("%s", "graded 1, failed 1")


def test_without_a_bar_each_submission_is_a_line(capsys):
    with console.shown(bar=False):
        run_lines(logging.getLogger("grading.scale"))
    out, err = capsys.readouterr()
    assert out.splitlines() == ["grading 2 submissions on 2 jobs", "[1/2] graded ann/01_dv (3 s)",
                                "[2/2] FAILED bob/01_dv (4 s)", "graded 1, failed 1"]
    assert err == ""


def test_with_a_bar_the_submissions_are_a_bar_on_stderr(capsys):
    with console.shown(bar=True) as handler:
        run_lines(logging.getLogger("grading.scale"))
        assert handler.bar is None, "the bar is closed once every submission is in"
    out, err = capsys.readouterr()
    assert out.splitlines() == ["grading 2 submissions on 2 jobs", "graded 1, failed 1"]
    assert "2/2" in err and "ann" not in err


def test_a_line_that_is_not_progress_closes_the_bar(capsys):
    log = logging.getLogger("grading.scale")
    with console.shown(bar=True) as handler:
        log.info("grading 3 submissions", extra={"progress": (0, 3)})
        log.info("[1/3] graded ann/01_dv", extra={"progress": (1, 3)})
        assert handler.bar is not None and handler.bar.n == 1
        log.warning("\ninterrupted: what was recorded stays; run again to resume")
        assert handler.bar is None
    out, _ = capsys.readouterr()
    assert out == "grading 3 submissions\n\ninterrupted: what was recorded stays; run again to resume\n"
