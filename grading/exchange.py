"""What nbgrader's exchange needs from the course's own grading steps.

``nbgrader release_feedback`` files each student's feedback page under a hash
of ``submission_secret.txt``, the file ``nbgrader submit`` wrote into the
submission and ``nbgrader collect`` copied into
``submitted/<student>/<assignment>/``; ``nbgrader fetch_feedback`` finds the
page by the same hash.  nbgrader's own autograde carries that file through
``autograded/`` into ``feedback/``; the course's intake grades the notebook
alone (extra files are left out), so ``course feedback`` puts it back next to
each page.  Without it release_feedback stops at the first student.

The file comes from the student's side: it is read without following links,
only if it is a regular file, and only its first ``SECRET_MAX`` bytes.
"""
from __future__ import annotations

import os
import stat
from pathlib import Path

SECRET = "submission_secret.txt"
SECRET_MAX = 4096


def _read_regular(path, limit):
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


def carry_submission_secrets(course, assignment):
    """Copy each collected submission's secret into its feedback folder; return the students."""
    course = Path(course)
    done = []
    for folder in sorted((course / "feedback").glob(f"*/{assignment}")):
        if folder.is_symlink() or folder.parent.is_symlink() or not folder.is_dir():
            continue
        student = folder.parent.name
        data = _read_regular(course / "submitted" / student / assignment / SECRET, SECRET_MAX)
        if data is None:
            continue  # not from the exchange (or not a plain file): nothing to release by
        fd = os.open(folder / SECRET, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o644)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        done.append(student)
    return done
