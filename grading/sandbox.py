"""The grading sandbox: every student kernel runs under bubblewrap.

``Sandbox(course)`` makes a private folder (mode 0700, under the system temp
dir) that holds a kernelspec, the wrapper script it runs and the folder for
the kernel's IPC sockets, and returns the nbgrader options that use them.
One ``Sandbox`` serves one ``nbgrader autograde`` call; calls in parallel
processes each get their own folder, sockets and kernel uid.

What the wrapper (``kernel.sh``) does for each kernel nbgrader starts:

- ignores SIGINT itself (jupyter_client interrupts the whole process group;
  the kernel must get it, bwrap must survive it);
- refuses to start unless its working directory lies in the course's
  ``autograded/`` folder: that folder, the student's working copy, is the
  only writable place the kernel sees;
- picks a uid of its own (100000 + its pid, unique among live sandboxes), so
  that RLIMIT_NPROC counts this kernel's processes only, and hands it the
  working copy, the connection file and the socket folder;
- sets the rlimits (address space, processes, file size, CPU time, open
  files, no core dumps) with ``prlimit``;
- ``exec``s bwrap: new pid, network, ipc, uts (and cgroup) namespaces; only
  /usr, /etc, the Python install and the virtual environment, read-only;
  empty tmpfs for /tmp and the home folder; the working copy read-write; the
  connection file alone; a cleared environment;
- inside, ``setpriv`` drops to that uid with no capabilities, no bounding
  set and no_new_privs, and starts ``python -m ipykernel_launcher``.
"""
from __future__ import annotations

import os
import shlex
import shutil
import stat
import sys
import sysconfig
import tempfile
from pathlib import Path

KERNEL_NAME = "course-sandbox"
INSTALL_HINT = ("bubblewrap is not installed: install it with `apt-get install bubblewrap` "
                "(the grading sandbox needs /usr/bin/bwrap, prlimit and setpriv), or grade "
                "trusted submissions without a sandbox: "
                "`course autograde --no-sandbox-i-trust-these-submissions`.")

# The kernel's parent inside the sandbox.  A process in a new pid namespace does
# not pass its children's CPU time up when it exits (measured: a kernel that
# burns 4 CPU-s in a cell adds 0.0 s to nbgrader's RUSAGE_CHILDREN with
# --unshare-pid, 4 s without), so this parent waits for the kernel and writes
# the kernel's CPU time on stderr, which nbgrader's output carries
# (``kernel_cpu`` reads it).  Statistics only: a student could write a line of
# the same form on the kernel's own stderr; grades never depend on it.
KERNEL_CPU_LINE = "course-sandbox: kernel CPU "
KERNEL_LAUNCHER = (
    "import resource, subprocess, sys\n"
    "k = subprocess.Popen([sys.executable, '-m', 'ipykernel_launcher', '-f', sys.argv[1]])\n"
    "while True:\n"
    "    try:\n"
    "        code = k.wait()\n"
    "        break\n"
    "    except KeyboardInterrupt:\n"
    "        pass\n"
    "r = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
    f"sys.stderr.write('{KERNEL_CPU_LINE}%.3f s\\n' % (r.ru_utime + r.ru_stime))\n"
    "sys.stderr.flush()\n"
    "sys.exit(code if code >= 0 else 128 - code)\n")


def kernel_cpu(output):
    """The CPU seconds of the sandboxed kernels whose lines are in nbgrader's output."""
    total = 0.0
    for line in output.splitlines():
        if line.startswith(KERNEL_CPU_LINE):
            try:
                total += float(line[len(KERNEL_CPU_LINE):].split()[0])
            except (ValueError, IndexError):
                pass
    return total


# Limits of one grading kernel (the per-cell time limit is nbgrader's Execute.timeout).
MEMORY_MB = 2048        # RLIMIT_AS: address space of each process, torch included
NPROC = 64              # RLIMIT_NPROC: processes and threads of the kernel's uid
FSIZE_MB = 256          # RLIMIT_FSIZE: largest file the kernel may write
CPU_S = 1800            # RLIMIT_CPU: a backstop for the whole notebook
NOFILE = 512
TMP_MB = 64             # size of the kernel's /tmp (a tmpfs, in memory)

# The only variables a grading kernel gets from the grader's environment.
PASS_ENV = ("NBGRADER_EXECUTION", "PYTHONHASHSEED", "MPLBACKEND", "LANG", "LC_ALL")


class SandboxUnavailable(RuntimeError):
    pass


def tools():
    """Paths of bwrap, prlimit and setpriv; SandboxUnavailable if one is missing."""
    found = {t: shutil.which(t) for t in ("bwrap", "prlimit", "setpriv")}
    missing = [t for t, p in found.items() if not p]
    if missing:
        raise SandboxUnavailable(f"{INSTALL_HINT} (missing: {', '.join(missing)})")
    if os.geteuid() != 0:
        raise SandboxUnavailable(
            "the grading sandbox gives each kernel its own unprivileged uid and so must be "
            "started as root (sudo course autograde ...), or grade trusted submissions "
            "with --no-sandbox-i-trust-these-submissions.")
    return found


def _python_roots():
    """Read-only folders the kernel needs: the base Python install and the environment."""
    roots = {Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve(),
             Path(sysconfig.get_paths()["stdlib"]).resolve().parent.parent}
    # Keep only the outermost folders.
    return sorted(r for r in roots if not any(o != r and o in r.parents for o in roots))


