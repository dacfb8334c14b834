"""The grading unit: one submission, graded in a job folder of its own; returns, stores nothing.

``grade_job(common, assignment, student, files)`` writes a scratch course into
a fresh job folder (the course's ``nbgrader_config.py`` pointed at a scratch
gradebook that holds only the assignment's definitions, and the submission's
bytes, already read by the grading command: grading/intake.py), runs
``nbgrader autograde`` there inside the job sandbox (grading/sandbox.py), and
takes back only the graded notebooks: each a regular file, opened without
following links, size-capped, and a valid notebook.  Nothing else the job
folder holds ever leaves it; the folder is deleted.  It then runs the tamper
scan on the graded notebooks and returns a ``JobResult``.

The job's own gradebook and scores are thrown away: the writer decides every
score (grading/verdicts.py) from the graded notebook and the instructor-side
record, in the grading command's process.

A job needs nothing of the course directory, so it runs in a thread of the
grading command or as a task on a Dask worker.  It never raises for a failed
grading: the result says ``ok=False`` and why.
"""
from __future__ import annotations

import collections
import itertools
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import nbformat

if TYPE_CHECKING:
    from nbformat import NotebookNode

from . import intake, safeio, sandbox as sandbox_mod
from .accounting import TreeCPU, rusage_seconds
from .findings import Finding

LOG_TAIL = 64 << 10      # bytes of a job's output kept (a kernel may print without end)
_UIDS = itertools.count()
_UID_LOCK = threading.Lock()
UID_BASE = 200000        # root mode: job uids are UID_BASE + (pid * 64 + n) % 100000


@dataclass
class JobResult:
    """What a grading job returns: the graded notebooks (bytes), or why there are none."""

    assignment: str
    student: str
    ok: bool = False
    error: str | None = None
    notebooks: dict[str, bytes] = field(default_factory=dict)     # {name.ipynb: bytes}
    findings: list[Finding] = field(default_factory=list)   # grading/intake.findings
    host: str = ""
    wall_s: float = 0.0
    cpu_s: float | None = None                          # CPU time of nbgrader and its kernel
    peak_rss_mb: float = 0.0                            # the largest resident memory of one of its processes
    log_tail: str = ""

    @classmethod
    def failure(cls, assignment: str, student: str, error: str, **kw: Any) -> JobResult:
        return cls(assignment=assignment, student=student, ok=False, error=error, **kw)


def _job_uid() -> int:
    with _UID_LOCK:
        n = next(_UIDS)
    return UID_BASE + (os.getpid() * 64 + n) % 100000


def _scratch_course(jobdir: Path, common: dict, assignment: str, student: str, files: dict) -> None:
    # the course's own config; the scratch gradebook and root are nbgrader options (_nbgrader_command)
    (jobdir / "nbgrader_config.py").write_bytes(common["config"])
    (jobdir / "gradebook.db").write_bytes(common["gradebook"])
    (jobdir / "source" / assignment).mkdir(parents=True)   # no notebooks: the gradebook has the cells
    sub = jobdir / "submitted" / student / assignment
    sub.mkdir(parents=True)
    for name, data in files.items():
        (sub / name).write_bytes(data)


class _Tail(threading.Thread):
    """Reads a pipe to its end, keeping only the last ``LOG_TAIL`` bytes (bounded memory)."""

    def __init__(self, pipe: IO[bytes]) -> None:
        super().__init__(daemon=True)
        self.pipe, self.size = pipe, 0
        self.buf: collections.deque[bytes] = collections.deque()

    def run(self) -> None:
        while True:
            chunk = self.pipe.read(1 << 16)
            if not chunk:
                break
            self.buf.append(chunk)
            self.size += len(chunk)
            while self.size - len(self.buf[0]) >= LOG_TAIL:
                self.size -= len(self.buf.popleft())

    def text(self) -> str:
        return b"".join(self.buf)[-LOG_TAIL:].decode("utf-8", "replace")


def _nbgrader_command(jobdir: Path, assignment: str, student: str, timeout: float | None) -> list[str]:
    cmd = [sys.executable, "-m", "nbgrader", "autograde", assignment, "--student", student, "--force",
           f"--CourseDirectory.root={jobdir}", f"--CourseDirectory.db_url=sqlite:///{jobdir / 'gradebook.db'}"]
    if timeout:
        cmd.append(f"--Execute.timeout={int(timeout)}")
    return cmd


