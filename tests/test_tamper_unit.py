"""The tamper scan as a table: a student cell's source and the class of finding it must get.

``zero``: detected tampering (``tamper.check`` zeroes the tests from that cell on);
``review``: reaches internals (``tamper.suspicious``, review list only);
``clean``: no finding at all.  The cell is put into notebook 01's answer cell
``divergence`` (with a correct answer after it), the scan runs against the
source notebook, out of any kernel.
"""
import nbformat
import pytest

from conftest import ROOT
from grading import tamper

pytestmark = pytest.mark.fast

ANSWER = ("def gaussian_divergence(cov):\n    cov = np.asarray(cov, dtype=float)\n"
          "    _, logdet = np.linalg.slogdet(cov)\n"
          "    return 0.5 * (np.trace(cov) - cov.shape[0] - logdet)\n")

ROWS = [
    # --- innocent: never flagged -----------------------------------------------------------
    ("reimport_trange", "from tqdm import trange", "clean"),
    ("reimport_same", "from tqdm.auto import trange\nimport numpy as np\nimport torch", "clean"),
    ("import_installed", "import seaborn as sns\nimport pandas as pd\nfrom torch.special import logsumexp", "clean"),
    ("import_sklearn_like", "import math, random, itertools, functools, collections", "clean"),
    ("helper_function", "def _logmeanexp(t):\n    return torch.logsumexp(t, 0) - np.log(len(t))", "clean"),
    ("helper_class", "class Tiny(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
                     "        self.fc = nn.Linear(2, 1)\n    def forward(self, z):\n        return self.fc(z)",
     "clean"),
    ("print", "print('divergence', 0.5 * np.log(2))", "clean"),
    ("fstring_print", "x = 3\nprint(f'{x=} and {x!r:>5}')", "clean"),
    ("plot", "import matplotlib.pyplot as plt\nfig, ax = plt.subplots()\nax.plot([1, 2], [3, 4])\n"
             "plt.title('loss')\nplt.show()", "clean"),
    ("rcparams", "plt.rcParams['figure.figsize'] = (8, 4)\nimport matplotlib\n"
                 "matplotlib.rcParams['font.size'] = 9", "clean"),
    ("torch_options", "torch.backends.cudnn.deterministic = True\ntorch.set_num_threads(1)\n"
                      "np.random.seed(0)\ntorch.manual_seed(0)", "clean"),
    ("pandas_options", "pd.options.display.max_rows = 10\nimport pandas as pd", "clean"),
    ("self_setattr", "class Stack(nn.Module):\n    def __init__(self, k):\n        super().__init__()\n"
                     "        for i in range(k):\n            setattr(self, f'fc{i}', nn.Linear(2, 2))\n"
                     "        self.k = getattr(self, 'fc0')", "clean"),
    ("getattr_public", "act = getattr(F, 'elu')\nopt = getattr(torch.optim, 'Adam')", "clean"),
    ("timeit_magic", "%timeit gaussian_divergence(np.eye(2))", "clean"),
    ("matplotlib_magic", "%matplotlib inline", "clean"),
    ("display", "from IPython.display import display, Markdown\ndisplay(Markdown('**hi**'))", "clean"),
    ("underscore_loop", "for _ in range(3):\n    pass\nfor __i in range(2):\n    pass", "clean"),
    ("main_guard", "if __name__ == '__main__':\n    print('run')", "clean"),
    ("repr_dunder", "class P:\n    def __repr__(self):\n        return 'P'\n    def __len__(self):\n"
                    "        return 0\nprint(type(P()).__name__, len(P()))", "clean"),
    ("local_data", "cov = [[1, 0.5], [0.5, 1]]\ndiv = gaussian_divergence(cov)\nn_samples = 500", "clean"),
    ("tqdm_loop", "from tqdm import tqdm\nfor i in tqdm(range(3)):\n    pass", "clean"),
    ("try_except", "try:\n    gaussian_divergence([[0]])\nexcept Exception as exc:\n    print(type(exc).__name__, exc)",
     "clean"),
    ("public_checks", "from helpers.checks import check_close, REFERENCE\n"
                      "check_close(gaussian_divergence(np.eye(2)), 0.0, 'mine')", "clean"),
    ("with_no_grad", "with torch.no_grad():\n    t = torch.ones(3)\nprint(t.sum().item())", "clean"),
    ("shell_command", "!ls", "clean"),
    ("own_check_close", "def check_close(a, b, what=''):\n    assert abs(a - b) < 1e-6, what", "clean"),
    ("getattr_by_name", "def make(activation='ELU'):\n    return getattr(nn, activation)()", "clean"),
    ("atexit_register", "import atexit\natexit.register(print, 'bye')", "clean"),
    ("own_events_list", "class Log:\n    def __init__(self):\n        self.events = []\n"
                        "    def add(self, e):\n        self.events.append(e)", "clean"),
    ("modules_eval_compile", "net2 = nn.Sequential(nn.Linear(2, 1))\nn_modules = len(list(net2.modules()))\n"
                             "net2.eval()\nfast = torch.compile", "clean"),
    ("plain_warning", "import warnings\nwarnings.warn('lr is large')\n"
                      "warnings.filterwarnings('ignore', category=UserWarning)", "clean"),
    ("own_private_attr", "class T:\n    def step(self):\n        if not hasattr(self, '_ref'):\n"
                         "            self._ref = 1\n        return getattr(self, '_ref')", "clean"),
    ("types_namespace", "import types\ncfg = types.SimpleNamespace(lr=1e-3, epochs=5)\ncfg.lr = 1e-2", "clean"),
    ("own_object_fields", "class C:\n    pass\nc = C()\nc.mean = 0.5\nc.name = 'run'", "clean"),
    ("hasattr_len", "ok = hasattr([1], '__len__') and hasattr(np, 'float64')", "clean"),
    # --- detected tampering: zero -----------------------------------------------------------
    ("patch_numpy", "np.isclose = lambda *a, **k: True", "zero"),
    ("patch_checks", "import helpers.checks\nhelpers.checks.check_close = lambda *a, **k: None", "zero"),
    ("patch_checks_alias", "import helpers.checks as hc\nhc.check_close = print", "zero"),
    ("patch_torch_tensor", "torch.Tensor.__bool__ = lambda self: True", "zero"),
    ("setattr_module", "setattr(np, 'allclose', lambda *a, **k: True)", "zero"),
    ("setattr_checks", "import helpers.checks as hc\nsetattr(hc, 'check_close', print)", "zero"),
    ("reseal", "helpers.checks.seal()", "zero"),
    ("reseal_imported", "from helpers.checks import seal\nseal()", "zero"),
    ("seal_edit", "helpers.checks._SEAL['contents']['numpy']['isclose'] = np.isclose", "zero"),
    ("seal_clear", "helpers.checks._SEAL.clear()", "zero"),
    ("input_transformer", "get_ipython().input_transformers_cleanup.append(lambda l: l)", "zero"),
    ("ast_transformer", "ip = get_ipython()\nip.ast_transformers.append(object())", "zero"),
    ("settrace", "import sys\nsys.settrace(lambda *a: None)", "zero"),
    ("custom_exc", "get_ipython().set_custom_exc((AssertionError,), lambda *a: None)", "zero"),
    ("redefine_net", "class Net(nn.Module):\n    pass", "zero"),
    ("rebind_helpers", "import helpers.data as helpers", "zero"),
    ("delete_numpy_attr", "del np.isclose", "zero"),
    ("showtraceback", "get_ipython().showtraceback = lambda *a, **k: None", "zero"),
    ("shell_alias_hook", "x = get_ipython()\nx.ast_transformers.append(None)", "zero"),
    ("ipython_display_patch", "import IPython.display\nIPython.display.display = print", "zero"),
    ("monitoring", "import sys\nsys.monitoring.register_callback(1, 2, print)", "zero"),
    # --- reaching internals: review ---------------------------------------------------------
    ("history_In", "print(In[-1])", "review"),
    ("history_ii", "leak = _ii", "review"),
    ("history_ih", "x = _ih[3]", "review"),
    ("history_magic", "%history -n", "review"),
    ("history_manager", "h = get_ipython().history_manager", "review"),
    ("frames_getframe", "import sys\nf = sys._getframe(1)", "review"),
    ("frames_inspect", "import inspect\nf = inspect.currentframe().f_back", "review"),
    ("frames_fback", "def g(frame):\n    return frame.f_back.f_locals", "review"),
    ("traceback_module", "import traceback\ntraceback.print_stack()", "review"),
    ("linecache", "import linecache\nlinecache.getlines('x')", "review"),
    ("exc_traceback", "try:\n    1 / 0\nexcept Exception as e:\n    t = e.__traceback__.tb_frame", "review"),
    ("gen_frame", "def g():\n    yield 1\nf = g().gi_frame", "review"),
    ("dunder_getattr", "s = getattr(type(helpers.checks), '__setattr__')\n"
                       "s(helpers.checks, 'integrity_problems', lambda: [])", "review"),
    ("dunder_concat", "name = '__set' + 'attr__'\nf = getattr(object, name)", "review"),
    ("dunder_join", "f = getattr(object, ''.join(['__', 'setattr', '__']))", "review"),
    ("dunder_fstring", "k = 'attr'\nf = getattr(object, f'__set{\"attr\"}__')", "review"),
    ("private_string", "m = __import__('helpers.checks', fromlist=['x'])", "review"),
    ("internal_by_string", "v = getattr(helpers.checks, '_S' + 'EAL')", "review"),
    ("integrity_name", "helpers.checks.integrity_problems()", "review"),
    ("report_api", "helpers.checks.report('close', 'x', 1.0)", "review"),
    ("report_mime", "from helpers.checks import REPORT_MIME", "review"),
    ("vars_module", "d = vars(helpers.checks)", "review"),
    ("module_dict", "d = helpers.checks.__dict__", "review"),
    ("globals_call", "g = globals()", "review"),
    ("eval_call", "eval('1 + 1')", "review"),
    ("exec_call", "exec('x = 1')", "review"),
    ("proc_write", "open('/proc/self/mem', 'wb')", "review"),
    ("ctypes", "import ctypes\nctypes.pythonapi.PyFrame_LocalsToFast", "review"),
    ("gc_referrers", "import gc\ngc.get_referrers(np.isclose)", "review"),
    ("sys_modules_write", "import sys, types\nsys.modules['helpers.checks'] = types.ModuleType('x')", "review"),
    ("sys_modules_read", "import sys\nm = sys.modules['helpers.checks']", "review"),
    ("importlib_reload", "import importlib\nimportlib.reload(helpers)", "review"),
    ("builtins_patch", "import builtins\nbuiltins.abs = lambda x: 0", "review"),
    ("builtins_dunder", "__builtins__.abs = lambda x: 0", "review"),
    ("displayhook", "import sys\nsys.displayhook(42)", "review"),
    ("displayhook_ip", "def f():\n    get_ipython().displayhook(3)\n    raise ValueError", "review"),
    ("func_code", "gaussian_divergence.__code__ = (lambda c: 0).__code__", "review"),
    ("closure_cell", "c = helpers.checks.check_integrity.__closure__", "review"),
    ("globals_attr", "g = gaussian_divergence.__globals__", "review"),
    ("subclasses", "s = object.__subclasses__()", "review"),
    ("torch_function", "class T(torch.Tensor):\n    @classmethod\n"
                       "    def __torch_function__(cls, f, t, a=(), k=None):\n        return 1", "review"),
    ("not_installed", "import my_shadow_module", "review"),
    ("ipython_core", "from IPython.core.getipython import get_ipython as g", "review"),
    ("rebind_data", "rho = 0.5", "review"),
    ("chr_build", "n = chr(95) + chr(95) + 'dict' + chr(95) + chr(95)\nd = getattr(np, n)", "review"),
    ("self_dunder_getattr", "class T:\n    def f(self):\n        return getattr(self, '__dict__')", "review"),
    ("warn_stacklevel", "import warnings\ndef f():\n    warnings.warn('x', stacklevel=2)", "review"),
    ("signal_handler", "import signal\nsignal.signal(signal.SIGALRM, lambda s, fr: print(fr))\n"
                       "signal.setitimer(signal.ITIMER_REAL, 0.1)", "review"),
    ("main_module", "import __main__\nh = __main__.In", "review"),
    ("aliased_patch", "m = [np][0]\nm.isclose = lambda *a, **k: True", "review"),
    ("aliased_dunder", "T = [torch][0].Tensor\nT.__bool__ = lambda self: True", "review"),
    ("method_by_def", "def yes(*a, **k):\n    return True\nmods = {'n': np}\nmods['n'].allclose = yes", "review"),
    ("reversed_name", "n = '__ttattes__'[::-1]", "review"),
]


