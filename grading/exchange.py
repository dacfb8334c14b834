"""What nbgrader's exchange needs from the course's own grading steps.

``nbgrader release_feedback`` reads two files next to each feedback page:
``timestamp.txt`` (when the submission was made) and ``submission_secret.txt``
(under whose hash it files the page, and by which ``nbgrader fetch_feedback``
finds it).  ``nbgrader submit`` writes both into the submission and ``nbgrader
collect`` copies them into ``submitted/<student>/<assignment>/``.  nbgrader's
own autograde carries them through ``autograded/`` into ``feedback/``; the
course's grader takes back the graded notebook alone, so ``course feedback``
puts them back next to each page.  Without them release_feedback stops at the
first student.

The files come from the student's side: each is read without following
links, only if it is a regular file, and only its first ``SECRET_MAX`` bytes.
"""
from __future__ import annotations

import os
import stat
from pathlib import Path

SECRET = "submission_secret.txt"
CARRIED = ("timestamp.txt", SECRET)
SECRET_MAX = 4096


def _read_regular(path: str | Path, limit: int) -> bytes | None:
    """The bytes of a regular file (at most ``limit``), never through a link; None otherwise."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        return os.read(fd, limit)
    finally:
        os.close(fd)


def carry_submission_secrets(course: str | Path, assignment: str) -> list[str]:
    """Copy each collected submission's secret and timestamp into its feedback folder;
    return the students whose secret was carried."""
    course = Path(course)
    done = []
    for folder in sorted((course / "feedback").glob(f"*/{assignment}")):
        if folder.is_symlink() or folder.parent.is_symlink() or not folder.is_dir():
            continue
        student = folder.parent.name
        for name in CARRIED:
            data = _read_regular(course / "submitted" / student / assignment / name, SECRET_MAX)
            if data is None:
                continue  # not from the exchange (or not a plain file): nothing to carry
            fd = os.open(folder / name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o644)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            if name == SECRET:
                done.append(student)
    return done
