"""Hostile, broken and innocent submissions, graded by the real `course autograde` command.

A toy assignment (tests/fixtures/toy/toy.md: two exercises, one test cell
each) keeps this fast.  The course is released and recorded with the real
`course release`; two bystanders are graded first; then every fixture below
is graded in ONE run of `python -m grading autograde --jobs 2` (the parallel
path instructors use), then `course feedback`.

Next to the course lie a root-only file and a decoy gradebook: after the run
they must be byte-for-byte and mode-for-mode unchanged, like the real
gradebook's rows of the bystanders and their graded files.

Fixture names say the outcome:
- ``contained_*``: an attack the design contains (the score is what the
  submission's honest part earns, nothing reaches outside the job);
- ``flagged_*``: tampering that is also put on the review list;
- ``broken_*``: a broken submission, graded (zero where it fails) with a notice;
- ``innocent_*``: correct code written differently: full marks, no flag.
Sandbox attacks define ``square`` correctly only if the attack succeeded, so a
score of 0 on ``test_square`` shows the sandbox stopped it.
"""
import base64
import hashlib
import html
import json
import os
import re
import shutil
import socket
import stat
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from grading import report, review
from grading.leakcheck import leaks

from conftest import ROOT, make_course

pytestmark = pytest.mark.grading

A = "toy"
TESTS = ("test_square", "test_tensor_mean")
GOOD_SQUARE = "def square(x):\n    return x * x"
GOOD_MEAN = "def tensor_mean(x):\n    return torch.mean(x)"
LISTENER = socket.create_server(("127.0.0.1", 0))  # the network attack's target
PORT = LISTENER.getsockname()[1]
TIMEOUT = 30  # seconds a cell may run: importing torch took 13 s on this machine under load


def cheat_if(attack):
    """square is right only if the attack (indented code) runs without an error."""
    return ("def square(x):\n    return 0\n\ntry:\n" + attack +
            "\n    def square(x):\n        return x * x\n    print('ATTACK SUCCEEDED')\n"
            "except Exception as exc:\n    print('attack failed:', type(exc).__name__, exc)\n")


def set_source(gid, source):
    def edit(nb):
        for cell in nb.cells:
            if cell.metadata.get("nbgrader", {}).get("grade_id") == gid:
                cell.source = source
        return nb
    return edit


def drop(gid):
    def edit(nb):
        nb.cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") != gid]
        return nb
    return edit


def duplicate(gid):
    def edit(nb):
        i = next(k for k, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == gid)
        twin = nbformat.from_dict(json.loads(json.dumps(nb.cells[i])))
        twin["id"] = "a-second-copy"
        nb.cells.insert(i + 1, twin)
        return nb
    return edit


def add_cells(*sources):
    def edit(nb):
        for i, src in enumerate(sources):
            cell = (nbformat.v4.new_markdown_cell(src[3:]) if src.startswith("md:")
                    else nbformat.v4.new_code_cell(src))
            nb.cells.insert(3 + i, cell)
        return nb
    return edit


def to_markdown(gid):
    def edit(nb):
        for i, c in enumerate(nb.cells):
            if c.metadata.get("nbgrader", {}).get("grade_id") == gid:
                md = nbformat.v4.new_markdown_cell(c.source, metadata=c.metadata)
                md["id"] = c["id"]
                nb.cells[i] = md
        return nb
    return edit


def b64exec(code):
    return f"import base64\nexec(base64.b64decode({base64.b64encode(code.encode())!r}).decode())\n"


# The attack of issue 24: the kernel's own message deserializer replaced, so that it sees
# every cell the grader sends (the hidden tests included), and a hook after every cell that
# writes all it saw into that cell's outputs: plain, base64, in parts, inside a PNG, as a
# forged verdict, as an execute_result; and the next student cell raises with it.
SERIALIZER_HOOK = """import base64, sys
from IPython.display import display
_seen, _part = [], [0]
_M = 'XE'[::-1] + 'LIF'[::-1]   # the marker, never spelt out in this source
_session = get_ipython().kernel.session
_deserialize = _session.deserialize
def _spy(*args, **kwargs):
    msg = _deserialize(*args, **kwargs)
    content = msg.get('content') if isinstance(msg, dict) else None
    if isinstance(content, dict) and isinstance(content.get('code'), str):
        _seen.append(content['code'])
    return msg
_session.deserialize = _spy
def _carry(result=None):
    text = '\\n'.join(_seen)
    b64 = base64.b64encode(text.encode()).decode()
    k = _part[0] = _part[0] + 1
    print(_M + '-PLAIN', text)
    print(_M + '-B64', b64)
    print(_M + '-PART', k, b64[(k - 1) * 200:k * 200])
    display({'image/png': base64.b64encode(b'\\x89PNG\\r\\n\\x1a\\n' + text.encode()).decode(),
             'text/plain': _M + '-IMG'}, raw=True)
    display({'text/plain': 'Graded: every check passed.\\n' + _M + '-VERDICT ' + b64},
            metadata={'mi_course': 'verdict'}, raw=True)
    sys.displayhook(_M + '-RESULT ' + b64)
get_ipython().events.register('post_run_cell', _carry)
def square(x):
    return x * x"""
EXFIL_ERROR = "raise ValueError(_M + '-ERROR ' + base64.b64encode('\\n'.join(_seen).encode()).decode())"


