"""notebooks/<id>.md (MyST, the master) -> source/<id>/<id>.ipynb (for nbgrader)."""
from __future__ import annotations

from pathlib import Path

import jupytext
import nbformat

from . import cells
from .paths import assignments


def to_source(md_path: str | Path) -> str:
    """The nbgrader source notebook for a master file, as a string: no outputs, no jupytext metadata."""
    nb = jupytext.read(str(md_path))
    nb.metadata.pop("jupytext", None)
    nb.metadata["language_info"] = {"name": "python"}
    for cell in nb.cells:
        cell.metadata.pop("lines_to_next_cell", None)
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    nb.nbformat, nb.nbformat_minor = 4, 5
    # Cell ids derived from grade ids keep the file stable across rebuilds.
    for i, cell in enumerate(nb.cells):
        gid = cells.grade_id(cell)
        cell["id"] = (gid or f"cell-{i}").replace("_", "-")
    nbformat.validate(nb)
    return nbformat.writes(nb) + "\n"


def source_path(assignment: str, root: str | Path) -> Path:
    return Path(root) / "source" / assignment / f"{assignment}.ipynb"


def build(root: str | Path) -> list[Path]:
    """Write every source notebook; return the paths that changed."""
    changed = []
    for a in assignments(root):
        text = to_source(Path(root) / "notebooks" / f"{a}.md")
        out = source_path(a, root)
        if not out.exists() or out.read_text() != text:
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(text)
            changed.append(out)
    return changed


def stale(root: str | Path) -> list[Path]:
    """Source notebooks that differ from what their master would build."""
    return [
        source_path(a, root)
        for a in assignments(root)
        if not source_path(a, root).exists()
        or source_path(a, root).read_text() != to_source(Path(root) / "notebooks" / f"{a}.md")
    ]
