"""The writer keeps each job's log (nbgrader's output) in the course, instructor side."""
import pytest

from grading import writer
from grading.job import JobResult

pytestmark = pytest.mark.fast


def test_a_jobs_log_is_kept_and_replaced_by_the_next_run(tmp_path):
    first = JobResult("01_dv", "ann", ok=False, error="killed", log_tail="[AutogradeApp | INFO] one\n")
    path = writer.keep_log(tmp_path, first)
    assert path == tmp_path / ".grading" / "logs" / "01_dv" / "ann.log" == writer.log_path(tmp_path, "01_dv", "ann")
    assert path.read_text() == "[AutogradeApp | INFO] one\n"
    again = JobResult("01_dv", "ann", ok=True, log_tail="two \udcff\n")   # undecodable bytes, replaced
    writer.keep_log(tmp_path, again)
    assert path.read_text() == "two ?\n"
    assert sorted(p.name for p in path.parent.iterdir()) == ["ann.log"], "a temporary file was left"