@pytest.fixture(scope="module")
def source():
    return nbformat.read(str(ROOT / "source/01_dv/01_dv.ipynb"), as_version=4)


def graded_with(source, cell_text, where="divergence"):
    nb = nbformat.from_dict(source)
    nb = nbformat.reads(nbformat.writes(source), as_version=4)
    for c in nb.cells:
        if c.metadata.get("nbgrader", {}).get("grade_id") == where:
            c.source = cell_text + "\n\n" + ANSWER
    return nb


def classify(source, nb):
    tests, reasons = tamper.check(source, nb)
    review = tamper.suspicious(source, nb)
    return ("zero" if reasons else "review" if review else "clean"), tests, reasons, review


def test_table_is_big_enough():
    assert len(ROWS) >= 40
    assert sum(r[2] == "clean" for r in ROWS) >= 20
    assert len({r[0] for r in ROWS}) == len(ROWS)


@pytest.mark.parametrize("name,cell,expected", ROWS, ids=[r[0] for r in ROWS])
def test_scan_table(source, name, cell, expected):
    got, tests, reasons, review = classify(source, graded_with(source, cell))
    assert got == expected, (name, reasons, review)
    if expected == "zero":
        assert "test_divergence" in tests, tests  # every test from the answer cell on
    else:
        assert tests == []


