"""notebooks/<id>.md (MyST, the master) -> source/<id>/<id>.ipynb (for nbgrader)."""
from __future__ import annotations

import re
from pathlib import Path

import jupytext
import nbformat

from . import cells
from .errors import CourseError
from .paths import assignments

# Control characters other than the line break, the tab included: in a non-raw Python string
# "\r", "\t", "\f", "\b", "\v", "\a" turn "\right", "\theta", "\frac", "\beta",
# "\varepsilon", "\alpha" into one control character and the rest of the command's name.
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")
_FENCE = re.compile(r"^(```|~~~).*?^\1", re.M | re.S)
_CODE = re.compile(r"`[^`\n]*`")
_DISPLAY = re.compile(r"\$\$.*?\$\$", re.S)
_DOLLAR = re.compile(r"(?<!\\)\$")


def markdown_defects(text: str) -> list[str]:
    """What is wrong with one markdown cell's text, one line per defect (empty: nothing).

    A TeX command cut by a Python escape leaves either a control character ("\right" as
    a carriage return and "ight") or, once the carriage return became a line break, inline
    math ($...$) left open at the end of a line.
    """
    found = []
    for m in _CONTROL.finditer(text):
        lineno = text.count("\n", 0, m.start()) + 1
        found.append(f"line {lineno}: control character {m.group()!r} (a TeX command cut by an escape such as \\r, \\t, \\f, \\b?)")
    body = _DISPLAY.sub(lambda m: "\n" * m.group().count("\n"), _FENCE.sub(lambda m: "\n" * m.group().count("\n"), text))
    for i, text_line in enumerate(body.split("\n"), 1):
        if len(_DOLLAR.findall(_CODE.sub("", text_line))) % 2:
            found.append(f"line {i}: inline math ($...$) left open at the end of the line "
                         f"(a TeX command cut by a line break, e.g. \\right written as \\r?): {text_line[-60:]!r}")
    return found


def to_source(md_path: str | Path) -> str:
    """The nbgrader source notebook for a master file, as a string: no outputs, no jupytext metadata."""
    nb = jupytext.read(str(md_path))
    defects = [f"{Path(md_path).name}, markdown cell {i}, {d}" for i, cell in enumerate(nb.cells)
               if cell.cell_type == "markdown" for d in markdown_defects(cell.source)]
    if defects:
        raise CourseError("broken markdown in the master notebook:\n" + "\n".join(defects))
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
