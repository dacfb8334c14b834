"""Feedback written by the grader: the verdicts' words, and no kernel output in any encoding.

A kernel that saw the hidden tests (it replaced its own message deserializer, say)
can write them into any output after that moment: plain, base64, split across
outputs and cells, inside an image, in an error's message, in an
``execute_result``, in a display update of an earlier cell, in a forged verdict.
Here an autograded notebook of 01_dv carries all of these, in every code cell;
it goes through the writer's steps (verdicts decided and annotated, outputs made
inert) and the feedback's preprocessors in nbgrader_config.py's order, and the
rendered HTML is decoded every way the attack encoded (base64 runs, images, hex)
and compared with every hidden-test line of the source.

The verdicts (grading/verdicts.decide) are checked as a family: each kernel-
controlled field (an error's name and message, a report's error text, a label the
record does not have) carries a marker that must never appear in what a student
reads, and each case says whether the cell passes and goes on the review list.
"""
import base64
import binascii
import re

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_output
from traitlets.config import Config

from conftest import ROOT
from grading import cells, verdicts
from grading.feedback import GraderOnlyOutputs, ScrubOutputs, ScrubTestCells, grader_only
from grading.leakcheck import BEGIN, END, MIN_SECRET, normalize, public_text
from grading.sanitize import sanitize_notebook
from grading.verdicts import REPORT_MIME, VERDICT_KEY

pytestmark = pytest.mark.fast

MARK = "KERNEL_SAID_THIS"   # what a kernel writes; a student must never read it


def report(what, value, kind="close", error=None, **spec):
    return new_output("display_data", data={REPORT_MIME: {"what": what, "kind": kind, "value": value,
                                                          "error": error, "spec": spec}})


def error(ename="AssertionError", evalue=f"{MARK}: the hidden test says so"):
    return new_output("error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}", MARK])


def graded_test_cell(outputs, gid="test_x"):
    c = new_code_cell("check_close(f(2), 4.0, 'f(2)')", outputs=outputs)
    c.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True, "grade_id": gid,
                              "points": 1, "schema_version": 3}
    return c


RECORD = [{"what": "f(2)", "kind": "close", "value": 4.0,
           "spec": {"expected": 4.0, "atol": 1e-6, "rtol": 1e-6, "hint": "Is f squaring?"}},
          {"what": "estimate on new data", "kind": "estimate", "value": 0.8,
           "spec": {"truth": 0.83, "tol": 0.25, "hint": ""}}]
GOOD = [report("f(2)", 4.0), report("estimate on new data", 0.912345, kind="estimate")]

# (case, outputs, passes, goes on the review list)
CASES = [
    ("all_pass", GOOD, True, False),
    ("wrong_value", [report("f(2)", 5.0), GOOD[1]], False, False),
    ("missing_report", [GOOD[0]], False, False),
    ("error_message_quoted_nowhere", [GOOD[0], error()], False, False),
    ("error_name_not_pythons", [error(ename=MARK)], False, False),
    ("error_next_to_passing_reports", [*GOOD, error()], False, True),
    ("report_with_error_text", [report("f(2)", None, error=f"{MARK} object"), GOOD[1]], False, True),
    ("report_of_an_unknown_check", [*GOOD, report(f"{MARK} check", 1.0)], False, True),
    ("forged_pass_after_real_fail", [report("f(2)", 5.0), report("f(2)", 4.0), GOOD[1]], False, False),
    ("execute_result", [*GOOD, new_output("execute_result", data={"text/plain": MARK},
                                          execution_count=1)], False, True),
]


@pytest.mark.parametrize("case,outputs,passes,review", CASES, ids=[c[0] for c in CASES])
def test_a_verdict_is_in_the_graders_words(case, outputs, passes, review):
    v = verdicts.decide(graded_test_cell(outputs), RECORD)
    assert v.passed is passes, v
    assert bool(v.review) is review, v.review
    shown = "\n".join(v.messages + v.checks)
    assert MARK not in shown and MARK.lower() not in shown.lower(), shown
    if not passes:
        assert v.messages


def test_a_verdict_lists_each_check_with_the_value_seen_to_3_digits():
    v = verdicts.decide(graded_test_cell(GOOD), RECORD)
    assert v.checks == ["passed: f(2) (seen 4)", "passed: estimate on new data (seen 0.912)"]
    v = verdicts.decide(graded_test_cell([report("f(2)", 4.56789), GOOD[1]]), RECORD)
    assert v.messages == ["f(2): expected 4, got 4.57 (allowed difference 1e-06 + 1e-06 x |expected|). "
                          "Is f squaring?"]
    v = verdicts.decide(graded_test_cell([GOOD[0], report("estimate on new data", 0.123456, kind="estimate")]),
                        RECORD)
    assert v.messages == ["estimate on new data 0.123 is 0.707 nats below the true value 0.83 "
                          "(allowed: 0.25)."]
    v = verdicts.decide(graded_test_cell([error(ename="CellTimeoutError")]), RECORD)
    assert v.messages[0] == "the test ran past its time limit"
    assert v.checks == ["not reached: f(2)", "not reached: estimate on new data"]


