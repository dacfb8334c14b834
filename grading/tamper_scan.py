"""The cell scanner: one cell's code, read as an AST, sorted into detected tampering
(``zero``) and reaching internals (``review``); grading/tamper.py says what each class means.
"""
from __future__ import annotations

import ast
from typing import Literal, cast

from .tamper_cells import Context, _bindings, _dotted, _dunder, _fold, _parse, _root
from .tamper_tables import (CONFIG_WRITES, DISTINCT_HOOKS, GENERIC, HISTORY_NAMES, HOOK_METHODS,
                            INTERNAL_ATTRS, INTERNAL_MODULES, IPYTHON_OK, PATCH_ATTR_CALLS,
                            PLAIN_DUNDERS, SAFE_MAGICS, SAFE_SHELL_CALLS, SHELL_HOOKS, SUSPECT_CALLS,
                            TEST_MODULES, _installed, checks_internals)


class _Findings:
    zero: list[str]
    review: list[str]

    def __init__(self) -> None:
        self.zero, self.review = [], []

    def add(self, cls: Literal["zero", "review"], node: ast.AST, why: str) -> None:
        line = getattr(node, "lineno", None)
        text = f"line {line}: {why}" if line else why
        target = self.zero if cls == "zero" else self.review
        if text not in target:
            target.append(text)


def _import_findings(node: ast.Import | ast.ImportFrom, out: _Findings) -> None:
    mods = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
    for m in mods:
        top = m.split(".")[0]
        if isinstance(node, ast.ImportFrom) and node.level:
            out.add("review", node, f"imports from a relative module ({'.' * node.level}{m})")
            continue
        if top == "IPython":
            if not m.startswith(IPYTHON_OK):
                out.add("review", node, f"imports {m}")
        elif top in INTERNAL_MODULES or m in INTERNAL_MODULES:
            out.add("review", node, f"imports {m}")
        elif top and not _installed(top):
            out.add("review", node, f"imports {m}, which is not part of the course environment")
    if isinstance(node, ast.ImportFrom) and node.module:
        names = {a.name for a in node.names}
        if node.module in ("sys", "os", "gc", "inspect", "IPython", "builtins"):
            hit = sorted(names & (INTERNAL_ATTRS | PATCH_ATTR_CALLS | {"_getframe"}))
            if hit:
                out.add("review", node, f"imports {', '.join(hit)} from {node.module}")
        if node.module.startswith("helpers"):
            hit = sorted(n for n in names if n in checks_internals() or n == "*")
            if hit:
                out.add("review", node, f"imports {', '.join(hit)} from {node.module}: "
                                        "the test machinery, not a public check")


