"""The course's folders come from its configuration (grading/course.py, ``step_path``).

A course whose ``nbgrader_config.py`` names its folders differently (nbgrader's
``CourseDirectory.source_directory`` and the others) is read where nbgrader
puts them: intake takes the notebook names from the source folder, the stand-in
from the release folder and the hand-in from the submitted folder, and scale
finds the hand-ins there, still without following links.
"""
import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from grading import course as course_mod, intake, scale
from grading.errors import CourseError

pytestmark = pytest.mark.fast

A = "hw"
CONFIG = ('c = get_config()\nc.CourseDirectory.source_directory = "masters"\n'
          'c.CourseDirectory.release_directory = "handouts"\n'
          'c.CourseDirectory.submitted_directory = "inbox"\n')


def nb(text):
    cell = new_code_cell(text)
    cell.id = "cell-0"  # fixed, so that the same text gives the same bytes
    return nbformat.writes(new_notebook(cells=[cell])).encode()


@pytest.fixture
def course(tmp_path):
    (tmp_path / "nbgrader_config.py").write_text(CONFIG)
    for step, text in (("masters", "source"), ("handouts", "release"),
                       ("source", "decoy"), ("release", "decoy")):
        (tmp_path / step / A).mkdir(parents=True)
        (tmp_path / step / A / f"{A}.ipynb").write_bytes(nb(text))
    return tmp_path


def test_step_path_is_relative_and_follows_the_configuration(course):
    assert course_mod.step_path(course, "source", A) == f"masters/{A}"
    assert course_mod.step_path(course, "submitted") == "inbox"
    assert course_mod.step_path(course, "submitted", A, "bob") == f"inbox/bob/{A}"
    assert course_mod.step_path(course, "autograded", A, "bob") == f"autograded/bob/{A}"


def test_a_course_without_configuration_has_nbgraders_folders(tmp_path):
    assert course_mod.step_path(tmp_path, "submitted", A, "bob") == f"submitted/bob/{A}"


def test_a_folder_outside_the_course_is_an_error(course, tmp_path_factory):
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    (course / "nbgrader_config.py").write_text(CONFIG + f'c.CourseDirectory.submitted_directory = "{elsewhere}"\n')
    with pytest.raises(CourseError, match="outside the course"):
        course_mod.step_path(course, "submitted", A, "bob")


def test_intake_reads_the_configured_folders(course):
    (course / "inbox" / "bob" / A).mkdir(parents=True)
    (course / "inbox" / "bob" / A / f"{A}.ipynb").write_bytes(nb("answer"))
    (course / "submitted" / "bob" / A).mkdir(parents=True)   # nbgrader's default name: not this course's
    (course / "submitted" / "bob" / A / f"{A}.ipynb").write_bytes(nb("decoy"))
    assert intake.notebook_names(course, A) == [f"{A}.ipynb"]
    files, notes = intake.collect(course, A, "bob")
    assert files == {f"{A}.ipynb": nb("answer")} and notes == []
    # a missing hand-in is graded as the configured release
    files, notes = intake.collect(course, A, "carol")
    assert files == {f"{A}.ipynb": nb("release")}
    assert notes == [f"inbox/carol/ does not exist: graded as the untouched release, zero"]


def test_a_linked_hand_in_folder_is_still_refused(course, tmp_path_factory):
    outside = tmp_path_factory.mktemp("outside")
    (outside / A).mkdir()
    (outside / A / f"{A}.ipynb").write_bytes(nb("someone else's"))
    (course / "inbox").mkdir()
    (course / "inbox" / "mallory").symlink_to(outside)
    files, notes = intake.collect(course, A, "mallory")
    assert files == {f"{A}.ipynb": nb("release")}
    assert notes == ["inbox/mallory/ is a symbolic link (refused): graded as the untouched release, zero"]


def test_scale_finds_the_hand_ins_in_the_configured_folder(course):
    for student in ("bob", "carol"):
        (course / "inbox" / student / A).mkdir(parents=True)
    (course / "submitted" / "dave" / A).mkdir(parents=True)  # not this course's folder
    refused = []
    (course / "inbox" / "bad name").mkdir()
    assert scale.find_submissions(course, [A], refused) == [(A, "bob"), (A, "carol")]
    assert refused == ["inbox/'bad name': not a valid student id, not graded"]
