"""The course directory's configuration: the one owner of ``nbgrader_config.py`` and its paths.

Everything that needs the course's settings (the gradebook's URL, the folders
nbgrader uses, the course id) asks nbgrader's ``CourseDirectory`` built here,
and paths inside the course come from ``CourseDirectory.format_path``.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config import Config


def load_config(course: str | Path) -> Config:
    """The course's nbgrader configuration (``nbgrader_config.py``) as a traitlets Config."""
    from traitlets.config.loader import PyFileConfigLoader

    return PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()


def coursedir(course: str | Path, db_url: str | None = None) -> CourseDirectory:
    """nbgrader's CourseDirectory of the course, with ``db_url`` overriding the config's."""
    from nbgrader.coursedir import CourseDirectory

    cd = CourseDirectory(config=load_config(course), root=str(Path(course).resolve()))
    if db_url:
        cd.db_url = db_url
    return cd


def db_url(course: str | Path) -> str:
    """The course's gradebook: ``CourseDirectory.db_url`` of its nbgrader_config.py
    (for example a PostgreSQL server), else nbgrader's default ``gradebook.db``."""
    return coursedir(course).db_url


def safe_url(url: str) -> str:
    """The URL without a password."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
