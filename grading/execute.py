"""nbgrader's Execute, made to grade a broken notebook instead of failing on it.

Stock nbgrader gives up on a whole submission when the kernel dies (for
example ``os._exit``, or the sandbox killing it), and a loop that ignores
the interrupt makes every later cell wait out its own timeout.  Here:

- a cell whose kernel dies gets an error output saying so;
- after a cell times out, the kernel must answer a ``kernel_info`` request
  within ``responsive_timeout`` seconds, or it counts as dead;
- once the kernel is dead, the remaining code cells are not run: each gets
  an error output (so a test cell scores zero) that says why.

nbgrader_config.py puts this class in place of nbgrader's Execute in
``Autograde.autograde_preprocessors``; ``Execute.*`` settings apply to it.
"""
from __future__ import annotations

import asyncio
import queue
import time
from typing import Any

from jupyter_core.utils import run_sync
from nbclient.exceptions import DeadKernelError
from nbformat import NotebookNode
from nbgrader.preprocessors import Execute
from traitlets import Float


def _error(ename: str, evalue: str) -> NotebookNode:
    return NotebookNode(output_type="error", ename=ename, evalue=evalue,
                        traceback=[f"{ename}: {evalue}"])


class GradingExecute(Execute):
    _dead: str | None = None   # why the cells still to come are not run
    responsive_timeout = Float(5.0, help="seconds a kernel has to answer after a timed-out cell").tag(config=True)

    def preprocess(self, nb: NotebookNode, resources: dict[str, Any] | None = None,
                   km: Any = None) -> tuple[NotebookNode, dict[str, Any]]:
        self._dead = None
        return super().preprocess(nb, resources, km=km)

    def preprocess_cell(self, cell: NotebookNode, resources: dict[str, Any],
                        index: int) -> tuple[NotebookNode, dict[str, Any]]:
        # nbclient's execute_cell is a sync wrapper bound to its own async method,
        # so the hook is here, around nbconvert's per-cell step.
        if cell.cell_type != "code" or not cell.source.strip():
            return super().preprocess_cell(cell, resources, index)
        if self._dead:
            cell.outputs = [_error("DeadKernelError", f"not run: {self._dead}")]
            return cell, resources
        try:
            cell, resources = super().preprocess_cell(cell, resources, index)
        except DeadKernelError:
            cell.outputs = list(cell.get("outputs", [])) + [_error(
                "DeadKernelError", "the kernel died while this cell ran (it exited, was killed "
                "or ran out of memory)")]
            self._dead = "the kernel died in an earlier cell"
            return cell, resources
        timed_out = any(o.get("output_type") == "error" and o.get("ename") == "CellTimeoutError"
                        for o in cell.get("outputs", []))
        if timed_out and not run_sync(self._responsive)():
            self._dead = ("an earlier cell ran past the time limit and its kernel did not stop "
                          "when interrupted")
        return cell, resources

    async def _responsive(self) -> bool:
        """Whether the kernel answers kernel_info soon (it does not while a cell still runs)."""
        msg_id = self.kc.kernel_info()
        deadline = time.monotonic() + self.responsive_timeout
        while time.monotonic() < deadline:
            try:
                msg = await self.kc.get_shell_msg(timeout=max(0.1, deadline - time.monotonic()))
            except (asyncio.TimeoutError, queue.Empty):  # no answer in time
                return False
            if msg.get("parent_header", {}).get("msg_id") == msg_id:
                return True
        return False