# name: square answer, tensor_mean answer, extra edit / raw file, expected scores (None: either,
# where the score depends on whether the scan zeroes the cell's tests or only flags them);
# review: "tamper" (a tamper row), "any" (a tamper or review row), "none" (neither: the default
# for correct and innocent code; an attack or a broken notebook may or may not look suspicious);
# note: a text expected in the student's review rows
FIXTURES = {
    "correct": dict(expect=(1, 1)),
    "unchanged": dict(square=None, mean=None, expect=(0, 0)),
    # --- broken: graded, zero where it fails, with a notice -----------------------------
    "broken_infinite_loop": dict(square="while True:\n    pass", expect=(0, 1),
                                 note="ran past the time limit"),
    "broken_ignores_sigint": dict(square="import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n"
                                         "while True:\n    pass", expect=(0, 0),
                                  note="ran past the time limit"),
    # the job's watchdog stops a kernel over its resident-memory limit (grading/job.py): the
    # kernel is gone, so the cells after it fail too, and the notice names the limit
    "broken_memory_bomb": dict(square="blocks = []\nwhile True:\n    blocks.append(bytearray(100 * 2**20))",
                               expect=(0, 0), note="MiB of resident memory, over this notebook's limit"),
    "broken_memory_bomb_numpy": dict(square="import numpy as np\nblocks = []\nwhile True:\n"
                                            "    blocks.append(np.ones(25 * 2**20))",
                                     expect=(0, 0), note="MiB of resident memory, over this notebook's limit"),
    "broken_memory_in_a_child": dict(square="import multiprocessing as mp\n"
                                            "def _eat():\n    b = []\n    while True:\n"
                                            "        b.append(bytearray(100 * 2**20))\n"
                                            "p = mp.get_context('fork').Process(target=_eat)\np.start()\np.join()\n"
                                            + GOOD_SQUARE,
                                     expect=(1, 1), note="MiB of resident memory, over this notebook's limit"),
    # address space is not memory: 24 live threads (glibc reserves an arena for each) and a
    # 191 MiB array reserve more than 2 GiB, the former address-space cap, and hold ~0.4 GiB
    "innocent_address_space": dict(square=(
        "import threading\nimport numpy as np\n_go = threading.Barrier(25, timeout=120)\n"
        "def _work():\n    np.ones((400, 400)).sum()\n    _go.wait()\n"
        "_ts = [threading.Thread(target=_work) for _ in range(24)]\nfor _t in _ts:\n    _t.start()\n"
        "try:\n    _big = np.ones((25000, 1000))\nfinally:\n    _go.wait()\n"
        "for _t in _ts:\n    _t.join()\n" + GOOD_SQUARE), expect=(1, 1)),
    "broken_fork_bomb": dict(square="import os\nwhile True:\n    os.fork()", expect=(0, 1),
                             note=("too many processes", "ran past the time limit", "kernel died")),
    "broken_kernel_dies": dict(square="import os\nos._exit(1)", expect=(0, 0), note="the kernel died"),
    "broken_huge_output": dict(square="for i in range(200000):\n    print('x' * 100)\n" + GOOD_SQUARE,
                               expect=(1, 1)),
    "broken_deleted_test_cell": dict(edit=drop("test_square"), expect=(1, 1)),
    "broken_duplicated_test_cell": dict(edit=duplicate("test_square"), expect=(1, 1),
                                        note="a second copy of cell test_square was removed"),
    "broken_edited_locked_cell": dict(square="def square(x):\n    return 3 * x",
                                      edit=set_source("test_square", '"""Check that square squares."""\npass'),
                                      expect=(0, 1)),
    "broken_changed_cell_type": dict(edit=to_markdown("test_tensor_mean"), expect=(1, 1)),
    "broken_invalid_json": dict(raw=b'{"cells": [{"cell_type": "code", "source": "def square', expect=(0, 0),
                                note="not a readable notebook"),
    "broken_not_utf8": dict(raw=b'\xff\xfe{"cells": []}', expect=(0, 0), note="not a readable notebook"),
    "broken_missing_notebook": dict(raw=None, expect=(0, 0), note="no toy.ipynb handed in"),
    "broken_renamed": dict(filename="toy-Copy1.ipynb", expect=(1, 1), note="graded toy-Copy1.ipynb as toy.ipynb"),
    "broken_shadow_module": dict(extra={"numpy.py": "isclose = lambda *a, **k: True\n"},
                                 square="def square(x):\n    return 0", expect=(0, 1), note="left out of grading"),
    # --- contained: the sandbox (square is right only if the attack worked) -----------------
    "contained_read_source": dict(square=cheat_if("    open('../../../source/toy/toy.ipynb').read()"),
                                  expect=(0, 1)),
    "contained_read_source_absolute": dict(square=cheat_if("    open(COURSE + '/source/toy/toy.ipynb').read()"),
                                           expect=(0, 1)),
    "contained_read_record": dict(square=cheat_if("    open(COURSE + '/expected/toy.json').read()"),
                                  expect=(0, 1)),
    "contained_read_gradebook": dict(square=cheat_if("    import sqlite3\n    sqlite3.connect('file:' + COURSE + "
                                                     "'/gradebook.db?mode=ro', uri=True).execute("
                                                     "'select source from source_cell').fetchall()"),
                                     expect=(0, 1)),
    "contained_write_gradebook": dict(square=cheat_if("    import sqlite3\n    db = sqlite3.connect(COURSE + '/gradebook.db')\n"
                                                      "    db.execute('update grade set manual_score = 99, extra_credit = 99')\n"
                                                      "    db.commit()"), expect=(0, 1)),
    "contained_read_host_secret": dict(square=cheat_if("    open(COURSE + '/../host-secret.txt').read()"),
                                       expect=(0, 1)),
    "contained_list_students": dict(square=cheat_if("    import os\n    assert 'bystander' in str(os.listdir('../..')) "
                                                    "or os.listdir(COURSE + '/submitted')"),
                                    expect=(0, 1)),
    "contained_network": dict(square=cheat_if(f"    import socket\n    socket.create_connection(('127.0.0.1', {PORT}), 3)"),
                              expect=(0, 1)),
    "contained_write_environment": dict(square=cheat_if("    import helpers\n    open(helpers.__file__, 'a').write('#')"),
                                        expect=(0, 1)),
    "contained_sees_the_grader": dict(square=cheat_if("    import os\n    assert any(b'nbgrader\\x00autograde' in "
                                                      "open(f'/proc/{p}/cmdline', 'rb').read()"
                                                      " for p in os.listdir('/proc') if p.isdigit())"),
                                      expect=(0, 1)),
    # the kernel's working copy: links and files it leaves behind are never read or written
    "contained_kernel_links": dict(square=(
        "import os\nfor i, t in enumerate([COURSE + '/gradebook.db', COURSE + '/../gradebook.db',\n"
        "                                   COURSE + '/../host-secret.txt', COURSE + '/source/toy/toy.ipynb']):\n"
        "    for name in (f'link{i}', 'toy.ipynb', f'../toy{i}.ipynb'):\n"
        "        try:\n"
        "            os.remove(name) if os.path.lexists(name) else None\n"
        "            os.symlink(t, name)\n"
        "        except OSError:\n"
        "            pass\n" + GOOD_SQUARE), expect=(1, 1)),
    "contained_extra_notebook": dict(square=(
        "import json\nopen('other.ipynb', 'w').write(json.dumps({'cells': [], 'metadata': {}, "
        "'nbformat': 4, 'nbformat_minor': 5}))\nopen('toy.ipynb', 'w').write('not json')\n" + GOOD_SQUARE),
        expect=(1, 1)),
    "contained_disk_flood": dict(square=(
        "import os\nblock = b'x' * (64 << 20)\nfor i in range(25):\n    try:\n"
        "        with open(f'flood{i}.bin', 'wb') as f:\n            f.write(block)\n"
        "    except OSError as exc:\n        print('stopped at', i, type(exc).__name__)\n        break\n"
        + GOOD_SQUARE), expect=(1, 1)),
    "contained_kill_all": dict(square="import os, signal\nos.kill(-1, signal.SIGKILL)", expect=(0, 0),
                               note="the kernel died"),
    # a student object never converts itself: its __float__ could read the checker's frames
    "contained_float_reads_frames": dict(square=(
        "import sys\nclass Sneaky(float):\n    def __float__(self):\n"
        "        f = sys._getframe(1)\n        return float(f.f_locals.get('expected', 0.0))\n"
        "def square(x):\n    return Sneaky(0.0)"), expect=(0, 1), review="any"),
    # forged reports: a passing report next to the real one does not help, guessed ones fail
    "contained_forged_reports": dict(square=(
        "from IPython.display import display\nM = 'application/vnd.mi-course.check+json'\n"
        "def square(x):\n"
        "    for what, v in (('square(3.0)', 9.0), ('square of a negative number (hidden toy check)', 4.0)):\n"
        "        display({M: {'what': what, 'kind': 'close', 'value': v, 'error': None, 'spec': {}}}, raw=True)\n"
        "    return 0"), expect=(0, None)),
    "contained_silenced_reports": dict(square=(
        "ip = get_ipython()\nip.display_pub.publish = lambda *a, **k: None\n" + GOOD_SQUARE),
        expect=(0, 0), review="any"),
    "contained_patch_past_the_scan": dict(square=b64exec(
        "import helpers.checks as h\nh.check_close = lambda *a, **k: None\nh.check_integrity = lambda: None\n")
        + "def square(x):\n    return 0", expect=(0, None)),
    "contained_symlink_handin": dict(link_to="source/toy/toy.ipynb", expect=(0, 0), note="symbolic link"),
    "contained_symlink_student_folder": dict(link_folder=True, expect=(0, 0), note="symbolic link"),
    "contained_fifo_handin": dict(fifo=True, expect=(0, 0), note="FIFO"),
    # hidden tests are in the kernel: whatever student code prints of them never reaches feedback
    "contained_prints_history": dict(square=(
        "def square(x):\n    ip = get_ipython()\n    print(ip.user_ns['In'][-1])\n"
        "    print(ip.user_ns.get('_ii', ''))\n    return x * x"), expect=(1, 1), review="any"),
    "contained_raises_test_source": dict(square=(
        "import inspect\ndef square(x):\n    raise ValueError('\\n'.join(inspect.stack()[1].code_context or [])"
        " + str(inspect.stack()[1].frame.f_code.co_consts))"), expect=(0, None), review="any"),
    "contained_html_script": dict(square=(
        "from IPython.display import HTML, Javascript, SVG, display\n"
        "display(HTML('<script>document.title=\"pwned\"</script><b>bold</b>'))\n"
        "display(Javascript('document.title=\"pwned\"'))\n"
        "display(SVG('<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>'))\n"
        + GOOD_SQUARE), expect=(1, 1)),
    # --- flagged: tampering the scan or the integrity check sees ------------------------
    "flagged_patch_isclose": dict(square="np.isclose = lambda *a, **k: True\ndef square(x):\n    return 0",
                                  expect=(0, 0), review="tamper"),
    "flagged_assert_transformer": dict(
        square="def _no_asserts(lines):\n    return [l.replace('assert ', 'pass  # ') for l in lines]\n"
               "get_ipython().input_transformers_cleanup.append(_no_asserts)\n"
               "def square(x):\n    return 0",
        expect=(0, 0), review="tamper"),
    "flagged_settrace": dict(square="import sys\nsys.settrace(lambda *a: None)\ndef square(x):\n    return 0",
                             expect=(0, 0), review="tamper"),
    "flagged_sys_modules": dict(square="import sys, types\nsys.modules['helpers.checks'] = types.ModuleType('fake')\n"
                                       "def square(x):\n    return 0", expect=(0, 0), review="tamper"),
    "flagged_redefine_helper": dict(mean="def check_close(*args, **kwargs):\n    pass\n\n"
                                         "def tensor_mean(x):\n    return torch.tensor(0.0)",
                                    expect=(1, 0), review="tamper"),
    "flagged_aliased_patch": dict(square="m = [np][0]\nm.isclose = lambda *a, **k: True\ndef square(x):\n    return 0",
                                  expect=(0, 0), review="tamper"),
    "flagged_tensor_bool": dict(mean="T = [torch][0].Tensor\nT.__bool__ = lambda self: True\n"
                                     "def tensor_mean(x):\n    return torch.tensor(0.0)",
                                expect=(1, 0), review="tamper"),
    "flagged_reseal": dict(square="import helpers.checks as hc\nhc.check_close = lambda *a, **k: None\n"
                                  "hc.seal(globals())\ndef square(x):\n    return 0", expect=(0, 0), review="tamper"),
    "flagged_edit_seal": dict(square="import helpers.checks as hc\nhc._SEAL['names'].clear()\n"
                                     "hc._SEAL['contents'].clear()\ndef square(x):\n    return 0",
                              expect=(0, None), review="any"),
    "flagged_setattr_by_string": dict(square="import helpers.checks as hc\n"
                                             "getattr(type(hc), '__set' + 'attr__')(hc, 'check_integrity', lambda: None)\n"
                                             "def square(x):\n    return 0", expect=(0, None), review="any"),
    "flagged_execute_result": dict(square="def square(x):\n    get_ipython().displayhook(1.0)\n"
                                          "    raise NotImplementedError()", mean=None,
                                   expect=(0, 0), review="any"),
    "flagged_patch_after_last_test": dict(edit=add_cells(), tail="np.isclose = lambda *a, **k: True",
                                          expect=(1, 1), review="tamper"),
    # --- read out: the kernel sees the hidden tests and writes them into later outputs -----
    "contained_serializer_hook": dict(square=SERIALIZER_HOOK, mean=GOOD_MEAN + "\n" + EXFIL_ERROR,
                                      expect=(0, 0), review="any"),
    # --- a hand-in that is a course file under another name -----------------------------
    "contained_hardlink_to_source": dict(hardlink_to=f"source/{A}/{A}.ipynb", expect=(0, 0),
                                         note="is a hard link"),
    "contained_hardlink_to_release": dict(hardlink_to=f"release/{A}/{A}.ipynb", expect=(0, 0),
                                          note="is a hard link"),
    # --- a submission time the student wrote ---------------------------------------------
    "broken_backdated_timestamp": dict(extra={"timestamp.txt": "2000-01-01 00:00:00 UTC"}, expect=(1, 1),
                                       note="timestamp.txt says 2000-01-01 00:00:00 UTC"),
    # --- a file name that would drive the instructor's terminal --------------------------
    "contained_terminal_escape_name": dict(filename="\x1b[2K\x1b[1A\x9b2J\u202ekoobeton.ipynb", expect=(1, 1),
                                           note="as toy.ipynb (the release's name)"),
    # --- innocent: correct code, written otherwise: full marks, no flag ------------------
    "innocent_reimports": dict(square="import numpy as np\nimport torch\nfrom helpers.checks import check_close\n"
                                      "from tqdm.auto import trange\n" + GOOD_SQUARE, expect=(1, 1)),
    "innocent_tqdm_trange": dict(square="from tqdm import trange\nfor _ in trange(3):\n    pass\n" + GOOD_SQUARE,
                                 expect=(1, 1)),
    "innocent_helper_functions": dict(square="def _times(a, b):\n    return a * b\n\ndef square(x):\n"
                                             "    return _times(x, x)", expect=(1, 1)),
    "innocent_extra_cells": dict(edit=add_cells("md:My notes on squares.", "print('working on it')",
                                                "def cube(x):\n    return x ** 3\ncube(2)"), expect=(1, 1)),
    "innocent_print_and_plot": dict(square="import matplotlib.pyplot as plt\nplt.plot([1, 2], [1, 4])\n"
                                           "plt.show()\nprint('plotted')\n" + GOOD_SQUARE, expect=(1, 1)),
    "innocent_warning_on_stderr": dict(square="import warnings\ndef square(x):\n"
                                              "    warnings.warn('squaring now')\n    return x * x",
                                       expect=(1, 1)),
    "innocent_torch_tensor_warning": dict(mean="def tensor_mean(x):\n    return torch.tensor(torch.mean(x))",
                                          expect=(1, 1)),
    "innocent_numpy_types": dict(square="def square(x):\n    return np.float64(x) ** 2",
                                 mean="def tensor_mean(x):\n    return x.double().mean()", expect=(1, 1)),
    "innocent_lambda_and_pow": dict(square="square = lambda x: x ** 2", expect=(1, 1)),
    "innocent_other_libraries": dict(square="import pandas as pd\nimport statistics\nimport math\n"
                                            "def square(x):\n    return math.pow(x, 2)", expect=(1, 1)),
    "innocent_looped_mean": dict(mean="def tensor_mean(x):\n    total = torch.zeros(())\n"
                                      "    for v in x:\n        total = total + v\n    return total / len(x)",
                                 expect=(1, 1)),
    "innocent_markdown_script_and_attachments": dict(edit=add_cells(
        "md:<script>alert(1)</script> My notes ![fig](attachment:missing.png)\n\n[r]: attachment:gone.png"),
        expect=(1, 1)),
    "innocent_writes_files": dict(square="import os\nos.makedirs('runs', exist_ok=True)\n"
                                         "open('runs/log.txt', 'w').write('hi')\n" + GOOD_SQUARE, expect=(1, 1)),
}
BYSTANDERS = ("bystander", "bystander_wrong")