def scan_cell(source: str, ctx: Context) -> tuple[list[str], list[str]]:
    """(zero reasons, review reasons) for one cell's code."""
    out = _Findings()
    tree = _parse(source)
    if tree is None:
        return [], []  # it cannot run either
    internals = checks_internals()
    # module aliases: the setup's, and this cell's own imports of whole modules
    module_of = dict(ctx.module_of)
    for n in ast.walk(tree):
        if isinstance(n, ast.Import):
            for a in n.names:
                module_of[a.asname or a.name.split(".")[0]] = a.name if a.asname else a.name.split(".")[0]
        elif isinstance(n, ast.ImportFrom) and n.module:
            for a in n.names:
                module_of.setdefault(a.asname or a.name, f"{n.module}.{a.name}")
    checks_aliases = {n for n, m in module_of.items() if m.startswith("helpers")}
    functions = {n.name for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    own_names = _bindings(tree)[0] | {a.arg for a in ast.walk(tree) if isinstance(a, ast.arg)}
    shells = set(ctx.shells) | {
        t.id for n in ast.walk(tree) if isinstance(n, ast.Assign) and "get_ipython" in ast.unparse(n.value)
        for t in n.targets if isinstance(t, ast.Name)}

    def plain_name(name: str) -> bool:
        """A public attribute name that reaches nothing of the machinery."""
        if name in PLAIN_DUNDERS:
            return True
        return name.isidentifier() and not name.startswith("_") and \
            name not in internals | INTERNAL_ATTRS | SHELL_HOOKS

    def shell_hook(expr: ast.AST) -> bool:
        """Whether an attribute chain reaches one of IPython's hooks (the shell's own)."""
        for sub in ast.walk(expr):
            if isinstance(sub, ast.Attribute) and sub.attr in DISTINCT_HOOKS:
                return True
            if isinstance(sub, ast.Attribute) and sub.attr in SHELL_HOOKS and (
                    "get_ipython" in ast.unparse(sub.value) or _root(sub) in shells):
                return True
        return False

    def module_path(expr: ast.AST) -> str | None:
        """The dotted module path an attribute chain starts from, if its root is a module name."""
        d = _dotted(expr)
        if d is None:
            return None
        root, _, rest = d.partition(".")
        if root not in module_of:
            return None
        return module_of[root] + ("." + rest if rest else "")

    def is_write_target_of_tests(target: ast.expr) -> tuple[bool | None, str]:
        path = module_path(target)
        if path is None:
            r = _root(target)
            return (r in ctx.protected and ctx.locked_kinds.get(r) == "code"), ast.unparse(target)
        if path.startswith(("builtins", "sys.")) or path == "sys":
            return None, ast.unparse(target)
        shown = ast.unparse(target)
        if shown.startswith(CONFIG_WRITES) or path.startswith(("torch.backends", "matplotlib")):
            return False, shown
        return path.split(".")[0] in TEST_MODULES, shown

    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            _import_findings(node, out)
        elif isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Delete)):
            targets = node.targets if isinstance(node, (ast.Assign, ast.Delete)) else [node.target]
            for t in targets:
                for sub in ast.walk(t):
                    if not (isinstance(sub, (ast.Attribute, ast.Subscript))
                            and isinstance(sub.ctx, (ast.Store, ast.Del))):
                        continue
                    if shell_hook(sub):
                        out.add("zero", node, f"changes IPython's {ast.unparse(sub)}")
                        continue
                    if isinstance(sub, ast.Attribute) and sub.attr == "_SEAL" or "_SEAL" in ast.unparse(sub):
                        out.add("zero", node, f"changes the integrity seal ({ast.unparse(sub)})")
                        continue
                    patch, shown = is_write_target_of_tests(sub)
                    if patch:
                        out.add("zero", node, f"changes {shown}, which the tests use")
                    elif patch is None:
                        out.add("review", node, f"changes {shown}")
                    elif isinstance(sub, ast.Attribute) and _root(sub) not in ("self", "cls") and (
                            _dunder(sub.attr) or (isinstance(node, ast.Assign) and (
                                isinstance(node.value, ast.Lambda) or
                                isinstance(node.value, ast.Name) and node.value.id in functions))):
                        # an object's method replaced: an alias of a module or class of the
                        # tests ([np][0].isclose = ...) looks like this too
                        out.add("review", node, f"replaces {shown} with code")
        elif isinstance(node, ast.Call):
            f = node.func
            name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else None
            if name in ("setattr", "delattr") and isinstance(f, ast.Name) and node.args:
                obj = node.args[0]
                attr_name = node.args[1] if len(node.args) > 1 else None
                if _root(obj) in ("self", "cls") and (attr_name is None or _fold(attr_name) is None
                                                      or plain_name(cast(str, _fold(attr_name)))):
                    pass  # an object's own attributes (layers built in a loop, say)
                else:
                    patch, shown = is_write_target_of_tests(obj)
                    if patch or (module_path(obj) or "").startswith("helpers") or (
                            isinstance(obj, ast.Name) and obj.id in ctx.protected):
                        out.add("zero", node, f"calls {name}() on {shown}, which the tests use")
                    else:
                        out.add("review", node, f"calls {name}() on {shown}")
            elif name in ("getattr", "hasattr") and isinstance(f, ast.Name) and len(node.args) >= 2:
                folded = _fold(node.args[1])
                path = module_path(node.args[0]) or ""
                off_limits = path.startswith(("helpers", "sys", "builtins", "IPython", "gc", "inspect"))
                if folded is not None and plain_name(folded) and not off_limits:
                    pass  # getattr(obj, "name") with a plain public name
                elif folded is not None and _root(node.args[0]) in ("self", "cls") and \
                        not _dunder(folded) and plain_name(folded.lstrip("_") or "_"):
                    pass  # an object's own private attribute: hasattr(self, "_cache")
                elif folded is None and not off_limits and (
                        _root(node.args[0]) in ("self", "cls") or path.split(".")[0] in ("torch", "numpy")):
                    pass  # a layer or optimizer chosen by name: getattr(nn, activation)
                else:
                    out.add("review", node, f"calls {name}({ast.unparse(node.args[0])}, "
                                            f"{ast.unparse(node.args[1])})")
            elif name == "vars" and isinstance(f, ast.Name):
                if not (len(node.args) == 1 and _root(node.args[0]) in ("self", "cls")):
                    out.add("review", node, "calls vars()")
            elif name in SUSPECT_CALLS and isinstance(f, ast.Name):
                out.add("review", node, f"calls {name}()")
            if isinstance(f, ast.Attribute) and (f.attr in PATCH_ATTR_CALLS
                                                 or ".monitoring." in ast.unparse(f)):
                out.add("zero", node, f"calls {ast.unparse(f)}()")
            if isinstance(f, ast.Attribute) and f.attr == "seal" or isinstance(f, ast.Name) and f.id == "seal":
                out.add("zero", node, f"calls {ast.unparse(f)}(): the integrity seal is made again")
            if isinstance(f, ast.Attribute) and f.attr in ("append", "insert", "extend", "remove",
                                                           "clear", "pop", "update", "__setitem__",
                                                           "register", "unregister", "setdefault",
                                                           "__init__", "popitem", "discard", "add"):
                chain = ast.unparse(f.value)
                if shell_hook(f.value):
                    out.add("zero", node, f"changes IPython's {chain}")
                elif "_SEAL" in chain:
                    out.add("zero", node, f"changes the integrity seal ({chain})")
            if any(k.arg in ("stacklevel", "stack_info") for k in node.keywords):
                out.add("review", node, f"calls {ast.unparse(f)}() with a stack level: it shows "
                                        "its caller's source line")
            if name in ("signal", "setitimer", "alarm", "pthread_kill", "set_wakeup_fd") and \
                    (module_path(f.value) if isinstance(f, ast.Attribute) else "signal") == "signal":
                out.add("review", node, f"calls {ast.unparse(f)}(): a signal handler receives "
                                        "the running test's frame")
            # get_ipython(): its display and magic calls only
            if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Call) and \
                    isinstance(f.value.func, ast.Name) and f.value.func.id == "get_ipython":
                if f.attr in ("run_line_magic", "run_cell_magic"):
                    magic = node.args[0].value if node.args and isinstance(node.args[0], ast.Constant) else "?"
                    if magic not in SAFE_MAGICS:
                        out.add("review", node, f"runs the magic %{magic}")
                elif f.attr not in SAFE_SHELL_CALLS:
                    out.add("review", node, f"uses get_ipython().{f.attr}")
        if isinstance(node, ast.Name) and node.id == "get_ipython" and isinstance(node.ctx, ast.Load):
            used_ok = any(isinstance(p, ast.Attribute) and isinstance(p.value, ast.Call)
                          and p.value.func is node and p.attr in SAFE_SHELL_CALLS for p in ast.walk(tree))
            if not used_ok:
                out.add("review", node, "uses get_ipython()")
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            if HISTORY_NAMES.match(node.id):
                out.add("review", node, f"reads {node.id}, IPython's input or output history")
            elif node.id in ("__builtins__", "__loader__", "__spec__"):
                out.add("review", node, f"uses {node.id}")
            elif node.id in internals and node.id not in GENERIC and node.id not in own_names:
                out.add("review", node, f"uses {node.id}, a part of the test machinery")
        if isinstance(node, ast.Attribute):
            attr = node.attr
            root = _root(node)
            if attr in INTERNAL_ATTRS:
                path = module_path(node.value) or ""
                # a few names are common: count them on the modules and objects they mean
                if attr in ("modules", "exception", "kernel", "shell", "db", "execution_count",
                            "audit", "register", "compile", "find_spec") and \
                        not path.startswith(("sys", "IPython", "importlib", "builtins")) and \
                        "get_ipython" not in ast.unparse(node.value):
                    pass
                else:
                    out.add("review", node, f"uses {ast.unparse(node)}")
            elif _dunder(attr) and attr not in PLAIN_DUNDERS and \
                    not (attr in ("__class__", "__dict__") and root in ("self", "cls")):
                out.add("review", node, f"uses {ast.unparse(node)}")
            elif _dunder(attr) and attr in ("__class__", "__dict__") and root not in ("self", "cls"):
                out.add("review", node, f"uses {ast.unparse(node)}")
            elif attr in internals and (attr not in GENERIC or root in checks_aliases):
                out.add("review", node, f"uses {ast.unparse(node)}, a part of the test machinery")
            elif attr in SHELL_HOOKS and "get_ipython" in ast.unparse(node.value):
                out.add("review", node, f"uses {ast.unparse(node)}")
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name in HOOK_METHODS:
            out.add("review", node, f"defines {node.name}, a hook into the libraries' dispatch")
        if isinstance(node, (ast.Constant, ast.BinOp, ast.JoinedStr, ast.Call, ast.Subscript)):
            text = _fold(node)
            if text is None or (isinstance(node, ast.Call) and not text):
                continue
            built = not isinstance(node, ast.Constant)
            stripped = text.strip()
            if "/proc/" in text or text.rstrip("/") == "/proc" or "/dev/mem" in text:
                out.add("review", node, f"names {text!r}")
            elif stripped in internals and stripped not in GENERIC:
                out.add("review", node, f"names {stripped!r}, a part of the test machinery")
            elif built and (_dunder(stripped) or stripped in INTERNAL_ATTRS | SHELL_HOOKS
                             or stripped in internals):
                out.add("review", node, f"builds the name {stripped!r} from pieces")
            elif _dunder(stripped) and stripped not in PLAIN_DUNDERS:
                out.add("review", node, f"names {stripped!r}")
            elif "HIDDEN TESTS" in text or "gradebook" in text:
                out.add("review", node, f"names {text[:40]!r}")
        if isinstance(node, ast.Global):
            hit = sorted(set(node.names) & ctx.protected)
            if hit:
                out.add("review", node, f"declares global {', '.join(hit)}, which the tests use")
    names, imports, kinds = _bindings(tree)
    for name in sorted(names & ctx.protected):
        if name in imports:
            mod = imports[name].split(":")[0]
            if imports[name] == ctx.locked_imports.get(name):
                continue  # the same import again
            if mod.startswith("helpers"):
                out.add("zero", tree, f"imports {imports[name]} as {name}, which the tests use")
            # an installed module's object under a setup name: innocent (from tqdm import trange)
            continue
        if kinds.get(name) == "code" or ctx.locked_kinds.get(name) in ("code", "import"):
            out.add("zero", tree, f"rebinds {name}, which the tests use")
        else:
            out.add("review", tree, f"rebinds {name}, which the tests read")
    # one class per line: a line that patches is not also listed as reaching internals, and
    # the plain "uses get_ipython()" goes when the same line says what it used it for
    zero_lines = {r.split(":")[0] for r in out.zero if r.startswith("line ")}
    review = [r for r in out.review if r.split(":")[0] not in zero_lines]
    specific = {r.split(":")[0] for r in review if "get_ipython()." in r or "magic" in r}
    review = [r for r in review if not (r.endswith(": uses get_ipython()") and r.split(":")[0] in specific)]
    return out.zero, review
