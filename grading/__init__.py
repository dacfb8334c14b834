"""Instructor-side tools: build the source notebooks, release, autograde, report.

A notebook never imports this package; the student side is ``helpers``.

The package logs (``logging.getLogger(__name__)`` in each module) and prints nothing;
a program shows its log as it likes (the CLI: grading/console.py).
"""
import logging

logging.getLogger(__name__).addHandler(logging.NullHandler())