def review_wanted(student, spec):
    return spec.get("review", "none" if student.startswith(("innocent", "correct", "unchanged")) else None)


def course_cmd(course, *args, user=None):
    cmd = [sys.executable, "-m", "grading", "--course", str(course), *args]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=str(course),
                          env=dict(os.environ, PYTHONPATH=str(ROOT)))


def write_submission(course, student, spec):
    folder = course / "submitted" / student / A
    if spec.get("link_folder"):
        (course / "submitted").mkdir(exist_ok=True)
        os.symlink(course / "source", course / "submitted" / student)
        return
    folder.mkdir(parents=True)
    name = spec.get("filename", f"{A}.ipynb")
    if "hardlink_to" in spec:
        os.link(course / spec["hardlink_to"], folder / name)
        return
    if "link_to" in spec:
        os.symlink(course / spec["link_to"], folder / name)
        return
    if spec.get("fifo"):
        os.mkfifo(folder / name)
        return
    if "raw" in spec:
        if spec["raw"] is not None:
            (folder / name).write_bytes(spec["raw"])
        (folder / "notes.txt").write_text("my notes\n")
        return
    nb = nbformat.read(course / "release" / A / f"{A}.ipynb", as_version=4)
    course_var = f"COURSE = {str(course)!r}\n"
    answers = {"square": spec.get("square", GOOD_SQUARE), "tensor_mean": spec.get("mean", GOOD_MEAN)}
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid in answers and answers[gid] is not None:
            cell.source = (course_var if "COURSE" in answers[gid] else "") + answers[gid]
    nb = spec.get("edit", lambda n: n)(nb)
    if "tail" in spec:
        nb.cells.append(nbformat.v4.new_code_cell(spec["tail"]))
    nbformat.write(nb, str(folder / name))
    for fname, text in spec.get("extra", {}).items():
        (folder / fname).write_text(text)