def _system_binds():
    args = []
    for top in ("/usr", "/etc", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(top):
            args += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            args += ["--ro-bind", top, top]
    return args


class Sandbox:
    """Kernelspec, wrapper and socket folder for one autograde call (a context manager)."""

    def __init__(self, course, memory_mb=MEMORY_MB, nproc=NPROC, cpu_s=CPU_S):
        self.course = Path(course).resolve()
        self.memory_mb, self.nproc, self.cpu_s = memory_mb, nproc, cpu_s
        self.tools = tools()
        self.dir = Path(tempfile.mkdtemp(prefix="course-sandbox-"))  # mode 0700
        self.sockets = self.dir / "sockets"
        self.sockets.mkdir()
        self.kernels = self.dir / "share" / "jupyter" / "kernels" / KERNEL_NAME
        self.kernels.mkdir(parents=True)
        self.wrapper = self.dir / "kernel.sh"
        self.wrapper.write_text(self.script())
        self.wrapper.chmod(stat.S_IRWXU)
        (self.kernels / "kernel.json").write_text(
            '{"argv": [%s, "{connection_file}"], "display_name": "Python 3 (grading sandbox)",'
            ' "language": "python", "interrupt_mode": "signal"}\n'
            % _json_str(str(self.wrapper)))

    def bwrap_argv(self):
        """bwrap's options, with $WORK, $CONN, $SOCKETS left for the shell to fill in."""
        home = os.path.expanduser("~")
        a = [self.tools["bwrap"], "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
             "--unshare-cgroup-try", "--die-with-parent", "--clearenv",
             *_system_binds(), "--proc", "/proc", "--dev", "/dev",
             "--perms", "1777", "--size", str(TMP_MB << 20), "--tmpfs", "/tmp"]
        if home not in ("/", "/tmp"):
            a += ["--size", str(1 << 20), "--tmpfs", home]
        # bwrap would make the folders above a bind mode 0700, closed to the kernel's uid.
        a += ["$DIRS"]
        for root in _python_roots():
            a += ["--ro-bind", str(root), str(root)]
        a += ["--bind", "$WORK", "$WORK", "--bind", "$SOCKETS", "$SOCKETS",
              "--ro-bind", "$CONN", "$CONN", "--chdir", "$WORK",
              "--setenv", "HOME", "/tmp", "--setenv", "PATH", f"{Path(sys.executable).parent}:/usr/bin:/bin",
              "--setenv", "OMP_NUM_THREADS", "1", "--setenv", "MKL_NUM_THREADS", "1",
              "--setenv", "IPYTHONDIR", "/tmp/.ipython", "--setenv", "MPLCONFIGDIR", "/tmp/.matplotlib",
              "--setenv", "PYTHONDONTWRITEBYTECODE", "1"]
        return a

    def script(self):
        q = shlex.quote
        lines = [
            "#!/bin/bash",
            "# A grading kernel in a bubblewrap sandbox (generated by grading/sandbox.py).",
            'trap "" INT',
            "set -eu",
            'CONN="$1"',
            'WORK="$(pwd -P)"',
            f"AUTOGRADED={q(str(self.course / 'autograded'))}",
            f"SOCKETS={q(str(self.sockets))}",
            'case "$WORK/" in "$AUTOGRADED"/?*/?*) ;; *)',
            '  echo "sandbox: refusing to start a kernel outside $AUTOGRADED (in $WORK)" >&2; exit 1;; esac',
            "KUID=$((100000 + $$))",
            'chown -R "$KUID:$KUID" "$WORK"',
            'chown "$KUID:$KUID" "$CONN" "$SOCKETS"',
            "DIRS=()",
            'for p in "$WORK" "$SOCKETS" "$CONN" ' + " ".join(q(str(r)) for r in _python_roots()) + "; do",
            '  d="$p"',
            '  while d="$(dirname "$d")"; [ "$d" != / ]; do DIRS=(--perms 0755 --dir "$d" "${DIRS[@]}"); done',
            "done",
            "ENVS=()",
            f"for v in {' '.join(PASS_ENV)}; do",
            '  if [ -n "${!v:-}" ]; then ENVS+=(--setenv "$v" "${!v}"); fi',
            "done",
            f"exec {q(self.tools['prlimit'])} --as={self.memory_mb << 20} --nproc={self.nproc} "
            f"--fsize={FSIZE_MB << 20} --cpu={self.cpu_s} --nofile={NOFILE} --core=0 -- \\",
            "  " + " ".join(_shell_word(w) for w in self.bwrap_argv()) + ' "${ENVS[@]}" \\',
            f"  {q(self.tools['setpriv'])} --reuid=$KUID --regid=$KUID --clear-groups "
            "--inh-caps=-all --bounding-set=-all --no-new-privs -- \\",
            f"  {q(sys.executable)} -c {q(KERNEL_LAUNCHER)} \"$CONN\"",
            "",
        ]
        return "\n".join(lines)

    def nbgrader_args(self):
        return [f"--Execute.kernel_name={KERNEL_NAME}",
                "--KernelManager.transport=ipc",
                f"--KernelManager.ip={self.sockets / 'kernel'}"]

    def env(self):
        """Environment additions for the nbgrader process: find the sandbox kernelspec first."""
        return {"JUPYTER_PATH": os.pathsep.join(
            [str(self.dir / "share" / "jupyter"), os.environ.get("JUPYTER_PATH", "")]).rstrip(os.pathsep)}

    def close(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _json_str(s):
    import json
    return json.dumps(s)


def _shell_word(w):
    """Quote a word for the shell, leaving $WORK, $CONN and $SOCKETS to expand."""
    if w == "$DIRS":
        return '"${DIRS[@]}"'
    if w in ("$WORK", "$CONN", "$SOCKETS"):
        return f'"{w}"'
    return shlex.quote(w)
