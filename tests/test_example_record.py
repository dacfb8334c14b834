"""grading/example_record.py: the record of `course demo`'s full example check is trusted
only for exactly the inputs it was made on."""
import shutil

import pytest

from grading import example_record

from conftest import ROOT

pytestmark = pytest.mark.fast

A = "01_dv"


@pytest.fixture
def tree(tmp_path):
    """A copy of the files that decide assignment A's example scores."""
    for f in example_record.inputs(ROOT, A):
        if f.is_file():
            dest = tmp_path / f.relative_to(ROOT)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(f, dest)
    return tmp_path


def students(root):
    from grading import examples

    return list(examples.specs(root, A))


def test_a_record_is_current_for_the_inputs_it_was_made_on(tree):
    assert not example_record.is_current(tree, A, students(tree))
    example_record.write(tree, A, students(tree))
    assert example_record.is_current(tree, A, students(tree))
    assert not example_record.is_current(tree, "02_mine", students(tree))


@pytest.mark.parametrize("changed", [
    f"examples/{A}.py", f"expected/{A}.json", f"source/{A}/{A}.ipynb",
    f"release/{A}/{A}.ipynb", "grading/verdicts.py", "helpers/checks.py",
    "nbgrader_config.py", "requirements.txt", "pyproject.toml",
])
def test_any_change_of_an_input_makes_it_stale(tree, changed):
    example_record.write(tree, A, students(tree))
    path = tree / changed
    path.write_bytes(path.read_bytes() + b"\n# changed\n")
    assert not example_record.is_current(tree, A, students(tree))


def test_a_new_module_or_a_new_example_makes_it_stale(tree):
    example_record.write(tree, A, students(tree))
    (tree / "grading" / "new_module.py").write_text("X = 1\n")
    assert not example_record.is_current(tree, A, students(tree))
    (tree / "grading" / "new_module.py").unlink()
    assert example_record.is_current(tree, A, students(tree))
    assert not example_record.is_current(tree, A, students(tree) + ["a_new_example"])


@pytest.mark.parametrize("content", ["", "not json", "[]", '{"01_dv": "x"}',
                                     '{"01_dv": {"inputs": "0"}}'])
def test_a_broken_record_is_stale_not_an_error(tree, content):
    (tree / example_record.CHECKED).parent.mkdir(parents=True, exist_ok=True)
    (tree / example_record.CHECKED).write_text(content)
    assert not example_record.is_current(tree, A, students(tree))


def test_the_first_screen_is_the_correct_the_untouched_a_mistake_and_a_tamper():
    specs = {"unchanged": {"from": "release"}, "slip": {"lose": ["t1"], "demo_only": True},
             "mistake": {"lose": ["t1"]}, "other": {"lose": ["t2"]},
             "tamper": {"lose": "all", "review": True}, "correct": {}}
    assert example_record.first_screen(specs) == ["correct", "unchanged", "mistake", "tamper"]
    assert example_record.first_screen({"correct": {}}) == ["correct"]

