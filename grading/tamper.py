"""Tamper detection: code in a student's cells that patches or reads the test machinery.

The verdicts of hidden tests are decided outside the student's kernel (the
grader compares the reported values with its own record), so nothing the
kernel does can turn a failing hidden check into a pass.  This module sorts
what the student's code does to the machinery into two classes:

- **Detected tampering** (``check``): code that changes what the tests run:
  attributes of the modules the tests call written or deleted
  (``np.isclose = ...``, ``helpers.checks.check_close = ...``), the locked
  cells' functions and classes redefined, IPython's input or AST transformers,
  hooks and exception handlers changed, trace or profile hooks installed, the
  integrity seal re-made or edited, and what the in-kernel integrity check
  (``helpers.checks.check_integrity``) reported as ``TamperDetected``.  The
  test cells from the first such cell on are zeroed, and the submission goes
  on the review list with the reason.
- **Reaching internals** (``suspicious``): code that reads or reaches what a
  solution never needs: IPython's input history (``In``, ``_ii``, ``%history``,
  the history manager), frames and tracebacks (``sys._getframe``, ``inspect``,
  ``f_back``, ``__traceback__``, ``linecache``, ``traceback``), dunder
  attributes and dunder or private names built from strings (``getattr(m,
  "__set" + "attr__")``), anything of ``helpers.checks`` beyond its public
  checks (``seal``, ``_SEAL``, ``integrity_problems``, ``report``, ...),
  ``exec``/``eval``/``compile``, ``ctypes``, ``gc``, ``sys.modules``,
  ``importlib``, builtins, display hooks (an ``execute_result`` emitted from
  code a test cell calls), signal handlers (they receive the running frame),
  warnings or logs with a stack level (they print the caller's source line),
  ``/proc``.  These go on the review list and zero nothing: a person decides.

What never flags: importing any module installed in the environment (the
same name the setup cell imported included, as ``from tqdm import trange``
after ``from tqdm.auto import trange``), defining functions and classes under
new names, adding cells, printing, plotting, setting plotting or torch
backend options.

The scan is static (AST, with IPython's own transforms of magics): code that
is built at run time and run with ``exec`` is itself a finding, but a scan
cannot follow every spelling.  Not caught statically: an object reached
through a chain the scan cannot name (``m = [np][0]; m.isclose = ...`` is
left to the in-kernel integrity check), names built by other means than
constant concatenation, joins, f-strings, ``chr`` and reversal, and code in
files the notebook writes and then imports (the import itself is reviewed
when the module is not installed).  The verdicts outside the kernel are the
guarantee; the scan is what puts the attempt in front of a person.
"""
from __future__ import annotations

import ast
import importlib.machinery
import re
import sys
from functools import lru_cache
from pathlib import Path

MARK = "[tamper check]"

# --- What the classes are made of --------------------------------------------------------

# Modules whose functions the test cells call: a write to one of their attributes
# changes what the tests run.  (Plotting, pandas and tqdm options are not in it.)
TEST_MODULES = {"helpers", "numpy", "torch", "math", "scipy", "IPython", "ipykernel"}
# Writes under these dotted prefixes are ordinary configuration, not patches.
CONFIG_WRITES = ("torch.backends.", "np.random.seed", "torch.set_")
# Modules whose only use in a notebook is to reach internals (review).
INTERNAL_MODULES = {"ctypes", "_ctypes", "cffi", "gc", "importlib", "runpy", "builtins",
                    "__builtin__", "ipykernel", "zmq", "jupyter_client", "nbgrader", "traitlets",
                    "inspect", "code", "codeop", "marshal", "linecache", "traceback", "dis",
                    "tokenize", "sysconfig", "site", "faulthandler", "tracemalloc", "pdb", "bdb",
                    "_testcapi", "_imp", "zipimport", "pkgutil", "__main__"}
# IPython is fine for its display functions only.
IPYTHON_OK = ("IPython.display", "IPython.core.display")
# Calls that change how the tests run (zero).
PATCH_ATTR_CALLS = {"settrace", "setprofile", "addaudithook", "settrace_all_threads",
                    "setprofile_all_threads", "register_magic_function", "set_custom_exc",
                    "set_hook", "load_extension", "register_magics", "define_magic"}
# Attributes of IPython's shell whose change alters the test cells' code or errors (zero
# when written or mutated).
SHELL_HOOKS = {"input_transformers_cleanup", "input_transformers_post", "ast_transformers",
               "input_transformer_manager", "custom_exceptions", "showtraceback",
               "_showtraceback", "events", "excepthook", "displayhook", "compile",
               "InteractiveTB", "SyntaxTB", "CustomTB", "run_cell", "run_ast_nodes",
               "run_code", "transform_cell"}
# Of those, the ones no other object has: reached on any object, they are IPython's.
DISTINCT_HOOKS = {"input_transformers_cleanup", "input_transformers_post", "ast_transformers",
                  "input_transformer_manager", "custom_exceptions", "showtraceback",
                  "_showtraceback", "InteractiveTB", "SyntaxTB", "CustomTB", "run_ast_nodes",
                  "transform_cell"}
