"""The `course` command on a course where nothing has been handed in yet."""
import os
import subprocess
import sys

import pytest

from conftest import ROOT, make_course


def course(cwd, *args):
    env = dict(os.environ, PYTHONPATH=str(ROOT))  # this checkout's grading, not an installed copy
    return subprocess.run([sys.executable, "-m", "grading", *args], cwd=cwd, text=True,
                          capture_output=True, env=env)


@pytest.mark.grading
def test_steps_work_before_any_submission(tmp_path):
    root = make_course(tmp_path / "c")
    sub = root / "notebooks"  # the CLI finds the course from a folder inside it
    for step in (["release"], ["autograde"], ["feedback"], ["report"]):
        proc = course(sub, *step)
        assert proc.returncode == 0, (step, proc.stdout, proc.stderr)
    assert (root / "release/01_dv/01_dv.ipynb").is_file()
    assert "no submissions" in course(sub, "autograde").stdout
    assert "nothing autograded yet" in course(sub, "feedback").stdout


@pytest.mark.fast  # `course report` outside a course: nothing is graded
def test_outside_a_course_it_says_so(tmp_path, monkeypatch, capsys):
    # in this process (the entry point in a subprocess: test_steps_work_before_any_submission)
    from grading import cli

    monkeypatch.chdir(tmp_path)
    assert cli.main(["report"]) != 0
    assert "no course here" in capsys.readouterr().err


# --- Argument parsing only (nothing graded) ----------------------------------------------
import pytest  # noqa: E402

from grading import cli, cli_parse, nbg  # noqa: E402


@pytest.mark.fast
@pytest.mark.parametrize("argv", [
    ["autograde", "--assignment", "01_dv"],
    ["--assignment", "01_dv", "autograde"],
    ["autograde", "--assignment=01_dv"],
    ["--assignment=01_dv", "autograde"],
])
def test_assignment_before_or_after_the_command(argv):
    args = cli.parse(argv)
    assert (args.cmd, args.assignment, args.course) == ("autograde", "01_dv", None)


@pytest.mark.fast
@pytest.mark.parametrize("cmd", cli_parse.COMMANDS)
def test_every_command_takes_the_global_options_on_either_side(cmd, tmp_path):
    for argv in ([cmd, "--course", str(tmp_path), "--assignment", "02_mine"],
                 ["--course", str(tmp_path), "--assignment", "02_mine", cmd],
                 ["--course", str(tmp_path), cmd, "--assignment", "02_mine"]):
        args = cli.parse(argv)
        assert (args.cmd, args.course, args.assignment) == (cmd, tmp_path, "02_mine"), argv
    args = cli.parse([cmd])
    assert (args.course, args.assignment) == (None, None)


@pytest.mark.fast
def test_autograde_options_on_either_side(tmp_path):
    after = cli.parse(["autograde", "--jobs", "2", "--force", "--submissions", str(tmp_path),
                       "--timeout", "30", "--db", "sqlite:///x.db", "--no-progress",
                       "--scheduler", "tcp://h:8786", "--no-sandbox-i-trust-these-submissions"])
    before = cli.parse(["--jobs", "2", "--force", "--submissions", str(tmp_path), "--timeout", "30",
                        "--db", "sqlite:///x.db", "--no-progress", "--scheduler", "tcp://h:8786",
                        "--no-sandbox-i-trust-these-submissions", "autograde"])
    assert vars(after) == vars(before)
    assert (after.jobs, after.force, after.submissions, after.timeout) == (2, True, tmp_path, 30)
    assert after.no_sandbox_i_trust_these_submissions and after.no_progress
    assert cli.parse(["-j", "3", "autograde"]).jobs == 3
    assert cli.parse(["autograde"]).jobs is None


@pytest.mark.fast
def test_export_option_on_either_side():
    assert cli.parse(["export", "--to", "g.csv"]).to == "g.csv"
    assert cli.parse(["--to", "g.csv", "export"]).to == "g.csv"
    assert cli.parse(["export"]).to == "grades.csv"


@pytest.mark.fast
def test_an_option_value_named_like_a_command_is_a_value():
    args = cli.parse(["--assignment", "report", "feedback"])
    assert (args.cmd, args.assignment) == ("feedback", "report")
    args = cli.parse(["export", "--to", "build"])
    assert (args.cmd, args.to) == ("export", "build")


@pytest.mark.fast
@pytest.mark.parametrize("argv", [[], ["--assignment", "01_dv"], ["nonsense"], ["feedback", "--jobs", "2"],
                                  ["autograde", "--jobs"]])
