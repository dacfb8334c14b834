"""The notebooks: master and source agree, no outputs committed, release leaks nothing."""
import json
import subprocess

import nbformat
import pytest

from grading import build, nbg
from grading.leakcheck import BEGIN, END, leaks, secret_lines
from grading.paths import assignments

from conftest import ROOT, make_course

ASSIGNMENTS = assignments(ROOT)


@pytest.mark.fast
def test_there_are_notebooks():
    assert "01_dv" in ASSIGNMENTS


@pytest.mark.fast
def test_source_is_built_from_the_master_copies(root):
    stale = build.stale(root)
    assert not stale, f"out of date (run `make build`): {[str(p) for p in stale]}"


@pytest.mark.fast
def test_no_committed_notebook_has_outputs(root):
    files = subprocess.run(["git", "ls-files", "*.ipynb"], cwd=root, capture_output=True,
                           text=True, check=True).stdout.split()
    assert files, "no notebooks are committed"
    for f in files:
        nb = json.loads((root / f).read_text())
        for cell in nb["cells"]:
            assert not cell.get("outputs") and cell.get("execution_count") is None, (
                f"{f}: cell {cell.get('id')} carries outputs")


@pytest.mark.fast
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_nbgrader_metadata_is_consistent(root, assignment):
    nb = nbformat.read(build.source_path(assignment, root), as_version=4)
    ids = [c.metadata["nbgrader"]["grade_id"] for c in nb.cells if "nbgrader" in c.metadata]
    assert len(ids) == len(set(ids)) == len(nb.cells), "every cell needs a unique grade_id"
    for cell in nb.cells:
        meta = cell.metadata["nbgrader"]
        if cell.cell_type == "code" and meta["grade"]:
            assert meta["locked"] and meta["points"] > 0 and not meta["solution"]
            first = cell.source.lstrip().splitlines()[0]
            assert first.startswith('"""Check that'), f"{meta['grade_id']}: opens with {first!r}"
        if meta["solution"]:
            assert not meta["locked"]
        if BEGIN in cell.source:
            assert meta["grade"] and END in cell.source


@pytest.mark.fast
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_has_no_solutions_or_hidden_tests(root, assignment):
    src = nbformat.read(build.source_path(assignment, root), as_version=4)
    released = (root / "release" / assignment / f"{assignment}.ipynb").read_text()
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN", "END HIDDEN"):
        assert marker not in released
    text = "\n".join(c.source for c in nbformat.reads(released, as_version=4).cells)
    assert len(secret_lines(src)) >= 10, "the leak check found almost nothing to look for"
    leaked = leaks(text, src)
    assert not leaked, f"release/{assignment} contains solution or hidden-test lines: {leaked[:5]}"


@pytest.mark.fast
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_stub_says_in_one_sentence_what_to_do(root, assignment):
    """An untouched exercise stops with a message that says what to do, not a bare
    ``NotImplementedError:`` (nbgrader's ClearSolutions.code_stub in nbgrader_config.py)."""
    nb = nbformat.read(root / "release" / assignment / f"{assignment}.ipynb", as_version=4)
    stubs = [c.source for c in nb.cells if c.cell_type == "code" and "# YOUR CODE HERE" in c.source]
    assert stubs, f"{assignment}: no exercise stub in the release"
    for src in stubs:
        assert "raise NotImplementedError()" not in src
        assert 'raise NotImplementedError("not written yet: replace this line with your code' in src, src


@pytest.mark.grading
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_is_what_nbgrader_generates(root, tmp_path, assignment):
    course = make_course(tmp_path / "course", [assignment])
    nbg.generate_assignment(course, assignment)
    fresh = (course / "release" / assignment / f"{assignment}.ipynb").read_text()
    committed = (root / "release" / assignment / f"{assignment}.ipynb").read_text()
    assert fresh == committed, "release/ is stale: run `make release` and commit it"


@pytest.mark.fast
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_record_of_expected_values_is_current(root, assignment):
    """expected/<assignment>.json was made from the test cells as they are now (`course record`),
    and every graded test cell has at least one recorded check."""
    import nbformat

    from grading import cells, verdicts

    record = verdicts.load_record(root, assignment)  # RecordError when missing or stale
    source = nbformat.read(root / "source" / assignment / f"{assignment}.ipynb", as_version=4)
    tests = {c.metadata["nbgrader"]["grade_id"] for c in source.cells if cells.is_test_cell(c)}
    assert set(record[f"{assignment}.ipynb"]) == tests
    assert all(record[f"{assignment}.ipynb"][t] for t in tests)


