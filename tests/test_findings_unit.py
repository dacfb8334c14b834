"""A finding (grading/findings.py): said once, the same way on every screen."""
import pytest

from grading import review, scale
from grading.findings import Finding, describe, line, merge

pytestmark = pytest.mark.fast

TAMPER = Finding("tamper", "cell answer: np.isclose was replaced; tests test_a, test_b: patched",
                 ("test_a", "test_b"), "toy", "mallory", "toy")


def test_one_line_student_before_assignment_escaped():
    assert line(TAMPER) == ("  REVIEW mallory/toy (toy) [zeroed: test_a, test_b]: "
                            "cell answer: np.isclose was replaced; tests test_a, test_b: patched")
    note = Finding("notice", "graded x\x1b[2J.ipynb as toy.ipynb", student="bob", assignment="toy")
    assert line(note) == "  note   bob/toy: graded x\\x1b[2J.ipynb as toy.ipynb"
    assert "\n" not in line(Finding("review", "a\nb", student="s", assignment="a"))


def test_duplicates_merge_into_one_finding_with_their_tests():
    a = Finding("tamper", "r", ("t1",), "nb", "s", "a")
    got = merge([a, Finding("tamper", "r", ("t2", "t1"), "nb", "s", "a"), Finding("review", "r", (), "nb", "s", "a")])
    assert got == [Finding("tamper", "r", ("t1", "t2"), "nb", "s", "a"), Finding("review", "r", (), "nb", "s", "a")]


def test_review_csv_round_trip_and_the_review_list_says_it_once(tmp_path):
    review.replace(tmp_path, "toy", "mallory", [TAMPER, TAMPER])
    assert review.findings(tmp_path, "toy") == [TAMPER]
    assert review.read(tmp_path)[0] == TAMPER.row()
    assert review.render(tmp_path, "toy") == line(TAMPER)


def test_the_summary_and_the_review_list_say_a_finding_the_same_way(tmp_path):
    review.replace(tmp_path, "toy", "mallory", [TAMPER])
    summary = scale.Summary(graded=[("toy", "mallory")], flagged=[("toy", "mallory", [TAMPER])])
    shown = [ln for ln in summary.lines() if "mallory" in ln]
    assert shown == [review.render(tmp_path, "toy")]
    assert describe(TAMPER) in shown[0]
