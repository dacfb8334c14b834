"""Grading at scale, with real parts: nbgrader, a PostgreSQL server, a Dask LocalCluster.

One mixed batch of the tiny fixture assignment `scale_tiny`: correct, untouched,
typical-mistake and hostile submissions (a tamper, a killed kernel, a flood of
output), each a second of kernel time, so that the test is about the grader
and not the training.  (Real notebooks go through the same path in `make
demo`, whose report checks every example's scores, and in
bench/bench_grading.py, which checks serial and parallel scores agree.)  A serial run of the course's sandboxed grader
(`grading.serial.autograde`: one job at a time) is the reference; every other way
of grading it must leave exactly the same gradebook rows.
"""
import glob
import os
import runpy
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import pytest

from grading import examples, report, review, scale, scratch
from grading import serial as serial_grader

from conftest import ROOT, make_course

pytestmark = pytest.mark.grading

TINY = ROOT / "tests" / "fixtures" / "scale_tiny"
BATCH = {"scale_tiny": sorted(runpy.run_path(str(TINY / "examples.py"))["SUBMISSIONS"])}


def make_batch_course(dest, batch=BATCH, db_url=None):
    """A course with the fixture assignment released and the batch handed in."""
    course = make_course(dest, [], fixtures=["scale_tiny"], release="generate", db_url=db_url)
    for a, students in batch.items():
        # a submission time per student, so that the timestamps must line up too
        times = {s: f"2026-11-20 12:{k:02d}:00.000000 UTC" for k, s in enumerate(sorted(students))}
        written = scratch.hand_in(course, a, scratch.examples_of(course, a, students), times)
        assert sorted(written) == sorted(students)
    return course


def snapshot(db_url):
    """Every submission row of a gradebook: timestamp, late penalty, per-cell
    auto/manual scores, needs-manual-grade flags and auto comments."""
    from nbgrader.api import Comment, Grade, Gradebook

    rows = {}
    with Gradebook(db_url) as gb:
        for a in gb.assignments:
            for sub in a.submissions:
                rows[a.name, sub.student.id] = {
                    "timestamp": str(sub.timestamp),
                    "notebooks": {nb.name: {
                        "late_penalty": nb.late_submission_penalty,
                        "grades": {g.name: (g.auto_score, g.manual_score, g.needs_manual_grade,
                                            g.cell.cell_type) for g in nb.grades},
                        "comments": {c.name: c.auto_comment for c in nb.comments}}
                        for nb in sub.notebooks}}
        counts = (gb.db.query(Grade).count(), gb.db.query(Comment).count())
    return rows, counts


