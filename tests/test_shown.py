"""Strings from a student or a kernel reach a person only escaped (grading/shown.py).

Each class of dangerous character (C0 controls, DEL, C1 controls, ESC sequences that
erase or rewrite terminal lines, bidirectional overrides and isolates) goes through
every printer of the package: the console's log lines and ``say``, ``review.csv``
and the review list's terminal lines, the dashboard, the job logs.  None may come
out as it went in.  A last test reads the package's source: no module but
grading/console.py prints.
"""
import ast
import logging
import re

import pytest

from conftest import ROOT
from grading import console, dashboard, review, writer
from grading.findings import Finding
from grading.job import JobResult
from grading.shown import ESCAPED, escape

pytestmark = pytest.mark.fast

CLASSES = {
    "c0_bell_backspace": "ok\x07\x08\x08\x08ALL FINE",
    "c0_carriage_return": "bad line\rREVIEW nothing to see",
    "c0_newline": "name\n  REVIEW toy/alice: forged row",
    "c0_nul": "a\x00b",
    "del": "x\x7fy",
    "esc_erase_line": "\x1b[2K\x1b[1A\x1b[2Kall clear",
    "esc_title_osc": "\x1b]0;pwned\x07title",
    "esc_colour": "\x1b[8mhidden text\x1b[0m",
    "c1_csi": "\x9b2Jcleared",
    "c1_nel": "line\x85next",
    **{f"bidi_{c:04x}": f"ok{chr(c)}bnypi.txt" for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))},
}


def assert_escaped(text, raw):
    """``text`` (what a person reads) holds none of the characters of ``raw`` that must be
    escaped, and shows each as its escape."""
    bad = [ch for ch in raw if ch in ESCAPED]
    assert bad, raw
    for ch in set(bad):
        if ch == "\n":
            continue   # some printers keep newlines of their own lines; checked per printer
        assert ch not in text, (repr(ch), text)
        shown = f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}"
        assert shown in text, (shown, text)


@pytest.mark.parametrize("name", CLASSES)
def test_escape_shows_each_class_and_leaves_the_rest(name):
    raw = CLASSES[name]
    got = escape(raw)
    assert_escaped(got, raw)
    assert "\n" not in got and got.isprintable()
    assert escape(got) == got                       # idempotent
    # nothing else changed: the escapes read back give the string (it has no backslash)
    back = re.sub(r"\\x([0-9a-f]{2})|\\u([0-9a-f]{4})", lambda m: chr(int(m.group(1) or m.group(2), 16)), got)
    assert back == raw


def test_escape_keeps_plain_text_and_unicode():
    text = "Ünïcödé naïve café 日本語 µ ± → ok.ipynb (hidden toy check): expected 6.25"
    assert escape(text) == text
    assert escape("a\nb", lines=True) == "a\nb" and escape("a\nb") == "a\\x0ab"


# --- every printer ---------------------------------------------------------------------------

def print_say(raw, tmp_path, capsys):
    console.say(f"left out: {raw}")
    console.say(f"failed: {raw}", err=True)
    out, err = capsys.readouterr()
    return out + err


def print_log(raw, tmp_path, capsys):
    with console.shown():
        logging.getLogger("grading.scale").warning("skipped %s", raw)
    return capsys.readouterr().out


def print_review_csv(raw, tmp_path, capsys):
    review.replace(tmp_path, "toy", "alice", [Finding(kind="notice", tests=(raw,), notebook=raw, reason=raw)])
    return review.path(tmp_path).read_text()


def print_review_lines(raw, tmp_path, capsys):
    review.replace(tmp_path, "toy", "alice", [Finding(kind="tamper", tests=("t",), notebook="n", reason=raw)])
    return review.render(tmp_path, "toy")


def print_dashboard(raw, tmp_path, capsys):
    data = dashboard.Data(assignment="toy", max_scores={"test_square": 1.0}, scores={},
                          failures={"test_square": [(raw, 1)]},
                          findings=[Finding(assignment="toy", student="alice", notebook=raw, kind="review",
                                                  reason=raw)])
    return dashboard.render(data)


def print_job_log(raw, tmp_path, capsys):
    result = JobResult(assignment="toy", student="alice", log_tail=f"kernel said: {raw}\nnext line\n")
    return writer.keep_log(tmp_path, result).read_text()


PRINTERS = {"console_say": print_say, "console_log": print_log, "review_csv": print_review_csv,
            "review_lines": print_review_lines, "dashboard": print_dashboard, "job_log": print_job_log}


@pytest.mark.parametrize("printer", PRINTERS)
@pytest.mark.parametrize("name", CLASSES)
def test_every_printer_escapes_every_class(printer, name, tmp_path, capsys):
    raw = CLASSES[name]
    got = PRINTERS[printer](raw, tmp_path, capsys)
    assert_escaped(got, raw)
    # a student's newline never starts a line of its own; a job log is the job's output, its
    # lines are the kernel's own (every other class is escaped there too)
    if name == "c0_newline" and printer != "job_log":
        assert not any(line.lstrip().startswith("REVIEW toy/alice: forged") for line in got.splitlines())


# --- no module but console prints ------------------------------------------------------------

def printing(tree):
    """Lines that print: a call of ``print``, or a write through ``sys.stdout``/``sys.stderr``
    (flushing them is not printing)."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("print", "pprint"):
            found.append(node.lineno)
        if (isinstance(node, ast.Attribute) and node.attr in ("write", "writelines", "buffer")
                and isinstance(node.value, ast.Attribute) and node.value.attr in ("stdout", "stderr")):
            found.append(node.lineno)
        if isinstance(node, ast.keyword) and node.arg == "file" and isinstance(node.value, ast.Attribute) \
                and node.value.attr in ("stdout", "stderr"):
            found.append(node.lineno)
    return found


def test_no_module_but_console_prints():
    offenders = {}
    for path in sorted((ROOT / "grading").glob("*.py")):
        if path.name == "console.py":
            continue
        lines = printing(ast.parse(path.read_text()))
        if lines:
            offenders[path.name] = lines
    assert offenders == {}, f"printing outside grading/console.py: {offenders}"
    # the check finds what it looks for
    assert printing(ast.parse("print('x')\nimport sys\nsys.stderr.write('y')\nprint(1, file=sys.stdout)"))
