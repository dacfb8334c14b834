"""Feedback that fails closed: no hidden test, no solution, no active content.

Two preprocessors run by ``nbgrader generate_feedback`` (nbgrader_config.py):

- ``ScrubTestCells`` removes the hidden region from every grade cell's source
  and replaces each error traceback of a grade cell by its last line
  (exception name and message), which the tests word for the student.
- ``ScrubOutputs`` checks every output of every cell (streams, error names,
  values and tracebacks, ``execute_result`` and ``display_data`` of every MIME
  type) against the hidden-test and solution lines of the SOURCE notebook
  (``secret_lines``), and replaces a matching output by a visible note.  It
  drops the grader's check reports (``REPORT_MIME``), and shows student HTML,
  JavaScript, SVG, Markdown, LaTeX and any other active MIME type as plain
  text (``sanitize_notebook``, which the grader's writer also applies to the
  autograded notebook that formgrader renders).  If the source notebook cannot
  be read, every output is removed: nothing is shown that was not checked.

What the leak check catches: a secret line (12 characters or more once
normalized) anywhere in the text of the outputs, after HTML tags are dropped,
HTML entities, ``\\u``/``\\x`` and URL escapes decoded (three levels deep),
Unicode folded (NFKC) and case-folded, quotes unified, ANSI escapes,
zero-width characters, backslashes and every whitespace removed, and
the outputs of the whole notebook concatenated in order (so a line split
across prints, cells or outputs is still found; every output that holds part
of a match is removed).  What it does not catch: any reversible encoding the
student's code applies (base64, reversal, ROT13, characters interleaved with
noise, compression, text drawn into an image), and lines shorter than 12
characters.  Those need the student to read the hidden tests in the first
place, which the kernel can do (IPython's history, the test cell's frame):
the grader's scan (grading/tamper.py) puts such code on the review list.
"""
from __future__ import annotations

import re
from pathlib import Path

from nbconvert.preprocessors import Preprocessor
from traitlets import Bool

BEGIN, END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def strip_hidden(source):
    """Source with every BEGIN/END HIDDEN TESTS region removed (an unclosed one runs to the end)."""
    out, hidden = [], False
    for line in source.splitlines():
        if BEGIN in line:
            hidden = True
            continue
        if END in line:
            hidden = False
            continue
        if not hidden:
            out.append(line)
    return "\n".join(out).rstrip() + ("\n" if out else "")


class ScrubTestCells(Preprocessor):
    """Drop hidden-test source and traceback frames from grade (test) cells."""

    # nbconvert preprocessors are off unless enabled; nbgrader registers this
    # one by name from GenerateFeedback.preprocessors, so it must be on by default.
    enabled = Bool(True).tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code" or not (meta.get("grade") or BEGIN in cell.source):
            return cell, resources
        cell.source = strip_hidden(cell.source)
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                message = f"{out.get('ename', 'Error')}: {ANSI.sub('', str(out.get('evalue', '')))}"
                out["traceback"] = [message]
        return cell, resources


def secret_lines(source_nb):
    """Lines of a source notebook that students must never see, stripped of indentation.

    A line counts if it sits in a solution (between the SOLUTION markers, or a
    whole written-answer cell) or in a hidden-test region, and does not also
    occur in the public part of the notebook (a generic line such as
    ``check_close(`` that visible code shares is not a secret).
    """
    public, secret = set(), []
    for cell in source_nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        lines = cell.source.splitlines()
        if meta.get("solution") and cell.cell_type == "markdown":
            secret += lines
            continue
        inside = False
        for line in strip_hidden(cell.source).splitlines():
            if "### BEGIN SOLUTION" in line or "### END SOLUTION" in line:
                inside = "BEGIN" in line
            elif inside:
                secret.append(line)
            else:
                public.add(line.strip())
        visible = set(strip_hidden(cell.source).splitlines())
        secret += [ln for ln in lines if ln not in visible and "HIDDEN TESTS" not in ln]
    return sorted({s.strip() for s in secret if s.strip() and s.strip() not in public})


def leaks(text, source_nb, min_len=12, substring_len=40):
    """Secret lines of ``source_nb`` that occur in ``text``.

    A secret of ``min_len`` characters or more leaks if it is a line of the
    text; one of ``substring_len`` or more also if it occurs inside a line
    (shorter pieces such as ``loss.backward()`` may be quoted in prose).
    """
    lines = {ln.strip() for ln in text.splitlines()}
    return [s for s in secret_lines(source_nb)
            if (len(s) >= min_len and s in lines) or (len(s) >= substring_len and s in text)]


# --- Outputs that fail closed ------------------------------------------------------------

from .verdicts import REPORT_MIME  # noqa: E402  (= helpers.checks.REPORT_MIME)
NOTE_LEAK = "output removed: it contained hidden test text"
NOTE_UNCHECKED = "output removed: the source notebook could not be read to check it"
SAFE_MIMES = ("text/plain", "image/png", "image/jpeg")
MIN_SECRET = 12  # characters of a secret line, normalized, for it to count
_TAG = re.compile(r"<[^>]*>")
_BASE64 = re.compile(r"^[A-Za-z0-9+/=\s]*$")
_SAFE_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")
_MAGIC = {"image/png": b"\x89PNG\r\n\x1a\n", "image/jpeg": b"\xff\xd8\xff"}


_ESCAPE = re.compile(r"\\(?:u([0-9a-fA-F]{4})|x([0-9a-fA-F]{2}))")
_QUOTES = str.maketrans({q: "'" for q in "\"`\u2018\u2019\u201c\u201d\u00b4"})


