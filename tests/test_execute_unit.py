"""The executor's responsiveness check (grading/execute.py), with a stand-in kernel client.

After a timed-out cell, ``GradingExecute._responsive`` asks the kernel for
``kernel_info``: an answer in time means the interrupt worked; no answer in
time means the kernel still runs the cell.  Only *no answer* may count as
"not responsive": any other failure (a closed channel, a bug) is an error
that must reach the grader, not be taken for a busy kernel.
"""
import asyncio
import queue

import pytest
from jupyter_core.utils import run_sync

from grading.execute import GradingExecute

pytestmark = pytest.mark.fast


class Client:
    """A kernel client whose shell channel gives ``replies`` in turn (an exception is raised)."""

    def __init__(self, replies):
        self.replies = list(replies)
        self.asked = 0

    def kernel_info(self):
        self.asked += 1
        return "info-1"

    async def get_shell_msg(self, timeout=None):
        reply = self.replies.pop(0) if self.replies else {"parent_header": {"msg_id": "other"}}
        if isinstance(reply, BaseException):
            raise reply
        await asyncio.sleep(0.01)
        return reply


def responsive(replies, timeout=0.3):
    ex = GradingExecute(responsive_timeout=timeout)
    ex.kc = Client(replies)
    return run_sync(ex._responsive)(), ex.kc


ANSWER = {"parent_header": {"msg_id": "info-1"}, "content": {"status": "ok"}}
OTHER = {"parent_header": {"msg_id": "execute-7"}, "content": {}}


def test_an_answer_means_responsive():
    ok, kc = responsive([ANSWER])
    assert ok is True and kc.asked == 1


def test_late_replies_to_other_requests_are_skipped():
    assert responsive([OTHER, OTHER, ANSWER])[0] is True


@pytest.mark.parametrize("silence", [queue.Empty(), asyncio.TimeoutError()], ids=["empty", "timeout"])
def test_no_answer_in_time_means_not_responsive(silence):
    assert responsive([silence])[0] is False


def test_only_other_replies_until_the_deadline_means_not_responsive():
    assert responsive([], timeout=0.2)[0] is False


@pytest.mark.parametrize("error", [RuntimeError("the shell channel is closed"), ValueError("bad message"),
                                   OSError("socket gone")], ids=["runtime", "value", "os"])
def test_any_other_failure_is_raised_not_taken_for_a_busy_kernel(error):
    with pytest.raises(type(error), match=str(error)):
        responsive([error])
