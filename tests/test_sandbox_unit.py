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
