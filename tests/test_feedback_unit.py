"""The feedback scrubber on in-memory notebooks: nothing secret and nothing active survives.

An autograded notebook of 01_dv (hidden tests included, as nbgrader leaves them)
gets outputs a hostile submission could produce; the two feedback
preprocessors run on it as ``nbgrader generate_feedback`` runs them, and the
rendered HTML is checked too.
"""
import base64
import json

import nbformat
import pytest
from traitlets.config import Config

from conftest import ROOT
from grading import sanitize
from grading.feedback import ScrubOutputs, ScrubTestCells
from grading.leakcheck import MIN_SECRET, normalize, secret_lines
from grading.sanitize import NOTE_LEAK, NOTE_UNCHECKED, sanitize_notebook
from grading.verdicts import REPORT_MIME

pytestmark = pytest.mark.fast

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40).decode()


@pytest.fixture(scope="module")
def source():
    return nbformat.read(str(ROOT / "source/01_dv/01_dv.ipynb"), as_version=4)


def hidden_line(source, needle):
    """A line of a hidden-test region (or solution) that the leak check must catch."""
    hits = [s for s in secret_lines(source) if needle in s]
    assert hits, needle
    return hits[0]


def cell(nb, gid):
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == gid)


def stream(text):
    return nbformat.v4.new_output("stream", name="stdout", text=text)


def display(data, metadata=None, kind="display_data"):
    if kind == "execute_result":
        return nbformat.v4.new_output(kind, data=data, metadata=metadata or {}, execution_count=1)
    return nbformat.v4.new_output(kind, data=data, metadata=metadata or {})


@pytest.fixture()
def hostile(source):
    """(notebook, hidden test line, solution line): the autograded notebook with hostile outputs."""
    nb = nbformat.reads(nbformat.writes(source), as_version=4)
    hidden = hidden_line(source, "covariance diag(2, 0.5)")
    solution = hidden_line(source, "slogdet")
    other = hidden_line(source, "_t_small = lambda")
    half = len(other) // 2
    answer = cell(nb, "divergence")
    answer.outputs = [
        stream("my notes\n" + hidden + "\n"),                               # verbatim
        stream("    " + "  ".join(solution.split(" ")) + "\n"),             # whitespace changed
        stream(other[:half]), stream(other[half:] + "\n"),                  # split across outputs
        display({"text/html": "<pre>" + solution.replace("(", "&#40;").replace("_", "&lowbar;")
                 + "</pre>"}),                                               # HTML entities
        display({"text/html": "<b>hello</b><script>alert('x')</script>",
                 "text/plain": "<IPython.core.display.HTML object>"}),
        display({"image/svg+xml": "<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>"}),
        display({"application/javascript": "alert(document.cookie)"}),
        display({"image/png": '" onerror="alert(1)'}),                     # not an image
        display({"image/png": PNG}, {"image/png": {"width": 10, "onload": "x"}}),
        display({"text/plain": "0.5", "text/html": "<i>0.5</i>"}, kind="execute_result"),
    ]
    test = cell(nb, "test_divergence")
    test.outputs = [
        display({REPORT_MIME: {"what": "x", "kind": "close", "value": 1.0}}),
        display({"text/plain": "test_divergence: failed"}, {"mi_course": "verdict"}),
        nbformat.v4.new_output("error", ename="AssertionError",
                               evalue="you asked for it: " + hidden,
                               traceback=["Traceback", "----> 3 " + hidden, "AssertionError: ..."]),
    ]
    md = nbformat.v4.new_markdown_cell("Look <script>alert(2)</script> [here](javascript:alert(3)) "
                                       "and [there](https://example.org)")
    md.metadata["tags"] = ["ok-tag", '"><script>']
    nb.cells.append(md)
    raw = nbformat.v4.new_raw_cell("<script>alert(4)</script>")
    raw.metadata["format"] = "text/html"
    nb.cells.append(raw)
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"x": "</script><script>"}}
    nb.metadata["title"] = "</title><script>alert(5)</script>"
    return nb, hidden, solution


