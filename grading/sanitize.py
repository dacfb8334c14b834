"""Outputs that fail closed: a notebook made inert for an HTML view (``sanitize_notebook``),
and every output that holds a secret replaced by a visible note (``scrub_outputs``).

Pure functions on in-memory notebooks (grading/feedback.py runs them in
``nbgrader generate_feedback``; the grader's writer sanitizes the autograded
notebook that formgrader renders).
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from .leakcheck import normalize
from .verdicts import REPORT_MIME  # (= helpers.checks.REPORT_MIME)

if TYPE_CHECKING:
    from nbformat import NotebookNode

NOTE_LEAK = "output removed: it contained hidden test text"
NOTE_UNCHECKED = "output removed: the source notebook could not be read to check it"
SAFE_MIMES = ("text/plain", "image/png", "image/jpeg")
_BASE64 = re.compile(r"^[A-Za-z0-9+/=\s]*$")
_SAFE_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")
_MAGIC = {"image/png": b"\x89PNG\r\n\x1a\n", "image/jpeg": b"\xff\xd8\xff"}


def _output_text(out: dict[str, Any]) -> str:
    """All the text an output carries (what could show a secret once rendered)."""
    import json

    kind = out.get("output_type")
    if kind == "stream":
        return str(out.get("text", ""))
    if kind == "error":
        return "\n".join([str(out.get("ename", "")), str(out.get("evalue", "")),
                          *map(str, out.get("traceback", []) or [])])
    parts = []
    for mime, value in (out.get("data") or {}).items():
        if mime in _MAGIC:
            continue  # checked as an image in _clean_data
        parts.append(value if isinstance(value, str) else
                     "".join(value) if isinstance(value, list) and all(isinstance(v, str) for v in value)
                     else json.dumps(value, default=str))
    return "\n".join(parts)


def _note(text: str = NOTE_LEAK) -> NotebookNode:
    import nbformat
    return nbformat.v4.new_output("stream", name="stdout", text=f"[{text}]\n")


def _replacement(out: dict[str, Any], note: str = NOTE_LEAK) -> NotebookNode:
    """The visible note that stands for a removed output (an error stays an error)."""
    import nbformat

    if out.get("output_type") == "error":
        ename = str(out.get("ename", "Error"))
        if not ename.isidentifier() or len(ename) > 60:
            ename = "Error"
        return nbformat.v4.new_output("error", ename=ename, evalue=f"[{note}]",
                                      traceback=[f"{ename}: [{note}]"])
    return _note(note)


def _is_report(out: dict[str, Any]) -> bool:
    return REPORT_MIME in (out.get("data") or {})


def _leaking(outputs: list[dict[str, Any]], patterns: list[str]) -> set[int]:
    """Indices (into ``outputs``) of the outputs that hold a secret or part of one.

    The outputs' normalized texts are concatenated in order, so a secret split
    across outputs (and cells) is found; every output overlapping a match counts.
    """
    texts = [normalize(_output_text(o)) for o in outputs]
    starts, pos = [], 0
    for t in texts:
        starts.append(pos)
        pos += len(t)
    stream = "".join(texts)
    hit = set()
    for p in patterns:
        at = stream.find(p)
        while at != -1:
            end = at + len(p)
            hit |= {i for i, (s, t) in enumerate(zip(starts, texts)) if s < end and s + len(t) > at}
            at = stream.find(p, at + 1)
    return hit


def _valid_image(mime: str, value: object) -> bool:
    import base64
    import binascii

    if not isinstance(value, str) or not _BASE64.match(value):
        return False
    try:
        raw = base64.b64decode("".join(value.split())[:64] + "==", validate=False)
    except (binascii.Error, ValueError):
        return False
    return raw.startswith(_MAGIC[mime])


def _as_text(value: object) -> str:
    import json

    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "".join(value)
    return json.dumps(value, indent=1, default=str)


def _clean_output(out: dict[str, Any], keep_reports: bool = True) -> dict[str, Any] | None:
    """One output made inert: only text/plain and real PNG/JPEG images stay; any other
    MIME type is shown as its text; metadata keeps image sizes and the grader's tag.
    Returns the output, or None to drop it."""
    kind = out.get("output_type")
    if kind in ("display_data", "execute_result", "update_display_data"):
        data = out.get("data") or {}
        if REPORT_MIME in data:
            if not keep_reports:
                return None
            out["data"] = {REPORT_MIME: data[REPORT_MIME]}
            out["metadata"] = {}
            return out
        clean = {}
        for mime in ("image/png", "image/jpeg"):
            if mime in data and _valid_image(mime, data[mime]):
                clean[mime] = "".join(data[mime].split())
        if "text/plain" in data:
            clean["text/plain"] = _as_text(data["text/plain"])
        else:
            shown = [(m, v) for m, v in data.items() if m not in SAFE_MIMES]
            if shown:
                mime, value = shown[0]
                clean["text/plain"] = f"[{mime} shown as text]\n{_as_text(value)}"
        if not clean:
            clean["text/plain"] = "[output removed: no safe form to show it in]"
        out["data"] = clean
        meta = out.get("metadata") or {}
        safe_meta = {}
        for mime in ("image/png", "image/jpeg"):
            sizes: Any = meta.get(mime) if isinstance(meta.get(mime), dict) else {}
            sizes = {k: v for k, v in sizes.items() if k in ("width", "height")
                     and type(v) in (int, float)}
            if mime in clean and sizes:
                safe_meta[mime] = sizes
        if isinstance(meta.get("mi_course"), str) and _SAFE_NAME.match(meta["mi_course"]):
            safe_meta["mi_course"] = meta["mi_course"]
        out["metadata"] = safe_meta
        if kind == "update_display_data":
            out["output_type"] = "display_data"
        out.pop("transient", None)
    elif kind == "stream":
        out["name"] = "stderr" if out.get("name") == "stderr" else "stdout"
        out["text"] = _as_text(out.get("text", ""))
    elif kind == "error":
        out["ename"] = str(out.get("ename", ""))
        out["evalue"] = str(out.get("evalue", ""))
        out["traceback"] = [str(t) for t in (out.get("traceback") or [])]
    else:
        return _note(f"output removed: unknown output type {str(kind)[:40]!r}")
    return out


_LINK_TARGET = re.compile(r"(\]\(\s*<?|^\s*\[[^\]\n]+\]:\s*<?)([^\s)>]*)", re.M)
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")


_BARE_AMP = re.compile(r"&(?!#[0-9]{1,7};|#[xX][0-9a-fA-F]{1,6};|[A-Za-z][A-Za-z0-9]{1,31};)")


def _safe_markdown(source: str, attachments: frozenset[str] | None = None) -> str:
    """Markdown with raw HTML shown as text and links to other than http(s), mailto,
    attachments and anchors replaced by ``#``; with ``attachments`` (the names the cell
    keeps), a link to any other attachment too (nbconvert refuses to render a notebook
    that refers to an attachment it lacks: "missing attachment").  Idempotent (the writer
    sanitizes the autograded notebook, and the feedback sanitizes it again)."""
    import html

    source = _BARE_AMP.sub("&amp;", source).replace("<", "&lt;")

    def link(m: re.Match[str]) -> str:
        target = m.group(2)
        seen = "".join(ch for ch in html.unescape(html.unescape(target))
                       if ch.isprintable() and not ch.isspace())
        scheme = _SCHEME.match(seen)
        if scheme and scheme.group(1).lower() not in ("http", "https", "mailto", "attachment"):
            target = "#"
        elif scheme and scheme.group(1).lower() == "attachment" and attachments is not None \
                and (target != seen or seen[len(scheme.group(0)):] not in attachments):
            target = "#"
        elif ":" in seen.split("/")[0] and not scheme:
            target = "#"
        return m.group(1) + target

    return _LINK_TARGET.sub(link, source)


def sanitize_notebook(nb: NotebookNode, keep_reports: bool = True) -> NotebookNode:
    """Make a notebook inert for an HTML view (feedback, formgrader), in place; return it.

    - every output through ``_clean_output``: text/plain and real PNG/JPEG only, any
      other MIME type (HTML, JavaScript, SVG, Markdown, LaTeX, widgets, JSON) shown as
      text, output metadata reduced to image sizes and the grader's ``mi_course`` tag;
      the check reports (``REPORT_MIME``) kept unless ``keep_reports=False``;
    - Markdown cells: raw HTML shown as text, unsafe link targets replaced;
      attachments other than real PNG/JPEG dropped;
    - raw cells lose their MIME type (a text/html raw cell would be pasted verbatim);
    - cell metadata keeps only nbgrader's (with a safe grade_id) and safe tags, cell
      ids are checked; notebook metadata keeps only kernelspec and language_info.
    """
    import uuid

    for cell in nb.cells:
        if "id" in cell and not (isinstance(cell["id"], str) and _SAFE_NAME.match(cell["id"])):
            cell["id"] = uuid.uuid4().hex[:8]
        meta = cell.get("metadata") or {}
        clean_meta: dict[str, Any] = {}
        nbg = meta.get("nbgrader")
        if isinstance(nbg, dict) and (nbg.get("grade_id") is None or
                                      (isinstance(nbg.get("grade_id"), str)
                                       and _SAFE_NAME.match(nbg["grade_id"]))):
            clean_meta["nbgrader"] = nbg
        tags = meta.get("tags")
        if isinstance(tags, list):
            clean_meta["tags"] = [t for t in tags if isinstance(t, str) and _SAFE_NAME.match(t)]
        cell["metadata"] = clean_meta
        if cell.get("cell_type") == "markdown":
            atts = cell.get("attachments") or {}
            atts = atts if isinstance(atts, dict) else {}
            kept = {}
            for name, bundle in atts.items():
                if not (isinstance(name, str) and _SAFE_NAME.match(name) and isinstance(bundle, dict)):
                    continue
                imgs = {m: v for m, v in bundle.items() if m in _MAGIC and _valid_image(m, v)}
                if imgs:
                    kept[name] = imgs
            if kept:
                cell["attachments"] = kept
            else:
                cell.pop("attachments", None)
            cell["source"] = _safe_markdown(_as_text(cell.get("source", "")), frozenset(kept))
        elif cell.get("cell_type") == "raw":
            cell["source"] = _as_text(cell.get("source", ""))
        elif cell.get("cell_type") == "code":
            outs = []
            for out in cell.get("outputs", []) or []:
                got = _clean_output(out, keep_reports=keep_reports)
                if got is not None:
                    outs.append(got)
            cell["outputs"] = outs
    nb["metadata"] = {k: v for k, v in (nb.get("metadata") or {}).items()
                      if k in ("kernelspec", "language_info") and isinstance(v, dict)}
    return nb


def scrub_outputs(nb: NotebookNode, patterns: list[str] | None) -> int:
    """Remove from ``nb`` (in place) the check reports, and every output holding a secret
    (``patterns`` from ``secret_patterns``; None: the secrets are unknown, remove every
    output), each replaced by a visible note; then ``sanitize_notebook``.  Returns the
    number of outputs removed for a leak."""
    refs = []
    for cell in nb.cells:
        if cell.get("cell_type") != "code":
            continue
        cell["outputs"] = [o for o in cell.get("outputs", []) or [] if not _is_report(o)]
        refs += [(cell, j) for j in range(len(cell["outputs"]))]
    if patterns is None:
        for cell in nb.cells:
            if cell.get("cell_type") == "code" and cell.get("outputs"):
                cell["outputs"] = [_note(NOTE_UNCHECKED)]
        sanitize_notebook(nb, keep_reports=False)
        return 0
    hit = _leaking([c["outputs"][j] for c, j in refs], patterns)
    for k in sorted(hit):
        cell, j = refs[k]
        cell["outputs"][j] = _replacement(cell["outputs"][j])
    sanitize_notebook(nb, keep_reports=False)
    # what sanitizing made of the outputs (HTML as text, say) is checked again
    again = [(c, j) for c in nb.cells if c.get("cell_type") == "code"
             for j in range(len(c.get("outputs", [])))]
    for k in _leaking([c["outputs"][j] for c, j in again], patterns):
        cell, j = again[k]
        cell["outputs"][j] = _replacement(cell["outputs"][j])
    return len(hit)
