"""What the tamper scan's two classes are made of (grading/tamper.py says what each means).

The tables of modules, attributes, calls, magics and names the cell scanner
(grading/tamper_scan.py) looks for, and the two read from the environment:
which modules are installed, and which names of ``helpers.checks`` are its
internals rather than its public checks.
"""
from __future__ import annotations

import ast
import importlib.machinery
import re
import sys
from functools import lru_cache
from pathlib import Path

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



def _env_paths() -> list[str]:
    roots = [Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve()]
    return [p for p in sys.path if p and any(r == Path(p).resolve() or r in Path(p).resolve().parents
                                             for r in roots)]


@lru_cache(maxsize=None)
def _installed(top: str) -> bool:
    if top in sys.builtin_module_names:
        return True
    try:
        return importlib.machinery.PathFinder.find_spec(top, _env_paths()) is not None
    except (ImportError, ValueError):
        return False


@lru_cache(maxsize=None)
def checks_internals() -> frozenset[str]:
    """Top-level names of helpers.checks that are not its public checks (read from its source)."""
    import importlib.util

    spec = importlib.util.find_spec("helpers.checks")
    names = set()
    if spec and spec.origin:
        from .tamper_cells import parse   # one thread at a time (python/cpython#106905)

        tree = parse(Path(spec.origin).read_text())
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, (ast.Assign, ast.AnnAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                names |= {t.id for t in targets if isinstance(t, ast.Name)}
    names |= {"seal", "_SEAL", "integrity_problems", "report", "plain", "REPORT_MIME"}
    return frozenset(n for n in names if not PUBLIC_CHECKS.match(n) and not n.startswith("__"))