def run_feedback(nb, course=ROOT, notebook="01_dv"):
    resources = {"nbgrader": {"assignment": "01_dv", "notebook": notebook, "student": "s"}}
    nb, resources = ScrubTestCells().preprocess(nb, resources)
    config = Config({"CourseDirectory": {"root": str(course)}})
    return ScrubOutputs(config=config).preprocess(nb, resources)[0]


def outputs_text(nb):
    return "\n".join(sanitize._output_text(o) for c in nb.cells if c.cell_type == "code"
                     for o in c.outputs)


def test_nothing_secret_survives(source, hostile):
    nb, hidden, solution = hostile
    nb = run_feedback(nb)
    text = normalize(outputs_text(nb))
    for s in secret_lines(source):
        if len(normalize(s)) >= MIN_SECRET:
            assert normalize(s) not in text, s
    notes = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
             if NOTE_LEAK in sanitize._output_text(o)]
    assert len(notes) >= 6  # verbatim, whitespace, the two halves, entities, the error
    err = [o for o in cell(nb, "test_divergence").outputs if o.output_type == "error"]
    assert err and err[0].ename == "AssertionError" and NOTE_LEAK in err[0].evalue


def test_nothing_active_survives(hostile):
    nb, _, _ = hostile
    nb = run_feedback(nb)
    for c in nb.cells:
        for o in c.get("outputs", []):
            assert set(o.get("data", {})) <= {"text/plain", "image/png", "image/jpeg"}, o
            assert REPORT_MIME not in o.get("data", {})
    answer = cell(nb, "divergence")
    shown = [o.data for o in answer.outputs if o.output_type in ("display_data", "execute_result")]
    assert {"text/plain": "<IPython.core.display.HTML object>"} in shown
    assert any("[image/svg+xml shown as text]" in d.get("text/plain", "") for d in shown)
    assert any("[application/javascript shown as text]" in d.get("text/plain", "") for d in shown)
    pngs = [o for o in answer.outputs if "image/png" in o.get("data", {})]
    assert len(pngs) == 1 and pngs[0].metadata == {"image/png": {"width": 10}}
    verdict = [o for o in cell(nb, "test_divergence").outputs if o.get("metadata", {}).get("mi_course")]
    assert verdict and verdict[0].data["text/plain"] == "test_divergence: failed"
    assert nb.metadata.keys() <= {"kernelspec", "language_info"}
    assert nb.cells[-1].metadata == {}  # the raw cell is no longer HTML
    md = nb.cells[-2]
    assert "<script>" not in md.source and "javascript:" not in md.source
    assert "https://example.org" in md.source and md.metadata["tags"] == ["ok-tag"]


def test_rendered_html_has_no_student_script(hostile):
    from nbconvert import HTMLExporter

    nb, hidden, _ = hostile
    nb = run_feedback(nb)
    html, _ = HTMLExporter(template_name="classic").from_notebook_node(nb)
    for attack in ("alert(1)", "alert(2)", "alert(3)", "alert(4)", "alert(5)", "alert('x')",
                   "alert(document.cookie)"):
        for at in [i for i in range(len(html)) if html.startswith(attack, i)]:
            before = html[max(0, at - 300):at]
            # what remains is shown as text: escaped, never inside a <script> element
            assert before.rfind("<script") <= before.rfind("</script>"), html[at - 300:at + 20]
    assert "onerror" not in html
    assert "javascript:alert" not in html
    assert NOTE_LEAK in html


def test_unreadable_source_removes_every_output(hostile, tmp_path):
    nb, _, _ = hostile
    nb = run_feedback(nb, course=tmp_path)
    outs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert outs and all(NOTE_UNCHECKED in sanitize._output_text(o) for o in outs)


