"""Tamper detection: code in a student's cells that patches the test machinery.

The sandbox keeps student code away from the course's files, but not from
the kernel it shares with the test cells.  Two defences, combined:

- ``scan``: out of the kernel, after autograde, a static scan (AST) of the
  student's own cells (answer cells and cells the student added) for the
  ways to reach the machinery: attribute writes on imported modules or
  builtins, ``sys.modules``, IPython's transformers and hooks, trace and
  profile hooks, ``exec``/``eval``/``compile``/``__import__``/importlib,
  frames, code objects, ``ctypes``/``gc``, rebinding names that the test
  cells read from locked cells, magics that run other code, imports of
  modules that are not part of the course environment.
- ``kernel_findings``: the in-kernel check ``helpers.checks.check_integrity``,
  which every test cell calls, raises ``TamperDetected`` when it sees the
  effect of a patch (replaced functions, modules, transformers, trace hooks).

A finding zeroes the test cells from the tampering cell on (``apply``) and
puts the submission on the review list with the reason.
"""
from __future__ import annotations

import ast
import importlib.machinery
import sys
from pathlib import Path

MARK = "[tamper check]"
SUSPECT_CALLS = {"setattr", "delattr", "exec", "eval", "compile", "__import__", "globals",
                 "vars", "breakpoint"}
SUSPECT_ATTR_CALLS = {"settrace", "setprofile", "addaudithook", "_getframe", "currentframe",
                      "reload", "import_module", "register_magic_function", "set_custom_exc",
                      "set_hook", "load_extension", "settrace_all_threads",
                      "setprofile_all_threads", "get_referents", "get_referrers", "get_objects"}
SUSPECT_ATTRS = {"modules", "__builtins__", "__globals__", "__code__", "__closure__",
                 "__defaults__", "__kwdefaults__", "__dict__", "__class__", "__subclasses__",
                 "f_globals", "f_locals", "f_builtins", "f_back", "tb_frame", "gi_frame",
                 "cr_frame", "input_transformers_cleanup", "input_transformers_post",
                 "ast_transformers", "input_transformer_manager", "custom_exceptions",
                 "showtraceback", "_showtraceback", "user_ns", "user_global_ns", "events",
                 "excepthook", "displayhook", "monitoring", "_SEAL"}
SUSPECT_MODULES = {"ctypes", "_ctypes", "cffi", "gc", "importlib", "runpy", "builtins",
                   "__builtin__", "IPython", "ipykernel", "zmq", "jupyter_client", "nbgrader",
                   "traitlets", "inspect", "code", "codeop", "marshal", "sys.monitoring"}
SAFE_MAGICS = {"matplotlib", "time", "timeit", "who", "whos", "pwd", "ls", "env"}
SAFE_IPYTHON_CALLS = {"run_line_magic", "run_cell_magic", "system", "getoutput"}


def _cell_meta(cell):
    return cell.get("metadata", {}).get("nbgrader", {})


def _python(source):
    """Cell source as plain Python: IPython's own transforms for magics and ``!``."""
    from IPython.core.inputtransformer2 import TransformerManager
    return TransformerManager().transform_cell(source)


def _env_paths():
    roots = [Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve()]
    return [p for p in sys.path if p and any(r == Path(p).resolve() or r in Path(p).resolve().parents
                                             for r in roots)]


def _installed(top):
    if top in sys.builtin_module_names:
        return True
    return importlib.machinery.PathFinder.find_spec(top, _env_paths()) is not None


def _bindings(tree):
    """Names a cell binds at module level, with {name: module} for its imports."""
    names, imports = set(), {}
    for node in _module_level(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                name = a.asname or a.name.split(".")[0]
                names.add(name)
                imports[name] = a.name if a.asname else a.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom):
            for a in node.names:
                names.add(a.asname or a.name)
                imports[a.asname or a.name] = f"{node.module}:{a.name}"
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
    return names, imports


def _module_level(tree):
    """Nodes of a module outside function and class bodies (their names and heads included)."""
    stack = list(ast.iter_child_nodes(tree))
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        stack.extend(ast.iter_child_nodes(node))


def _root(node):
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


