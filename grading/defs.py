"""Load the definitions of a notebook's cells into a namespace, without Jupyter.

The tolerance and benchmark scripts use it to run the reference solution
(the source notebook's code) outside a kernel.  It needs nothing beyond the
standard library, so the benchmark also runs where only torch is installed.
"""
from __future__ import annotations

import json
import re
import sys
import types

from . import cells  # the standard library only, as this module
from pathlib import Path
from typing import Any, Sequence


def cell_sources(nb_path: str | Path, grade_ids: Sequence[str]) -> list[str]:
    """Source of the code cells with the given nbgrader grade_ids, in the order asked."""
    with open(nb_path) as f:
        nb = json.load(f)
    found = {}
    for cell in nb["cells"]:
        gid = cells.grade_id(cell)
        if cell["cell_type"] == "code" and gid in grade_ids:
            src = cell["source"]
            found[gid] = "".join(src) if isinstance(src, list) else src
    missing = set(grade_ids) - set(found)
    if missing:
        raise KeyError(f"{nb_path}: no code cells with grade_id {sorted(missing)}")
    return [found[g] for g in grade_ids]


def load(nb_path: str | Path, grade_ids: Sequence[str]) -> dict[str, Any]:
    """Execute the given cells in a fresh module and return its namespace.

    Lines that are IPython magics or shell escapes (``%...``, ``!...``) are
    dropped; the rest must be plain Python.  The module is registered in
    ``sys.modules`` (as a kernel's ``__main__`` is), so that tools which look
    globals up by module name, such as ``torch.compile``, work on the code.
    """
    name = "_notebook_" + re.sub(r"\W", "_", str(nb_path))
    module = types.ModuleType(name)
    sys.modules[name] = module
    for src in cell_sources(nb_path, grade_ids):
        lines = [ln for ln in src.splitlines() if not ln.lstrip().startswith(("%", "!"))]
        exec(compile("\n".join(lines), str(nb_path), "exec"), module.__dict__)
    return module.__dict__