INNOCENT = [r for r in ROWS if r[2] == "clean"]


@pytest.mark.parametrize("assignment", ["02_mine", "03_minee"])
def test_innocent_cells_added_to_the_other_notebooks_are_clean(root, assignment):
    """Every innocent row of the table, as cells the student added after the setup cell:
    all at once (one scan of the notebook; a finding only grows with more cells), and one
    by one only to name the row when that scan finds something."""
    src = nbformat.read(str(root / f"source/{assignment}/{assignment}.ipynb"), as_version=4)

    def with_cells(texts):
        nb = nbformat.reads(nbformat.writes(src), as_version=4)
        nb.cells[2:2] = [nbformat.v4.new_code_cell(t) for t in texts]
        return nb

    nb = with_cells([text for _, text, _ in INNOCENT])
    if tamper.check(src, nb) == ([], []) and tamper.suspicious(src, nb) == []:
        return
    for name, text, _ in INNOCENT:
        nb = with_cells([text])
        assert tamper.check(src, nb) == ([], []), name
        assert tamper.suspicious(src, nb) == [], name
    raise AssertionError("the innocent rows are clean one by one but not together")


def test_reference_and_release_are_clean(root):
    for a in ("01_dv", "02_mine", "03_minee"):
        src = nbformat.read(str(root / f"source/{a}/{a}.ipynb"), as_version=4)
        rel = nbformat.read(str(root / f"release/{a}/{a}.ipynb"), as_version=4)
        for nb in (src, rel):
            assert tamper.check(src, nb) == ([], [])
            assert tamper.suspicious(src, nb) == []


