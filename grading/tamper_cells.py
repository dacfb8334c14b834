"""Reading a cell for the tamper scan: its code as Python and as an AST, the names it binds,
the strings it builds, and what the source notebook's locked and test cells define (``Context``).
"""
from __future__ import annotations

import ast
import threading
from collections.abc import Iterator
from functools import lru_cache
from typing import TYPE_CHECKING, cast

from . import cells

if TYPE_CHECKING:
    from nbformat import NotebookNode

def _python(source: str) -> str:
    """Cell source as plain Python: IPython's own transforms for magics and ``!``."""
    from IPython.core.inputtransformer2 import TransformerManager
    return TransformerManager().transform_cell(source)


# CPython 3.11's ast.parse is not safe in several threads at once: building the Python
# objects of an AST keeps a recursion count per interpreter, and two threads that do it
# together fail with "SystemError: AST constructor recursion depth mismatch"
# (python/cpython#106905).  The grader scans cells in its job threads: every ast.parse of
# the package holds this lock.
PARSE_LOCK = threading.Lock()


def parse(source: str) -> ast.Module:
    """``ast.parse(source)``, one thread at a time (``PARSE_LOCK``)."""
    with PARSE_LOCK:
        return ast.parse(source)


@lru_cache(maxsize=4096)
def _parse(source: str) -> ast.Module | None:
    """The cell's AST (None if it does not parse); cached, since ``check`` and ``suspicious``
    both read every cell of the source and the graded notebook (the ASTs are not changed)."""
    try:
        return parse(_python(source))
    except (SyntaxError, ValueError):
        return None


def _bindings(tree: ast.AST) -> tuple[set[str], dict[str, str], dict[str, str]]:
    """Names a cell binds at module level, with {name: module} for its imports."""
    names, imports, kinds = set(), {}, {}
    for node in _module_level(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                name = a.asname or a.name.split(".")[0]
                names.add(name)
                imports[name] = a.name if a.asname else a.name.split(".")[0]
                kinds[name] = "import"
        elif isinstance(node, ast.ImportFrom):
            for a in node.names:
                names.add(a.asname or a.name)
                imports[a.asname or a.name] = f"{node.module}:{a.name}"
                kinds[a.asname or a.name] = "import"
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
            kinds[node.name] = "code"
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            code = isinstance(node.value, ast.Lambda)
            for t in targets:
                for sub in ast.walk(t):
                    if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store):
                        names.add(sub.id)
                        kinds[sub.id] = "code" if code else kinds.get(sub.id, "data")
        elif isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
            kinds.setdefault(node.id, "data")
    return names, imports, kinds


def _module_level(tree: ast.AST) -> Iterator[ast.AST]:
    """Nodes of a module outside function and class bodies (their names and heads included)."""
    stack = list(ast.iter_child_nodes(tree))
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        stack.extend(ast.iter_child_nodes(node))


def _root(node: ast.AST) -> str | None:
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call, ast.Starred)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def _dotted(node: ast.AST) -> str | None:
    """``a.b.c`` for a chain of names and attributes, else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        return ".".join([node.id, *reversed(parts)])
    return None


def _fold(node: ast.AST) -> str | None:
    """The string a constant expression builds (concatenation, f-strings of constants,
    ``"".join`` of constants, ``%``/``.format`` of constants, ``chr``, reversal), else None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        a, b = _fold(node.left), _fold(node.right)
        return a + b if a is not None and b is not None else None
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
        a = _fold(node.left)
        if a is not None and isinstance(node.right, ast.Constant) and isinstance(node.right.value, int):
            return a * min(node.right.value, 8)
    if isinstance(node, ast.JoinedStr):
        parts = []
        for v in node.values:
            got = _fold(v.value) if isinstance(v, ast.FormattedValue) else _fold(v)
            if got is None:
                return None
            parts.append(got)
        return "".join(parts)
    if isinstance(node, ast.Call):
        f = node.func
        if isinstance(f, ast.Name) and f.id == "chr" and node.args and \
                isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, int):
            try:
                return chr(node.args[0].value)
            except (ValueError, OverflowError):
                return None
        if isinstance(f, ast.Attribute) and f.attr == "join" and node.args and \
                isinstance(node.args[0], (ast.List, ast.Tuple)):
            sep = _fold(f.value)
            folded = [_fold(e) for e in node.args[0].elts]
            if sep is not None and all(p is not None for p in folded):
                return sep.join(cast("list[str]", folded))
        if isinstance(f, ast.Attribute) and f.attr in ("format", "lower", "upper", "strip"):
            base = _fold(f.value)
            args = [_fold(a) for a in node.args]
            if base is not None and all(a is not None for a in args):
                try:
                    return getattr(base, f.attr)(*args)
                except (IndexError, KeyError, ValueError):
                    return None
    if isinstance(node, ast.Subscript):
        base = _fold(node.value)
        if base is not None and isinstance(node.slice, ast.Slice) and node.slice.step is not None \
                and isinstance(node.slice.step, ast.UnaryOp) and node.slice.lower is None \
                and node.slice.upper is None:
            return base[::-1]
    return None


