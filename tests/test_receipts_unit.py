"""The course's receipt of a hand-in (grading/receipts.py): the submission's time is the
course's, and a ``timestamp.txt`` that disagrees with it is a notice."""
import datetime as dt

import pytest

from grading import receipts

pytestmark = pytest.mark.fast

T0 = dt.datetime(2026, 11, 20, 12, 0, 0, tzinfo=dt.timezone.utc)
NB = {"hw.ipynb": b'{"cells": []}'}


def test_the_same_bytes_keep_their_first_receipt_and_new_bytes_get_a_new_one(tmp_path):
    assert receipts.receive(tmp_path, "hw", "ann", NB, now=T0) == T0
    later = T0 + dt.timedelta(hours=5)
    # a new timestamp.txt alone is not a new hand-in
    assert receipts.receive(tmp_path, "hw", "ann", {**NB, "timestamp.txt": b"2020-01-01 00:00:00 UTC"},
                            now=later) == T0
    assert receipts.receive(tmp_path, "hw", "ann", {"hw.ipynb": b'{"cells": [1]}'}, now=later) == later
    assert receipts.read(tmp_path, "hw", "ann")[0] == later
    assert receipts.receive(tmp_path, "hw", "bob", NB, now=later) == later   # per student


def test_a_receipt_reads_back_as_nbgrader_reads_a_timestamp():
    from nbgrader.utils import parse_utc

    assert parse_utc(receipts.stamp(T0).decode()).replace(tzinfo=dt.timezone.utc) == T0


CLAIMS = [  # (timestamp.txt, a notice wanted, words in it)
    (None, False, ""),
    (b"2026-11-20 12:00:00 UTC", False, ""),
    (b"2026-11-20 12:09:00 UTC", False, ""),                                # within 10 min
    (b"2026-11-20 11:51:00.5 UTC", False, ""),
    (b"2026-11-20 09:00:00 UTC", True, "180 min before the course's receipt"),   # a late hand-in back-dated
    (b"2026-11-21 12:00:00 UTC", True, "1440 min after the course's receipt"),
    (b"\x1b[2Jyesterday, honest", True, "cannot be read as a time"),
    (b"", True, "cannot be read as a time"),
]


@pytest.mark.parametrize("claimed,notice,words", CLAIMS)
def test_a_timestamp_that_disagrees_with_the_receipt_is_a_notice(claimed, notice, words):
    got = receipts.disagreement(T0, claimed)
    assert (got is not None) is notice, got
    if notice:
        assert words in got and "uses that time (late penalty included)" in got
        assert "honest" not in got and "\x1b" not in got   # the claim is never quoted


def test_only_a_collect_receipt_decides_the_time(tmp_path):
    """A hand-in first seen by `course autograde` (never collected by `course collect`) keeps
    its timestamp.txt as its time: grading the day after the deadline must not make every
    student late.  Once `course collect` has seen the bytes, its receipt decides."""
    later = T0 + dt.timedelta(hours=20)
    assert receipts.receive(tmp_path, "hw", "ann", NB, now=later, by="autograde") == later
    assert receipts.collected(tmp_path, "hw", "ann", NB) is None
    # course collect of the same bytes: the first sight's time, now a collect receipt
    assert receipts.receive(tmp_path, "hw", "ann", NB, now=later + dt.timedelta(hours=1)) == later
    assert receipts.collected(tmp_path, "hw", "ann", NB) == later
    # autograde afterwards does not demote it; new bytes are not covered by it
    receipts.receive(tmp_path, "hw", "ann", NB, now=later + dt.timedelta(hours=2), by="autograde")
    assert receipts.collected(tmp_path, "hw", "ann", NB) == later
    assert receipts.collected(tmp_path, "hw", "ann", {"hw.ipynb": b'{"cells": [2]}'}) is None
    receipts.receive(tmp_path, "hw", "ann", {"hw.ipynb": b'{"cells": [2]}'}, now=later, by="autograde")
    assert receipts.collected(tmp_path, "hw", "ann", {"hw.ipynb": b'{"cells": [2]}'}) is None
