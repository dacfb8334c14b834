"""The grading sandbox: every grading job runs unprivileged, its kernel one level deeper.

One job grades one submission (grading/job.py).  It runs ``nbgrader autograde``
in a private job folder, and that process and its kernel are both sandboxed:

    grading command (root, or the instructor)
      └─ [root only: setpriv to a fresh uid, no capabilities, no_new_privs]
         bwrap (outer: user, pid, net, ipc, uts namespaces)        the JOB
           sees: /usr, /etc, the Python install and the environment, read-only;
                 the job folder, read-write; an empty /tmp.  Not the course.
           └─ nbgrader autograde  (in the job folder's scratch course)
              └─ kernel.sh → prlimit → bwrap (inner: new user, pid, net, ipc,
                 uts namespaces)                                    the KERNEL
                   sees: /usr, /etc, Python, read-only; an empty, size-capped
                         tmpfs as its working folder and /tmp; the connection
                         file and the socket folder.  Not the job folder.

What this guarantees, and why:

- **Nothing privileged acts on a path the kernel controls.**  The kernel's
  working copy is a tmpfs inside its own mount namespace: it vanishes with the
  kernel, and no process outside ever reads or writes it.  nbgrader writes the
  graded notebook into the job folder, which the kernel cannot see.  The
  grading command takes back only that notebook, opened without following
  links, size-capped and validated (grading/job.py, grading/safeio.py).
- **The working copy's total size is capped** (``work_mb`` + ``tmp_mb`` of
  tmpfs), not only the size of each file (``fsize_mb``).
- **The job is unprivileged.**  As root, each job gets its own uid (so a
  per-uid process cap is per job) and drops every capability before bwrap
  starts; without root, the same sandbox runs in an unprivileged user
  namespace as the instructor's uid (``mode() == "rootless"``).  Then all the
  jobs share that uid's process cap (``nproc``), and a job's files are owned
  by the instructor, but the namespaces, the mounts and the limits are the same.
- The kernel cannot reach nbgrader: it lives in its own pid namespace (it
  cannot see, signal or ptrace nbgrader, nor open its ``/proc`` files) and its
  own mount namespace.

Limits (``SandboxLimits``, traitlets options of ``nbgrader_config.py``): per
process of a job ``memory_mb`` of resident memory (the job supervisor's watchdog,
grading/job.py; per assignment from the reference solution's measured peak,
``memory_limit``), per kernel ``address_space_mb`` of address space (a backstop far
above it), ``nproc`` processes, ``fsize_mb`` per file, ``cpu_s`` CPU seconds,
``nofile`` open files, no core dumps; nbgrader's ``Execute.timeout`` per cell;
``job_wall_s`` for the whole job.
"""
from __future__ import annotations

import functools
import json
import os
import shlex
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

from traitlets import Float, Int
from traitlets.config import Config, Configurable

KERNEL_NAME = "course-sandbox"
INSTALL_HINT = ("bubblewrap is not installed: install it with `apt-get install bubblewrap` "
                "(the grading sandbox needs bwrap, prlimit and setpriv), or grade trusted "
                "submissions without a sandbox: `course autograde --no-sandbox-i-trust-these-submissions`.")

# The kernel's parent inside the sandbox: it waits for the kernel through the
# interrupts jupyter_client sends the process group, and exits with its status.
# (The job's CPU time, the kernel's included, is read from /proc by the job's
# supervisor: grading/job.py, grading/accounting.py.)
KERNEL_LAUNCHER = (
    "import subprocess, sys\n"
    "k = subprocess.Popen([sys.executable, '-m', 'ipykernel_launcher', '-f', sys.argv[1]])\n"
    "while True:\n"
    "    try:\n"
    "        code = k.wait()\n"
    "        break\n"
    "    except KeyboardInterrupt:\n"
    "        pass\n"
    "sys.exit(code if code >= 0 else 128 - code)\n")


