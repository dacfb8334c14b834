"""Leak detection: the lines of a source notebook that students must never see, and whether
a text holds one, exactly (``leaks``) or once normalized (``normalize``, ``secret_patterns``).

Pure functions of the source notebook and a text; grading/feedback.py says what
the check catches and what it does not, and grading/sanitize.py applies it to
a notebook's outputs.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

from . import cells

if TYPE_CHECKING:
    from nbformat import NotebookNode

BEGIN, END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def strip_hidden(source: str) -> str:
    """Source with every BEGIN/END HIDDEN TESTS region removed (an unclosed one runs to the end)."""
    out, hidden = [], False
    for line in source.splitlines():
        if BEGIN in line:
            hidden = True
            continue
        if END in line:
            hidden = False
            continue
        if not hidden:
            out.append(line)
    return "\n".join(out).rstrip() + ("\n" if out else "")


def secret_lines(source_nb: NotebookNode) -> list[str]:
    """Lines of a source notebook that students must never see, stripped of indentation.

    A line counts if it sits in a solution (between the SOLUTION markers, or a
    whole written-answer cell) or in a hidden-test region, and does not also
    occur in the public part of the notebook (a generic line such as
    ``check_close(`` that visible code shares is not a secret).
    """
    public, secret = set(), []
    for cell in source_nb.cells:
        lines = cell.source.splitlines()
        if cells.is_solution(cell) and cell.cell_type == "markdown":
            secret += lines
            continue
        inside = False
        for line in strip_hidden(cell.source).splitlines():
            if "### BEGIN SOLUTION" in line or "### END SOLUTION" in line:
                inside = "BEGIN" in line
            elif inside:
                secret.append(line)
            else:
                public.add(line.strip())
        visible = set(strip_hidden(cell.source).splitlines())
        secret += [ln for ln in lines if ln not in visible and "HIDDEN TESTS" not in ln]
    return sorted({s.strip() for s in secret if s.strip() and s.strip() not in public})


def leaks(text: str, source_nb: NotebookNode, min_len: int = 12, substring_len: int = 40) -> list[str]:
    """Secret lines of ``source_nb`` that occur in ``text``.

    A secret of ``min_len`` characters or more leaks if it is a line of the
    text; one of ``substring_len`` or more also if it occurs inside a line
    (shorter pieces such as ``loss.backward()`` may be quoted in prose).
    """
    lines = {ln.strip() for ln in text.splitlines()}
    return [s for s in secret_lines(source_nb)
            if (len(s) >= min_len and s in lines) or (len(s) >= substring_len and s in text)]


MIN_SECRET = 12  # characters of a secret line, normalized, for it to count
_TAG = re.compile(r"<[^>]*>")
_ESCAPE = re.compile(r"\\(?:u([0-9a-fA-F]{4})|x([0-9a-fA-F]{2}))")
_QUOTES = str.maketrans({q: "'" for q in "\"`\u2018\u2019\u201c\u201d\u00b4"})


def normalize(text: str) -> str:
    """``text`` as the leak check compares it: HTML tags dropped, entities, ``\\uXXXX``,
    ``\\xXX`` and URL escapes decoded, Unicode folded (NFKC) and case-folded, every
    quote made ``'``, without ANSI escapes, zero-width and other format characters,
    backslashes and whitespace."""
    import html
    import unicodedata
    from urllib.parse import unquote

    text = ANSI.sub("", str(text))
    for _ in range(3):  # &amp;lt; and the like, nested
        decoded = _ESCAPE.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)),
                              html.unescape(_TAG.sub("", text)))
        decoded = unquote(decoded) if "%" in decoded else decoded
        if decoded == text:
            break
        text = decoded
    text = unicodedata.normalize("NFKC", text).casefold().translate(_QUOTES)
    return "".join(ch for ch in text if not ch.isspace() and ch != "\\"
                   and unicodedata.category(ch) not in ("Cf", "Cc", "Zs"))


def public_text(source_nb: NotebookNode) -> str:
    """Everything of a source notebook that its release shows, normalized and joined: the text,
    the locked code, the visible parts of test cells, the code around solutions."""
    parts = []
    for cell in source_nb.cells:
        if cells.is_solution(cell) and cell.cell_type == "markdown":
            continue
        inside = False
        for line in strip_hidden(cell.source).splitlines():
            if "### BEGIN SOLUTION" in line or "### END SOLUTION" in line:
                inside = "BEGIN" in line
            elif not inside:
                parts.append(line)
    return normalize("\n".join(parts))


def secret_patterns(source_nb: NotebookNode) -> list[str]:
    """The normalized secret lines of a source notebook, plus the region markers.

    A secret line the release shows anyway is left out: a visible test's message that
    quotes ``self.optimizer.step()`` tells the student what the solution line is, and the
    check must not remove that message from the feedback."""
    public = public_text(source_nb)
    pats = {normalize(s) for s in secret_lines(source_nb)}
    pats = {p for p in pats if p not in public}
    pats |= {normalize(m) for m in (BEGIN, END, "### BEGIN SOLUTION", "### END SOLUTION")}
    return sorted(p for p in pats if len(p) >= MIN_SECRET)