@dataclass
class Supervised:
    """How a job's processes ended: exit status, log tail, CPU seconds of the job and its
    kernel, the largest resident memory of one of its processes (MiB), and what the memory
    watchdog did (notices for the review list)."""

    code: int
    log: str
    cpu_s: float
    peak_rss_mb: float = 0.0
    notices: list[str] = field(default_factory=list)


def run_job(jobdir: Path, assignment: str, student: str, sandboxed: bool = True, timeout: float | None = None,
            limits: dict | None = None) -> Supervised:
    """Run ``nbgrader autograde`` on the scratch course in ``jobdir``, under the memory
    watchdog (``limits["memory_mb"]`` of resident memory per process)."""
    env_common = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYTHONHASHSEED": "0",
                  "MPLBACKEND": "agg"}
    cmd = _nbgrader_command(jobdir, assignment, student, timeout)
    limits = dict(sandbox_mod.limits(), **(limits or {}))
    wall_s = limits["job_wall_s"]
    staging = None
    if sandboxed:
        box = sandbox_mod.JobSandbox(jobdir, limits)
        cmd += box.nbgrader_args()
        uid = None
        if box.mode == "root":
            uid = _job_uid()
            for p in [jobdir, *jobdir.rglob("*")]:
                os.lchown(p, uid, uid)
            staging = Path(tempfile.mkdtemp(prefix="course-roots-"))
        argv, env, cwd = box.job_argv(cmd, uid, env_common, staging), {"PATH": "/usr/bin:/bin"}, "/"
    else:
        env = dict(os.environ, **env_common)
        env["PATH"] = os.pathsep.join([os.path.dirname(sys.executable), env.get("PATH", "")])
        argv, cwd = cmd, str(jobdir)
    try:
        return _supervise(argv, cwd, env, wall_s, memory_mb=limits["memory_mb"])
    finally:
        if staging is not None:
            staging.rmdir()


SAMPLE_S = 0.5           # how often the job's process tree is read (CPU time, resident memory)


def _supervise(argv: list[str], cwd: str, env: dict[str, str], wall_s: float,
               memory_mb: int | None = None) -> Supervised:
    """Run the job to its end or its wall-clock limit.

    The CPU time is the larger of two lower bounds: what ``wait4`` reports (all of it
    without the sandbox), and the job's process tree sampled from ``/proc`` every
    ``SAMPLE_S`` seconds (the sandboxed kernel, whose time never reaches ``wait4``:
    grading/accounting.py).  The same samples are the memory watchdog: a process of the
    job whose resident memory is above ``memory_mb`` is killed (SIGKILL; for a kernel,
    nbgrader's executor then fails the cells from there on), with a notice naming the
    limit.  Resident memory, not address space: what a process reserves and never
    touches costs nothing."""
    proc = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True)
    assert proc.stdout is not None  # stdout=PIPE
    tail = _Tail(proc.stdout)
    tail.start()
    tree = TreeCPU(proc.pid)
    limit = (memory_mb << 20) if memory_mb else None
    notices: list[str] = []
    deadline = time.monotonic() + wall_s

    def done(code: int, log: str, usage: Any) -> Supervised:
        return Supervised(code, log, max(tree.seconds, rusage_seconds(usage)), tree.peak_rss / (1 << 20), notices)

    try:
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            tree.sample()
            for st in (tree.over(limit) if limit else []):
                try:
                    os.kill(st.pid, 9)
                except OSError:
                    continue    # gone already
                notices.append(f"a process of the grading (the kernel, if the cells after it failed) held "
                               f"{st.rss >> 20} MiB of resident memory, over this notebook's limit of "
                               f"{memory_mb} MiB, and was stopped")
            if time.monotonic() >= deadline:
                os.killpg(proc.pid, 9)
                _, status, usage = os.wait4(proc.pid, 0)
                proc.returncode = -9
                tail.join(5)
                return done(-9, tail.text() + f"\n(the job ran past its {wall_s:.0f} s limit and was killed)", usage)
            time.sleep(min(SAMPLE_S, max(0.0, deadline - time.monotonic())))
    except BaseException:
        _kill(proc)
        raise
    proc.returncode = code = os.waitstatus_to_exitcode(status)
    tail.join(30)
    return done(code, tail.text(), usage)