# Attribute reads that reach internals (review).
INTERNAL_ATTRS = {
    # frames, code and tracebacks
    "_getframe", "currentframe", "f_back", "f_locals", "f_globals", "f_builtins", "f_code",
    "f_lineno", "f_lasti", "f_trace", "tb_frame", "tb_next", "tb_lineno", "gi_frame",
    "cr_frame", "ag_frame", "gi_code", "co_code", "co_consts", "co_names", "co_filename",
    "exc_info", "last_traceback", "last_value", "last_type", "last_exc", "exception",
    "_current_frames", "_current_exceptions", "monitoring",
    # IPython's history and namespaces
    "history_manager", "input_hist_raw", "input_hist_parsed", "output_hist", "user_ns",
    "user_global_ns", "user_ns_hidden", "display_pub", "displayhook", "excepthook",
    "kernel", "shell", "execution_count", "db",
    # the interpreter's module table and hooks
    "modules", "meta_path", "path_hooks", "path_importer_cache", "audit",
    # gc
    "get_referrers", "get_referents", "get_objects",
    # importlib
    "reload", "import_module", "find_spec", "spec_from_file_location", "module_from_spec",
}
# Names of IPython's input and output history.
HISTORY_NAMES = re.compile(r"^(In|Out|_i|_ii|_iii|_ih|_oh|_dh|_i\d+|_\d+|__|___)$")
# Magics a notebook may use; any other is reported.
SAFE_MAGICS = {"matplotlib", "time", "timeit", "pwd", "ls", "env", "config", "pip", "conda",
               "capture", "writefile", "load_ext autoreload", "autoreload", "html"}
SAFE_SHELL_CALLS = {"run_line_magic", "run_cell_magic", "system", "getoutput"}
# Calls that run code the scan cannot see, or read the namespace as a dict (review).
SUSPECT_CALLS = {"exec", "eval", "compile", "__import__", "globals", "locals", "vars",
                 "breakpoint", "getattr", "setattr", "delattr", "hasattr", "memoryview"}
# Dunder attributes an ordinary notebook uses.
PLAIN_DUNDERS = {"__init__", "__name__", "__doc__", "__version__", "__call__", "__len__",
                 "__getitem__", "__setitem__", "__iter__", "__next__", "__repr__", "__str__",
                 "__qualname__", "__enter__", "__exit__", "__contains__", "__file__",
                 "__module__", "__annotations__", "__post_init__", "__eq__", "__hash__",
                 "__add__", "__mul__", "__sub__", "__truediv__", "__neg__", "__lt__", "__le__",
                 "__gt__", "__ge__", "__bool__", "__float__", "__int__", "__format__",
                 "__main__", "__all__"}
# Dunder methods a student class has no reason to define (they hook the libraries'
# dispatch or object lifetime, which the checks run through).
HOOK_METHODS = {"__torch_function__", "__torch_dispatch__", "__array_ufunc__",
                "__array_function__", "__array_priority__", "__del__", "__init_subclass__",
                "__instancecheck__", "__subclasscheck__", "__set_name__", "__getattribute__",
                "__class_getitem__", "__mro_entries__"}
# Names of helpers.checks a student may use: the checks and what hidden tests pass them.
PUBLIC_CHECKS = re.compile(r"^(check_\w+|REFERENCE|TamperDetected|\w+_grading_run|coin_channel_mi)$")
# Names too common to flag as attribute reads unless read from helpers.checks itself.
GENERIC = {"report", "plain", "math", "os", "annotations", "reporting", "display", "_flatten",
           "_short", "_shell", "_as_float", "_foreign"}


def _cell_meta(cell):
    return cell.get("metadata", {}).get("nbgrader", {})


def _python(source):
    """Cell source as plain Python: IPython's own transforms for magics and ``!``."""
    from IPython.core.inputtransformer2 import TransformerManager
    return TransformerManager().transform_cell(source)


@lru_cache(maxsize=4096)
def _parse(source):
    """The cell's AST (None if it does not parse); cached, since ``check`` and ``suspicious``
    both read every cell of the source and the graded notebook (the ASTs are not changed)."""
    try:
        return ast.parse(_python(source))
    except (SyntaxError, ValueError):
        return None


def _env_paths():
    roots = [Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve()]
    return [p for p in sys.path if p and any(r == Path(p).resolve() or r in Path(p).resolve().parents
                                             for r in roots)]


@lru_cache(maxsize=None)
def _installed(top):
    if top in sys.builtin_module_names:
        return True
    try:
        return importlib.machinery.PathFinder.find_spec(top, _env_paths()) is not None
    except (ImportError, ValueError):
        return False