class SandboxLimits(Configurable):
    """Limits of one grading job and its kernel; set them in ``nbgrader_config.py``, for
    example ``c.SandboxLimits.memory_mb = 4096``.  (The per-cell time limit is nbgrader's
    ``Execute.timeout``.)"""

    memory_mb = Int(2048, help="resident memory of each process of a grading job, in MiB, "
                    "enforced by the job's watchdog (grading/job.py), for an assignment without "
                    "expected/<assignment>.peak.json (see memory_limit)").tag(config=True)
    peak_factor = Float(3.0, help="an assignment's resident-memory limit is this factor times the "
                        "reference solution's measured peak (expected/<assignment>.peak.json, "
                        "written by course record), and at least peak_floor_mb").tag(config=True)
    peak_floor_mb = Int(1024, help="the smallest resident-memory limit set from a measured peak, "
                        "in MiB").tag(config=True)
    address_space_mb = Int(16384, help="RLIMIT_AS of each kernel process, in MiB: only a backstop "
                           "against an allocation faster than the watchdog's sampling.  Address "
                           "space is not memory: torch and glibc's per-thread arenas reserve "
                           "gigabytes they never touch, and a 2 GiB cap failed a correct "
                           "notebook's 61 MiB array").tag(config=True)
    nproc = Int(64, help="RLIMIT_NPROC: processes and threads of the job's uid, nbgrader's "
                "(about 20) included: a fork bomb stops at the cap, not at the timeout").tag(config=True)
    fsize_mb = Int(128, help="RLIMIT_FSIZE: the largest file the kernel may write, in MiB").tag(config=True)
    cpu_s = Int(1800, help="RLIMIT_CPU of the kernel: a backstop for the whole notebook").tag(config=True)
    nofile = Int(512, help="RLIMIT_NOFILE of the kernel").tag(config=True)
    tmp_mb = Int(64, help="size of the kernel's /tmp (a tmpfs), in MiB").tag(config=True)
    work_mb = Int(256, help="size of the kernel's working folder (a tmpfs), in MiB: with "
                  "tmp_mb, all it can write").tag(config=True)
    job_memory_mb = Int(16384, help="RLIMIT_AS of the job's nbgrader process and so of all the "
                        "job's processes, in MiB (a kernel cannot raise its own cap above it): a "
                        "backstop, like address_space_mb; memory_mb limits what they hold").tag(config=True)
    job_wall_s = Int(3600, help="wall-clock limit of a whole job, in seconds").tag(config=True)

    def as_dict(self) -> dict:
        return {name: getattr(self, name) for name in self.trait_names(config=True)}


def limits(config: Config | None = None) -> dict:
    """The sandbox limits of a course's configuration (a traitlets Config), as a dict."""
    return SandboxLimits(config=config).as_dict() if config is not None else SandboxLimits().as_dict()


def peak_path(course: str | Path, assignment: str) -> Path:
    """The reference solution's measured peak resident memory (instructor side, written by
    ``course record``)."""
    return Path(course) / "expected" / f"{assignment}.peak.json"