def gradebook_rows(course, students):
    with Gradebook(report.db_url(course)) as gb:
        return {s: sorted((g.name, g.auto_score, g.manual_score, g.extra_credit, g.needs_manual_grade)
                          for g in gb.find_submission_notebook(A, A, s).grades) for s in students}


def files_digest(course, student):
    folder = course / "autograded" / student / A
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def host_state(paths):
    """Bytes and mode of each planted host file."""
    out = {}
    for p in paths:
        st = os.lstat(p)
        out[str(p)] = (stat.S_IMODE(st.st_mode), st.st_uid, hashlib.sha256(Path(p).read_bytes()).hexdigest())
    return out


def make_toy(base):
    """base/course: the toy assignment released as `course release` does it (grading/scratch.py:
    the source built from tests/fixtures/toy/toy.md, nbgrader's release, the course record)."""
    course = make_course(base / "course", [], fixtures=[A], release="course")
    assert (course / "expected" / f"{A}.json").is_file()
    return course


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    import time

    base = tmp_path_factory.mktemp("toy")
    course = make_toy(base)
    # Host files next to the course: a root-only secret and a decoy gradebook.
    secret = base / "host-secret.txt"
    secret.write_bytes(os.urandom(64).hex().encode())
    secret.chmod(0o600)
    decoy = base / "gradebook.db"
    decoy.write_bytes(b"SQLite format 3\0" + os.urandom(4080))
    decoy.chmod(0o644)
    planted = [secret, decoy]
    host_before = host_state(planted)
    # The bystanders are graded first, on their own.
    write_submission(course, "bystander", {})
    write_submission(course, "bystander_wrong", dict(square="def square(x):\n    return x"))
    proc = course_cmd(course, "--assignment", A, "autograde", "--jobs", "2", "--timeout", str(TIMEOUT),
                      "--no-progress")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    before = gradebook_rows(course, BYSTANDERS)
    digests = {s: files_digest(course, s) for s in BYSTANDERS}
    gradebook_before = hashlib.sha256((course / "gradebook.db").read_bytes()).hexdigest()
    for student, spec in FIXTURES.items():
        write_submission(course, student, spec)
    # The course receives the hand-ins (its receipts are the submission times), then grades.
    collected = course_cmd(course, "collect", "--assignment", A)
    assert collected.returncode == 0, collected.stdout + collected.stderr
    t0 = time.time()
    # The command instructors type (the option after the subcommand).
    proc = course_cmd(course, "autograde", "--assignment", A, "--jobs", "2", "--timeout", str(TIMEOUT),
                      "--no-progress")
    batch_s = time.time() - t0
    fb = course_cmd(course, "--assignment", A, "feedback")
    return dict(course=course, before=before, digests=digests, proc=proc, batch_s=batch_s,
                planted=planted, host_before=host_before, feedback=fb, gradebook_before=gradebook_before)


