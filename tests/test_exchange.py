"""The nbgrader exchange round trip, with nbgrader's real commands.

A temporary exchange root and a course built from the repository (01_dv, the
smallest assignment):

1. the instructor releases the assignment (`nbgrader release_assignment`);
2. two students, each in a folder of their own, fetch it (`nbgrader
   fetch_assignment`), as another Unix user than the instructor (nobody: the
   exchange's permissions are tried for real; each gives their id with
   nbgrader's `--student`, as separate hub users get it from their login):
   "diligent" pastes in the reference solution (examples/01_dv.py's "correct"),
   "idle" leaves the release as fetched; both `nbgrader submit`;
3. the instructor collects (`nbgrader collect`) into submitted/;
4. `course autograde` grades the collected submissions in the sandbox:
   11/11 and 0/11;
5. `course feedback`, then `nbgrader release_feedback`; each student
   `nbgrader fetch_feedback`s a page with their own score and no hidden-test
   or solution line;
6. `course dashboard` draws the page of the two graded submissions.

docs/operations.md's "JupyterHub" section says what a real set-up needs beyond this
(one shared exchange root, its permissions, the grading user, the sandbox's
requirements).
"""
from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
import pytest

from conftest import ROOT, make_course

pytestmark = pytest.mark.grading

ASSIGNMENT = "01_dv"
COURSE_ID = "mi-estimation"          # nbgrader_config.py's CourseDirectory.course_id
STUDENTS = ("diligent", "idle")


STUDENT_UID = 65534                  # nobody: a student is not the instructor


def run(args, cwd, env, user):
    """``python -m ARGS`` in ``cwd``; a student's command runs as STUDENT_UID."""
    drop = [] if user == "instructor" else [
        "setpriv", f"--reuid={STUDENT_UID}", f"--regid={STUDENT_UID}", "--clear-groups"]
    home = Path(env["HOME"]) / user        # each user's own home: nbgrader keeps a student's
    home.mkdir(exist_ok=True)              # submissions in a cache there (fetch_feedback)
    os.chown(home, *((0, 0) if user == "instructor" else (STUDENT_UID, STUDENT_UID)))
    env = {**env, "HOME": str(home), "JUPYTER_CONFIG_DIR": str(home / ".jupyter")}
    out = subprocess.run([*drop, sys.executable, "-m", *args], cwd=cwd, env=env,
                         capture_output=True, text=True, timeout=1800)
    assert out.returncode == 0, f"{' '.join(args)} ({user}):\n{out.stdout[-4000:]}\n{out.stderr[-4000:]}"
    return out.stdout + out.stderr


