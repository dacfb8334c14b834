"""The instructor's dashboard: one self-contained HTML page per assignment.

``course dashboard`` writes ``dashboard/<assignment>.html`` from what grading
left in the course:

- the score distribution (totals of the autograded test cells), a histogram;
- who passed what: a student x test-cell table of passes and fails, the highest
  total first;
- the pass rate of each test cell, a bar chart;
- the most frequent failure messages of each test cell, with the number of
  students who got each: the grader's verdict notes (outputs with metadata
  ``{"mi_course": "verdict"}``, one message per line ``  - ...``), or where a
  cell has none, its error outputs (``ename: evalue``): one failure counts once.
  Numbers are blanked out for grouping, so "estimate 0.12 is far below" and
  "estimate 0.31 is far below" count as one message; the first one seen is shown;
- the review list, a row per finding as every screen says it (grading/findings.py);
- last, operations: grading time per submission (the gradebook's
  ``course_grading_state`` table, grading/scale.py): wall and CPU seconds (the
  job's processes, kernel included: grading/job.py) and the job's status.

The page has no scripts and loads nothing: the charts are PNG images from
matplotlib, embedded as base64.  Everything that comes from a submission or a
file (student ids, messages, reasons) goes through ``html.escape``.
"""
from __future__ import annotations

import base64
import html
import io
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Sequence

if TYPE_CHECKING:
    from matplotlib.figure import Figure

from . import cells, report, review
from .shown import escape
from .findings import describe

VERDICT_KEY = "mi_course"       # output metadata of the grader's verdict notes (grading/verdicts.py)
TOP_MESSAGES = 5                # failure messages shown per test cell
MESSAGE_CHARS = 300             # longer messages are cut (the page stays readable)
_NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")


@dataclass
class Data:
    """What the page shows for one assignment."""
    assignment: str
    max_scores: dict                                      # {test cell: max points}, notebook order
    scores: dict = field(default_factory=dict)            # {student: {test cell: score}}
    failures: dict = field(default_factory=dict)          # {test cell: [(message, count), ...]}
    findings: list = field(default_factory=list)          # the review list of the assignment (Finding)
    timing: list = field(default_factory=list)            # [(student, status, wall_s, cpu_s)]


# --- reading what grading left ----------------------------------------------------------------

def cell_failure_messages(cell: dict[str, Any]) -> list[str]:
    """The failure messages of one graded test cell, each once: the lines of the grader's
    verdict note, which decides the cell (grading/verdicts.py); only without one, its error
    outputs.  (A failed check shows both an error in the kernel and the note's line: one
    failure, counted once.)"""
    errors, notes = [], []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            value = str(out.get("evalue", "")).strip().splitlines()
            errors.append(f"{out.get('ename', 'Error')}: {value[0] if value else ''}".strip())
        elif out.get("metadata", {}).get(VERDICT_KEY) == "verdict":
            text = out.get("data", {}).get("text/plain", "")
            text = "".join(text) if isinstance(text, list) else str(text)
            notes += [ln.strip()[2:].strip() for ln in text.splitlines()
                      if ln.strip().startswith("- ")]
    return list(dict.fromkeys(m[:MESSAGE_CHARS] for m in (notes or errors) if m))


def failure_messages(notebooks: Iterable[dict[str, Any]]) -> dict[str, list[tuple[str, int]]]:
    """{test cell: [(message, students), ...]}, most frequent first, over graded notebooks.

    Messages that differ only in their numbers are counted together; the first one seen
    stands for them."""
    counts: defaultdict[str, Counter[str]] = defaultdict(Counter)
    example: dict[tuple[str, str], str] = {}
    for nb in notebooks:
        for cell in nb.get("cells", []):
            if not cells.is_test_cell(cell) or cells.grade_id(cell) is None:
                continue
            gid = cells.grade_id(cell) or ""
            for msg in set(cell_failure_messages(cell)):
                key = _NUMBER.sub("#", msg)
                example.setdefault((gid, key), msg)
                counts[gid][key] += 1
    return {gid: [(example[(gid, k)], n) for k, n in c.most_common()] for gid, c in counts.items()}


