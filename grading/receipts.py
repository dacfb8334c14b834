"""When the course received each hand-in: ``.grading/receipts/<assignment>/<student>.json``.

A hand-in's ``timestamp.txt`` is written by the student's side (nbgrader's
``submit`` runs as the student) and can be edited: it is a claim, not a
fact.  The course's own time is the moment the course first held the
hand-in's bytes: ``course collect`` records it (after ``nbgrader collect``
of the exchange, or copying ``--submissions DIR``), and ``course autograde``
records it for a hand-in it finds without one.  A receipt belongs to the
bytes of the notebooks (``digest``; ``timestamp.txt`` is not part of it): the
same bytes keep their first receipt, new bytes get a new one.

A receipt made by ``course collect`` is the submission's time in the
gradebook, so nbgrader's late penalty uses the course's time, and a
``timestamp.txt`` that disagrees with it by more than ``TOLERANCE_S`` is a
notice on the review list.  Collect at the deadline (or often): a receipt
cannot be earlier than the collection that made it.  A receipt that only
``course autograde`` made (a hand-in never collected by ``course collect``)
says when grading first saw it, which may be hours after the deadline: it
is kept for the record, but the submission's time is then the hand-in's
``timestamp.txt``, as in nbgrader, and there is no notice (else every
student of a course that grades the day after the deadline would be late).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from pathlib import Path
from typing import Mapping

TOLERANCE_S = 600.0   # seconds a student's timestamp.txt may differ from the course's receipt
RECEIPTS = ".grading/receipts"
STAMP = "timestamp.txt"


def path(course: str | Path, assignment: str, student: str) -> Path:
    """The receipt of a hand-in (ids are valid: grading/safeio.valid_id)."""
    return Path(course) / RECEIPTS / assignment / f"{student}.json"


def digest(files: Mapping[str, bytes]) -> str:
    """What a receipt is for: the SHA-256 of the hand-in's notebooks (names and bytes)."""
    h = hashlib.sha256()
    for name in sorted(n for n in files if n != STAMP):
        h.update(name.encode() + b"\0" + hashlib.sha256(files[name]).digest())
    return h.hexdigest()


def _load(course: str | Path, assignment: str, student: str) -> tuple[dt.datetime, str, str] | None:
    """(received, digest, by) of the last receipt, or None; a receipt without ``by`` is
    from before there were two kinds: ``course collect``'s."""
    try:
        rec = json.loads(path(course, assignment, student).read_text())
        when = dt.datetime.fromisoformat(rec["received"])
        return when.astimezone(dt.timezone.utc), str(rec["digest"]), str(rec.get("by", "collect"))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def read(course: str | Path, assignment: str, student: str) -> tuple[dt.datetime, str] | None:
    """(received, digest) of the last receipt, or None."""
    rec = _load(course, assignment, student)
    return None if rec is None else rec[:2]


def receive(course: str | Path, assignment: str, student: str, files: Mapping[str, bytes],
            now: dt.datetime | None = None, by: str = "collect") -> dt.datetime:
    """The time the course received these bytes: the receipt's if it is for them, else
    ``now`` (UTC), recorded as the new receipt.  ``by``: who records it, ``collect``
    (``course collect``) or ``autograde``; a receipt for the same bytes keeps its time,
    and becomes a collect receipt when ``course collect`` sees it."""
    d = digest(files)
    old = _load(course, assignment, student)
    if old is not None and old[1] == d:
        if by != "collect" or old[2] == "collect":
            return old[0]
        when = old[0]
    else:
        when = (now or dt.datetime.now(dt.timezone.utc)).astimezone(dt.timezone.utc)
    p = path(course, assignment, student)
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_name(f".{p.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps({"received": when.isoformat(), "digest": d, "by": by}) + "\n")
    tmp.replace(p)
    return when


def collected(course: str | Path, assignment: str, student: str, files: Mapping[str, bytes]) -> dt.datetime | None:
    """The time ``course collect`` received exactly these bytes, or None (never collected,
    or collected before the hand-in changed)."""
    old = _load(course, assignment, student)
    if old is None or old[1] != digest(files) or old[2] != "collect":
        return None
    return old[0]


def stamp(when: dt.datetime) -> bytes:
    """A receipt as nbgrader's timestamp.txt spells a time (nbgrader.utils.parse_utc reads it)."""
    return when.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f UTC").encode()


def disagreement(when: dt.datetime, claimed: bytes | None) -> str | None:
    """A notice if the hand-in's ``timestamp.txt`` disagrees with the receipt by more than
    ``TOLERANCE_S`` (or cannot be read); None if it agrees or there is none."""
    if claimed is None:
        return None
    from nbgrader.utils import parse_utc

    text = claimed.decode("utf-8", "replace").strip()[:100]
    got = f"the course received it at {when:%Y-%m-%d %H:%M:%S} UTC, and uses that time (late penalty included)"
    try:
        said = parse_utc(text).replace(tzinfo=dt.timezone.utc)
    except Exception:  # noqa: BLE001  (any unreadable text: the notice says so, never quotes it)
        return f"timestamp.txt cannot be read as a time; {got}"
    gap = (said - when).total_seconds()
    if abs(gap) <= TOLERANCE_S:
        return None
    side = "before" if gap < 0 else "after"
    return (f"timestamp.txt says {said:%Y-%m-%d %H:%M:%S} UTC, {abs(gap) / 60:.0f} min {side} the "
            f"course's receipt (allowed: {TOLERANCE_S / 60:.0f} min); {got}")
