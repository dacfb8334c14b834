"""The scratch-course builder (grading/scratch.py): which files a course gets, and hand-ins.

Only the parts that need no kernel: copies, the committed release, and hand-ins
written where nbgrader looks for them.  (release="generate" and "course" run
nbgrader and the sandbox: the grading tests that build their courses with them
cover those.)
"""
import json
from pathlib import Path

import nbformat
import pytest

from grading import examples, scratch
from grading.course import coursedir

from conftest import ROOT

pytestmark = pytest.mark.fast


def files(course):
    return sorted(str(p.relative_to(course)) for p in Path(course).rglob("*") if p.is_file())


def test_an_assignment_from_the_checkout_brings_its_master_source_record_and_examples(tmp_path):
    course = scratch.make_course(tmp_path / "c", ["01_dv"], origin=ROOT)
    assert files(course) == ["examples/01_dv.py", "expected/01_dv.json", "nbgrader_config.py",
                             "notebooks/01_dv.md", "source/01_dv/01_dv.ipynb"]
    for f in files(course):
        assert (course / f).read_bytes() == (ROOT / f).read_bytes(), f


def test_parts_and_the_committed_release(tmp_path):
    course = scratch.make_course(tmp_path / "c", ["01_dv", "02_mine"], origin=ROOT,
                                 parts=("source",), release="copy")
    assert files(course) == ["nbgrader_config.py", "release/01_dv/01_dv.ipynb",
                             "release/02_mine/02_mine.ipynb", "source/01_dv/01_dv.ipynb",
                             "source/02_mine/02_mine.ipynb"]
    assert (course / "release/02_mine/02_mine.ipynb").read_bytes() == \
        (ROOT / "release/02_mine/02_mine.ipynb").read_bytes()


def test_fixture_assignments_take_the_fixture_layout(tmp_path):
    course = scratch.make_course(tmp_path / "c", origin=ROOT, fixtures=["scale_tiny", "toy"])
    assert files(course) == ["examples/scale_tiny.py", "expected/scale_tiny.json", "nbgrader_config.py",
                             "notebooks/toy.md", "source/scale_tiny/scale_tiny.ipynb"]
    assert (course / "examples/scale_tiny.py").read_bytes() == \
        (ROOT / "tests/fixtures/scale_tiny/examples.py").read_bytes()


def test_db_url_reaches_the_course_directory(tmp_path):
    url = "postgresql://grader@localhost:5432/gradebook"
    course = scratch.make_course(tmp_path / "c", origin=ROOT, db_url=url)
    assert coursedir(course).db_url == url
    assert coursedir(scratch.make_course(tmp_path / "d", origin=ROOT)).db_url.startswith("sqlite:///")


def test_unknown_options_are_refused(tmp_path):
    with pytest.raises(ValueError, match="unknown parts"):
        scratch.make_course(tmp_path / "c", ["01_dv"], origin=ROOT, parts=("source", "release"))
    with pytest.raises(ValueError, match="release="):
        scratch.make_course(tmp_path / "d", origin=ROOT, release="build")


def test_hand_ins_go_where_nbgrader_looks(tmp_path):
    """Examples by name or under other ids, with timestamps, in submitted/<student>/<a>/."""
    course = scratch.make_course(tmp_path / "c", origin=ROOT, fixtures=["scale_tiny"])
    # scale_tiny's committed release is not in the fixture: the untouched source stands in
    release = scratch.notebook(course, "release", "scale_tiny")
    release.parent.mkdir(parents=True)
    release.write_bytes(scratch.notebook(course, "source", "scale_tiny").read_bytes())
    nbs = scratch.examples_of(course, "scale_tiny", {"s000_correct": "correct", "s001_u": "unchanged"})
    assert sorted(nbs) == ["s000_correct", "s001_u"]
    written = scratch.hand_in(course, "scale_tiny", nbs, timestamps={"s001_u": "2026-11-20 12:01:00 UTC"})
    assert written == {s: course / "submitted" / s / "scale_tiny" / "scale_tiny.ipynb" for s in nbs}
    spec = examples.specs(course, "scale_tiny")["correct"]
    want = examples.make_submission(scratch.notebook(course, "source", "scale_tiny"), release, spec)
    assert json.loads(written["s000_correct"].read_text())["cells"] == json.loads(nbformat.writes(want))["cells"]
    assert (course / "submitted/s001_u/scale_tiny/timestamp.txt").read_text() == "2026-11-20 12:01:00 UTC"
    assert not (course / "submitted/s000_correct/scale_tiny/timestamp.txt").exists()
    with pytest.raises(KeyError):
        scratch.examples_of(course, "scale_tiny", ["no_such_example"])
