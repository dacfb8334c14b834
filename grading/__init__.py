"""Instructor-side tools: build the source notebooks, release, autograde, report.

A notebook never imports this package; the student side is ``helpers``.
"""
