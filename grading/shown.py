"""Strings from a student or a kernel, as a person may read them: ``escape``.

A hand-in's file name, a notebook's text, a kernel's output can hold terminal
control sequences (erase a line, move the cursor, retitle the window),
C1 controls that some terminals obey as ESC sequences, and Unicode's
bidirectional overrides and isolates, which reorder what is shown (a name
that reads "ok.ipynb" and is not).  Every printer of the grading package
(terminal lines through grading/console.py, ``review.csv``, the dashboard,
the job logs) passes such text through ``escape``, which shows each of these
characters as a visible escape and leaves every other character as it is.
Pure; idempotent (what it returns holds none of the characters it escapes).
"""
from __future__ import annotations

# C0 controls and DEL, C1 controls, and the bidirectional controls: the embeddings and
# overrides U+202A-U+202E, the isolates U+2066-U+2069, and the marks U+200E, U+200F, U+061C.
_BIDI = (0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A))
_ESCAPED = {c: f"\\x{c:02x}" for c in (*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0))}
_ESCAPED.update({c: f"\\u{c:04x}" for c in _BIDI})
_WITH_LINES = {c: e for c, e in _ESCAPED.items() if c != 0x0A}


def escape(text: object, lines: bool = False) -> str:
    """``text`` with every control character (C0, DEL, C1, so every ESC sequence too) and
    every bidirectional control shown as ``\\xNN`` or ``\\uNNNN``.  ``lines``: keep the
    newlines (a multi-line message the grader wrote); else a newline is escaped too, so a
    student's string cannot start a line of its own."""
    return str(text).translate(_WITH_LINES if lines else _ESCAPED)


# the characters ``escape`` makes visible (for tests and for a reader)
ESCAPED = frozenset(chr(c) for c in _ESCAPED)