@lru_cache(maxsize=None)
def checks_internals():
    """Top-level names of helpers.checks that are not its public checks (read from its source)."""
    import importlib.util

    spec = importlib.util.find_spec("helpers.checks")
    names = set()
    if spec and spec.origin:
        tree = ast.parse(Path(spec.origin).read_text())
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, (ast.Assign, ast.AnnAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                names |= {t.id for t in targets if isinstance(t, ast.Name)}
    names |= {"seal", "_SEAL", "integrity_problems", "report", "plain", "REPORT_MIME"}
    return frozenset(n for n in names if not PUBLIC_CHECKS.match(n) and not n.startswith("__"))


def _bindings(tree):
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
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call, ast.Starred)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def _dotted(node):
    """``a.b.c`` for a chain of names and attributes, else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        return ".".join([node.id, *reversed(parts)])
    return None


def _fold(node):
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
            parts = [_fold(e) for e in node.args[0].elts]
            if sep is not None and all(p is not None for p in parts):
                return sep.join(parts)
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


def _dunder(name):
    return len(name) > 4 and name.startswith("__") and name.endswith("__")


class Context:
    """What the source notebook says about its locked cells and test cells."""

    def __init__(self, source_nb):
        self.solution_ids, self.locked_ids = set(), set()
        locked_names, self.locked_imports, solution_names, test_reads = set(), {}, set(), set()
        self.locked_kinds = {}
        for cell in source_nb.cells:
            meta = _cell_meta(cell)
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

    def learn(self, nb):
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

    def student_cells(self, nb):
        """(index, cell) of the cells whose code is the student's: answers and added cells."""
        for i, cell in enumerate(nb.cells):
            gid = _cell_meta(cell).get("grade_id")
            if cell.cell_type == "code" and (gid in self.solution_ids or gid not in self.locked_ids):
                yield i, cell


class _Findings:
    def __init__(self):
        self.zero, self.review = [], []

    def add(self, cls, node, why):
        line = getattr(node, "lineno", None)
        text = f"line {line}: {why}" if line else why
        target = self.zero if cls == "zero" else self.review
        if text not in target:
            target.append(text)


def _import_findings(node, out):
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


def scan_cell(source, ctx):
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

    def plain_name(name):
        """A public attribute name that reaches nothing of the machinery."""
        if name in PLAIN_DUNDERS:
            return True
        return name.isidentifier() and not name.startswith("_") and \
            name not in internals | INTERNAL_ATTRS | SHELL_HOOKS

    def shell_hook(expr):
        """Whether an attribute chain reaches one of IPython's hooks (the shell's own)."""
        for sub in ast.walk(expr):
            if isinstance(sub, ast.Attribute) and sub.attr in DISTINCT_HOOKS:
                return True
            if isinstance(sub, ast.Attribute) and sub.attr in SHELL_HOOKS and (
                    "get_ipython" in ast.unparse(sub.value) or _root(sub) in shells):
                return True
        return False

    def module_path(expr):
        """The dotted module path an attribute chain starts from, if its root is a module name."""
        d = _dotted(expr)
        if d is None:
            return None
        root, _, rest = d.partition(".")
        if root not in module_of:
            return None
        return module_of[root] + ("." + rest if rest else "")

    def is_write_target_of_tests(target):
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
                                                      or plain_name(_fold(attr_name))):
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
            folded = not isinstance(node, ast.Constant)
            stripped = text.strip()
            if "/proc/" in text or text.rstrip("/") == "/proc" or "/dev/mem" in text:
                out.add("review", node, f"names {text!r}")
            elif stripped in internals and stripped not in GENERIC:
                out.add("review", node, f"names {stripped!r}, a part of the test machinery")
            elif folded and (_dunder(stripped) or stripped in INTERNAL_ATTRS | SHELL_HOOKS
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


def scan_source(source, ctx):
    """Every reason one cell's code may tamper with or reach the tests ([] if none)."""
    zero, review = scan_cell(source, ctx)
    return zero + review


def scan(source_nb, graded_nb):
    """[(cell index, grade_id or None, zero reasons, review reasons)] for the student's cells."""
    ctx = Context(source_nb)
    ctx.learn(graded_nb)
    out = []
    for i, cell in ctx.student_cells(graded_nb):
        zero, review = scan_cell(cell.source, ctx)
        if zero or review:
            out.append((i, _cell_meta(cell).get("grade_id"), zero, review))
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


def _where(i, gid):
    return f"cell {gid or f'#{i}'}"


def check(source_nb, graded_nb):
    """(test grade_ids to zero, reasons) for detected tampering in one graded notebook.

    ``reasons`` lists every finding, also one whose tests list is empty (a patch
    after the last test cell affects no test, but it still belongs on the review
    list): record a review row whenever ``reasons`` is not empty.  ``([], [])``
    when clean.
    """
    firsts, reasons = [], []
    for i, gid, zero, _ in scan(source_nb, graded_nb):
        if zero:
            firsts.append(i)
            reasons.append(f"{_where(i, gid)}: " + "; ".join(zero))
    for i, gid, msg in kernel_findings(graded_nb):
        firsts.append(i)
        reasons.append(f"test {gid}: {msg}")
    if not firsts:
        return [], []
    return affected(graded_nb, min(firsts)), reasons


def suspicious(source_nb, graded_nb):
    """Reasons (one per cell) why the student's code reaches the test machinery's internals.

    For the review list only: they zero nothing.  Findings already in
    ``check`` (detected tampering) are not repeated here.  [] when clean.
    """
    return [f"{_where(i, gid)}: " + "; ".join(review)
            for i, gid, _, review in scan(source_nb, graded_nb) if review]