def test_added_cell_after_the_last_test_is_reported(source):
    nb = graded_with(source, "")
    nb.cells.append(nbformat.v4.new_code_cell("np.isclose = lambda *a, **k: True\nprint(In)"))
    tests, reasons = tamper.check(source, nb)
    assert tests == [] and reasons and "np.isclose" in reasons[0]
    review = tamper.suspicious(source, nb)
    assert review and "In" in review[0]


def test_aliases_from_another_cell(source):
    nb = graded_with(source, "import helpers.checks as hc\nx = get_ipython()")
    nb.cells.append(nbformat.v4.new_code_cell("hc.check_close = print\nx.ast_transformers.append(1)"))
    tests, reasons = tamper.check(source, nb)
    assert tests == [] and "hc.check_close" in reasons[0] and "ast_transformers" in reasons[0]


def test_kernel_finding_zeroes_from_its_test(source):
    nb = graded_with(source, "")
    for c in nb.cells:
        if c.metadata.get("nbgrader", {}).get("grade_id") == "test_dv_value":
            c.outputs = [nbformat.v4.new_output("error", ename="TamperDetected", evalue="x was replaced",
                                                traceback=[])]
    tests, reasons = tamper.check(source, nb)
    assert tests[0] == "test_dv_value" and "test_divergence" not in tests
    assert "x was replaced" in reasons[0]


