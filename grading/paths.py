"""Where the course lives."""
from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
EXAMPLES = ROOT / "examples"


def assignments(root=ROOT):
    """Assignment ids, in order: one per master notebook ``notebooks/<id>.md``."""
    return sorted(p.stem for p in (Path(root) / "notebooks").glob("*.md"))
