"""The student install (README, "For students"), built and used as a student would.

`student/build.sh` (what `make student` runs) makes the bundle: release/, the
pinned requirements, the helpers wheel.  Once per session a fresh venv of the
base Python gets `pip install -r requirements.txt` in that bundle, as the
README says (pip takes the pinned wheels from the machine's local index and
cache; torch==2.13.0 is the CPU wheel on disk).  No grading/, source/ or
notebooks/ reaches it.  Then:

- the untouched release of 01_dv, executed in that environment, runs to its
  first NotImplementedError (the first cell that calls an exercise's stub: in
  01_dv a locked cell that prints the ground truth), every cell before it clean;
- the reference solution (examples/01_dv.py's "correct", pasted into the
  bundle's release by grading.examples) passes `nbgrader validate`, which is
  what the Validate button runs, and nbgrader's server and lab extensions,
  which draw the button and answer it, are enabled there.

Measured here (2 cores shared with other engineers' work): the pip install
129 s at load 5 (55 CPU-s), 493 s at load 20-190; the whole file 10 min 15 s at
that load (Validate of the reference solution 89 s, the release to its first
error 30 s).
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

from conftest import ROOT

pytestmark = pytest.mark.grading

ASSIGNMENT = "01_dv"


def student_env(home):
    """A student's environment: no PYTHONPATH, no course, torch single-threaded, own home."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "VIRTUAL_ENV", "NBGRADER_EXECUTION", "COURSE_RECORD")
           and not k.startswith("JUPYTER")}
    env.update(HOME=str(home), OMP_NUM_THREADS="1", MPLBACKEND="Agg",
               JUPYTER_CONFIG_DIR=str(home / ".jupyter"), IPYTHONDIR=str(home / ".ipython"))
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep)
                                  if not p.startswith(sys.prefix))
    home.mkdir(parents=True, exist_ok=True)
    return env


@pytest.fixture(scope="session")
def student(tmp_path_factory):
    """(bundle folder, venv python, env): the bundle built, installed in a fresh venv."""
    tmp = tmp_path_factory.mktemp("student")
    bundle = tmp / "mi-course-student"
    subprocess.run(["sh", str(ROOT / "student" / "build.sh"), str(bundle), sys.executable],
                   cwd=ROOT, check=True)
    env = student_env(tmp / "home")
    venv = tmp / "venv"
    base = getattr(sys, "_base_executable", None) or "python3"
    subprocess.run([base, "-m", "venv", str(venv)], check=True, env=env)
    py = venv / "bin" / "python"
    out = subprocess.run([str(py), "-m", "pip", "install", "-q", "-r", "requirements.txt"],
                         cwd=bundle, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    return bundle, py, env


def test_bundle_holds_the_student_side_only(student):
    bundle, py, env = student
    assert sorted(p.name for p in bundle.iterdir()) == [
        "README.md", "mi_course_student-0.1.0-py3-none-any.whl", "release", "requirements.txt"]
    assert sorted(p.name for p in (bundle / "release").iterdir()) == sorted(
        p.name for p in (ROOT / "release").iterdir())
    with zipfile.ZipFile(bundle / "mi_course_student-0.1.0-py3-none-any.whl") as whl:
        tops = {n.split("/")[0] for n in whl.namelist()}
    assert tops == {"helpers", "mi_course_student-0.1.0.dist-info"}, tops
    # the release carries no solution and no hidden test
    for nb in (bundle / "release").glob("*/*.ipynb"):
        text = nb.read_text()
        assert "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text, nb
    # the environment has helpers, from its own site-packages, and nothing of the instructor
    code = ("import importlib.util as u, json, helpers; print(json.dumps([helpers.__file__, "
            "[m for m in ('grading', 'dask', 'psycopg', 'playwright') if u.find_spec(m)]]))")
    out = subprocess.run([str(py), "-c", code], cwd=bundle / "release" / ASSIGNMENT, env=env,
                         capture_output=True, text=True, check=True)
    helpers_file, instructor = json.loads(out.stdout)
    assert Path(helpers_file).is_relative_to(py.parents[1]), helpers_file
    assert instructor == []


RUN_TO_FIRST_ERROR = """
import json, sys
import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
path = sys.argv[1]
nb = nbformat.read(path, as_version=4)
client = NotebookClient(nb, timeout=600, kernel_name="python3",
                        resources={"metadata": {"path": str(__import__("pathlib").Path(path).parent)}})
failed = None
try:
    client.execute()
except CellExecutionError as e:
    failed = e.ename
ran = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and c.get("execution_count")]
errors = [(i, o.ename) for i, c in enumerate(nb.cells) if c.cell_type == "code"
          for o in c.get("outputs", []) if o.output_type == "error"]
print(json.dumps({"failed": failed, "ran": ran, "errors": errors}))
"""


def test_untouched_release_runs_to_its_first_not_implemented_error(student):
    bundle, py, env = student
    nb_path = bundle / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    out = subprocess.run([str(py), "-c", RUN_TO_FIRST_ERROR, str(nb_path)], cwd=nb_path.parent,
                         env=env, capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, out.stderr[-3000:]
    got = json.loads(out.stdout.splitlines()[-1])
    assert got["failed"] == "NotImplementedError", got
    assert len(got["errors"]) == 1, got                      # stopped at the first error
    (where, ename), = got["errors"]
    assert ename == "NotImplementedError"
    assert where == got["ran"][-1]                           # the last cell that ran
    nb = nbformat.read(str(nb_path), as_version=4)
    first_exercise = min(i for i, c in enumerate(nb.cells) if c.cell_type == "code"
                         and c.metadata.get("nbgrader", {}).get("solution"))
    assert where > first_exercise, "NotImplementedError before the first exercise"
    code_before = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and i < where]
    assert got["ran"][:-1] == code_before                     # every cell before it ran, clean


def test_reference_solution_passes_validate(student, tmp_path):
    """The Validate button runs `nbgrader validate` on the saved notebook: the reference
    solution, pasted into the student's copy of the release, gets "Success"."""
    from grading.examples import make_submission, specs

    bundle, py, env = student
    release = bundle / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    done = make_submission(ROOT / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", release,
                           specs(ROOT, ASSIGNMENT)["correct"])
    work = bundle / "work" / ASSIGNMENT
    work.mkdir(parents=True)
    nbformat.write(done, str(work / f"{ASSIGNMENT}.ipynb"))
    nbgrader = py.parent / "nbgrader"
    out = subprocess.run([str(nbgrader), "validate", f"{ASSIGNMENT}.ipynb"], cwd=work, env=env,
                         capture_output=True, text=True, timeout=900)
    assert "Success! Your notebook passes all the tests." in out.stdout, out.stdout + out.stderr
    # what draws the Validate button and answers it: nbgrader's lab and server extensions
    jupyter = str(py.parent / "jupyter")
    server = subprocess.run([jupyter, "server", "extension", "list"], env=env, capture_output=True,
                            text=True, check=True)
    listing = server.stdout + server.stderr
    assert re.search(r"nbgrader\.server_extensions\.validate_assignment\s+(\x1b\[\d+m)?enabled", listing), listing
    lab = subprocess.run([jupyter, "labextension", "list"], env=env, capture_output=True, text=True,
                         check=True)
    assert re.search(r"@jupyter/nbgrader v\S+\s+(\x1b\[\d+m)?enabled", lab.stdout + lab.stderr), lab.stdout
