"""Measures of grading/'s import graph: modules, edges, and the longest chain of imports.

    python scripts/import_graph.py          # a summary
    python scripts/import_graph.py --chain  # and the longest chain, module by module

An edge is an import of one module of the package by another, anywhere in the file
(imports inside functions included), as tests/test_layers.py reads them.  "Floors"
is the number of modules on the longest chain ``a imports b imports c ...``: a
module that imports nothing of the package is on floor 1.  (The graph has no
cycle: tests/test_layers.py checks it.)
"""
from __future__ import annotations

import argparse
import ast
import functools
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "grading"


def imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level == 1:
                names.update([node.module.split(".")[0]] if node.module else [a.name for a in node.names])
            elif node.module and node.module.split(".")[0] == "grading":
                parts = node.module.split(".")
                names.update([parts[1]] if len(parts) > 1 else [a.name for a in node.names])
        elif isinstance(node, ast.Import):
            names.update(a.name.split(".")[1] for a in node.names
                         if a.name.startswith("grading.") and len(a.name.split(".")) > 1)
    return names


def graph(package: Path = PACKAGE) -> dict[str, list[str]]:
    mods = {p.stem: p for p in package.glob("*.py")}
    return {m: sorted(d for d in imports(p) if d in mods and d != m) for m, p in mods.items()}


def longest_chain(g: dict[str, list[str]]) -> list[str]:
    @functools.lru_cache(maxsize=None)
    def chain(m: str) -> tuple[str, ...]:
        below = [chain(d) for d in g[m]]
        return (m, *max(below, key=len, default=()))

    return list(max((chain(m) for m in g), key=len))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--chain", action="store_true", help="print the longest chain")
    args = ap.parse_args()
    g = graph()
    top = longest_chain(g)
    print(f"modules {len(g)} (without __init__, __main__: {len(set(g) - {'__init__', '__main__'})}), "
          f"imports {sum(map(len, g.values()))}, floors {len(top)}")
    if args.chain:
        print(" -> ".join(top))


if __name__ == "__main__":
    main()