def test_an_array_seen_shows_three_values_and_its_shape():
    rec = [{"what": "row", "kind": "close", "value": [1.0] * 8, "spec": {"expected": [1.0] * 8}}]
    v = verdicts.decide(graded_test_cell([report("row", [1.23456, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0])]), rec)
    assert v.messages == ["row: expected [1, 1, 1, ...] (shape [8]), got [1.23, 2, 3, ...] (shape [8]) "
                          "(allowed difference 1e-06 + 1e-06 x |expected|)."]


# --- the kernel writes what it saw into every later output -----------------------------------

@pytest.fixture(scope="module")
def source():
    return nbformat.read(str(ROOT / "source/01_dv/01_dv.ipynb"), as_version=4)


def hidden_lines(source):
    """Every line of every hidden-test region of the source (what the attack carried out),
    but those the release shows too (``check_close(`` opens visible checks as well)."""
    public, out = public_text(source), []
    for c in source.cells:
        inside = False
        for line in c.source.splitlines():
            if BEGIN in line:
                inside = True
            elif END in line:
                inside = False
            elif inside and len(normalize(line)) >= MIN_SECRET and normalize(line) not in public:
                out.append(line.strip())
    assert len(out) > 20
    return out


def exfiltrating_outputs(text, k, n):
    """Outputs that carry ``text``: the k-th of n pieces of it, and all of it encoded."""
    piece = text[k * len(text) // n:(k + 1) * len(text) // n]
    b64 = base64.b64encode(text.encode()).decode()
    png = base64.b64encode(b"\x89PNG\r\n\x1a\n" + text.encode()).decode()
    return [
        new_output("stream", name="stdout", text=f"{MARK}\n{text}\n"),
        new_output("stream", name="stdout", text=piece),                          # split across cells
        new_output("stream", name="stderr", text=b64 + "\n"),
        new_output("display_data", data={"image/png": png, "text/plain": MARK}),
        new_output("display_data", data={"text/html": f"<pre>{binascii.hexlify(text.encode()).decode()}</pre>"}),
        new_output("error", ename="AssertionError", evalue=b64, traceback=[text]),
        new_output("execute_result", data={"text/plain": repr(text)}, execution_count=7),
        new_output("display_data", data={"text/plain": f"Graded: every check passed.\n{text}"},
                   metadata={VERDICT_KEY: "verdict"}),                            # a forged verdict
        nbformat.from_dict({"output_type": "update_display_data", "data": {"text/plain": b64},
                            "metadata": {}}),
    ]


def decoded_views(text):
    """``text`` and every way the attack could have encoded something in it, decoded."""
    views = [text]
    for run in re.findall(r"[A-Za-z0-9+/=]{16,}", text):
        try:
            views.append(base64.b64decode(run + "=" * (-len(run) % 4)).decode("utf-8", "replace"))
        except (binascii.Error, ValueError):
            pass
    for run in re.findall(r"(?:[0-9a-f]{2}){8,}", text):
        views.append(bytes.fromhex(run).decode("utf-8", "replace"))
    return views


def feedback_of(source, nb):
    """The writer's steps and the feedback's, in order; the rendered HTML."""
    from nbconvert import HTMLExporter

    record = verdicts.load_record(ROOT, "01_dv")["01_dv.ipynb"]   # the course's own record
    found = verdicts.decide_notebook(nb, record)
    verdicts.annotate(nb, found)
    sanitize_notebook(nb)                       # the autograded notebook, as the writer saves it
    resources = {"nbgrader": {"assignment": "01_dv", "notebook": "01_dv", "student": "s"}}
    nb, resources = GraderOnlyOutputs().preprocess(nb, resources)
    nb, resources = ScrubTestCells().preprocess(nb, resources)
    config = Config({"CourseDirectory": {"root": str(ROOT)}})
    nb, resources = ScrubOutputs(config=config).preprocess(nb, resources)
    html, _ = HTMLExporter(template_name="classic").from_notebook_node(nb)
    return nb, html


def test_no_kernel_output_reaches_feedback_in_any_encoding(source):
    nb = nbformat.reads(nbformat.writes(source), as_version=4)
    seen = "\n".join(c.source for c in nb.cells if BEGIN in c.source)   # all the kernel was sent
    code = [c for c in nb.cells if c.cell_type == "code"]
    for k, c in enumerate(code):
        c.outputs = exfiltrating_outputs(seen, k, len(code))
        c.execution_count = 1000 + k
        c.metadata["execution"] = {"iopub.status.busy": MARK}
    nb, html = feedback_of(source, nb)
    text = "\n".join(decoded_views(html))
    assert MARK not in text
    folded = normalize(text)
    for line in hidden_lines(source):
        assert normalize(line) not in folded, line
    # what is left of each code cell: its source, and a test cell's verdict from the grader
    for c in nb.cells:
        if c.cell_type != "code":
            continue
        assert c.execution_count is None and set(c.metadata) <= {"nbgrader"}
        if cells.is_test_cell(c):
            assert len(c.outputs) == 1 and c.outputs[0].data["text/plain"].startswith("Graded: ")
        else:
            assert c.outputs == []
    assert "<img" not in html


def test_grader_only_keeps_one_verdict_and_only_in_test_cells():
    verdict = new_output("display_data", data={"text/plain": "Graded: every check passed.\n"},
                         metadata={VERDICT_KEY: "verdict"})
    plain = new_code_cell("x = 1", outputs=[verdict, new_output("stream", name="stdout", text="hi")])
    nb = nbformat.v4.new_notebook(cells=[plain, graded_test_cell([new_output("stream", name="stdout", text="x"),
                                                           verdict])])
    assert grader_only(nb) == 3
    assert nb.cells[0].outputs == [] and nb.cells[1].outputs == [verdict]


def test_annotate_drops_a_verdict_the_kernel_forged():
    forged = new_output("display_data", data={"text/plain": f"Graded: every check passed.\n{MARK}"},
                        metadata={VERDICT_KEY: "verdict"})
    cell = graded_test_cell([report("f(2)", 5.0), GOOD[1], forged])
    nb = nbformat.v4.new_notebook(cells=[cell])
    verdicts.annotate(nb, verdicts.decide_notebook(nb, {"test_x": RECORD}))
    shown = [o for o in cell.outputs if o.get("metadata", {}).get(VERDICT_KEY) == "verdict"]
    assert len(shown) == 1 and shown[0].data["text/plain"].startswith("Graded: this test failed.")
    assert MARK not in shown[0].data["text/plain"]


# --- feedback never fails on a student's own notebook, and its cost is linear ----------------

MARKDOWN = {
    "script": "<script>alert(1)</script> my notes",
    "missing_attachment": "![figure](attachment:figure.png)",
    "attachment_not_an_image": "![b](attachment:b.png)",
    "reference_link_to_attachment": "[fig]: attachment:gone.png\n\n![x][fig]",
    "html_img_attachment": '<img src="attachment:c.png"> and <script src="attachment:x.js"></script>',
    "spaced_and_escaped": "![s]( attachment:a%2Epng ) ![t](<attachment:t.png>)",
    "kept_image_attachment": "![ok](attachment:ok.png)",
}


@pytest.mark.parametrize("case", MARKDOWN)
def test_feedback_renders_whatever_a_students_markdown_refers_to(source, case):
    nb = nbformat.reads(nbformat.writes(source), as_version=4)
    md = nbformat.v4.new_markdown_cell(MARKDOWN[case])
    png = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * 32).decode()
    md["attachments"] = {"b.png": {"text/plain": "not an image"}, "ok.png": {"image/png": png}}
    nb.cells.insert(3, md)
    nb, html = feedback_of(source, nb)           # raised "missing attachment" before
    assert "<script>alert(1)" not in html and not re.search(r"<(img|script)[^>]*attachment:", html)
    if case == "kept_image_attachment":
        assert "data:image/png;base64," + png[:16] in html


def test_feedback_of_10000_outputs_keeps_only_the_verdicts(source):
    """The cost of the feedback steps is linear in the outputs (bench/bench_security.py
    measures it); here: 10,000 kernel outputs go, the verdicts stay."""
    nb = nbformat.reads(nbformat.writes(source), as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    for k in range(10_000):
        code[k % len(code)].outputs.append(new_output("stream", name="stdout", text=f"line {k}\n"))
    tests = sum(cells.is_test_cell(c) for c in nb.cells)
    record = verdicts.load_record(ROOT, "01_dv")["01_dv.ipynb"]
    verdicts.annotate(nb, verdicts.decide_notebook(nb, record))
    assert grader_only(nb) == 10_000
    assert sum(len(c.outputs) for c in nb.cells if c.cell_type == "code") == tests