def normalize(text):
    """``text`` as the leak check compares it: HTML tags dropped, entities, ``\\uXXXX``,
    ``\\xXX`` and URL escapes decoded, Unicode folded (NFKC) and case-folded, every
    quote made ``'``, without ANSI escapes, zero-width and other format characters,
    backslashes and whitespace."""
    import html
    import unicodedata
    from urllib.parse import unquote

    text = ANSI.sub("", str(text))
    for _ in range(3):  # &amp;lt; and the like, nested
        decoded = _ESCAPE.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)),
                              html.unescape(_TAG.sub("", text)))
        decoded = unquote(decoded) if "%" in decoded else decoded
        if decoded == text:
            break
        text = decoded
    text = unicodedata.normalize("NFKC", text).casefold().translate(_QUOTES)
    return "".join(ch for ch in text if not ch.isspace() and ch != "\\"
                   and unicodedata.category(ch) not in ("Cf", "Cc", "Zs"))


def public_text(source_nb):
    """Everything of a source notebook that its release shows, normalized and joined: the text,
    the locked code, the visible parts of test cells, the code around solutions."""
    parts = []
    for cell in source_nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution") and cell.cell_type == "markdown":
            continue
        inside = False
        for line in strip_hidden(cell.source).splitlines():
            if "### BEGIN SOLUTION" in line or "### END SOLUTION" in line:
                inside = "BEGIN" in line
            elif not inside:
                parts.append(line)
    return normalize("\n".join(parts))


def secret_patterns(source_nb):
    """The normalized secret lines of a source notebook, plus the region markers.

    A secret line the release shows anyway is left out: a visible test's message that
    quotes ``self.optimizer.step()`` tells the student what the solution line is, and the
    check must not remove that message from the feedback."""
    public = public_text(source_nb)
    pats = {normalize(s) for s in secret_lines(source_nb)}
    pats = {p for p in pats if p not in public}
    pats |= {normalize(m) for m in (BEGIN, END, "### BEGIN SOLUTION", "### END SOLUTION")}
    return sorted(p for p in pats if len(p) >= MIN_SECRET)


def _output_text(out):
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


def _note(text=NOTE_LEAK):
    import nbformat
    return nbformat.v4.new_output("stream", name="stdout", text=f"[{text}]\n")


def _replacement(out, note=NOTE_LEAK):
    """The visible note that stands for a removed output (an error stays an error)."""
    import nbformat

    if out.get("output_type") == "error":
        ename = str(out.get("ename", "Error"))
        if not ename.isidentifier() or len(ename) > 60:
            ename = "Error"
        return nbformat.v4.new_output("error", ename=ename, evalue=f"[{note}]",
                                      traceback=[f"{ename}: [{note}]"])
    return _note(note)


def _is_report(out):
    return REPORT_MIME in (out.get("data") or {})


def _leaking(outputs, patterns):
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


def _valid_image(mime, value):
    import base64
    import binascii

    if not isinstance(value, str) or not _BASE64.match(value):
        return False
    try:
        raw = base64.b64decode("".join(value.split())[:64] + "==", validate=False)
    except (binascii.Error, ValueError):
        return False
    return raw.startswith(_MAGIC[mime])


def _as_text(value):
    import json

    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "".join(value)
    return json.dumps(value, indent=1, default=str)


def _clean_output(out, keep_reports=True):
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
            sizes = meta.get(mime) if isinstance(meta.get(mime), dict) else {}
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


def _safe_markdown(source):
    """Markdown with raw HTML shown as text and links to other than http(s), mailto,
    attachments and anchors replaced by ``#``.  Idempotent (the writer sanitizes the
    autograded notebook, and the feedback sanitizes it again)."""
    import html

    source = _BARE_AMP.sub("&amp;", source).replace("<", "&lt;")

    def link(m):
        target = m.group(2)
        seen = "".join(ch for ch in html.unescape(html.unescape(target))
                       if ch.isprintable() and not ch.isspace())
        scheme = _SCHEME.match(seen)
        if scheme and scheme.group(1).lower() not in ("http", "https", "mailto", "attachment"):
            target = "#"
        elif ":" in seen.split("/")[0] and not scheme:
            target = "#"
        return m.group(1) + target

    return _LINK_TARGET.sub(link, source)


def sanitize_notebook(nb, keep_reports=True):
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
        clean_meta = {}
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
            cell["source"] = _safe_markdown(_as_text(cell.get("source", "")))
            atts = cell.get("attachments") or {}
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


def scrub_outputs(nb, patterns):
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


class ScrubOutputs(Preprocessor):
    """Every output leak-checked against the source notebook, reports dropped, HTML inert."""

    enabled = Bool(True).tag(config=True)

    def _source_path(self, resources):
        from nbgrader.coursedir import CourseDirectory

        info = (resources or {}).get("nbgrader", {})
        assignment, notebook = info.get("assignment"), info.get("notebook")
        if not assignment or not notebook:
            return None
        coursedir = CourseDirectory(config=self.config)
        folder = coursedir.format_path(coursedir.source_directory, ".", assignment)
        return Path(folder) / f"{notebook}.ipynb"

    def preprocess(self, nb, resources):
        import nbformat

        path = self._source_path(resources)
        try:
            patterns = secret_patterns(nbformat.read(str(path), as_version=4)) if path else None
        except Exception as exc:  # noqa: BLE001  (unreadable in any way: fail closed)
            self.log.warning("feedback: cannot read the source notebook %s (%s): every output "
                             "is removed", path, exc)
            patterns = None
        removed = scrub_outputs(nb, patterns)
        if removed:
            self.log.warning("feedback: %d output(s) removed for hidden test text", removed)
        return nb, resources
