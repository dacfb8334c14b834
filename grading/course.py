"""The course directory's configuration: the one owner of ``nbgrader_config.py`` and its paths.

Everything that needs the course's settings (the gradebook's URL, the folders
nbgrader uses, the course id) asks nbgrader's ``CourseDirectory`` built here,
and paths inside the course come from ``CourseDirectory.format_path``.
"""
from __future__ import annotations

from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Literal, Sequence

from .errors import CourseError

if TYPE_CHECKING:
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config import Config


def load_config(course: str | Path) -> Config:
    """The course's nbgrader configuration (``nbgrader_config.py``) as a traitlets Config;
    nbgrader's defaults (an empty Config) for a folder without one, as nbgrader's own
    commands run there."""
    from traitlets.config.loader import Config, PyFileConfigLoader

    if not (Path(course) / "nbgrader_config.py").is_file():
        return Config()
    return PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()


def coursedir(course: str | Path, db_url: str | None = None) -> CourseDirectory:
    """nbgrader's CourseDirectory of the course, with ``db_url`` overriding the config's."""
    from nbgrader.coursedir import CourseDirectory

    cd = CourseDirectory(config=load_config(course), root=str(Path(course).resolve()))
    if db_url:
        cd.db_url = db_url
    return cd


Step = Literal["source", "release", "submitted", "autograded", "feedback"]


def step_path(course: str | Path, step: Step, assignment: str = ".", student: str = ".",
              cd: CourseDirectory | None = None) -> str:
    """``<step>/<student>/<assignment>`` of the course, relative to its root and
    "/"-separated, as nbgrader's ``CourseDirectory.format_path`` places it ("." for a
    part left out: ``step_path(c, "submitted")`` is the folder of all hand-ins).

    Relative, for grading/safeio.py, which walks it from the course root one component
    at a time without following links.  ``cd``: the course's CourseDirectory, where the
    caller has it already (building one reads ``nbgrader_config.py``)."""
    cd = cd or coursedir(course)
    full = PurePath(cd.format_path(getattr(cd, f"{step}_directory"), student, assignment))
    try:
        return full.relative_to(cd.root).as_posix()
    except ValueError:
        raise CourseError(f"the course's {step} folder {full} is outside the course {cd.root} "
                          "(CourseDirectory.directory_structure)") from None


def known_assignments(course: str | Path, cd: CourseDirectory | None = None) -> list[str]:
    """The course's assignments: a master ``notebooks/<id>.md`` or a source folder
    ``source/<id>/`` (as nbgrader finds them), each a valid id, in order."""
    from .paths import assignments
    from .safeio import valid_id

    source = Path(course) / step_path(course, "source", cd=cd)
    found = set(assignments(course))
    if source.is_dir():
        found |= {p.name for p in source.iterdir() if p.is_dir() and not p.is_symlink()}
    return sorted(a for a in found if valid_id(a))


def check_assignments(course: str | Path, wanted: Sequence[str], cd: CourseDirectory | None = None) -> None:
    """CourseError unless every assignment of ``wanted`` is one of the course's (the message
    lists the known ones; a name from the command line is shown with control characters as ?)."""
    from .findings import printable

    known = known_assignments(course, cd)
    unknown = [a for a in wanted if a not in known]
    if unknown:
        shown = ", ".join(printable(repr(a)) for a in unknown)
        raise CourseError(f"no assignment {shown} in this course; its assignments: "
                          f"{', '.join(known) or 'none (no notebooks/<id>.md, no source/<id>/)'}")


def db_url(course: str | Path) -> str:
    """The course's gradebook: ``CourseDirectory.db_url`` of its nbgrader_config.py
    (for example a PostgreSQL server), else nbgrader's default ``gradebook.db``."""
    return coursedir(course).db_url


def safe_url(url: str) -> str:
    """The URL without a password."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
