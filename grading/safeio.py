"""Reading files that a student or a kernel could have shaped, without following links.

Every path under ``submitted/`` (a hand-in, or a folder copied from
``--submissions DIR``) and everything a grading job leaves behind is hostile:
a symlink to the gradebook or to ``source/``, a FIFO that blocks a reader, a
device, a file of many gigabytes.  The grader reads such paths only through
these functions, which

- walk the path one component at a time with ``O_NOFOLLOW`` relative to the
  folder already opened (``openat``), so no component can be a link;
- open the last component with ``O_NOFOLLOW | O_NONBLOCK`` and accept it only
  if ``fstat`` says it is a regular file (a FIFO or a device is refused
  before a single byte is read);
- refuse a file with more than one link (a hard link: the same file as another
  name, maybe a course file the student could not read but could link), or whose
  device and inode are those of a course file (``inodes``: a bind mount shows
  one link);
- read at most ``limit`` bytes and refuse a longer file.

They raise ``Refused`` with a sentence that names what was wrong, never the
contents.
"""
from __future__ import annotations

import os
import re
import stat
from pathlib import Path

# The largest notebook the grader reads back from a job or a hand-in.  The
# reference notebooks with their outputs are 0.3-1.2 MB; nbgrader's LimitOutput
# caps what a kernel prints.
NOTEBOOK_LIMIT = 32 << 20
SMALL_LIMIT = 64 << 10            # timestamp.txt and the like

# Student and assignment ids become folder names and gradebook keys.
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@+-]{0,127}")


class Refused(OSError):
    """A path the grader will not read: a link, not a regular file, too large."""


def valid_id(name: str) -> bool:
    """Whether ``name`` is a safe student or assignment id (no separators, no leading dot)."""
    return bool(_ID.fullmatch(name)) and name not in (".", "..")


def _open_dir(root: Path, parts: list[str]) -> int:
    """An fd of ``root/parts...``, each component opened without following links."""
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        for part in parts:
            if part in ("", ".", "..") or "/" in part:
                raise Refused(f"{part!r} is not a plain name")
            try:
                nfd = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC,
                              dir_fd=fd)
            except OSError as exc:
                raise Refused(_why(fd, part, exc, "a folder")) from None
            os.close(fd)
            fd = nfd
        return fd
    except BaseException:
        os.close(fd)
        raise


def _why(dir_fd: int, name: str, exc: OSError, wanted: str) -> str:
    try:
        st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except OSError:
        return f"{name} does not exist"
    if stat.S_ISLNK(st.st_mode):
        return f"{name} is a symbolic link (refused)"
    return f"{name} is not {wanted} ({_kind(st.st_mode)})"


def _kind(mode: int) -> str:
    for test, word in ((stat.S_ISREG, "a regular file"), (stat.S_ISDIR, "a folder"),
                       (stat.S_ISLNK, "a symbolic link"), (stat.S_ISFIFO, "a FIFO"),
                       (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device")):
        if test(mode):
            return word
    return "a special file"


def inodes(root: Path, rels: list[str]) -> frozenset[tuple[int, int]]:
    """(device, inode) of every file and folder under ``root/rel`` for each ``rel`` (links
    not followed): the course's own files, which a hand-in must never be."""
    out = set()
    for rel in rels:
        top = Path(root) / rel
        try:
            st = os.lstat(top)
        except OSError:
            continue
        out.add((st.st_dev, st.st_ino))
        if stat.S_ISDIR(st.st_mode):
            for folder, dirs, files in os.walk(top):
                for name in dirs + files:
                    try:
                        st = os.lstat(os.path.join(folder, name))
                    except OSError:
                        continue
                    out.add((st.st_dev, st.st_ino))
    return frozenset(out)


def read_file(root: Path, rel: str, limit: int = NOTEBOOK_LIMIT,
              forbidden: frozenset[tuple[int, int]] = frozenset()) -> bytes:
    """The bytes of the regular file ``root/rel``; ``Refused`` for a link (symbolic, or
    hard: more than one name), a special file, a missing file, one over ``limit`` bytes, or
    one whose (device, inode) is in ``forbidden``.  ``root`` itself is trusted."""
    parts = [p for p in str(rel).split("/")]
    dfd = _open_dir(Path(root), parts[:-1])
    try:
        name = parts[-1]
        try:
            fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=dfd)
        except OSError as exc:
            raise Refused(_why(dfd, name, exc, "a regular file")) from None
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                raise Refused(f"{name} is not a regular file ({_kind(st.st_mode)})")
            if st.st_nlink > 1:
                raise Refused(f"{name} is a hard link ({st.st_nlink} names for one file; refused)")
            if (st.st_dev, st.st_ino) in forbidden:
                raise Refused(f"{name} is a course file (refused)")
            if st.st_size > limit:
                raise Refused(f"{name} is {st.st_size} bytes, over the {limit}-byte limit")
            chunks, total = [], 0
            while True:
                chunk = os.read(fd, min(1 << 20, limit + 1 - total))
                if not chunk:
                    break
                chunks.append(chunk)
                total += len(chunk)
                if total > limit:
                    raise Refused(f"{name} grew past the {limit}-byte limit while read")
            return b"".join(chunks)
        finally:
            os.close(fd)
    finally:
        os.close(dfd)


def list_dir(root: Path, rel: str = "") -> dict[str, str]:
    """{name: kind} of the entries of the folder ``root/rel`` (opened without following links);
    kind is "file", "dir", "link" or "special".  ``Refused`` if the folder is not one."""
    parts = [p for p in str(rel).split("/") if p] if rel else []
    dfd = _open_dir(Path(root), parts)
    try:
        out = {}
        for name in os.listdir(dfd):
            st = os.stat(name, dir_fd=dfd, follow_symlinks=False)
            out[name] = ("file" if stat.S_ISREG(st.st_mode) else "dir" if stat.S_ISDIR(st.st_mode)
                         else "link" if stat.S_ISLNK(st.st_mode) else "special")
        return out
    finally:
        os.close(dfd)


def kind_of(root: Path, rel: str) -> str:
    """"file", "dir", "link", "special" or "missing" for ``root/rel``, without following links
    (the parent folders are walked without following links too)."""
    parts = rel.split("/")
    try:
        entries = list_dir(root, "/".join(parts[:-1]))
    except Refused:
        return "missing"
    return entries.get(parts[-1], "missing")


def copy_tree_nofollow(src: Path, dest: Path, limit_files: int = 10000,
                       limit_bytes: int = 1 << 30) -> list[str]:
    """Copy the regular files and folders of ``src`` into ``dest`` without following links;
    return the sentences about what was left out (links, special files, over the limits)."""
    skipped, count, total = [], 0, 0
    stack = [""]
    while stack:
        rel = stack.pop()
        try:
            entries = list_dir(src, rel)
        except Refused as exc:
            skipped.append(str(exc))
            continue
        (dest / rel).mkdir(parents=True, exist_ok=True)
        for name, kind in sorted(entries.items()):
            sub = f"{rel}/{name}" if rel else name
            if kind == "dir":
                stack.append(sub)
            elif kind == "file":
                if count >= limit_files or total >= limit_bytes:
                    skipped.append(f"{sub}: over the limit of {limit_files} files / {limit_bytes} bytes")
                    continue
                try:
                    data = read_file(src, sub, limit=limit_bytes - total)
                except Refused as exc:
                    skipped.append(f"{sub}: {exc}")
                    continue
                (dest / sub).write_bytes(data)
                count, total = count + 1, total + len(data)
            else:
                skipped.append(f"{sub} is {'a symbolic link' if kind == 'link' else 'a special file'} (refused)")
    return skipped