def take_back(jobdir: Path, assignment: str, student: str, name: str, handed_in: bytes,
              log: str) -> tuple[bytes, NotebookNode, str | None]:
    """One graded notebook out of the job folder: (its bytes, the notebook, a notice or None).

    A regular file, read without following links, size-capped and a valid notebook;
    else the notebook as handed in, its outputs cleared, with a notice for the review list.
    """
    rel = f"autograded/{student}/{assignment}/{name}"
    try:
        data = safeio.read_file(jobdir, rel)
        nb = nbformat.reads(data.decode("utf-8"), as_version=nbformat.NO_CONVERT)
        nbformat.validate(nb)
        return data, nb, None
    except Exception as exc:   # safeio.Refused, invalid UTF-8/JSON/notebook
        # Graded all the same, from the notebook as handed in: with no check reported,
        # every test scores zero (grading/verdicts.py).  The notice names the kind of
        # problem and where, never the graded notebook's own text (the student's):
        # safeio's refusals are in its own words, about our path.
        why = str(exc) if isinstance(exc, safeio.Refused) else intake.why_unreadable(exc)
        notice = (f"{name}: the graded notebook could not be taken back ({why}); its tests "
                  f"score zero. The job's last output: {gist(log)}")
    nb = nbformat.reads(handed_in.decode("utf-8"), as_version=4)
    for cell in nb.cells:  # never the hand-in's own outputs: they could be forged reports
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return nbformat.writes(nb).encode(), nb, notice


def gist(error: str | None) -> str:
    """The telling line of a failed job's log (nbgrader ends with generic ones)."""
    lines = [ln.strip() for ln in (error or "?").strip().splitlines() if ln.strip()]
    generic = ("Please see the", "There was an error processing", "failed (", "Removing failed")
    telling = [ln for ln in lines if not any(g in ln for g in generic)
               and any(k in ln for k in ("Error", "Exception", "died", "Timeout", "Killed"))]
    # else the first line: nbg's "nbgrader autograde ... failed (<exit status>)"
    return (telling[-1:] or lines[:1] or ["?"])[0][:240]


def _kill(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, 9)
    except OSError:
        pass
    proc.wait()


def grade_job(common: dict, assignment: str, student: str, files: dict) -> JobResult:
    """Grade one submission in a job folder of its own (see the module's docstring).

    ``common``: {"config": bytes, "gradebook": bytes, "source": {name: bytes}, "sandbox": bool,
    "timeout": seconds or None} of the assignment; ``files``: {name: bytes} of the submission
    (grading/intake.collect).  The result's ``cpu_s`` is the CPU time of the job's
    processes (nbgrader and its kernel, in either sandbox mode or none: ``_supervise``),
    wherever the job runs, threads side by side included.
    """
    t0 = time.time()
    result = JobResult(assignment=assignment, student=student, host=socket.gethostname())
    if not (safeio.valid_id(assignment) and safeio.valid_id(student)):
        result.error = f"refused: {student!r}/{assignment!r} is not a valid id"
        return result
    jobdir = Path(tempfile.mkdtemp(prefix=f"grade-{assignment}-{student}-", dir=tempfile.gettempdir()))
    try:
        _scratch_course(jobdir, common, assignment, student, files)
        ran = run_job(jobdir, assignment, student, sandboxed=common.get("sandbox", True),
                      timeout=common.get("timeout"), limits=common.get("limits"))
        code, log, result.cpu_s, result.peak_rss_mb = ran.code, ran.log, ran.cpu_s, ran.peak_rss_mb
        result.log_tail = log
        if code < 0 or code >= 128:
            # killed by a signal mid-run (bwrap reports 128 + the signal): what it left is
            # unfinished, a notebook copied but not executed
            sig = -code if code < 0 else code - 128
            result.error = "".join(f"{n}\n" for n in ran.notices) + \
                f"nbgrader autograde was killed by signal {sig}:\n{log[-2000:]}"
            return result
        names = sorted(n for n in common["source"] if n.endswith(".ipynb"))
        graded, notices = {}, list(ran.notices)
        for name in names:
            data, nb, notice = take_back(jobdir, assignment, student, name, files[name], log)
            if notice:
                notices.append(notice)
            result.notebooks[name] = data
            graded[name] = nb
        sources = {n: nbformat.reads(common["source"][n].decode("utf-8"), as_version=4) for n in names}
        result.findings = intake.findings(sources, graded, notices)
        result.ok = True
        return result
    except Exception as exc:  # a broken job must not take the others with it
        result.error = f"{type(exc).__name__}: {exc}"
        return result
    finally:
        shutil.rmtree(jobdir, ignore_errors=True)
        result.wall_s = time.time() - t0