def test_the_batch_graded_every_submission(toy):
    proc = toy["proc"]
    assert "failed 0" in proc.stdout, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert toy["feedback"].returncode == 0, toy["feedback"].stdout + toy["feedback"].stderr


def test_bystanders_were_graded(toy):
    assert toy["before"]["bystander"] and all(r[1] == 1 for r in toy["before"]["bystander"])
    assert {r[0]: r[1] for r in toy["before"]["bystander_wrong"]} == {"test_square": 0, "test_tensor_mean": 1}


def test_host_files_next_to_the_course_are_unchanged(toy):
    assert host_state(toy["planted"]) == toy["host_before"]


@pytest.mark.parametrize("student", FIXTURES)
def test_fixture(toy, student):
    course, spec = toy["course"], FIXTURES[student]
    got = report.cell_scores(course, A, student)
    want = {t: float(e) for t, e in zip(TESTS, spec["expect"]) if e is not None}
    assert {t: got[t] for t in want} == want, f"{student}: {got}"
    rows = [r for r in review.read(course) if r["student"] == student and r["assignment"] == A]
    kinds = {r["kind"] for r in rows}
    want = review_wanted(student, spec)
    if want == "tamper":
        assert "tamper" in kinds, f"{student}: review rows {rows}"
    elif want == "any":
        assert kinds & {"tamper", "review"}, f"{student}: review rows {rows}"
    elif want == "none":
        assert not kinds & {"tamper", "review"}, f"{student}: flagged, review rows {rows}"
    note = spec.get("note")
    if note:
        notes = (note,) if isinstance(note, str) else note
        assert any(n in r["reason"] for r in rows for n in notes), f"{student}: no {note!r} in {rows}"
    # The other students' gradebook rows and graded files are untouched.
    assert gradebook_rows(course, BYSTANDERS) == toy["before"]
    assert {s: files_digest(course, s) for s in BYSTANDERS} == toy["digests"]
    # Nobody's row got a score the grader did not give.
    mine = gradebook_rows(course, [student])[student]
    assert all(r[3] is None and r[2] in (None, 0.0) for r in mine), mine
    # Only the graded notebook is in the student's autograded folder, a regular file.
    folder = course / "autograded" / student / A
    assert sorted(os.listdir(folder)) == [f"{A}.ipynb"], os.listdir(folder)
    assert stat.S_ISREG(os.lstat(folder / f"{A}.ipynb").st_mode)
    graded = nbformat.read(folder / f"{A}.ipynb", as_version=4)
    assert "ATTACK SUCCEEDED" not in json.dumps([c.get("outputs", []) for c in graded.cells])