def memory_limit(course: str | Path, assignment: str, lim: dict) -> int:
    """The resident-memory limit of one process of a job of ``assignment``, in MiB:
    ``peak_factor`` times the recorded peak, at least ``peak_floor_mb``; ``memory_mb``
    when no peak is recorded (or the record cannot be read)."""
    try:
        peak = float(json.loads(peak_path(course, assignment).read_text())["peak_rss_mb"])
    except (OSError, ValueError, KeyError, TypeError):
        return int(lim["memory_mb"])
    if not peak > 0:
        return int(lim["memory_mb"])
    return max(int(lim["peak_floor_mb"]), int(-(-peak * float(lim["peak_factor"]) // 1)))


# The only variables a grading kernel gets from the job's environment.
PASS_ENV = ("NBGRADER_EXECUTION", "PYTHONHASHSEED", "MPLBACKEND", "LANG", "LC_ALL")


from .errors import SandboxUnavailable  # noqa: E402,F401


def tools() -> dict:
    """Paths of bwrap, prlimit and setpriv; SandboxUnavailable if one is missing or the
    machine allows no sandbox at all (see ``mode``)."""
    found = {t: shutil.which(t) for t in ("bwrap", "prlimit", "setpriv", "unshare")}
    missing = [t for t, p in found.items() if not p]
    if missing:
        raise SandboxUnavailable(f"{INSTALL_HINT} (missing: {', '.join(missing)})")
    mode()
    return found


@functools.lru_cache(maxsize=None)
def mode() -> str:
    """"root" (each job gets its own uid) or "rootless" (the instructor's uid, in a user
    namespace).  SandboxUnavailable when this machine cannot nest user namespaces."""
    bwrap = shutil.which("bwrap")
    if not bwrap:
        raise SandboxUnavailable(INSTALL_HINT)
    probe = [bwrap, "--unshare-user", "--unshare-pid", "--die-with-parent", *_system_binds(),
             "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp",
             bwrap, "--unshare-user", "--unshare-pid", "--unshare-net", *_system_binds(),
             "--proc", "/proc", "--dev", "/dev", "--size", "65536", "--tmpfs", "/tmp", "true"]
    root = os.geteuid() == 0
    if root:
        probe = [shutil.which("setpriv") or "setpriv", "--reuid=99999", "--regid=99999",
                 "--clear-groups", "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs",
                 "--", *probe]
    try:
        r = subprocess.run(probe, capture_output=True, text=True, timeout=60)
        ok, why = r.returncode == 0, (r.stderr or r.stdout).strip()[-300:]
    except (OSError, subprocess.TimeoutExpired) as exc:
        ok, why = False, str(exc)
    if not ok:
        raise SandboxUnavailable(
            "this machine cannot run the grading sandbox: bubblewrap could not create nested "
            f"unprivileged user namespaces ({why}). Enable them (Debian: sysctl "
            "kernel.unprivileged_userns_clone=1; elsewhere user.max_user_namespaces > 0), or grade "
            "trusted submissions with --no-sandbox-i-trust-these-submissions.")
    return "root" if root else "rootless"


# Root mode, in a private mount namespace: a 0755 tmpfs on the staging folder, each
# read-only root bind-mounted into it, then the rest of the command line.
STAGE_ROOTS = ('set -e; T="$1"; shift; n="$1"; shift; '
               'mount -t tmpfs -o mode=0755,size=65536 course-roots "$T"; i=0; '
               'while [ "$i" -lt "$n" ]; do mkdir "$T/$i"; mount --bind "$1" "$T/$i"; shift; i=$((i+1)); done; '
               'exec "$@"')


def check_environment() -> None:
    """SandboxUnavailable unless the course's student package (``helpers``) is installed in the
    environment itself: a kernel in the sandbox sees only the environment (and no
    PYTHONPATH), so an editable install (``pip install -e .``) would not be there."""
    from importlib.machinery import PathFinder

    roots = _python_roots()
    inside = [p for p in sys.path if p and any(r == Path(p).resolve() or r in Path(p).resolve().parents
                                               for r in roots)]
    spec = PathFinder.find_spec("helpers", inside)
    where = [Path(p).resolve() for p in (spec.submodule_search_locations or [])] if spec else []
    if not where or not all(any(r == w or r in w.parents for r in roots) for w in where):
        raise SandboxUnavailable(
            "the course's packages are not installed in this environment (an editable install, "
            "`pip install -e .`, or a PYTHONPATH entry is not visible in the grading sandbox): "
            f"install them with `{sys.executable} -m pip install --no-deps .` in the course "
            "folder (make setup does)")


def _python_roots() -> list[Path]:
    """Read-only folders the job and the kernel need: the base Python install and the environment."""
    roots = {Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve(),
             Path(sysconfig.get_paths()["stdlib"]).resolve().parent.parent}
    # Keep only the outermost folders.
    return sorted(r for r in roots if not any(o != r and o in r.parents for o in roots))


def _system_binds() -> list[str]:
    args = []
    for top in ("/usr", "/etc", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(top):
            args += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            args += ["--ro-bind", top, top]
    return args


def _common_env(home: str = "/tmp") -> list[str]:
    return ["--setenv", "HOME", home, "--setenv", "PATH", f"{Path(sys.executable).parent}:/usr/bin:/bin",
            "--setenv", "OMP_NUM_THREADS", "1", "--setenv", "MKL_NUM_THREADS", "1",
            "--setenv", "PYTHONDONTWRITEBYTECODE", "1", "--setenv", "PYTHONNOUSERSITE", "1",
            "--setenv", "LANG", "C.UTF-8"]


class JobSandbox:
    """The kernelspec, kernel wrapper and socket folder of one job, inside its job folder,
    and the command line that runs the job."""

    def __init__(self, jobdir: Path, limits: dict | None = None) -> None:
        self.jobdir = Path(jobdir)
        self.limits = dict(SandboxLimits().as_dict(), **(limits or {}))
        self.tools = tools()
        self.mode = mode()
        self.sockets = self.jobdir / "sockets"
        self.runtime = self.jobdir / "runtime"
        self.kernels = self.jobdir / "share" / "jupyter" / "kernels" / KERNEL_NAME
        for d in (self.sockets, self.runtime, self.kernels):
            d.mkdir(parents=True, exist_ok=True)
        self.wrapper = self.jobdir / "kernel.sh"
        self.wrapper.write_text(self.kernel_script())
        self.wrapper.chmod(0o755)
        (self.kernels / "kernel.json").write_text(json.dumps({
            "argv": [str(self.wrapper), "{connection_file}"],
            "display_name": "Python 3 (grading sandbox)", "language": "python",
            "interrupt_mode": "signal"}) + "\n")

    def kernel_bwrap(self) -> list[str]:
        """The inner bwrap's options; $WORK, $CONN are left for the wrapper's shell."""
        a = [self.tools["bwrap"], "--unshare-user", "--unshare-pid", "--unshare-net", "--unshare-ipc",
             "--unshare-uts", "--unshare-cgroup-try", "--die-with-parent", "--clearenv",
             *_system_binds(), "--proc", "/proc", "--dev", "/dev",
             "--perms", "1777", "--size", str(self.limits["tmp_mb"] << 20), "--tmpfs", "/tmp"]
        # No --new-session here: jupyter_client interrupts a cell by signalling the kernel's
        # process group, which a new session would leave behind.
        for root in _python_roots():
            a += ["--ro-bind", str(root), str(root)]
        a += ["--perms", "0755", "--size", str(self.limits["work_mb"] << 20), "--tmpfs", "$WORK",
              "--bind", str(self.sockets), str(self.sockets), "--ro-bind", "$CONN", "$CONN",
              "--chdir", "$WORK", *_common_env(),
              "--setenv", "IPYTHONDIR", "/tmp/.ipython", "--setenv", "MPLCONFIGDIR", "/tmp/.matplotlib"]
        return a

    def kernel_script(self) -> str:
        q, lim = shlex.quote, self.limits
        words = " ".join('"$WORK"' if w == "$WORK" else '"$CONN"' if w == "$CONN" else q(w)
                         for w in self.kernel_bwrap())
        return "\n".join([
            "#!/bin/bash",
            "# A grading kernel, one sandbox deeper than its job (generated by grading/sandbox.py).",
            'trap "" INT',   # jupyter_client interrupts the process group: the kernel must get it, not us
            "set -eu",
            'CONN="$1"',
            'WORK="$(pwd -P)"',
            "ENVS=()",
            f"for v in {' '.join(PASS_ENV)}; do",
            '  if [ -n "${!v:-}" ]; then ENVS+=(--setenv "$v" "${!v}"); fi',
            "done",
            f"exec {q(self.tools['prlimit'])} --as={min(lim['address_space_mb'], lim['job_memory_mb']) << 20} --nproc={lim['nproc']} "
            f"--fsize={lim['fsize_mb'] << 20} --cpu={lim['cpu_s']} --nofile={lim['nofile']} --core=0 -- \\",
            f"  {words} \"${{ENVS[@]}}\" \\",
            f"  {q(sys.executable)} -c {q(KERNEL_LAUNCHER)} \"$CONN\"",
            ""])

    def nbgrader_args(self) -> list[str]:
        return [f"--Execute.kernel_name={KERNEL_NAME}",
                "--KernelManager.transport=ipc",
                f"--KernelManager.ip={self.sockets / 'kernel'}"]

    def job_argv(self, command: list[str], uid: int | None, env: dict, staging: Path | None = None) -> list[str]:
        """``command`` (nbgrader) run in the outer sandbox, in the job folder.

        Rootless: as the caller.  Root: as ``uid``, after a private mount namespace has
        bind-mounted the read-only folders into ``staging`` (an empty folder of the
        caller's), a 0755 tmpfs: the job's uid may not be able to walk to them otherwise
        (pyenv's Python lives under /root, mode 0700).  The host's mounts are unchanged."""
        roots = [str(r) for r in _python_roots()]
        a, sources = [], roots
        if self.mode == "root":
            assert staging is not None, "root mode stages the Python roots (job.run_job makes the folder)"
            sources = [str(Path(staging) / str(i)) for i in range(len(roots))]
            a += [self.tools["unshare"], "--mount", "--propagation", "private", "--",
                  "/bin/sh", "-c", STAGE_ROOTS, "stage-roots", str(staging), str(len(roots)), *roots,
                  self.tools["setpriv"], f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
                  "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--"]
        a += [self.tools["prlimit"], f"--as={self.limits['job_memory_mb'] << 20}", "--core=0", "--",
              self.tools["bwrap"], "--unshare-user", "--unshare-pid", "--unshare-net", "--unshare-ipc",
              "--unshare-uts", "--unshare-cgroup-try", "--die-with-parent", "--new-session", "--clearenv",
              *_system_binds(), "--proc", "/proc", "--dev", "/dev",
              "--perms", "1777", "--size", str(self.limits["tmp_mb"] << 20), "--tmpfs", "/tmp"]
        for src, root in zip(sources, roots):
            a += ["--ro-bind", src, root]
        a += ["--bind", str(self.jobdir), str(self.jobdir), "--chdir", str(self.jobdir), *_common_env()]
        for k, v in env.items():
            a += ["--setenv", k, v]
        a += ["--setenv", "JUPYTER_PATH", str(self.jobdir / "share" / "jupyter"),
              "--setenv", "JUPYTER_RUNTIME_DIR", str(self.runtime),
              "--setenv", "JUPYTER_DATA_DIR", str(self.jobdir / "share" / "jupyter"),
              "--setenv", "JUPYTER_CONFIG_DIR", str(self.jobdir / "jupyter-config"),
              "--setenv", "IPYTHONDIR", "/tmp/.ipython", "--setenv", "MPLCONFIGDIR", "/tmp/.matplotlib"]
        return a + list(command)
