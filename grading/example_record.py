"""The record of a full example check: which inputs `course demo` graded every example of.

`course demo` grades every bundled example submission and checks its scores and
feedback message.  When every example of an assignment came out as expected, it
writes the digest of everything that decides those scores into
``expected/examples-checked.json``: the examples, their expected scores, the source
and release notebooks, the grading and helpers packages, the configuration and the
pinned stack.  The test suite then grades a representative screen of that assignment
(``first_screen`` plus the examples that test a message or the review list) and
trusts the record for the rest, but only while the digest still matches: any change
of those inputs makes the record stale: the suite then grades every example not
marked demo_only, and lists the demo_only ones under "not run, and why".

Pure functions over files of the checkout; nothing here runs a kernel.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

CHECKED = Path("expected") / "examples-checked.json"

# Inputs shared by every assignment (globs relative to the course root).
SHARED = ("grading/**/*.py", "helpers/**/*.py", "nbgrader_config.py", "requirements.txt",
          "pyproject.toml")


def inputs(root: str | Path, assignment: str) -> list[Path]:
    """Every file whose content decides the examples' scores, in a fixed order."""
    root = Path(root)
    own = [f"examples/{assignment}.py", f"expected/{assignment}.json",
           f"expected/{assignment}.peak.json",
           f"source/{assignment}/{assignment}.ipynb", f"release/{assignment}/{assignment}.ipynb"]
    files = [root / p for p in own]
    for pattern in SHARED:
        files += sorted(p for p in root.glob(pattern) if "__pycache__" not in p.parts)
    return files


def digest(root: str | Path, assignment: str) -> str:
    """sha256 over the inputs' paths and contents (a missing file counts as missing)."""
    root = Path(root)
    h = hashlib.sha256()
    for f in inputs(root, assignment):
        h.update(f.relative_to(root).as_posix().encode() + b"\0")
        h.update(f.read_bytes() if f.is_file() else b"<missing>")
        h.update(b"\0")
    return h.hexdigest()


def read(root: str | Path) -> dict[str, Any]:
    path = Path(root) / CHECKED
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def is_current(root: str | Path, assignment: str, students: Iterable[str]) -> bool:
    """True if the record says every one of these examples was checked on today's inputs."""
    entry = read(root).get(assignment)
    if not isinstance(entry, dict):
        return False
    return (entry.get("inputs") == digest(root, assignment)
            and sorted(entry.get("examples", [])) == sorted(students))


def write(root: str | Path, assignment: str, students: Iterable[str]) -> None:
    """Record that every example of ``assignment`` got its expected scores on today's inputs."""
    root = Path(root)
    data = read(root)
    data[assignment] = {"inputs": digest(root, assignment), "examples": sorted(students)}
    path = root / CHECKED
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(dict(sorted(data.items())), indent=1) + "\n")


def first_screen(specs: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """The examples `course demo` grades first: the correct solution, the untouched
    release, the first typical mistake and the first tamper attempt (where there is one)."""
    names = list(specs)
    chosen = [s for s in ("correct", "unchanged") if s in specs]
    mistakes = [s for s in names if s not in chosen and not specs[s].get("review")
                and not specs[s].get("demo_only") and specs[s].get("from") != "release"]
    tampers = [s for s in names if specs[s].get("review")]
    return chosen + mistakes[:1] + tampers[:1]
