"""Type hints: every public function of grading/ and helpers/ is annotated, and mypy
agrees with the annotations ([tool.mypy] in pyproject.toml).

Two checks, because they guard different things: mypy (a partly annotated function is an
error there, ``disallow_incomplete_defs``, but a wholly unannotated one is allowed, so
that private helpers need not be), and an AST pass that holds the rule itself: every
public function and method has an annotation on each parameter and on its return.

mypy keeps its cache in .mypy_cache/ at the course root: about 40 CPU-s the first time
on this machine (numpy, SQLAlchemy, matplotlib, nbconvert, Dask), 5 CPU-s after that.
"""
import ast
import subprocess
import sys

import pytest

from conftest import ROOT

pytestmark = pytest.mark.fast

PACKAGES = ("grading", "helpers")

def public_functions(tree):
    """(qualified name, node, is a method) of the module's public functions and of the public methods
    of its public classes (dunder methods count as public; nested functions do not)."""
    def public(name):
        return not name.startswith("_") or (name.startswith("__") and name.endswith("__"))

    def walk(body, prefix):
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and public(node.name):
                static = any(isinstance(d, ast.Name) and d.id == "staticmethod" for d in node.decorator_list)
                yield prefix + node.name, node, bool(prefix) and not static
            elif isinstance(node, ast.ClassDef) and public(node.name):
                yield from walk(node.body, f"{prefix}{node.name}.")
            elif isinstance(node, ast.If):   # if TYPE_CHECKING: ... else: ...
                yield from walk(node.body + node.orelse, prefix)

    yield from walk(tree.body, "")


def missing_annotations(node, method):
    """Names of the unannotated parameters of a function (a method's first, self or cls,
    excepted), and "return" if its return is unannotated."""
    a = node.args
    params = [*a.posonlyargs, *a.args, *a.kwonlyargs, *filter(None, [a.vararg, a.kwarg])]
    if method and (a.posonlyargs or a.args):
        params = params[1:]
    missing = [p.arg for p in params if p.annotation is None]
    return missing + (["return"] if node.returns is None else [])


def modules():
    for package in PACKAGES:
        for path in sorted((ROOT / package).glob("*.py")):
            yield path.relative_to(ROOT).as_posix(), path


def test_every_public_function_is_annotated():
    bad, count = [], 0
    for rel, path in modules():
        for name, node, method in public_functions(ast.parse(path.read_text())):
            count += 1
            missing = missing_annotations(node, method)
            if missing:
                bad.append(f"{rel}:{node.lineno} {name}: {', '.join(missing)}")
    assert count > 100, f"found only {count} public functions: is the walk right?"
    assert not bad, "public functions without annotations:\n" + "\n".join(bad)


def test_the_annotation_check_finds_what_is_missing():
    tree = ast.parse("class A:\n"
                     "    def m(self, x: int): ...\n"
                     "    def _private(self, y): ...\n"
                     "    @staticmethod\n"
                     "    def s(x) -> None: ...\n"
                     "def f(a, *args: int, b: str = '', **kw) -> None: ...\n"
                     "def g(self) -> int: ...\n"
                     "def _h(z): ...\n")
    found = {name: missing_annotations(node, method) for name, node, method in public_functions(tree)}
    assert found == {"A.m": ["return"], "A.s": ["x"], "f": ["a", "kw"], "g": ["self"]}


@pytest.mark.slow  # an empty .mypy_cache: about 100 s of a loaded machine
def test_mypy_passes():
    proc = subprocess.run([sys.executable, "-m", "mypy", "--no-error-summary", "--hide-error-context"],
                          cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, f"mypy (exit {proc.returncode}):\n{proc.stdout}{proc.stderr}"
