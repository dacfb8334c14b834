"""The grading package imports only downwards: no cycle, function-local imports included.

The layers (docs/grading-package.md, "The layers"), lowest first.  A
module may import modules of its own layer or below, never above; and no
set of modules may import each other in a circle.
"""
import ast
import sys
from pathlib import Path

import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT / "scripts"))
from import_graph import graph  # noqa: E402  (one reading of the package's imports, for both)

pytestmark = pytest.mark.fast

LAYERS = [
    # 1. pure functions: cells, the tamper scan, findings, leaks, accounting, safe reading
    {"errors", "accounting", "safeio", "cells", "tamper", "tamper_tables", "tamper_cells", "tamper_scan", "defs",
     "examples", "paths", "verdicts", "leakcheck", "sanitize", "shown", "findings", "example_record"},
    # 2. stores: the course's configuration, the review list, reports from the gradebook
    {"course", "review", "report", "gradebook", "receipts"},
    # 3. nbgrader plugins and processes: executor, feedback scrubber, the verdicts in nbgrader's
    # pipeline (decide), nbgrader, forkserver, sandbox
    {"execute", "feedback", "exchange", "forked", "nbg", "sandbox", "build", "decide"},
    # 4. the grading unit: intake and the job
    {"intake", "job"},
    # 5. scale: jobs, dispatch, the one writer; the serial grader and the record on top of it
    {"writer", "dispatch", "scale", "serial"},
    # 6. authoring and the CLI; the scratch-course builder of the tests, benchmarks and scripts
    {"cli", "cli_parse", "cli_grade", "cli_results", "__main__", "__init__", "dashboard", "console", "scratch"},
]


def test_every_module_has_a_layer():
    placed = set().union(*LAYERS)
    assert not set(graph()) - placed, f"modules without a layer: {sorted(set(graph()) - placed)}"


def test_imports_go_only_downwards():
    layer = {m: i for i, group in enumerate(LAYERS) for m in group}
    upward = [(m, d) for m, deps in graph().items() for d in deps if layer.get(d, 0) > layer.get(m, 0)]
    assert not upward, f"imports of a higher layer: {upward}"


def test_no_import_cycle():
    g = graph()
    state, cycles = {}, []

    def visit(m, stack):
        state[m] = "open"
        for d in g.get(m, []):
            if state.get(d) == "open":
                cycles.append(stack[stack.index(d):] + [d])
            elif d not in state:
                visit(d, stack + [d])
        state[m] = "done"

    for m in g:
        if m not in state:
            visit(m, [m])
    assert not cycles, f"import cycles: {cycles}"


def test_the_package_map_lists_every_module_in_its_layer():
    """docs/grading-package.md, the newcomer's map, names every module under its layer's heading."""
    import re

    text = (ROOT / "docs" / "grading-package.md").read_text()
    sections = re.split(r"^### (\d)\. ", text, flags=re.M)
    listed = {int(n): set(re.findall(r"`(\w+)`", body)) for n, body in zip(sections[1::2], sections[2::2])}
    for i, group in enumerate(LAYERS, 1):
        missing = group - listed.get(i, set())
        assert not missing, f"docs/grading-package.md, layer {i}: {sorted(missing)} not listed"
        elsewhere = {m for j, names in listed.items() if j != i for m in names & group}
        assert not elsewhere, f"docs/grading-package.md lists {sorted(elsewhere)} outside layer {i}"


# What the pure layer may take from outside the standard library and nbformat: nbgrader's
# plain functions on cells (nbgrader.utils), never its plugins, apps or gradebook.
PLUGIN_MODULES = ("nbgrader.preprocessors", "nbgrader.apps", "nbgrader.api", "nbgrader.coursedir",
                  "nbconvert", "nbclient", "traitlets", "sqlalchemy")


def outside_imports(path):
    """The dotted names of the modules outside the package that ``path`` imports."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
    return names


def test_the_pure_layer_holds_no_nbgrader_plugin():
    plugins = {m: sorted(n for n in outside_imports(ROOT / "grading" / f"{m}.py")
                         if any(n == p or n.startswith(p + ".") for p in PLUGIN_MODULES))
               for m in LAYERS[0]}
    assert not {m: n for m, n in plugins.items() if n}, "layer 1 imports nbgrader plugins or stores"