def autograded_outcome(course, batch=BATCH):
    """Per submission: the files nbgrader wrote and, per test cell, whether it raised."""
    out = {}
    for a, students in batch.items():
        for s in students:
            folder = course / "autograded" / s / a
            if not folder.exists():
                out[a, s] = None
                continue
            nb = nbformat.read(folder / f"{a}.ipynb", as_version=4)
            errors = {c.metadata.nbgrader["grade_id"]: any(o.output_type == "error" for o in c.outputs)
                      for c in nb.cells
                      if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")}
            out[a, s] = (sorted(p.name for p in folder.iterdir()), errors)
    return out


SPECS = runpy.run_path(str(TINY / "examples.py"))["SUBMISSIONS"]
FLAGGED = sorted(("scale_tiny", s) for s, spec in SPECS.items() if spec.get("review"))


def expected(course, batch=BATCH):
    """{(assignment, student): {test cell: score}} from the example specs."""
    want = {}
    for a, students in batch.items():
        specs = examples.specs(course, a)
        max_scores = report.autograded_max(course, a, scale.coursedir(course).db_url)
        for s in students:
            want[a, s] = examples.expected_scores(specs[s], max_scores)
    return want


def scores_of(rows):
    """{(assignment, student): {autograded test cell: score}}, the score being the manual
    one where it is set (the tamper checks zero a cell that way), else the automatic one;
    written answers, graded by hand, are left out."""
    return {key: {g: (v[1] if v[1] is not None else v[0])
                  for g, v in r["notebooks"][key[0]]["grades"].items() if v[3] == "code"}
            for key, r in rows.items()}


def flagged(course):
    """The (assignment, student) pairs on the course's review list."""
    return sorted({(r["assignment"], r["student"]) for r in review.read(course)})


@pytest.fixture(scope="module")
def serial(tmp_path_factory):
    """The reference: the course's serial grader (every submission a sandboxed job, the
    verdicts and tamper checks in the writer), one submission after another."""
    course = make_batch_course(tmp_path_factory.mktemp("serial"))
    for a in BATCH:
        serial_grader.autograde(course, a)
    rows, counts = snapshot(scale.coursedir(course).db_url)
    return course, rows, counts


def test_the_fixture_record_is_current(tmp_path):
    """tests/fixtures/scale_tiny/expected/ is what `course record` makes of the fixture now."""
    import json

    course = make_batch_course(tmp_path / "c", batch={"scale_tiny": []})
    (course / "expected" / "scale_tiny.json").unlink()
    serial_grader.record(course, "scale_tiny")
    assert json.loads((course / "expected" / "scale_tiny.json").read_text()) == \
        json.loads((TINY / "expected" / "scale_tiny.json").read_text())


def test_serial_reference_is_what_the_examples_say(serial):
    """The reference itself earns the scores the submissions are named for."""
    course, rows, _ = serial
    assert sorted(rows) == sorted((a, s) for a, st in BATCH.items() for s in st)
    assert scores_of(rows) == expected(course)
    assert flagged(course) == FLAGGED


def test_parallel_grades_equal_serial(serial, tmp_path):
    course = make_batch_course(tmp_path / "c")
    summary = scale.grade(course, list(BATCH), jobs=2)
    assert not summary.failed and not summary.skipped
    assert sorted(summary.graded) == sorted(serial[1])
    assert sorted((a, s) for a, s, _ in summary.flagged) == FLAGGED
    assert flagged(course) == flagged(serial[0])
    rows, counts = snapshot(scale.coursedir(course).db_url)
    assert rows == serial[1]
    assert counts == serial[2], "grade/comment row counts differ: lost or duplicated rows"
    assert autograded_outcome(course) == autograded_outcome(serial[0])
    assert summary.cpu_s > 0 and summary.wall_s > 0


@pytest.fixture(scope="module")
def postgres():
    """A real PostgreSQL server from Debian's packages: a temporary data directory,
    a Unix socket only, run by an unprivileged user when the tests run as root."""
    pg_ctls = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    assert pg_ctls, "PostgreSQL is not installed: apt-get install postgresql"
    bindir = Path(pg_ctls[-1]).parent
    base = Path(tempfile.mkdtemp(prefix="pg-scale-"))  # under /tmp, reachable by that user
    data, sock = base / "data", base / "sock"
    sock.mkdir()
    as_user = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        as_user = ["runuser", "-u", "nobody", "--"]
        base.chmod(0o755)
        for p in (base, sock):
            shutil.chown(p, "nobody", "nogroup")

    def pg(*cmd):
        return subprocess.run(as_user + [str(c) for c in cmd], cwd=base, check=True,
                              capture_output=True, text=True)

    pg(bindir / "initdb", "-D", data, "-A", "trust", "-U", "grader", "--no-sync")
    pg(bindir / "pg_ctl", "-D", data, "-l", base / "server.log", "-w", "-o",
       f"-k {sock} -c listen_addresses='' -c fsync=off", "start")
    try:
        pg(bindir / "createdb", "-h", sock, "-U", "grader", "gradebook")
        yield f"postgresql+psycopg://grader@/gradebook?host={sock}"
    finally:
        pg(bindir / "pg_ctl", "-D", data, "-m", "fast", "-w", "stop")
        shutil.rmtree(base, ignore_errors=True)


@pytest.mark.postgres
def test_postgresql_gradebook(serial, postgres, tmp_path):
    """The gradebook on a PostgreSQL server, named by CourseDirectory.db_url."""
    course = make_batch_course(tmp_path / "c", db_url=postgres)
    assert scale.coursedir(course).db_url == postgres
    summary = scale.grade(course, list(BATCH), jobs=2)
    assert not summary.failed
    assert not (course / "gradebook.db").exists(), "a SQLite gradebook was written after all"
    rows, counts = snapshot(postgres)
    assert rows == serial[1]
    assert counts == serial[2]
    # The course's own tools read the same server.
    assert report.cell_scores(course, "scale_tiny", "correct") == scores_of(serial[1])["scale_tiny", "correct"]


@pytest.mark.dask
def test_dask_cluster(serial, tmp_path, monkeypatch):
    """Jobs on a Dask LocalCluster of two single-threaded worker processes, reached
    through its scheduler address as a remote cluster would be."""
    from distributed import LocalCluster

    monkeypatch.setenv("PYTHONPATH", str(ROOT))  # the workers import this checkout's grading
    course = make_batch_course(tmp_path / "c")
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster:
        summary = scale.grade(course, list(BATCH), scheduler=cluster.scheduler_address)
    assert not summary.failed
    assert sorted(summary.graded) == sorted(serial[1])
    assert flagged(course) == flagged(serial[0])
    rows, counts = snapshot(scale.coursedir(course).db_url)
    assert rows == serial[1]
    assert counts == serial[2]
    assert autograded_outcome(course) == autograded_outcome(serial[0])
    assert summary.cpu_s > 0  # reported by the workers


def course_cmd(course, *args):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen([sys.executable, "-m", "grading", "--course", str(course), *args],
                            env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def state(course):
    from sqlalchemy import create_engine, text

    engine = create_engine(scale.coursedir(course).db_url)
    with engine.connect() as conn:
        rows = conn.execute(text(f"select student, status from {scale.STATE_TABLE}")).all()
    engine.dispose()
    return dict(rows)


def test_killed_worker_loses_nothing_and_a_rerun_completes(tmp_path):
    import psutil

    tiny = ["correct", "squares_from_one", "unchanged"]  # and one slow submission
    course = make_batch_course(tmp_path / "c", batch={"scale_tiny": tiny})
    # One slow submission, whose worker is killed while its kernel runs.
    slow = examples.make_submission(
        course / "source/scale_tiny/scale_tiny.ipynb", course / "release/scale_tiny/scale_tiny.ipynb",
        {"edits": {"squares": [("def squares(n):", "import time\ntime.sleep(8)\n\ndef squares(n):")]}})
    (course / "submitted/slow_correct/scale_tiny").mkdir(parents=True)
    nbformat.write(slow, course / "submitted/slow_correct/scale_tiny/scale_tiny.ipynb")
    everyone = sorted([*tiny, "slow_correct"])

    proc = course_cmd(course, "--assignment", "scale_tiny", "autograde", "--jobs", "2")
    victim, deadline = None, time.time() + 600
    while victim is None and time.time() < deadline and proc.poll() is None:
        # the job's nbgrader process, which runs in the job's folder (in the job sandbox)
        for child in psutil.Process(proc.pid).children(recursive=True):
            try:
                if Path(child.cwd()).name.startswith("grade-scale_tiny-slow_correct-"):
                    victim = child
            except psutil.Error:
                pass
        time.sleep(0.1)
    assert victim is not None, "never saw the worker of slow_correct"
    time.sleep(2)  # into its kernel's run
    victim.send_signal(signal.SIGKILL)
    output = proc.communicate(timeout=300)[0]
    assert proc.returncode == 1, output
    assert f"graded {len(tiny)}, failed 1" in output, output
    assert "FAILED  slow_correct/scale_tiny" in output, output
    # every job's log is kept, the killed one's too (grading/writer.keep_log)
    for s in everyone:
        assert (course / ".grading/logs/scale_tiny" / f"{s}.log").is_file(), s
    assert "AutogradeApp" in (course / ".grading/logs/scale_tiny/correct.log").read_text()

    url = scale.coursedir(course).db_url
    rows, _ = snapshot(url)
    want = expected(course, {"scale_tiny": tiny})
    assert {k: v for k, v in scores_of(rows).items() if k[1] != "slow_correct"} == want, \
        "the other submissions were not all recorded"
    assert state(course) == {**{s: "graded" for s in tiny}, "slow_correct": "failed"}

    # The re-run grades only what failed.
    proc = course_cmd(course, "--assignment", "scale_tiny", "autograde", "--jobs", "2")
    output = proc.communicate(timeout=300)[0]
    assert proc.returncode == 0, output
    assert (f"grading 1 submissions on 2 jobs "
            f"({len(tiny)} already graded and unchanged)") in output, output
    assert "graded 1, failed 0" in output, output
    rows2, counts = snapshot(url)
    others = lambda r: {k: v for k, v in r.items() if k[1] != "slow_correct"}  # noqa: E731
    assert others(rows2) == others(rows), "a re-run changed submissions it had no reason to grade"
    assert scores_of(rows2)["scale_tiny", "slow_correct"] == {"test_squares": 2.0, "test_mean_square": 3.0}
    assert state(course) == {s: "graded" for s in everyone}
    assert counts[0] == 2 * len(everyone), "duplicated grade rows"

    # A changed submission (same timestamps, new content) is graded again; nothing else is.
    nb_path = course / "submitted/correct/scale_tiny/scale_tiny.ipynb"
    nb = nbformat.read(nb_path, as_version=4)
    nb.cells[2].source = nb.cells[2].source.replace("np.arange(n) ** 2", "np.arange(1, n + 1) ** 2")
    nbformat.write(nb, nb_path)
    proc = course_cmd(course, "--assignment", "scale_tiny", "autograde", "--jobs", "2")
    output = proc.communicate(timeout=300)[0]
    assert "grading 1 submissions" in output, output
    assert "graded 1, failed 0" in output, output
    assert scores_of(snapshot(url)[0])["scale_tiny", "correct"]["test_squares"] == 0.0
