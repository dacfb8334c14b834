"""Where the course lives."""
from __future__ import annotations

from pathlib import Path

from .errors import NoCourse


def find_root(start: str | Path | None = None) -> Path:
    """The course root: the nearest folder at or above ``start`` (default: the
    working directory) that holds ``nbgrader_config.py``, as nbgrader finds it."""
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "nbgrader_config.py").is_file() and (folder / "notebooks").is_dir():
            return folder
    raise NoCourse(f"no course here: no folder at or above {here} holds nbgrader_config.py "
                     "and notebooks/ (run from the course, or pass --course DIR)")


def assignments(root: str | Path) -> list[str]:
    """Assignment ids, in order: one per master notebook ``notebooks/<id>.md``."""
    return sorted(p.stem for p in (Path(root) / "notebooks").glob("*.md"))