@pytest.fixture(scope="module")
def round_trip(request):
    from grading.examples import make_submission, specs

    # pytest's own temporary folders are closed to other users: a folder under /tmp
    tmp = Path(tempfile.mkdtemp(prefix="exchange-test-"))
    tmp.chmod(0o755)
    request.addfinalizer(lambda: shutil.rmtree(tmp, ignore_errors=True))
    exchange = tmp / "srv-nbgrader-exchange"
    exchange.mkdir()
    exchange.chmod(0o777)                 # as the README says: sudo chmod ugo+rwx
    home = tmp / "home"
    home.mkdir()
    home.chmod(0o777)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "NBGRADER"))}
    env.update(HOME=str(home), OMP_NUM_THREADS="1")
    ex = [f"--Exchange.root={exchange}"]
    course = make_course(tmp / "course", [ASSIGNMENT])
    # course release: release/ by nbgrader, and the instructor-side record of what each test
    # checks (expected/01_dv.json, from the reference solution graded in the sandbox)
    run(["grading", "--assignment", ASSIGNMENT, "release"], course, env, "instructor")

    # 1. the instructor releases
    run(["nbgrader", "release_assignment", ASSIGNMENT, *ex], course, env, "instructor")
    assert (exchange / COURSE_ID / "outbound" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").is_file()

    # 2. students fetch, work (or not) and submit
    fetched = {}
    for student in STUDENTS:
        desk = tmp / "students" / student
        desk.mkdir(parents=True)
        os.chown(desk, STUDENT_UID, STUDENT_UID)
        run(["nbgrader", "fetch_assignment", ASSIGNMENT, f"--course={COURSE_ID}", *ex], desk, env, student)
        nb_path = desk / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
        fetched[student] = nb_path.read_bytes()
        if student == "diligent":
            done = make_submission(course / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", nb_path,
                                   specs(ROOT, ASSIGNMENT)["correct"])
            nbformat.write(done, str(nb_path))
        run(["nbgrader", "submit", ASSIGNMENT, f"--course={COURSE_ID}", f"--student={student}", *ex],
            desk, env, student)
    inbound = sorted(p.name.split("+")[0] for p in (exchange / COURSE_ID / "inbound").iterdir())
    assert inbound == sorted(STUDENTS)

    # 3. the instructor collects
    run(["nbgrader", "collect", ASSIGNMENT, *ex], course, env, "instructor")
    for student in STUDENTS:
        assert (course / "submitted" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").is_file()

    # 4. course autograde (sandboxed, side by side)
    graded = run(["grading", "--assignment", ASSIGNMENT, "autograde", "--jobs", "2", "--no-progress"],
                 course, env, "instructor")

    # 5. feedback, released through the exchange and fetched by each student
    run(["grading", "--assignment", ASSIGNMENT, "feedback"], course, env, "instructor")
    run(["nbgrader", "release_feedback", ASSIGNMENT, *ex], course, env, "instructor")
    for student in STUDENTS:
        run(["nbgrader", "fetch_feedback", ASSIGNMENT, f"--course={COURSE_ID}",
             f"--student={student}", *ex], tmp / "students" / student, env, student)

    # 6. the dashboard of what was graded
    run(["grading", "--assignment", ASSIGNMENT, "dashboard"], course, env, "instructor")
    return dict(course=course, tmp=tmp, exchange=exchange, fetched=fetched, graded=graded)


def test_students_fetch_the_release(round_trip):
    release = (round_trip["course"] / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_bytes()
    for student in STUDENTS:
        assert round_trip["fetched"][student] == release


def test_collected_submissions_are_graded(round_trip):
    from grading import report

    course = round_trip["course"]
    max_scores = report.autograded_max(course, ASSIGNMENT)
    full = report.cell_scores(course, ASSIGNMENT, "diligent")
    none = report.cell_scores(course, ASSIGNMENT, "idle")
    assert full == {c: float(m) for c, m in max_scores.items()}, round_trip["graded"]
    assert none == {c: 0.0 for c in max_scores}, round_trip["graded"]
    assert "graded 2" in round_trip["graded"], round_trip["graded"]


def test_students_fetch_their_own_feedback(round_trip):
    from grading.leakcheck import leaks

    course, tmp = round_trip["course"], round_trip["tmp"]
    source = nbformat.read(str(course / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"), as_version=4)
    total = {"diligent": "11", "idle": "0"}
    for student in STUDENTS:
        pages = list((tmp / "students" / student / ASSIGNMENT / "feedback").glob(f"*/{ASSIGNMENT}.html"))
        assert len(pages) == 1, pages
        page = pages[0].read_text()
        assert page == (course / "feedback" / student / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
        text = re.sub(r"<[^>]+>", "", html.unescape(page))
        assert re.search(rf"Score:\s*{total[student]}(\.0)?\s*/\s*1[0-9]", text), text[:2000]
        own = (course / "submitted" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text()
        own_text = "\n".join(c.source for c in nbformat.reads(own, as_version=4).cells)
        leaked = [s for s in leaks(text, source) if s not in own_text]
        assert not leaked, leaked[:3]


def test_dashboard_of_the_collected_submissions(round_trip):
    page = (round_trip["course"] / "dashboard" / f"{ASSIGNMENT}.html").read_text()
    assert "2 graded submissions" in page
    rows = re.findall(r"<tr><td>(\w+)</td><td>graded</td><td class=\"num\">([\d.]+)</td>", page)
    assert sorted(s for s, _ in rows) == sorted(STUDENTS) and all(float(w) > 0 for _, w in rows)
    assert "NotImplementedError" in page          # idle's failures, counted per test cell


def test_submission_secret_is_carried_as_a_plain_file_only(tmp_path):
    """course feedback puts back each collected submission's secret and timestamp
    (release_feedback needs both), and never follows a link a student planted in their place."""
    from grading.exchange import carry_submission_secrets

    private = tmp_path / "instructor-only.txt"
    private.write_text("not for students")
    for student, plant in (("plain", None), ("linked", private), ("fifo", "fifo")):
        sub = tmp_path / "submitted" / student / ASSIGNMENT
        sub.mkdir(parents=True)
        (tmp_path / "feedback" / student / ASSIGNMENT).mkdir(parents=True)
        secret = sub / "submission_secret.txt"
        if plant is None:
            secret.write_text("abc123")
            (sub / "timestamp.txt").write_text("2026-11-29 08:00:00.000000 UTC")
        elif plant == "fifo":
            os.mkfifo(secret)
        else:
            secret.symlink_to(plant)
    assert carry_submission_secrets(tmp_path, ASSIGNMENT) == ["plain"]
    assert (tmp_path / "feedback" / "plain" / ASSIGNMENT / "submission_secret.txt").read_text() == "abc123"
    assert (tmp_path / "feedback" / "plain" / ASSIGNMENT / "timestamp.txt").read_text().startswith("2026-11-29")
    for student in ("linked", "fifo"):
        assert not (tmp_path / "feedback" / student / ASSIGNMENT / "submission_secret.txt").exists()
