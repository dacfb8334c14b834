"""The pin lists agree (requirements.txt, environment.yml, the student install's
student/requirements.txt), everything is pinned, and conda installs the course
non-editable, which this file also proves by building an environment the way
conda's pip step does."""
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

COURSE_LINE = "."   # environment.yml's pip line for the course itself (never "-e .")


def norm(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def requirements(root):
    pins = {}
    for line in (root / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            m = re.fullmatch(r"([A-Za-z0-9_.\-]+)==([0-9][0-9A-Za-z.+\-]*)", line)
            assert m, f"requirements.txt: {line!r} is not pinned with =="
            pins[norm(m[1])] = m[2]
    return pins


def environment(root):
    env = yaml.safe_load((root / "environment.yml").read_text())
    pins = {}
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            for line in dep["pip"]:
                if line == COURSE_LINE:
                    continue
                name, _, version = line.partition("==")
                assert version, f"environment.yml pip: {line!r} is not pinned with =="
                pins[norm(name)] = version
        elif dep == "pip" or dep.startswith("python="):
            continue
        else:
            name, _, version = dep.partition("=")
            assert version, f"environment.yml: {dep!r} is not pinned"
            pins[norm(name)] = version
    return pins


@pytest.mark.fast
def test_requirements_and_environment_agree(root):
    req, env = requirements(root), environment(root)
    assert req == env, (
        f"only in requirements.txt: {sorted(set(req.items()) - set(env.items()))}; "
        f"only in environment.yml: {sorted(set(env.items()) - set(req.items()))}")


@pytest.mark.fast
def test_torch_is_pinned_to_the_local_cpu_build(root):
    assert requirements(root)["torch"] == "2.13.0"


@pytest.mark.fast
def test_installed_versions_match_the_pins(root):
    from importlib.metadata import version

    for name, pinned in requirements(root).items():
        got = version(name).split("+")[0]
        assert got == pinned, f"{name}: installed {got}, pinned {pinned}"


@pytest.mark.fast
def test_nbformat_does_not_build_the_iri_parsers():
    """Every nbgrader command imports nbformat, and so jsonschema's format checkers.
    With rfc3987-syntax installed that import builds ~35 Earley parsers (5.4 s of CPU
    here, per process); the jsonschema pin keeps it out.  Checked in a fresh process."""
    import subprocess
    import sys

    code = "import sys, nbformat, jsonschema; print('rfc3987_syntax' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False", "nbformat imported rfc3987_syntax: check the jsonschema pin"


def pip_section(root):
    env = yaml.safe_load((root / "environment.yml").read_text())
    return [line for dep in env["dependencies"] if isinstance(dep, dict) for line in dep["pip"]]


@pytest.mark.fast
def test_environment_installs_the_course_non_editable(root):
    """conda runs the pip lines from environment.yml's folder: the course is `.`, once,
    and nothing is installed editable (an editable course fails every sandboxed test:
    the kernels would import helpers from the checkout, outside the environment)."""
    lines = pip_section(root)
    assert lines.count(COURSE_LINE) == 1, lines
    editable = [ln for ln in lines if re.match(r"\s*(-e|--editable)\b", ln)]
    assert not editable, f"environment.yml installs editable: {editable}"
    raw = (root / "environment.yml").read_text()
    assert not re.search(r"^\s*-\s*(-e|--editable)\s", raw, re.M), "an editable pip line"


def student_requirements(root):
    pins, local = {}, []
    for line in (root / "student" / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if not line:
            continue
        if line.startswith("./"):
            local.append(line)
            continue
        m = re.fullmatch(r"([A-Za-z0-9_.\-]+)==([0-9][0-9A-Za-z.+\-]*)", line)
        assert m, f"student/requirements.txt: {line!r} is not pinned with =="
        pins[norm(m[1])] = m[2]
    return pins, local


@pytest.mark.fast
def test_student_requirements_carry_the_course_pins(root):
    """The student install pins a subset of the course's stack, at the same versions, and
    installs helpers from the wheel `make student` builds (named for student/pyproject.toml)."""
    import tomllib

    pins, local = student_requirements(root)
    req = requirements(root)
    assert {k: req.get(k) for k in pins} == pins, "student pins differ from requirements.txt"
    for name in ("torch", "numpy", "pandas", "matplotlib", "seaborn", "tqdm", "tensorboard",
                 "ipywidgets", "ipykernel", "jupyterlab", "nbgrader"):
        assert name in pins, f"the notebooks need {name}"
    for name in ("dask", "distributed", "psycopg", "playwright", "pytest"):
        assert name not in pins, f"{name} is instructor-side"
    project = tomllib.loads((root / "student" / "pyproject.toml").read_text())["project"]
    wheel = f"./{project['name'].replace('-', '_')}-{project['version']}-py3-none-any.whl"
    assert local == [wheel], local


# -- the conda path, as far as it can be tried without conda-forge --------------------------

def conda_like_env(root, prefix):
    """An environment built as `conda env create -f environment.yml` builds it, except
    for the conda packages themselves: conda-forge cannot be reached here, so the
    packages of this test run's own environment (the same pins: see the tests above)
    stand in for them, hard-linked into a fresh venv, the course's own packages left
    out.  Then conda's pip step, exactly: the pip lines in a requirements file, and
    `python -m pip install -U -r FILE` run in environment.yml's folder."""
    subprocess.run([sys.executable, "-m", "venv", str(prefix)], check=True)
    ours = Path(sys.prefix) / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages"
    theirs = next((prefix / "lib").glob("python3*/site-packages"))
    skip = re.compile(r"^(helpers|grading|mi_course[^/]*|__editable__.*|pip|pip-.*|_distutils_hack|distutils-precedence\.pth)$")
    for entry in ours.iterdir():
        if skip.match(entry.name) or (theirs / entry.name).exists():
            continue
        subprocess.run(["cp", "-al", str(entry), str(theirs / entry.name)], check=True)
    # and their commands (alembic, jupyter, ...), pointed at this environment's python
    new_python = str(prefix / "bin" / "python")
    for script in (Path(sys.prefix) / "bin").iterdir():
        if (script.name.startswith(("python", "pip", "activate", "Activate")) or script.name == "course"
                or (prefix / "bin" / script.name).exists() or not script.is_file()):
            continue
        head = script.read_bytes()[:200]
        if not head.startswith(f"#!{sys.executable}".encode()) and not head.startswith(
                f"#!{Path(sys.prefix) / 'bin' / 'python'}".encode()):
            continue
        text = script.read_text().split("\n", 1)
        (prefix / "bin" / script.name).write_text(f"#!{new_python}\n{text[1] if len(text) > 1 else ''}")
        (prefix / "bin" / script.name).chmod(0o755)
    reqs = prefix / "condaenv.requirements.txt"
    reqs.write_text("\n".join(pip_section(root)) + "\n")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    out = subprocess.run([str(prefix / "bin" / "python"), "-m", "pip", "install", "-q", "-U",
                          "-r", str(reqs)], cwd=root, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    return theirs, env


@pytest.fixture(scope="module")
def conda_env(root, request):
    # under a folder the sandbox's kernel uid may enter (pytest's own are closed to it)
    import tempfile

    base = Path(tempfile.mkdtemp(prefix="conda-test-"))
    base.chmod(0o755)
    request.addfinalizer(lambda: shutil.rmtree(base, ignore_errors=True))
    prefix = base / "mi-course"
    site, env = conda_like_env(root, prefix)
    return prefix, site, env


@pytest.mark.grading
def test_conda_path_grades_in_the_sandbox(conda_env, tmp_path):
    """One submission (01_dv's reference solution) graded by that environment's own
    `course autograde`, in the sandbox: full marks.  The untouched release alongside
    gets zero (the grading really ran)."""
    from conftest import make_course
    from grading import examples, report

    prefix, site, env = conda_env
    course = make_course(tmp_path / "course", ["01_dv"])
    course_cmd = str(prefix / "bin" / "course")
    env = {**env, "PATH": f"{prefix / 'bin'}:/usr/bin:/bin", "OMP_NUM_THREADS": "1"}

    def course_run(*args):
        out = subprocess.run([course_cmd, "--assignment", "01_dv", *args], cwd=course, env=env,
                             capture_output=True, text=True, timeout=1800)
        assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
        return out.stdout

    course_run("release")            # release/ and the record of the reference's checks
    examples.write_submissions(course, "01_dv", ["correct", "unchanged"])
    course_run("autograde", "--jobs", "2", "--no-progress")
    max_scores = report.autograded_max(course, "01_dv")
    assert report.cell_scores(course, "01_dv", "correct") == {c: float(m) for c, m in max_scores.items()}
    assert report.cell_scores(course, "01_dv", "unchanged") == {c: 0.0 for c in max_scores}


@pytest.mark.grading
def test_conda_path_imports_the_course_from_the_environment(conda_env, tmp_path):
    """helpers and grading come from the environment's site-packages, not from the
    checkout; no editable hook is installed; the integrity check finds nothing and the
    grading command's environment check holds there."""
    prefix, site, env = conda_env
    py = str(prefix / "bin" / "python")
    code = ("import json, helpers, grading, helpers.checks as c; c.seal({}); "
            "print(json.dumps([helpers.__file__, grading.__file__, c.integrity_problems()]))")
    out = subprocess.run([py, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    helpers_file, grading_file, problems = json.loads(out.stdout.splitlines()[-1])
    assert Path(helpers_file).resolve().is_relative_to(site.resolve()), helpers_file
    assert Path(grading_file).resolve().is_relative_to(site.resolve()), grading_file
    assert problems == [], problems
    assert not list(site.glob("__editable__*")) and not list(site.glob("*.egg-link"))
    direct = list(site.glob("mi_course-*.dist-info/direct_url.json"))
    assert len(direct) == 1, direct
    assert not json.loads(direct[0].read_text()).get("dir_info", {}).get("editable"), direct[0]
    # the grading command's own check that the kernel will find the course there (its
    # failing case, a course visible only through PYTHONPATH, is in test_sandbox_unit.py)
    ok = subprocess.run([py, "-c", "from grading import sandbox; sandbox.check_environment()"],
                        cwd=tmp_path, env=env, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