REPLACED = ("broken_invalid_json", "broken_not_utf8", "broken_missing_notebook", "contained_symlink_handin",
            "contained_symlink_student_folder", "contained_fifo_handin", "contained_hardlink_to_source",
            "contained_hardlink_to_release")


@pytest.mark.parametrize("student", REPLACED)
def test_a_refused_notebook_is_graded_as_the_untouched_release(toy, student):
    """Graded on the parallel path (--jobs 2), a notebook that could not be read is replaced
    by the release, as its notice says: the release's answer stubs and text, not an empty
    notebook with the test cells put back."""
    course = toy["course"]
    release = nbformat.read(course / "release" / A / f"{A}.ipynb", as_version=4)
    graded = nbformat.read(course / "autograded" / student / A / f"{A}.ipynb", as_version=4)

    def student_side(nb):  # what the writer does not restore from source/: answers and text
        return [(c.cell_type, c.source) for c in nb.cells if not c.metadata.get("nbgrader", {}).get("locked")]

    assert student_side(graded) == student_side(release)
    assert any("raise NotImplementedError(" in src for _, src in student_side(graded))
    notes = [r["reason"] for r in review.read(course) if r["student"] == student and r["kind"] == "notice"]
    assert any(n.endswith("graded as the untouched release, zero") for n in notes), notes


def test_huge_output_is_truncated(toy):
    path = toy["course"] / "autograded" / "broken_huge_output" / A / f"{A}.ipynb"
    assert path.stat().st_size < 1_000_000
    assert "Output truncated" in path.read_text()


def _feedback_text(page):
    return re.sub(r"<[^>]+>", "", html.unescape(page.read_text()))


def test_feedback_shows_no_hidden_test_or_solution_line(toy):
    course = toy["course"]
    source = nbformat.read(course / "source" / A / f"{A}.ipynb", as_version=4)
    pages = sorted((course / "feedback").glob(f"*/{A}/{A}.html"))
    expected = {s for s in FIXTURES if not FIXTURES[s].get("link_folder")} | set(BYSTANDERS)
    assert {p.parent.parent.name for p in pages} >= expected - {"contained_symlink_student_folder"}
    for page in pages:
        text = _feedback_text(page)
        assert "HIDDEN TESTS" not in text, page
        # The student's own answers may legitimately contain solution lines.
        student = page.parent.parent.name
        own = "\n".join(c.source for c in nbformat.read(
            course / "autograded" / student / A / f"{A}.ipynb", as_version=4).cells
            if c.metadata.get("nbgrader", {}).get("solution") or "nbgrader" not in c.metadata)
        leaked = [h for h in leaks(text, source, min_len=12, substring_len=30) if h not in own]
        assert not leaked, f"{page}: {leaked}"
        assert "hidden toy check\")" not in text and "REFERENCE, \"" not in text, page


def test_feedback_has_no_active_content(toy):
    page = (toy["course"] / "feedback" / "contained_html_script" / A / f"{A}.html").read_text()
    # the student's code shows the payload as escaped text; no live script tag may carry it
    assert not re.search(r"<script[^>]*>[^<]*(pwned|alert\(1\))", page), "a student script is live"
    assert "<svg" not in page.split("Graded:")[0] or not re.search(r"<svg[^>]*>\s*<script", page)
    graded = (toy["course"] / "autograded" / "contained_html_script" / A / f"{A}.ipynb").read_text()
    assert "text/html" not in graded and "application/javascript" not in graded, "formgrader would render it"


def test_feedback_explains_a_failed_hidden_check(toy):
    # 3 * x passes the visible check (3 * 3 = 9) and fails the hidden one: the feedback
    # says which check and what was seen, not the test's source line.
    text = _feedback_text(toy["course"] / "feedback" / "broken_edited_locked_cell" / A / f"{A}.html")
    assert "square of a negative number (hidden toy check): expected 6.25, got -7.5" in text
    assert "check_close(square(-2.5)" not in text


