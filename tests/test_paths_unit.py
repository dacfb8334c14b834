"""Finding the course (grading/paths.py): library code raises, only the CLI exits."""
import pytest

from grading.errors import CourseError, NoCourse
from grading.paths import assignments, find_root

pytestmark = pytest.mark.fast


def course_at(folder):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "nbgrader_config.py").write_text("c = get_config()\n")
    (folder / "notebooks").mkdir()
    return folder


def test_found_from_the_course_and_from_a_folder_inside_it(tmp_path):
    root = course_at(tmp_path / "course")
    (root / "source" / "01_dv").mkdir(parents=True)
    assert find_root(root) == root.resolve()
    assert find_root(root / "source" / "01_dv") == root.resolve()


def test_the_nearest_course_wins(tmp_path):
    outer = course_at(tmp_path / "outer")
    inner = course_at(outer / "nested")
    assert find_root(inner / "notebooks") == inner.resolve()


def test_a_config_without_notebooks_is_not_a_course(tmp_path):
    root = course_at(tmp_path / "course")
    (root / "exchange").mkdir()
    (root / "exchange" / "nbgrader_config.py").write_text("")  # a stray config further down
    assert find_root(root / "exchange") == root.resolve()


def test_no_course_raises_a_course_error_not_system_exit(tmp_path):
    """Library code never exits: a caller (the CLI, a test, a notebook) decides what to do."""
    with pytest.raises(NoCourse, match="no course here") as info:
        find_root(tmp_path)
    assert isinstance(info.value, CourseError) and not isinstance(info.value, SystemExit)
    assert str(tmp_path.resolve()) in str(info.value)


def test_assignments_are_the_masters_in_order(tmp_path):
    root = course_at(tmp_path / "course")
    for name in ("02_b", "01_a", "10_c"):
        (root / "notebooks" / f"{name}.md").write_text("")
    (root / "notebooks" / "README.txt").write_text("")
    assert assignments(root) == ["01_a", "02_b", "10_c"]