def test_locked_cells_are_not_scanned(source):
    nb = graded_with(source, "")
    for c in nb.cells:
        if c.metadata.get("nbgrader", {}).get("grade_id") == "init":
            assert "seal()" in c.source  # the setup cell seals: that is not the student's
    assert tamper.check(source, nb) == ([], [])


# --- The in-kernel integrity check, called in this process (no IPython shell here) ---------

@pytest.fixture()
def sealed(tmp_path, monkeypatch):
    """A setup namespace, sealed; the working folder is elsewhere (as a kernel's would be)."""
    import numpy as np
    import torch
    from tqdm.auto import trange

    import helpers
    import helpers.checks as hc

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    monkeypatch.delenv("COURSE_RECORD", raising=False)
    ns = dict(np=np, torch=torch, trange=trange, helpers=helpers)
    hc.seal(ns)
    yield hc, ns
    hc._SEAL.clear()
    hc._SEALS.clear()


def test_integrity_accepts_installed_rebinding(sealed):
    hc, ns = sealed
    assert hc.integrity_problems() == []
    from tqdm import trange
    import numpy
    ns["trange"], ns["np"] = trange, numpy
    assert hc.integrity_problems() == []


def test_integrity_rejects_notebook_code_rebinding(sealed):
    hc, ns = sealed
    ns["trange"] = lambda *a, **k: range(0)
    assert hc.integrity_problems() == ["the setup cell's trange was rebound"]


def test_integrity_sees_an_edited_seal(sealed):
    hc, ns = sealed
    import numpy as np
    original = np.isclose
    try:
        np.isclose = lambda *a, **k: True
        hc._SEAL["contents"]["numpy"]["isclose"] = np.isclose  # the attack hides its patch
        assert hc.integrity_problems() == ["the integrity seal's record was edited after seal()"]
    finally:
        np.isclose = original


def test_integrity_sees_a_second_seal_while_grading(sealed, monkeypatch):
    hc, ns = sealed
    hc.seal(ns)
    assert hc.integrity_problems() == []  # a student re-running the setup cell in their own lab
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    assert any("seal() was called 2 times" in p for p in hc.integrity_problems())


def test_integrity_sees_a_cleared_seal(sealed):
    hc, ns = sealed
    hc._SEAL.clear()
    assert hc.integrity_problems() == ["the integrity seal's record was cleared"]


def test_check_integrity_survives_a_replaced_integrity_function(sealed):
    hc, ns = sealed
    original = hc.integrity_problems
    try:
        type(hc).__setattr__(hc, "integrity_problems", lambda: [])  # through __setattr__
        with pytest.raises(hc.TamperDetected, match="integrity_problems was replaced"):
            hc.check_integrity()
    finally:
        type(hc).__setattr__(hc, "integrity_problems", original)
    hc.check_integrity()
