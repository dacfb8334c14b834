"""What a person sees of the grading package's log: the CLI's one decision about output.

Library code never prints and never draws: it logs (``logging.getLogger(__name__)``,
info for what it does, a warning for what it leaves out or cannot finish), and the
package's top logger has only a ``NullHandler`` (grading/__init__.py), so a program
that imports it shows nothing it did not ask for.  The CLI asks with ``shown()``:
each message on stdout, alone on its line, as ``print`` wrote it before there was a
logger (the tests and people read the same lines), with every control and
bidirectional character escaped (grading/shown.py: a student's file name cannot
drive the terminal).  ``say`` is the one other way the package prints: no module
but this one writes to stdout or stderr (tests/test_console.py checks).

Progress: ``scale.grade`` gives the line that starts a run and the line of each
finished submission a ``progress=(done, total)`` attribute.  With ``bar=True`` (a
terminal, and no ``--no-progress``) those per-submission lines become one tqdm bar
on stderr, as before; the bar is closed before the next line that is not progress.
"""
from __future__ import annotations

import logging
import sys
from contextlib import contextmanager
from typing import Any, Iterator

from .shown import escape

LOGGER = "grading"


class ConsoleHandler(logging.Handler):
    """Each record's message on ``sys.stdout`` (looked up when written, so that a replaced
    stdout, as pytest's, is honoured); progress records as a bar on stderr if ``bar``."""

    def __init__(self, bar: bool = False) -> None:
        super().__init__(logging.INFO)
        self.bar_wanted = bar
        self.bar: Any = None     # the tqdm bar of the run in progress, if any

    def emit(self, record: logging.LogRecord) -> None:
        try:
            progress = getattr(record, "progress", None)
            if self.bar_wanted and progress is not None:
                done, total = progress
                if done == 0:                 # the run's first line: print it, then the bar
                    self.close_bar()
                    self._write(record)
                    if total:
                        from tqdm import tqdm

                        self.bar = tqdm(total=total, unit="sub", file=sys.stderr, dynamic_ncols=True)
                elif self.bar is not None:
                    self.bar.update(done - self.bar.n)
                    if done >= total:
                        self.close_bar()
                else:
                    self._write(record)
                return
            self.close_bar()
            self._write(record)
        except Exception:
            self.handleError(record)

    def _write(self, record: logging.LogRecord) -> None:
        sys.stdout.write(_message(record) + "\n")
        sys.stdout.flush()

    def close_bar(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def close(self) -> None:
        self.close_bar()
        super().close()


@contextmanager
def shown(bar: bool = False) -> Iterator[ConsoleHandler]:
    """Show the grading package's info and warnings on stdout while the block runs
    (``bar``: submissions' progress as a bar on stderr instead of a line each)."""
    logger = logging.getLogger(LOGGER)
    handler = ConsoleHandler(bar)
    old_level = logger.level
    logger.addHandler(handler)
    if logger.getEffectiveLevel() > logging.INFO:
        logger.setLevel(logging.INFO)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
        handler.close()


def _message(record: logging.LogRecord) -> str:
    """A record's message, escaped: its arguments wholly (a student's string cannot start a
    line of its own), the format's text keeping its newlines (it is the package's)."""
    args: Any = record.args
    if isinstance(args, tuple) and args:
        args = tuple(escape(a) if isinstance(a, str) else a for a in args)
    elif isinstance(args, dict) and args:
        args = {k: escape(v) if isinstance(v, str) else v for k, v in args.items()}
    try:
        text = str(record.msg) % args if args else str(record.msg)
    except (TypeError, ValueError):
        text = escape(record.getMessage())
    return escape(text, lines=True)


def say(*parts: object, err: bool = False, block: bool = False) -> None:
    """The one way the package prints: ``parts`` joined by spaces, on stdout (``err``: stderr),
    every control and bidirectional character escaped (grading/shown.py), newlines too:
    one call, one line.  ``block``: a block of lines the package wrote (a table, the review
    list, whose lines are escaped already), whose newlines are kept."""
    stream = sys.stderr if err else sys.stdout
    stream.write(escape(" ".join(str(p) for p in parts), lines=block) + "\n")
    stream.flush()
