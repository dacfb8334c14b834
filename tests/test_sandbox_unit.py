"""The sandbox's own checks, without grading anything."""
import os
import subprocess
import sys

import pytest

from conftest import ROOT

pytestmark = pytest.mark.fast

CHECK = "from grading import sandbox; sandbox.check_environment(); print('installed')"


def test_the_environment_has_the_course_installed():
    proc = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)), cwd="/")
    assert proc.returncode == 0 and "installed" in proc.stdout, proc.stderr


def test_a_course_visible_only_through_pythonpath_is_refused():
    """Python without the course installed, helpers reachable only through PYTHONPATH (as with
    an editable install): the grading kernel would not see it, so grading must not start."""
    base = os.path.join(sys.base_prefix, "bin", "python3")
    proc = subprocess.run([base, "-c", CHECK], capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}, cwd="/")
    assert proc.returncode != 0
    assert "not installed in this environment" in proc.stderr and "pip install" in proc.stderr


def test_student_ids_and_links_are_refused_by_safe_reads(tmp_path):
    from grading import safeio

    (tmp_path / "real.ipynb").write_text("{}")
    os.symlink(tmp_path / "real.ipynb", tmp_path / "link.ipynb")
    os.mkfifo(tmp_path / "fifo.ipynb")
    (tmp_path / "big.ipynb").write_bytes(b"x" * 2000)
    os.symlink(tmp_path, tmp_path / "dirlink")
    assert safeio.read_file(tmp_path, "real.ipynb") == b"{}"
    for name, why in [("link.ipynb", "symbolic link"), ("fifo.ipynb", "FIFO"),
                      ("dirlink/real.ipynb", "symbolic link"), ("missing.ipynb", "does not exist")]:
        with pytest.raises(safeio.Refused, match=why):
            safeio.read_file(tmp_path, name)
    with pytest.raises(safeio.Refused, match="limit"):
        safeio.read_file(tmp_path, "big.ipynb", limit=1000)
    assert safeio.kind_of(tmp_path, "link.ipynb") == "link"
    assert safeio.kind_of(tmp_path, "dirlink/real.ipynb") == "missing"
    assert [safeio.valid_id(s) for s in ("alice", "a.b-c_1", "../x", ".hidden", "a/b", "x\ny", "")] == \
        [True, True, False, False, False, False, False]


def test_limits_come_from_the_course_configuration(tmp_path):
    """SandboxLimits options in nbgrader_config.py reach the job's and the kernel's command lines."""
    from grading import course, sandbox

    (tmp_path / "nbgrader_config.py").write_text(
        "c = get_config()\nc.SandboxLimits.memory_mb = 1234\nc.SandboxLimits.work_mb = 77\n"
        "c.SandboxLimits.job_memory_mb = 4321\nc.SandboxLimits.address_space_mb = 3000\n")
    lim = sandbox.limits(course.load_config(tmp_path))
    assert lim["memory_mb"] == 1234 and lim["work_mb"] == 77 and lim["nproc"] == 64
    box = sandbox.JobSandbox(tmp_path / "job", lim)
    script = (tmp_path / "job" / "kernel.sh").read_text()
    # memory_mb is the watchdog's (resident memory); the kernel's address space is only a backstop
    assert f"--as={3000 << 20}" in script and f"--size {77 << 20} --tmpfs \"$WORK\"" in script
    lim["address_space_mb"] = 9000        # never above the job's own cap, which a kernel cannot raise
    sandbox.JobSandbox(tmp_path / "job2", lim)
    assert f"--as={4321 << 20}" in (tmp_path / "job2" / "kernel.sh").read_text()
    argv = box.job_argv(["nbgrader"], uid=123456, env={}, staging=tmp_path / "stage")
    assert f"--as={4321 << 20}" in argv
    # the job never sees the course: only the system, Python, its job folder and an empty /tmp
    binds = [argv[i + 2] for i, a in enumerate(argv) if a in ("--bind", "--ro-bind")]
    assert str(tmp_path / "job") in binds and not any(str(tmp_path) == b for b in binds)