REFERENCES = ROOT / "docs" / "references.md"


def _entries(text):
    import re
    return dict(re.findall(r"^- \*\*\[(\w+)\]\*\* (.*)$", text, re.M))


@pytest.mark.fast
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_references_cell_lists_exactly_the_cited_keys(root, assignment):
    import re
    nb = nbformat.read(build.source_path(assignment, root), as_version=4)
    bibliography = _entries(REFERENCES.read_text())
    cells = {c.metadata["nbgrader"]["grade_id"]: c for c in nb.cells}
    assert "references" in cells, f"{assignment}: no locked `references` cell"
    listed = _entries(cells["references"].source)
    text = "\n".join(c.source for gid, c in cells.items() if gid != "references")
    cited = set(re.findall(r"\[([A-Z][A-Za-z]+\d{4})\]", text))
    assert set(listed) == cited, (f"{assignment}: cited but not listed {sorted(cited - set(listed))}, "
                                  f"listed but not cited {sorted(set(listed) - cited)}")
    for key, entry in listed.items():
        assert bibliography.get(key) == entry, f"{assignment}: [{key}] differs from docs/references.md"
    prose = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert not re.search(r"(?<=[ (])\[\d\](?=[ ,.:)])", prose), f"{assignment}: a numbered citation is left"


@pytest.mark.fast
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_hand_graded_answer_has_a_rubric_that_adds_up(root, assignment):
    """A rubric of 2-4 items, each with its points, summing to the question's points;
    it sits in the answer cell, which the release replaces (checked by the leak tests)."""
    import re
    nb = nbformat.read(build.source_path(assignment, root), as_version=4)
    for cell in nb.cells:
        meta = cell.metadata["nbgrader"]
        if cell.cell_type != "markdown" or not (meta["grade"] and meta["solution"]):
            continue
        head = re.search(r"^\*\*Rubric \((\d+) points?\)\*\*$", cell.source, re.M)
        assert head, f"{assignment}/{meta['grade_id']}: no **Rubric (N points)** in the answer cell"
        items = [float(p) for p in re.findall(r"^- (\d+(?:\.\d+)?) points?: ", cell.source[head.end():], re.M)]
        assert 2 <= len(items) <= 4, f"{assignment}/{meta['grade_id']}: {len(items)} rubric items"
        assert sum(items) == float(head.group(1)) == meta["points"], (
            f"{assignment}/{meta['grade_id']}: items {items}, rubric {head.group(1)}, cell {meta['points']}")


@pytest.mark.fast
def test_markdown_with_a_cut_tex_command_is_rejected():
    from grading.build import markdown_defects
    assert markdown_defects("$D = \\E\\left[\\log x\\right]$ is fine, `$` in code too, $$a\nb$$.") == []
    assert markdown_defects("$D = \\E\\left[\\log x\night]$ is the divergence")  # "\r" became a newline
    assert markdown_defects("$D = \\E\\left[\\log x\right]$")                      # a carriage return
    assert markdown_defects("$\theta$ and $\frac12$ and $\beta$")                 # tab, form feed, backspace
    assert markdown_defects("a price of 5\\$ is text") == []


@pytest.mark.fast
def test_the_build_refuses_a_master_with_broken_markdown(tmp_path):
    from grading.build import to_source
    from grading.errors import CourseError
    md = tmp_path / "x.md"
    md.write_text("---\njupytext:\n  text_representation:\n    extension: .md\n    format_name: myst\n"
                  "---\n\nThe divergence $\\E\\left[\\log x\night]$ here.\n")
    with pytest.raises(CourseError, match="inline math"):
        to_source(md)


@pytest.mark.fast
def test_the_student_readme_names_every_released_notebook(root):
    text = (root / "student" / "README.md").read_text()
    released = sorted(p.name for p in (root / "release").iterdir() if p.is_dir())
    assert len(released) >= 6
    missing = [a for a in released if f"`{a}`" not in text]
    assert not missing, f"student/README.md does not name {missing}"