def grading_times(course: str | Path, assignment: str,
                  url: str | None = None) -> list[tuple[Any, ...]]:
    """[(student, status, wall_s, cpu_s)] from the gradebook's course_grading_state table."""
    import sqlalchemy as sa

    from .scale import STATE_TABLE

    engine = sa.create_engine(url or report.db_url(course))
    try:
        if not sa.inspect(engine).has_table(STATE_TABLE):
            return []
        t = sa.Table(STATE_TABLE, sa.MetaData(), autoload_with=engine)
        with engine.connect() as con:
            rows = con.execute(sa.select(t.c.student, t.c.status, t.c.wall_s, t.c.cpu_s)
                               .where(t.c.assignment == assignment)
                               .order_by(t.c.student)).all()
        return [tuple(r) for r in rows]
    finally:
        engine.dispose()


def collect(course: str | Path, assignment: str) -> Data:
    """Everything the page of one assignment shows, read from the course."""
    import json

    course = Path(course)
    data = Data(assignment, report.autograded_max(course, assignment))
    notebooks = []
    for folder in sorted((course / "autograded").glob(f"*/{assignment}")):
        student = folder.parent.name
        scores = report.cell_scores(course, assignment, student)
        if scores is None:
            continue
        data.scores[student] = scores
        nb_path = folder / f"{assignment}.ipynb"
        if nb_path.is_file() and not nb_path.is_symlink():
            try:
                notebooks.append(json.loads(nb_path.read_text(encoding="utf-8", errors="replace")))
            except ValueError:
                pass  # an unreadable graded notebook has no messages to show
    data.failures = failure_messages(notebooks)
    data.findings = review.findings(course, assignment)
    data.timing = grading_times(course, assignment)
    return data


# --- charts -----------------------------------------------------------------------------------

def _png(fig: Figure) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def score_histogram(totals: Sequence[float], max_total: float) -> str:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, 3.2))
    ax = fig.add_subplot()
    top = int(max_total) if max_total else 1
    ax.hist(totals, bins=[b - 0.5 for b in range(top + 2)], color="#4c72b0", edgecolor="white")
    ax.set_xlim(-0.5, top + 0.5)
    ax.set_xlabel(f"total score (of {max_total:g})")
    ax.set_ylabel("students")
    ax.set_title(f"Score distribution ({len(totals)} graded)")
    ax.yaxis.get_major_locator().set_params(integer=True)  # type: ignore[call-arg]  # a MaxNLocator
    return _png(fig)


