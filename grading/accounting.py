"""Resource accounting: CPU time of this process and of the children it has waited for."""
from __future__ import annotations

import resource


def cpu_seconds(own: bool = True, children: bool = True) -> float:
    """User + system CPU seconds of this process and/or of the children it has waited for.

    A child in a new pid namespace (a sandboxed job) does not pass up the CPU time of its
    own children when it exits; the sandboxed kernel reports its own (grading/sandbox.py)."""
    who = ([resource.RUSAGE_SELF] if own else []) + ([resource.RUSAGE_CHILDREN] if children else [])
    return sum(r.ru_utime + r.ru_stime for r in map(resource.getrusage, who))
