"""Load the definitions of a notebook's cells into a namespace, without Jupyter.

The tolerance and benchmark scripts use it to run the reference solution
(the source notebook's code) outside a kernel.
"""
from __future__ import annotations

import re
import sys
import types

import nbformat
from IPython.core.inputtransformer2 import TransformerManager


def cell_sources(nb_path, grade_ids):
    """Source of the code cells with the given nbgrader grade_ids, in notebook order."""
    nb = nbformat.read(str(nb_path), as_version=4)
    wanted, found = set(grade_ids), {}
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.cell_type == "code" and gid in wanted:
            found[gid] = cell.source
    missing = wanted - set(found)
    if missing:
        raise KeyError(f"{nb_path}: no code cells with grade_id {sorted(missing)}")
    return [found[g] for g in grade_ids]


def load(nb_path, grade_ids):
    """Execute the given cells (IPython syntax, magics dropped) in a fresh module; return its namespace.

    The module is registered in ``sys.modules`` (as a kernel's ``__main__``
    is), so that tools which look globals up by module name, such as
    ``torch.compile``, work on the loaded code.
    """
    name = "_notebook_" + re.sub(r"\W", "_", str(nb_path))
    module = types.ModuleType(name)
    sys.modules[name] = module
    ns = module.__dict__
    tm = TransformerManager()
    for src in cell_sources(nb_path, grade_ids):
        lines = [ln for ln in src.splitlines() if not ln.lstrip().startswith(("%", "!"))]
        exec(compile(tm.transform_cell("\n".join(lines)), str(nb_path), "exec"), ns)
    return ns
