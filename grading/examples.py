"""Example submissions, built from the release and the reference solution.

``examples/<assignment>.py`` defines ``SUBMISSIONS``: a dict from a student id
(named for what the submission does) to a spec:

- ``"from": "release"``: the untouched release, which must earn zero;
- otherwise the reference solution pasted into the release's answer cells,
  then ``"edits"``: ``{solution grade_id: [(old, new), ...]}`` text
  replacements that make a typical mistake (each ``old`` must occur);
- ``"lose"``: the autograded test cells that must score zero (all others must
  score full marks); ``"lose": "all"`` for every one.

Each student gets ``submitted/<student>/<assignment>/<assignment>.ipynb``.
"""
from __future__ import annotations

import runpy
from pathlib import Path
from typing import TYPE_CHECKING, Any, Collection

import nbformat

from . import cells

if TYPE_CHECKING:
    from nbformat import NotebookNode


SOLUTION_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")


def specs(course: str | Path, assignment: str) -> dict[str, dict[str, Any]]:
    """The example specs of an assignment, from ``course/examples/<assignment>.py`` ({} if none)."""
    path = Path(course) / "examples" / f"{assignment}.py"
    return runpy.run_path(str(path))["SUBMISSIONS"] if path.exists() else {}


def solution_text(source: str) -> str:
    """A solution cell as a student who got it right would leave it: markers dropped."""
    return "\n".join(ln for ln in source.splitlines()
                     if ln.strip() not in SOLUTION_MARKERS)


def make_submission(source_nb: str | Path, release_nb: str | Path, spec: dict[str, Any]) -> NotebookNode:
    """The notebook a student with this spec would hand in."""
    release = nbformat.read(str(release_nb), as_version=4)
    if spec.get("from") == "release":
        return release
    answers = {cells.grade_id(c): solution_text(c.source)
               for c in nbformat.read(str(source_nb), as_version=4).cells
               if cells.is_solution(c)}
    edits = dict(spec.get("edits", {}))
    for cell in release.cells:
        gid = cells.grade_id(cell)
        if gid not in answers:
            continue
        text = answers[gid]
        for old, new in edits.pop(gid, []):
            if old not in text:
                raise ValueError(f"edit for {gid!r}: {old!r} does not occur in the solution")
            text = text.replace(old, new)
        cell.source = text
    if edits:
        raise ValueError(f"edits name cells that are not answer cells: {sorted(edits)}")
    return release


def write_submissions(course: str | Path, assignment: str,
                      students: Collection[str] | None = None) -> dict[str, Path]:
    """Write the example submissions of an assignment (all, or those named) into ``course/submitted``."""
    course = Path(course)
    source_nb = course / "source" / assignment / f"{assignment}.ipynb"
    release_nb = course / "release" / assignment / f"{assignment}.ipynb"
    written = {}
    for student, spec in specs(course, assignment).items():
        if students is not None and student not in students:
            continue
        nb = make_submission(source_nb, release_nb, spec)
        out = course / "submitted" / student / assignment / f"{assignment}.ipynb"
        out.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, str(out))
        written[student] = out
    return written


def expected_scores(spec: dict[str, Any], max_scores: dict[str, float]) -> dict[str, float]:
    """{test grade_id: expected score} for a spec, given each test cell's max score."""
    lose = spec.get("lose", [])
    if spec.get("from") == "release" or lose == "all":
        return {cell: 0.0 for cell in max_scores}
    unknown = set(lose) - set(max_scores)
    if unknown:
        raise ValueError(f"'lose' names cells that are not autograded tests: {sorted(unknown)}")
    return {cell: 0.0 if cell in lose else float(pts) for cell, pts in max_scores.items()}
