"""The `course` command on a course where nothing has been handed in yet."""
import os
import subprocess
import sys

from conftest import ROOT, make_course


def course(cwd, *args):
    env = dict(os.environ, PYTHONPATH=str(ROOT))  # this checkout's grading, not an installed copy
    return subprocess.run([sys.executable, "-m", "grading", *args], cwd=cwd, text=True,
                          capture_output=True, env=env)


def test_steps_work_before_any_submission(tmp_path):
    root = make_course(tmp_path / "c")
    sub = root / "notebooks"  # the CLI finds the course from a folder inside it
    for step in (["release"], ["autograde"], ["feedback"], ["report"]):
        proc = course(sub, *step)
        assert proc.returncode == 0, (step, proc.stdout, proc.stderr)
    assert (root / "release/01_dv/01_dv.ipynb").is_file()
    assert "no submissions" in course(sub, "autograde").stdout
    assert "nothing autograded yet" in course(sub, "feedback").stdout


def test_outside_a_course_it_says_so(tmp_path):
    proc = course(tmp_path, "report")
    assert proc.returncode != 0 and "no course here" in proc.stderr