def _dunder(name: str) -> bool:
    return len(name) > 4 and name.startswith("__") and name.endswith("__")


class Context:
    """What the source notebook says about its locked cells and test cells."""

    def __init__(self, source_nb: NotebookNode) -> None:
        self.solution_ids, self.locked_ids = set(), set()
        locked_names, self.locked_imports, solution_names, test_reads = set(), {}, set(), set()
        self.locked_kinds = {}
        for cell in source_nb.cells:
            meta = cells.meta(cell)
            gid = meta.get("grade_id")
            if meta.get("solution"):
                self.solution_ids.add(gid)
            elif gid:
                self.locked_ids.add(gid)
            if cell.cell_type != "code":
                continue
            tree = _parse(cell.source)
            if tree is None:
                continue
            names, imports, kinds = _bindings(tree)
            if meta.get("solution"):
                solution_names |= names
            elif meta.get("grade"):
                test_reads |= {n.id for n in ast.walk(tree)
                               if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
                self.test_imports = getattr(self, "test_imports", set()) | set(imports)
            else:
                locked_names |= names
                self.locked_imports.update(imports)
                self.locked_kinds.update(kinds)
        self.test_imports = getattr(self, "test_imports", set())
        # Names the tests read that locked code defines (not the student's exercises, and not
        # what the test cells import themselves: they bind those again before use).
        self.protected = (locked_names & test_reads) - solution_names - self.test_imports
        self.protected |= {n for n, m in self.locked_imports.items() if m.startswith("helpers")}
        # Names that hold a module of the tests, and what it is.
        self.module_of = {n: m.split(":")[0] if ":" not in m else f"{m.split(':')[0]}.{m.split(':')[1]}"
                          for n, m in self.locked_imports.items()}
        for n, m in {"np": "numpy", "torch": "torch", "nn": "torch.nn", "F": "torch.nn.functional",
                     "optim": "torch.optim", "helpers": "helpers", "math": "math", "sys": "sys",
                     "builtins": "builtins", "numpy": "numpy", "scipy": "scipy"}.items():
            self.module_of.setdefault(n, m)
        self.shells = {"ip", "shell", "ipython", "_ip"}  # names known to hold get_ipython()

    def learn(self, nb: NotebookNode) -> None:
        """Module aliases and shell names the student's cells bind, for all of their cells
        (``import helpers.checks as hc`` in one cell, ``hc.check_close = ...`` in the next)."""
        for _, cell in self.student_cells(nb):
            tree = _parse(cell.source)
            if tree is None:
                continue
            for n in ast.walk(tree):
                if isinstance(n, ast.Import):
                    for a in n.names:
                        self.module_of.setdefault(a.asname or a.name.split(".")[0],
                                                  a.name if a.asname else a.name.split(".")[0])
                elif isinstance(n, ast.ImportFrom) and n.module and not n.level:
                    for a in n.names:
                        self.module_of.setdefault(a.asname or a.name, f"{n.module}.{a.name}")
                elif isinstance(n, ast.Assign) and "get_ipython" in ast.unparse(n.value):
                    self.shells |= {t.id for t in n.targets if isinstance(t, ast.Name)}

    def student_cells(self, nb: NotebookNode) -> Iterator[tuple[int, NotebookNode]]:
        """(index, cell) of the cells whose code is the student's: answers and added cells."""
        for i, cell in enumerate(nb.cells):
            gid = cells.meta(cell).get("grade_id")
            if cell.cell_type == "code" and (gid in self.solution_ids or gid not in self.locked_ids):
                yield i, cell
