"""Resource accounting: CPU time of this process, of its children, and of a job's process tree.

A sandboxed job does not pass all of its CPU time up to the process that waits for it:
bubblewrap's monitor exits without waiting for the init process of the job's pid
namespace, so the CPU time of nbgrader and its kernel never reaches the grading
command's ``RUSAGE_CHILDREN``.  ``TreeCPU`` reads the job's process tree from
``/proc`` instead, sample by sample, and the job supervisor (grading/job.py) adds
what ``wait4`` reports when the job ends.  The same samples give each process's
resident memory (``ProcStat.rss``), which the supervisor's memory watchdog compares
with the job's limit, and the tree's peak (``TreeCPU.peak_rss``).
"""
from __future__ import annotations

import os
import resource
from dataclasses import dataclass, field

TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def cpu_seconds(own: bool = True, children: bool = True) -> float:
    """User + system CPU seconds of this process and/or of the children it has waited for."""
    who = ([resource.RUSAGE_SELF] if own else []) + ([resource.RUSAGE_CHILDREN] if children else [])
    return sum(r.ru_utime + r.ru_stime for r in map(resource.getrusage, who))


def rusage_seconds(usage: resource.struct_rusage) -> float:
    """User + system CPU seconds of a ``wait4`` rusage (the process and what it waited for)."""
    return usage.ru_utime + usage.ru_stime


@dataclass(frozen=True)
class ProcStat:
    """What ``/proc/<pid>/stat`` says of one process (times in seconds)."""
    pid: int
    ppid: int
    start: int          # start time in clock ticks since boot: with pid, the process's identity
    own: float          # its own CPU time, all its threads
    reaped: float       # CPU time of the children it has waited for
    rss: int = 0        # resident memory, bytes

    @property
    def ident(self) -> tuple[int, int]:
        return self.pid, self.start


def parse_stat(text: str) -> ProcStat | None:
    """A ``/proc/<pid>/stat`` line; None if it cannot be read (the command name, in
    parentheses, may hold any character: the fields are counted after the last ")")."""
    head, _, rest = text.rpartition(")")
    fields = rest.split()
    try:
        pid = int(head.split("(", 1)[0])
        ppid, start = int(fields[1]), int(fields[19])
        utime, stime, cutime, cstime = (int(x) for x in fields[11:15])
        rss = max(0, int(fields[21])) * PAGE
    except (ValueError, IndexError):
        return None
    return ProcStat(pid, ppid, start, (utime + stime) / TICK, (cutime + cstime) / TICK, rss)


def processes(proc: str = "/proc") -> dict[int, ProcStat]:
    """Every process this machine's ``/proc`` shows, by pid (those that vanish while read are left out)."""
    out = {}
    for name in os.listdir(proc):
        if not name.isdigit():
            continue
        try:
            with open(f"{proc}/{name}/stat", encoding="utf-8", errors="replace") as f:
                st = parse_stat(f.read())
        except OSError:
            continue
        if st is not None:
            out[st.pid] = st
    return out


@dataclass
class TreeCPU:
    """The CPU time of a process tree, sampled from ``/proc`` (``sample``), rooted at ``root``.

    The tree is the root and its descendants, and every process once seen in it (a
    process whose parent exits is reparented outside the tree; it still counts).  At
    each sample the estimate is the CPU time of the tree's live processes (their own
    and what they waited for) plus what left the tree unaccounted: a process that
    vanished without its parent's waited-for time growing by as much.  What runs
    between the last sample and the end is missed; ``seconds`` is the largest estimate."""

    root: int
    seen: dict[tuple[int, int], ProcStat] = field(default_factory=dict)
    lost: float = 0.0
    seconds: float = 0.0
    samples: int = 0
    peak_rss: int = 0      # the largest resident memory of one process of the tree, bytes

    def sample(self, procs: dict[int, ProcStat] | None = None) -> float:
        procs = processes() if procs is None else procs
        children: dict[int, list[int]] = {}
        for st in procs.values():
            children.setdefault(st.ppid, []).append(st.pid)
        live: dict[tuple[int, int], ProcStat] = {}
        todo = [st for st in procs.values() if st.pid == self.root or st.ident in self.seen]
        while todo:
            st = todo.pop()
            if st.ident not in live:
                live[st.ident] = st
                todo += [procs[c] for c in children.get(st.pid, [])]
        # What vanished since the last sample was passed up to a process of the tree that
        # waited for it (its parent, or the init of its pid namespace when its parent exited
        # first: its "reaped" time grew), or it is lost, and the tree keeps what was last
        # seen of it.  Compared over the whole tree, as time passed up may land on any
        # ancestor.
        vanished = sum(st.own + st.reaped for ident, st in self.seen.items() if ident not in live)
        grew = sum(st.reaped - self.seen[ident].reaped for ident, st in live.items() if ident in self.seen)
        self.lost += max(0.0, vanished - grew)
        self.seen = live
        self.samples += 1
        self.seconds = max(self.seconds, self.lost + sum(st.own + st.reaped for st in live.values()))
        self.peak_rss = max([self.peak_rss, *(st.rss for st in live.values())])
        return self.seconds

    def over(self, limit: int) -> list[ProcStat]:
        """The live processes of the last sample whose resident memory is above ``limit`` bytes."""
        return [st for st in self.seen.values() if st.rss > limit]
