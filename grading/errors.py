"""The grading package's errors: one small hierarchy; only the CLI turns them into exit codes."""
from __future__ import annotations


class CourseError(Exception):
    """Something the instructor must act on (a message for a person, not a traceback)."""


class NbgraderError(CourseError):
    """An nbgrader command failed, or a submission could not be graded at all."""


class GradingError(CourseError):
    """A grading run cannot start or go on (another run holds the course, a missing assignment)."""


class GradebookError(CourseError):
    """The gradebook cannot be read (a database server that cannot be reached, a broken file)."""


class RecordError(CourseError):
    """The instructor-side record of expected values is missing, stale or inconsistent."""


class SandboxUnavailable(CourseError):
    """This machine cannot run the grading sandbox (bubblewrap or user namespaces missing)."""


class NoCourse(CourseError):
    """No course directory (nbgrader_config.py) at or above the working directory."""
