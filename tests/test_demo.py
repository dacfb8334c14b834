"""`course demo`, end to end on a small course: part 1 (the first screen) is printed,
graded and on the dashboard before part 2 starts; part 2 grades the rest, checks every
example and records that check (grading/example_record.py)."""
import pytest

from grading import cli, example_record, examples

from conftest import ROOT, make_course

pytestmark = pytest.mark.grading

A = "01_dv"


@pytest.fixture
def small_course(tmp_path):
    """01_dv with five of its examples: the first screen's four and one more mistake."""
    course = make_course(tmp_path / "c", [A])
    specs = examples.specs(ROOT, A)
    first = example_record.first_screen(specs)
    assert len(first) == 4, first  # correct, unchanged, a mistake, a tamper attempt
    extra = next(s for s, spec in specs.items() if s not in first and not spec.get("demo_only"))
    kept = {s: specs[s] for s in [*first, extra]}
    (course / "examples" / f"{A}.py").write_text(f"SUBMISSIONS = {kept!r}\n")
    return course, first, extra


def test_the_first_screen_comes_first_then_the_full_check_is_recorded(small_course, capsys):
    course, first, extra = small_course
    assert not example_record.is_current(course, A, [*first, extra])
    assert cli.main(["--course", str(course), "demo", "--jobs", "2"]) == 0
    out = capsys.readouterr().out
    part1, part2 = out.index("== part 1 of 2"), out.index("== part 2 of 2")
    # the grade table and the dashboard of part 1 come before part 2 starts
    assert part1 < out.index(f"{A}: autograded test cells") < out.index(f"{A}: dashboard in") < part2
    assert "1 more examples (estimate: about" in out
    assert "first screen:" in out and "whole demo:" in out
    # part 2 grades only the new example: the table after it lists all five
    table2 = out[part2:]
    for student in [*first, extra]:
        assert student in table2
        assert (course / "feedback" / student / A / f"{A}.html").is_file()
    assert out.count("as expected") >= 4 + 5
    assert "UNEXPECTED" not in out
    assert example_record.is_current(course, A, [*first, extra])
    assert (course / "dashboard" / f"{A}.html").is_file()