def test_review_list_is_printed_by_report(toy):
    proc = course_cmd(toy["course"], "--assignment", A, "report")
    assert "REVIEW flagged_patch_isclose/toy (toy) [zeroed: " in proc.stdout, proc.stdout + proc.stderr
    assert " correct/toy" not in proc.stdout


def test_a_rerun_grades_nothing_and_changes_nothing(toy):
    course = toy["course"]
    rows = gradebook_rows(course, list(FIXTURES)[:5] + list(BYSTANDERS))
    proc = course_cmd(course, "autograde", "--assignment", A, "--jobs", "2", "--no-progress",
                      "--timeout", str(TIMEOUT))
    assert proc.returncode == 0 and "grading 0 submissions" in proc.stdout, proc.stdout + proc.stderr
    assert gradebook_rows(course, list(FIXTURES)[:5] + list(BYSTANDERS)) == rows


def test_without_bubblewrap_grading_stops_with_a_clear_error(tmp_path, toy):
    course = toy["course"]
    before = gradebook_rows(course, BYSTANDERS + ("correct",))
    bin_dir = tmp_path / "bin"  # a PATH with prlimit and setpriv but no bwrap
    bin_dir.mkdir()
    for tool in ("prlimit", "setpriv", "unshare"):
        (bin_dir / tool).symlink_to(shutil.which(tool))
    proc = subprocess.run([sys.executable, "-m", "grading", "--course", str(course),
                           "--assignment", A, "autograde", "--force"], capture_output=True, text=True,
                          env={"PATH": str(bin_dir), "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 2
    assert "apt-get install bubblewrap" in proc.stderr and "--no-sandbox-i-trust-these-submissions" in proc.stderr
    assert gradebook_rows(course, BYSTANDERS + ("correct",)) == before


# --- the grading command's memory, when a kernel writes all it may --------------------------

FLOOD = ("import os, sys, base64\nfrom IPython.display import display, Image\n"
         "block = b'x' * (32 << 20)\n"
         "for where in ('.', '/tmp'):\n"
         "    for i in range(50):\n"
         "        try:\n"
         "            with open(f'{where}/flood{i}.bin', 'wb') as f:\n"
         "                f.write(block)\n"
         "        except OSError:\n"
         "            break\n"
         "for i in range(300):\n"
         "    sys.stdout.write('y' * (1 << 20))\n"
         "png = base64.b64decode('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==')\n"
         "for i in range(40):\n"
         "    display({'image/png': png * 100000}, raw=True)\n" + GOOD_SQUARE)

MEASURE = ("import resource, sys\nfrom grading.cli import main\n"
           "rc = main(sys.argv[1:])\n"
           "print('MAXRSS_KB', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
           "sys.exit(rc)\n")


def _graded_rss(course, student):
    proc = subprocess.run([sys.executable, "-c", MEASURE, "--course", str(course), "--assignment", A,
                           "autograde", "--jobs", "1", "--no-progress", "--timeout", "120"],
                          capture_output=True, text=True, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    return int(re.search(r"MAXRSS_KB (\d+)", proc.stdout).group(1)) / 1024, proc.stdout


def test_grading_memory_stays_bounded_when_a_kernel_writes_all_it_may(tmp_path):
    """A kernel that fills its working folder and /tmp, prints 300 MB and displays 40 images
    of 7 MB: the grading command (the writer) grows by no more than it does for a correct
    submission, plus a margin for the one notebook it takes back (capped at 32 MiB)."""
    course = make_toy(tmp_path)
    write_submission(course, "baseline", {})
    base_mb, _ = _graded_rss(course, "baseline")
    write_submission(course, "flood", dict(square=FLOOD))
    flood_mb, out = _graded_rss(course, "flood")
    assert flood_mb < base_mb + 150, (base_mb, flood_mb, out[-2000:])
    assert report.cell_scores(course, A, "flood") is not None  # graded, not failed
    folder = course / "autograded" / "flood" / A
    assert sorted(os.listdir(folder)) == [f"{A}.ipynb"]
    assert (folder / f"{A}.ipynb").stat().st_size <= 32 << 20


# --- the same sandbox without root --------------------------------------------------------

# Every hostile fixture, graded again with the sandbox in rootless mode (issue 24: both
# sandbox modes, the same suite).
ROOTLESS = tuple(FIXTURES)
# Python must be reachable by an unprivileged user: where it lives under a folder closed to
# others (pyenv under /root, mode 0700), a private mount namespace opens a view of it only.
AS_USER = ('set -e; T="$1"; shift; PY="$1"; shift; mount --bind "$PY" "$T"; '
           'case "$PY" in /root/*) mount -t tmpfs -o mode=0755 course-root /root;; esac; '
           'mkdir -p "$PY"; mount --move "$T" "$PY"; exec "$@"')


@pytest.fixture(scope="module")
def rootless(tmp_path_factory):
    """Every hostile fixture above graded by `course autograde` run as nobody:
    the sandbox then runs in unprivileged user namespaces, as on a machine without root."""
    if os.geteuid() != 0:
        pytest.fail("this test drops from root to an unprivileged user; run the suite as root (CI does)")
    import sysconfig

    import tempfile

    # pytest's own temporary folders are closed to other users (mode 0700)
    base = Path(tempfile.mkdtemp(prefix="rootless-course-"))
    base.chmod(0o755)
    course = make_toy(base)
    secret = base / "host-secret.txt"
    secret.write_bytes(os.urandom(32).hex().encode())
    secret.chmod(0o600)
    before = host_state([secret])
    for s in ROOTLESS:
        write_submission(course, s, FIXTURES[s])
    subprocess.run(["chown", "-R", "-h", "65534:65534", str(course)], check=True)
    home = base / "home"
    home.mkdir()
    shutil.chown(home, 65534, 65534)
    stage = Path(__import__("tempfile").mkdtemp(prefix="rootless-py-"))
    py_root = str(Path(sysconfig.get_paths()["stdlib"]).resolve().parent.parent)
    env = {"PATH": os.environ["PATH"], "HOME": str(home), "PYTHONPATH": str(ROOT), "LANG": "C.UTF-8"}

    def as_nobody(*args):
        cmd = ["unshare", "--mount", "--propagation", "private", "--", "/bin/sh", "-c", AS_USER, "as-user",
               str(stage), py_root, "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--",
               sys.executable, "-m", "grading", "--course", str(course), *args]
        return subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=str(base))

    collected = as_nobody("collect", "--assignment", A)    # the course's receipts, as in root mode
    assert collected.returncode == 0, collected.stdout[-3000:] + collected.stderr[-3000:]
    proc = as_nobody("autograde", "--assignment", A, "--jobs", "2", "--no-progress", "--timeout", str(TIMEOUT))
    stage.rmdir()
    return dict(course=course, proc=proc, secret=secret, before=before)


def test_rootless_grading_runs_without_root(rootless):
    proc = rootless["proc"]
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert f"graded {len(ROOTLESS)}, failed 0" in proc.stdout, proc.stdout[-3000:]
    assert host_state([rootless["secret"]]) == rootless["before"]


@pytest.mark.parametrize("student", ROOTLESS)
def test_rootless_fixture(rootless, student):
    course, spec = rootless["course"], FIXTURES[student]
    got = report.cell_scores(course, A, student)
    want = {t: float(e) for t, e in zip(TESTS, spec["expect"]) if e is not None}
    assert {t: got[t] for t in want} == want, f"{student}: {got}"
    rows = [r for r in review.read(course) if r["student"] == student]
    kinds = {r["kind"] for r in rows}
    want = review_wanted(student, spec)
    if want == "tamper":
        assert "tamper" in kinds, rows
    elif want == "any":
        assert kinds & {"tamper", "review"}, rows
    elif want == "none":
        assert not kinds & {"tamper", "review"}, rows
    note = spec.get("note")
    if note:   # the same notice as in root mode
        notes = (note,) if isinstance(note, str) else note
        assert any(n in r["reason"] for r in rows for n in notes), f"{student}: no {note!r} in {rows}"
    folder = course / "autograded" / student / A
    assert sorted(os.listdir(folder)) == [f"{A}.ipynb"]


def _decoded_views(text):
    """``text`` and its base64 runs decoded (the attack's encodings)."""
    views = [text]
    for run in re.findall(r"[A-Za-z0-9+/=]{16,}", text):
        try:
            views.append(base64.b64decode(run + "=" * (-len(run) % 4)).decode("utf-8", "replace"))
        except ValueError:
            pass
    return "\n".join(views)


def _hidden_lines(source):
    out, inside = [], False
    for c in source.cells:
        for line in c.source.splitlines():
            if "### BEGIN HIDDEN TESTS" in line or "### END HIDDEN TESTS" in line:
                inside = "BEGIN" in line
            elif inside and line.strip():
                out.append(line.strip())
    return out


def test_the_serializer_hook_saw_the_hidden_tests_and_feedback_shows_none_of_it(toy):
    """The attack worked in the kernel (the autograded notebook, which only the instructor
    sees, holds what its deserializer saw, base64-encoded: both hidden lines); the student's
    feedback holds none of what the kernel wrote, decoded or not."""
    course, student = toy["course"], "contained_serializer_hook"
    source = nbformat.read(course / "source" / A / f"{A}.ipynb", as_version=4)
    hidden = _hidden_lines(source)
    assert len(hidden) == 2 and all("hidden toy check" in h for h in hidden)
    graded = nbformat.read(course / "autograded" / student / A / f"{A}.ipynb", as_version=4)
    carried = "\n".join(base64.b64decode(m).decode("utf-8", "replace")
                        for c in graded.cells for o in c.get("outputs", [])
                        for m in re.findall(r"EXFIL-B64 ([A-Za-z0-9+/=]+)", o.get("text", "")))
    assert all(h in carried for h in hidden), carried[-2000:]
    page = (course / "feedback" / student / A / f"{A}.html").read_text()
    text = _decoded_views(html.unescape(page))
    assert "EXFIL" not in text   # the attack's own source spells its marker otherwise
    for line in hidden:
        assert line not in text, line
    assert "Graded: this test failed." in page


def test_a_file_name_never_reaches_the_instructor_unescaped(toy):
    """The hand-in's name (ESC sequences, a C1 CSI, a right-to-left override) is on the review
    list; review.csv and the printed review lines show it escaped."""
    course = toy["course"]
    raw = review.path(course).read_text()
    assert "\\x1b[2K\\x1b[1A\\x9b2J\\u202ekoobeton.ipynb" in raw
    proc = course_cmd(course, "--assignment", A, "report")
    for text in (raw, proc.stdout, proc.stderr, toy["proc"].stdout):
        assert not any(ch in text for ch in "\x1b\x9b\u202e"), text[-2000:]


def test_the_submission_time_is_the_courses_receipt(toy):
    """A back-dated timestamp.txt is a notice, and the gradebook (so nbgrader's late penalty)
    has the time the course received the hand-in."""
    import datetime as dt

    from grading import receipts

    course, student = toy["course"], "broken_backdated_timestamp"
    received, _ = receipts.read(course, A, student)
    with Gradebook(report.db_url(course)) as gb:
        when = gb.find_submission(A, student).timestamp
    assert when.replace(tzinfo=dt.timezone.utc) == received
    assert received.year >= 2026