def pass_rate_chart(rates: Sequence[tuple[str, float]]) -> str:
    """rates: [(test cell, fraction passed)], in notebook order (drawn top to bottom)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, 0.5 + 0.45 * max(len(rates), 1)))
    ax = fig.add_subplot()
    names = [n for n, _ in rates][::-1]
    values = [100 * r for _, r in rates][::-1]
    bars = ax.barh(names, values, color=["#55a868" if v >= 50 else "#c44e52" for v in values])
    ax.bar_label(bars, labels=[f"{v:.0f}%" for v in values], padding=3)
    ax.set_xlim(0, 110)
    ax.set_xlabel("students who passed (%)")
    ax.set_title("Pass rate per test cell")
    return _png(fig)


def time_chart(timing: Sequence[tuple[Any, ...]]) -> str:
    from matplotlib.figure import Figure

    rows = [(s, w) for s, _, w, _ in timing if w is not None]
    fig = Figure(figsize=(6.4, 0.5 + 0.3 * max(len(rows), 1)))
    ax = fig.add_subplot()
    ax.barh([s for s, _ in rows][::-1], [w for _, w in rows][::-1], color="#8172b2")
    ax.set_xlabel("grading wall time (s)")
    ax.set_title("Grading time per submission")
    return _png(fig)


# --- the page ---------------------------------------------------------------------------------

CSS = """
body { font-family: sans-serif; margin: 2em auto; max-width: 60em; color: #222; }
h1 { font-size: 1.6em; } h2 { font-size: 1.25em; margin-top: 2em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 0.5em 0; } caption { text-align: left; font-weight: bold; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
td.num, th.num { text-align: right; } td.msg { font-family: monospace; white-space: pre-wrap; }
img.chart { max-width: 100%; } .none { color: #666; font-style: italic; }
tr.tamper td { background: #fde8e8; } tr.review td { background: #fff4d6; }
td.pass { background: #dff0d8; color: #2b542c; text-align: center; }
td.fail { background: #f2dede; color: #a94442; text-align: center; font-weight: bold; }
"""


def _e(x: object) -> str:
    return html.escape(escape(x), quote=True)


def _img(b64: str, alt: str, chart_id: str) -> str:
    return (f'<img class="chart" id="{chart_id}" alt="{_e(alt)}" '
            f'src="data:image/png;base64,{b64}">')


def matrix(data: Data, totals: dict[str, float]) -> list[str]:
    """The student x test-cell table of passes and fails, highest total first (then by
    student id), with each test cell's count of passes in its last row."""
    if not data.scores:
        return ['<p class="none">Nothing graded yet.</p>']
    tests, max_total = list(data.max_scores), sum(data.max_scores.values())
    out = ['<table id="matrix"><tr><th>student</th>'
           + "".join(f'<th class="num">{_e(c)}</th>' for c in tests) + '<th class="num">total</th></tr>']
    for s in sorted(data.scores, key=lambda s: (-totals[s], s)):
        row = []
        for c in tests:
            got = data.scores[s].get(c, 0.0)
            ok = got >= data.max_scores[c] - 1e-9
            row.append(f'<td class="{"pass" if ok else "fail"}" data-cell="{_e(c)}" '
                       f'title="{_e(c)}: {got:g} of {data.max_scores[c]:g}">{"pass" if ok else "fail"}</td>')
        out.append(f'<tr data-student="{_e(s)}"><td>{_e(s)}</td>' + "".join(row)
                   + f'<td class="num">{totals[s]:g}/{max_total:g}</td></tr>')
    passed = [sum(sc.get(c, 0.0) >= data.max_scores[c] - 1e-9 for sc in data.scores.values()) for c in tests]
    out.append('<tr class="passed"><th>passed</th>'
               + "".join(f'<th class="num">{k}/{len(data.scores)}</th>' for k in passed) + "<th></th></tr>")
    out.append("</table>")
    return out


def render(data: Data) -> str:
    a = data.assignment
    cells = list(data.max_scores)
    max_total = sum(data.max_scores.values())
    totals = {s: sum(sc.get(c, 0.0) for c in cells) for s, sc in data.scores.items()}
    n = len(data.scores)
    rates = [(c, sum(1 for sc in data.scores.values()
                     if sc.get(c, 0.0) >= data.max_scores[c] - 1e-9) / n if n else 0.0)
             for c in cells]
    parts = [f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
             f"<title>{_e(a)}: grading dashboard</title><style>{CSS}</style></head><body>",
             f"<h1>{_e(a)}: grading dashboard</h1>",
             f"<p>{n} graded submission{'s' if n != 1 else ''}; {len(cells)} autograded test "
             f"cells, {max_total:g} points; {len(data.findings)} finding(s) on the review list.</p>"]

    parts.append('<h2 id="scores">Score distribution</h2>')
    if n:
        parts.append(_img(score_histogram(list(totals.values()), max_total),
                          f"histogram of the total scores of {n} students", "chart-scores"))
        mean = sum(totals.values()) / n
        parts.append(f"<p>mean {mean:.2f}, full marks {sum(t >= max_total - 1e-9 for t in totals.values())}, "
                     f"zero {sum(t <= 1e-9 for t in totals.values())}.</p>")
    else:
        parts.append('<p class="none">Nothing graded yet.</p>')

    parts.append('<h2 id="matrix-title">Who passed what: students by test cell</h2>')
    parts += matrix(data, totals)

    parts.append('<h2 id="pass-rates">Pass rate per test cell</h2>')
    if n:
        parts.append(_img(pass_rate_chart(rates), "bar chart: pass rate of each test cell",
                          "chart-pass-rates"))
        parts.append('<table id="pass-rate-table"><tr><th>test cell</th><th class="num">points</th>'
                     '<th class="num">passed</th><th class="num">pass rate</th></tr>')
        for c, r in rates:
            parts.append(f"<tr><td>{_e(c)}</td><td class=\"num\">{data.max_scores[c]:g}</td>"
                         f"<td class=\"num\">{round(r * n)}/{n}</td><td class=\"num\">{100 * r:.0f}%</td></tr>")
        parts.append("</table>")

    parts.append('<h2 id="failures">Where students are stuck: the most frequent failure messages</h2>')
    parts.append("<p>Per test cell, the messages of its failures (error outputs and the grader's "
                 "notes) and the number of students who got each; numbers are ignored when "
                 "messages are grouped.</p>")
    any_failure = False
    for c in cells:
        msgs = data.failures.get(c, [])
        if not msgs:
            continue
        any_failure = True
        parts.append(f'<table class="failures" data-cell="{_e(c)}"><caption>{_e(c)}</caption>'
                     '<tr><th class="num">students</th><th>message</th></tr>')
        for msg, count in msgs[:TOP_MESSAGES]:
            parts.append(f'<tr><td class="num">{count}</td><td class="msg">{_e(msg)}</td></tr>')
        if len(msgs) > TOP_MESSAGES:
            parts.append(f'<tr><td class="num">{sum(k for _, k in msgs[TOP_MESSAGES:])}</td>'
                         f'<td class="none">{len(msgs) - TOP_MESSAGES} other messages</td></tr>')
        parts.append("</table>")
    if not any_failure:
        parts.append('<p class="none">No failure messages.</p>')

    parts.append('<h2 id="review">Review list</h2>')
    if data.findings:
        parts.append("<p>tamper: tampering detected, the tests named were zeroed; review: code "
                     "that reaches the grader's internals, nothing zeroed; notice: a broken "
                     "submission graded anyway.</p>")
        parts.append('<table id="review-table"><tr><th>student</th><th>kind</th><th>finding</th></tr>')
        for f in data.findings:
            parts.append(f'<tr class="{f.kind if f.kind in ("tamper", "review") else "notice"}">'
                         f"<td>{_e(f.student)}</td><td>{_e(f.kind)}</td>"
                         f"<td class=\"msg\">{_e(describe(f))}</td></tr>")
        parts.append("</table>")
    else:
        parts.append('<p class="none">The review list is empty.</p>')

    parts.append('<h2 id="times">Grading time per submission</h2>')
    if data.timing:
        if any(w is not None for _, _, w, _ in data.timing):
            parts.append(_img(time_chart(data.timing), "bar chart: grading wall time per submission",
                              "chart-times"))
        parts.append('<table id="time-table"><tr><th>student</th><th>status</th>'
                     '<th class="num">wall (s)</th><th class="num">CPU (s)</th></tr>')
        for s, status, w, cpu in data.timing:
            fmt = lambda x: "" if x is None else f"{x:.1f}"  # noqa: E731
            parts.append(f"<tr><td>{_e(s)}</td><td>{_e(status)}</td><td class=\"num\">{fmt(w)}</td>"
                         f"<td class=\"num\">{fmt(cpu)}</td></tr>")
        parts.append("</table>")
    else:
        parts.append('<p class="none">No grading times recorded (graded before the course kept them?).</p>')

    parts.append("</body></html>\n")
    return "\n".join(parts)


def write(course: str | Path, assignment: str, out_dir: str | Path | None = None) -> Path:
    """Write ``dashboard/<assignment>.html`` (or into ``out_dir``); return its path."""
    course = Path(course)
    out_dir = Path(out_dir) if out_dir else course / "dashboard"
    out_dir.mkdir(parents=True, exist_ok=True)
    page = render(collect(course, assignment))
    path = out_dir / f"{assignment}.html"
    tmp = path.with_suffix(".html.tmp")
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(path)
    return path