class Context:
    """What the source notebook says about its locked cells and test cells."""

    def __init__(self, source_nb):
        self.solution_ids, self.locked_ids = set(), set()
        locked_names, self.locked_imports, solution_names, test_reads = set(), {}, set(), set()
        for cell in source_nb.cells:
            meta = _cell_meta(cell)
            gid = meta.get("grade_id")
            if meta.get("solution"):
                self.solution_ids.add(gid)
            elif gid:
                self.locked_ids.add(gid)
            if cell.cell_type != "code":
                continue
            try:
                tree = ast.parse(_python(cell.source))
            except SyntaxError:
                continue
            names, imports = _bindings(tree)
            if meta.get("solution"):
                solution_names |= names
            elif meta.get("grade"):
                test_reads |= {n.id for n in ast.walk(tree)
                               if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
                self.locked_imports.update(imports)
            else:
                locked_names |= names
                self.locked_imports.update(imports)
        # Names the tests read that locked code defines (not the student's exercises).
        self.protected = (locked_names | set(self.locked_imports)) & test_reads - solution_names
        self.protected |= {n for n in self.locked_imports if self.locked_imports[n].startswith("helpers")}
        self.module_names = {n for n, m in self.locked_imports.items() if ":" not in m} | {
            "np", "torch", "nn", "F", "optim", "helpers", "math", "sys", "os", "builtins",
            "plt", "pd", "scipy", "IPython"}

    def student_cells(self, nb):
        """(index, cell) of the cells whose code is the student's: answers and added cells."""
        for i, cell in enumerate(nb.cells):
            gid = _cell_meta(cell).get("grade_id")
            if cell.cell_type == "code" and (gid in self.solution_ids or gid not in self.locked_ids):
                yield i, cell


def scan_source(source, ctx):
    """Reasons why one cell's code may tamper with the tests ([] if none)."""
    try:
        tree = ast.parse(_python(source))
    except SyntaxError:
        return []  # it cannot run either
    found = []
    modules = set(ctx.module_names) | {a.asname or a.name.split(".")[0] for n in ast.walk(tree)
                                       if isinstance(n, ast.Import) for a in n.names}

    def add(node, why):
        found.append(f"line {getattr(node, 'lineno', '?')}: {why}")

    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            mods = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            for m in mods:
                top = m.split(".")[0]
                if m in SUSPECT_MODULES or top in SUSPECT_MODULES:
                    add(node, f"imports {m}")
                elif top and not _installed(top):
                    add(node, f"imports {m}, which is not part of the course environment")
            if isinstance(node, ast.ImportFrom) and node.module in ("sys", "os") and any(
                    a.name in SUSPECT_ATTR_CALLS | SUSPECT_ATTRS for a in node.names):
                add(node, f"imports {', '.join(a.name for a in node.names)} from {node.module}")
        elif isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Delete)):
            targets = node.targets if isinstance(node, (ast.Assign, ast.Delete)) else [node.target]
            for t in targets:
                for sub in ast.walk(t):
                    if isinstance(sub, (ast.Attribute, ast.Subscript)) and isinstance(
                            sub.ctx, (ast.Store, ast.Del)):
                        r = _root(sub)
                        if r in modules or r in ("__builtins__", "builtins") or r in ctx.protected:
                            add(node, f"changes {ast.unparse(sub)}")
        elif isinstance(node, ast.Call):
            f = node.func
            if isinstance(f, ast.Name) and f.id in SUSPECT_CALLS:
                first = node.args[0] if node.args else None
                if f.id in ("setattr", "delattr") and isinstance(first, ast.Name) and first.id in ("self", "cls"):
                    continue
                add(node, f"calls {f.id}()")
            elif isinstance(f, ast.Attribute) and f.attr in SUSPECT_ATTR_CALLS:
                add(node, f"calls {ast.unparse(f)}()")
            elif isinstance(f, ast.Attribute) and isinstance(f.value, ast.Call) and \
                    isinstance(f.value.func, ast.Name) and f.value.func.id == "get_ipython":
                if f.attr not in SAFE_IPYTHON_CALLS:
                    add(node, f"uses get_ipython().{f.attr}")
                elif f.attr in ("run_line_magic", "run_cell_magic"):
                    name = node.args[0].value if node.args and isinstance(node.args[0], ast.Constant) else "?"
                    if name not in SAFE_MAGICS:
                        add(node, f"runs the magic %{name}")
        if isinstance(node, ast.Name) and node.id == "get_ipython":
            parent_ok = False  # checked via the Call branch above; any other use is suspect
            for p in ast.walk(tree):
                if isinstance(p, ast.Attribute) and isinstance(p.value, ast.Call) and p.value.func is node \
                        and p.attr in SAFE_IPYTHON_CALLS:
                    parent_ok = True
            if not parent_ok:
                add(node, "uses get_ipython()")
        if isinstance(node, ast.Attribute) and node.attr in SUSPECT_ATTRS:
            if not (node.attr in ("__dict__", "__class__") and _root(node) in ("self", "cls")):
                add(node, f"uses {ast.unparse(node)}")
        if isinstance(node, ast.Name) and node.id == "__builtins__":
            add(node, "uses __builtins__")
        if isinstance(node, ast.Global):
            hit = sorted(set(node.names) & ctx.protected)
            if hit:
                add(node, f"declares global {', '.join(hit)}, which the tests use")
    names, imports = _bindings(tree)
    for name in sorted(names & ctx.protected):
        if name in imports and imports[name] == ctx.locked_imports.get(name):
            continue  # the same import again is harmless
        add(tree, f"rebinds {name}, which the tests use")
    return sorted(set(found), key=found.index)


def scan(source_nb, graded_nb):
    """[(cell index, grade_id or None, reasons)] for the student's cells of a graded notebook."""
    ctx = Context(source_nb)
    out = []
    for i, cell in ctx.student_cells(graded_nb):
        reasons = scan_source(cell.source, ctx)
        if reasons:
            out.append((i, _cell_meta(cell).get("grade_id"), reasons))
    return out


def kernel_findings(graded_nb):
    """[(cell index, grade_id, message)] of test cells whose integrity check failed in the kernel."""
    out = []
    for i, cell in enumerate(graded_nb.cells):
        for o in cell.get("outputs", []):
            if o.get("output_type") == "error" and o.get("ename") == "TamperDetected":
                out.append((i, _cell_meta(cell).get("grade_id"), str(o.get("evalue", ""))))
    return out


def affected(graded_nb, first_index):
    """grade_ids of the autograded test cells at or after ``first_index``."""
    return [_cell_meta(c)["grade_id"] for i, c in enumerate(graded_nb.cells)
            if i >= first_index and c.cell_type == "code" and _cell_meta(c).get("grade")]


def check(source_nb, graded_nb):
    """(affected test grade_ids, reasons) for one graded notebook; ([], []) when clean."""
    static = scan(source_nb, graded_nb)
    kernel = kernel_findings(graded_nb)
    firsts, reasons = [], []
    for i, gid, why in static:
        firsts.append(i)
        reasons.append(f"cell {gid or f'#{i}'} " + "; ".join(why))
    for i, gid, msg in kernel:
        firsts.append(i)
        reasons.append(f"test {gid}: {msg}")
    if not firsts:
        return [], []
    return affected(graded_nb, min(firsts)), reasons