def test_bad_command_lines_are_refused(argv):
    with pytest.raises(SystemExit) as e:
        cli.parse(argv)
    assert e.value.code == 2


@pytest.mark.fast
def test_feedback_jobs_skip_extra_and_odd_notebooks(tmp_path):
    (tmp_path / "source/01_dv").mkdir(parents=True)
    (tmp_path / "source/01_dv/01_dv.ipynb").write_text("{}")
    for student in ("ann", "bob", "cy"):
        (tmp_path / "autograded" / student / "01_dv").mkdir(parents=True)
    (tmp_path / "autograded/ann/01_dv/01_dv.ipynb").write_text("{}")
    (tmp_path / "autograded/ann/01_dv/scratch.ipynb").write_text("{}")  # unknown extra notebook
    (tmp_path / "autograded/bob/01_dv/01_dv.ipynb").symlink_to(tmp_path / "source/01_dv/01_dv.ipynb")
    jobs, notices = nbg.feedback_jobs(tmp_path, "01_dv")
    assert jobs == [("ann", "01_dv")]
    assert any("scratch.ipynb" in n for n in notices)
    assert any(n.startswith("bob:") and "not a regular file" in n for n in notices)


@pytest.mark.fast
def test_one_failed_feedback_does_not_stop_the_others(tmp_path, monkeypatch, capsys):
    """cmd_feedback runs nbgrader once per student and notebook (here a stand-in that fails
    for one student), reports the failure at the end and exits 1; stale feedback goes."""
    import types
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks/01_dv.md").write_text("")
    (tmp_path / "source/01_dv").mkdir(parents=True)
    (tmp_path / "source/01_dv/01_dv.ipynb").write_text("{}")
    for s in ("ann", "bob", "cy"):
        (tmp_path / "autograded" / s / "01_dv").mkdir(parents=True)
        (tmp_path / "autograded" / s / "01_dv/01_dv.ipynb").write_text("{}")
    stale = tmp_path / "feedback/bob/01_dv/01_dv.html"
    stale.parent.mkdir(parents=True)
    stale.write_text("old feedback")
    calls = []

    def fake_run(course, *args, **kwargs):
        calls.append(args)
        student = args[args.index("--student") + 1]
        if student == "bob":
            return types.SimpleNamespace(returncode=1, stdout="Traceback\nValueError: broken notebook")
        out = course / "feedback" / student / "01_dv" / "01_dv.html"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text("ok")
        return types.SimpleNamespace(returncode=0, stdout="")

    monkeypatch.setattr(nbg, "run", fake_run)
    assert cli.main(["feedback", "--course", str(tmp_path)]) == 1
    assert [c[c.index("--student") + 1] for c in calls] == ["ann", "bob", "cy"]
    assert all(("--notebook", "01_dv") == c[c.index("--notebook"):c.index("--notebook") + 2] for c in calls)
    assert not stale.exists()
    assert (tmp_path / "feedback/cy/01_dv/01_dv.html").is_file()
    err = capsys.readouterr().err
    assert "bob" in err and "broken notebook" in err and "ann" not in err


@pytest.mark.fast
def test_an_unknown_assignment_is_an_error_that_lists_the_known_ones(tmp_path, capsys):
    root = make_course(tmp_path / "c", ["01_dv"])
    before = sorted(p.relative_to(root) for p in root.rglob("*"))
    for name in ("05_nope", "05\x1b[31mnope"):
        rc = cli.main(["--course", str(root), "autograde", "--assignment", name, "--no-progress"])
        err = capsys.readouterr().err
        assert rc != 0, err
        assert "no assignment" in err and "01_dv" in err, err
        assert "\x1b" not in err, repr(err)   # a name from the command line, shown escaped
    assert sorted(p.relative_to(root) for p in root.rglob("*")) == before


@pytest.mark.fast
def test_autograde_before_release_stops_before_writing_anything(tmp_path, capsys):
    root = make_course(tmp_path / "c", ["01_dv"])
    hand_in = root / "submitted" / "alice" / "01_dv"
    hand_in.mkdir(parents=True)
    (hand_in / "01_dv.ipynb").write_bytes((root / "source" / "01_dv" / "01_dv.ipynb").read_bytes())
    before = sorted(p.relative_to(root) for p in root.rglob("*"))
    rc = cli.main(["--course", str(root), "autograde", "--no-progress"])
    err = capsys.readouterr().err
    assert rc != 0 and "not released" in err and "course release" in err, err
    assert not (root / "gradebook.db").exists()
    assert sorted(p.relative_to(root) for p in root.rglob("*")) == before