def test_innocent_outputs_are_kept(source):
    nb = nbformat.reads(nbformat.writes(source), as_version=4)
    kept = [stream("DV estimate 0.412 nats, ground truth 0.511 nats\n"),
            display({"image/png": PNG, "text/plain": "<Figure size 640x480 with 1 Axes>"}),
            display({"text/plain": "(0.8, torch.Size([1000, 2]))"}, kind="execute_result"),
            nbformat.v4.new_output("stream", name="stderr", text="UserWarning: something\n")]
    cell(nb, "train").outputs = [nbformat.from_dict(json.loads(json.dumps(o))) for o in kept]
    nb = run_feedback(nb)
    got = cell(nb, "train").outputs
    assert [o.output_type for o in got] == [o.output_type for o in kept]
    assert got[0].text == kept[0].text and got[2].data == kept[2].data


def test_sanitize_keeps_reports_for_the_grader():
    nb = nbformat.v4.new_notebook()
    c = nbformat.v4.new_code_cell("x")
    c.outputs = [display({REPORT_MIME: {"what": "w", "value": 1.0}, "text/html": "<script>"}),
                 display({"text/html": "<script>alert(1)</script>"})]
    nb.cells.append(c)
    sanitize_notebook(nb)
    assert c.outputs[0].data == {REPORT_MIME: {"what": "w", "value": 1.0}}
    assert c.outputs[1].data == {"text/plain": "[text/html shown as text]\n<script>alert(1)</script>"}


@pytest.mark.parametrize("text,secret,caught", [
    ("x = _t_Z.mean()", "x = _t_Z.mean()", True),
    ("x=_t_Z.mean( )", "x = _t_Z.mean()", True),
    ("x&nbsp;=&nbsp;_t_Z&#46;mean()", "x = _t_Z.mean()", True),
    ("<span>x = _t</span><span>_Z.mean()</span>", "x = _t_Z.mean()", True),
    ("x = _t_Z\u200b.mean()", "x = _t_Z.mean()", True),
    ("'x = _t_Z.mean(\\'a\\')'", "x = _t_Z.mean('a')", True),
    ('X = _T_Z.MEAN("A")', "x = _t_Z.mean('a')", True),
    ("x = _t_Z\\u002emean\\x28)", "x = _t_Z.mean()", True),
    ("x%20%3D%20_t_Z.mean()", "x = _t_Z.mean()", True),
    ("&amp;lt;b&amp;gt;x = _t_Z.mean()", "x = _t_Z.mean()", True),
    (")(naem.Z_t_ = x", "x = _t_Z.mean()", False),  # reversed: not caught (documented)
    ("x = _t_Z.mean()".encode().hex(), "x = _t_Z.mean()", False),  # hex: not caught (documented)
])
def test_normalized_matching(text, secret, caught):
    assert (normalize(secret) in normalize(text)) == caught


@pytest.mark.parametrize("text,safe", [
    ("a < b and $x<y$", "a &lt; b and $x&lt;y$"),
    ("Tom &amp; Jerry & co, $a &= b$", "Tom &amp; Jerry &amp; co, $a &amp;= b$"),
    ("[x](javascript:alert(1))", "[x](#))"),  # the target ends at its first ")"
    ("[x](jav&#x09;ascript:alert(1))", "[x](#))"),
    ("[x](javascript&colon;alert(1))", "[x](#))"),
    ("[x]: vbscript:msgbox", "[x]: #"),
    ("[x](https://example.org/a) ![i](attachment:p.png) [y](#top) [z](notes.html)",
     "[x](https://example.org/a) ![i](attachment:p.png) [y](#top) [z](notes.html)"),
])
def test_markdown_is_made_inert_and_stays_so(text, safe):
    once = sanitize._safe_markdown(text)
    assert once == safe
    assert sanitize._safe_markdown(once) == once  # the writer and the feedback both sanitize
