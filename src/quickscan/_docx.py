"""Reading filled-in quick-scan forms from Word (.docx), whatever the layout.

The document is read straight from its XML (``word/document.xml``) into a flat stream of
*pieces*: body paragraphs, and table rows as lists of cells (merged cells counted once).
Questions are then recognised by number and wording (:meth:`Template.match_question`),
and everything between one question and the next is its answer. That one rule covers the
layouts people use: the answer in an added column, typed under the prompt, in rows
between questions, as paragraphs under numbered questions or headings, and forms split
over several tables.

Text conventions: paragraphs are separated by a blank line, list items by a newline and
start with ``- `` (bullets) or their number (``2. ``), line breaks inside a paragraph are
kept as newlines, tabs as tabs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path

from lxml import etree

from ._package import check_not_output, check_xml, open_package
from .corpus import UNMATCHED, Corpus, pilot_id, pilot_name, problem, wave_from_name
from .errors import CorruptFileError, EmptyDocumentError, NotAQuickscanForm
from .template import Template, default_template, normalize

__all__ = ["read_docx", "read_form"]

_NS = {
    "http://schemas.openxmlformats.org/wordprocessingml/2006/main",
    "http://purl.oclc.org/ooxml/wordprocessingml/main",
}
_MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_comments=True)
_HEADER_WORDS = {"nr", "nr.", "no", "vraag", "vragen", "toelichting", "antwoord", "antwoorden", "#", "onderwerp"}
_MIN_QUESTIONS = 3  # fewer recognised questions than this: not a quick-scan form


@dataclass
class _Para:
    text: str
    location: str
    style: str = ""  # "heading", "bullet", "number" or ""
    bold: bool = False


@dataclass
class _Row:
    cells: list[str]
    location: str


@dataclass
class _Answer:
    parts: list[tuple[str, str, bool]] = field(default_factory=list)  # text, location, list item
    locations: list[str] = field(default_factory=list)

    def add(self, text: str, location: str, item: bool = False) -> None:
        if text.strip():
            self.parts.append((text.strip("\n"), location, item))
        if location not in self.locations:
            self.locations.append(location)

    def text(self) -> str:
        out = ""
        for i, (text, _, item) in enumerate(self.parts):
            if i:
                out += "\n" if item else "\n\n"  # a list item joins what it follows
            out += text
        return out

    def location(self) -> str:
        locs = self.locations
        return "; ".join(locs) if len(locs) <= 3 else f"{locs[0]}; ... ; {locs[-1]}"


def read_docx(
    path: str | PathLike[str],
    *,
    wave: str | None = None,
    template: Template | None = None,
) -> Corpus:
    """Read one filled-in form into a :class:`Corpus` of one pilot.

    The wave comes from ``wave=``, else from the file or folder name (``T0``, ``T1``).
    Raises an :class:`~quickscan.errors.InputError` for a file that cannot be read as a form.

    >>> c = read_docx("data/sample/T0/01-houten-ggz.docx")
    >>> c.answer("gebiedsteam-ggz-houten", 2)
    'Houten'
    """
    template = template or default_template()
    rows, problems = read_form(path, wave=wave, template=template)
    return Corpus.from_answers(rows, problems, template)


def read_form(path: str | PathLike[str], *, wave: str | None, template: Template) -> tuple[list[dict], list[dict]]:
    """The answer rows and problems of one form, without building a DataFrame (fast path for folders)."""
    path = Path(path)
    wave_found = wave or wave_from_name(path)
    pieces, counts, notes = _read_pieces(path)
    if not any((p.text.strip() if isinstance(p, _Para) else any(c.strip() for c in p.cells)) for p in pieces):
        raise EmptyDocumentError(path, "the document holds no text")
    answers, unmatched, worded = _assemble(pieces, template)
    if len(worded) < _MIN_QUESTIONS:
        seen = ", ".join(f"{q} ({template.question(q).label!r})" for q in sorted(worded)) or "none"
        raise NotAQuickscanForm(
            path,
            f"not a quick-scan form: {counts}, but the wording of only {len(worded)} of the "
            f"{len(template.questions)} questions of {template.name!r} was recognised (found: {seen})",
        )
    problems = notes
    if wave_found is None:
        wave_found = "T0"
        problems.append(problem("warning", "W120", path, None, "no wave in the file or folder name; assumed T0"))
    name = pilot_name(answers[template.pilot_question].text()) if template.pilot_question in answers else ""
    if not name:
        name = path.stem
        problems.append(problem("warning", "W121", path, f"question {template.pilot_question}",
                                f"no {template.unit.singular} name found; used the file name {name!r}"))
    ident, source = pilot_id(name), str(path)
    rows = [
        {"pilot_id": ident, "pilot": name, "wave": wave_found, "question": q,
         "label": template.question(q).label, "answer": a.text(), "source": source, "location": a.location()}
        for q, a in sorted(answers.items())
    ]
    for text, location, before_first in unmatched:
        rows.append({"pilot_id": ident, "pilot": name, "wave": wave_found, "question": None,
                     "label": UNMATCHED, "answer": text, "source": source, "location": location})
        severity, code, where = (
            ("info", "I122", "before the first question") if before_first else ("warning", "W122", "between questions")
        )
        problems.append(problem(severity, code, path, location,
                                f"text {where} kept as 'unmatched': {_short(text)!r}"))
    for q in template.numbers:
        if q not in answers:
            problems.append(problem("warning", "W123", path, None, f"question {q} ({template.question(q).label}) not found"))
    return rows, problems


def _short(text: str, n: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


# -- XML to pieces ---------------------------------------------------------------------------


class _Names:
    """Qualified tag names for the namespace a document uses (transitional or strict)."""

    def __init__(self, ns: str) -> None:
        q = lambda tag: f"{{{ns}}}{tag}"  # noqa: E731
        self.ns = ns
        self.body, self.p, self.tbl, self.tr, self.tc = q("body"), q("p"), q("tbl"), q("tr"), q("tc")
        self.sdt, self.sdtContent, self.customXml = q("sdt"), q("sdtContent"), q("customXml")
        self.t, self.tab, self.br, self.cr, self.nbh = q("t"), q("tab"), q("br"), q("cr"), q("noBreakHyphen")
        self.pPr, self.pStyle, self.numPr, self.ilvl, self.numId = q("pPr"), q("pStyle"), q("numPr"), q("ilvl"), q("numId")
        self.rPr, self.b, self.r, self.val, self.type = q("rPr"), q("b"), q("r"), q("val"), q("type")
        self.tcPr, self.gridSpan, self.vMerge, self.hMerge = q("tcPr"), q("gridSpan"), q("vMerge"), q("hMerge")
        self.style, self.name, self.basedOn, self.outline = q("style"), q("name"), q("basedOn"), q("outlineLvl")
        self.styleId = q("styleId")
        self.abstractNum, self.num, self.lvl, self.numFmt, self.lvlText, self.start = (
            q("abstractNum"), q("num"), q("lvl"), q("numFmt"), q("lvlText"), q("start"))
        self.abstractNumId = q("abstractNumId")


def _read_pieces(path: Path) -> tuple[list[_Para | _Row], str, list[dict]]:
    """The pieces of a form, what it holds (for messages), and warnings about parts that were ignored."""
    notes: list[dict] = []
    with open_package(path) as package:
        names = set(package.namelist())
        main = _main_part(package, names)
        if main is None:
            raise CorruptFileError(path, "not a Word document: the package has no word/document.xml")
        check_not_output(package, path)
        check_xml(package, [main, "word/styles.xml", "word/numbering.xml"], path)
        root = _parse(package.read(main), path, main)
        w = _Names(etree.QName(root).namespace)
        used: set[str | None] = set()
        numbered, fallbacks = False, []
        for el in root.iter(w.pStyle, w.numPr, _MC):  # one pass over the tree for all three
            if el.tag == w.pStyle:
                used.add(el.get(w.val))
            elif el.tag == w.numPr:
                numbered = True
            else:
                fallbacks.append(el)
        styles = _optional(_styles, package, "word/styles.xml", names, used - {None}, path=path, notes=notes,
                           what="paragraph styles (headings, lists) are not used to find questions") or {}
        numbering = _optional(_numbering, package, "word/numbering.xml", names, path=path, notes=notes,
                              what="list numbers are left out of the text") if numbered else {}
    ns = w.ns
    if ns not in _NS:
        raise CorruptFileError(path, f"not a Word document: unexpected XML namespace {ns}")
    for fallback in fallbacks:  # alternate content is stored twice; keep the first choice
        parent = fallback.getparent()
        if parent is not None:
            parent.remove(fallback)
    body = root.find(w.body)
    if body is None:
        raise CorruptFileError(path, "not a Word document: no body")
    walker = _Walker(w, styles, (numbering or {}).get(ns, {}), _paragraphs(body, w))
    walker.walk(body)
    counts = f"{walker.n_paras} paragraph(s) and {walker.n_tables} table(s)"
    return walker.pieces, counts, notes


def _parse(data: bytes, path: Path, part: str):
    """Parse one XML part of the package: damaged XML and any DOCTYPE are refused.

    Word never writes a DOCTYPE; one that declares entities would make the parser (which
    never expands entities) drop the text that follows them, so the form is refused rather
    than read with text missing.
    """
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise CorruptFileError(path, f"damaged XML in {part}: {exc}") from exc
    if root.getroottree().docinfo.doctype:
        raise CorruptFileError(path, f"{part} has a DOCTYPE (entity declarations), which Word never writes; "
                               "refused so that no text is lost. Open the file in Word and save it again")
    return root


def _optional(read, package, part: str, *args, path: Path, notes: list[dict], what: str):
    """``read(package, part, *args)``, or None with a warning when the part is damaged: the form is
    read without it (its text is all in the document part)."""
    try:
        return read(package, part, *args, path=path)
    except (CorruptFileError, ValueError, TypeError, AttributeError) as exc:
        reason = exc.message if isinstance(exc, CorruptFileError) else f"{type(exc).__name__}: {exc}"
        notes.append(problem("warning", "W125", path, part, f"{part} is damaged and was ignored ({reason}); {what}"))
        return None


def _main_part(package, names: set[str]) -> str | None:
    if "word/document.xml" in names:
        return "word/document.xml"
    try:
        rels = etree.fromstring(package.read("_rels/.rels"), _PARSER)
    except (KeyError, etree.XMLSyntaxError):
        return None
    for rel in rels:
        if rel.get("Type", "").endswith("/officeDocument"):
            target = rel.get("Target", "").lstrip("/")
            return target if target in names else None
    return None


_STYLE_KINDS = (
    (("heading", "kop", "title", "titel"), "heading"),
    (("listbullet", "lijstopsom", "bullet"), "bullet"),
    (("listnumber", "lijstnummer"), "number"),
)
_PLAIN_STYLES = ("normal", "standaard", "listparagraph", "lijstalinea", "bodytext", "plattetekst", "tablegrid",
                 "tabelraster", "nospacing", "geenafstand", "tablecontents", "tabelinhoud", "default")


def _style_kind(name: str) -> str | None:
    """'heading' / 'bullet' / 'number' / '' from a style id or name; None when it cannot tell."""
    key = name.lower().replace(" ", "")
    for prefixes, kind in _STYLE_KINDS:
        if key.startswith(prefixes) or (kind == "bullet" and "bullet" in key):
            return kind
    return "" if key.startswith(_PLAIN_STYLES) else None


def _styles(package, part: str, names: set[str], used: set[str], *, path: Path) -> dict[str, str]:
    """Style id -> 'heading' / 'bullet' / 'number' for the paragraph styles the document uses.

    Common style ids (Heading2, Kop2, ListBullet) tell it by themselves; styles.xml is
    read only for the others (custom names, outline levels, inheritance).
    """
    kinds = {sid: _style_kind(sid) for sid in used}
    unknown = {sid for sid, kind in kinds.items() if kind is None}
    if unknown and part in names:
        root = _parse(package.read(part), path, part)
        w = _Names(etree.QName(root).namespace)
        based: dict[str, str] = {}
        for style in root.iter(w.style):
            sid = style.get(w.styleId) or ""
            if sid not in unknown and sid not in based.values():
                continue
            name_el = style.find(w.name)
            kind = _style_kind(name_el.get(w.val) or "") if name_el is not None else None
            ppr = style.find(w.pPr)
            if ppr is not None and ppr.find(w.outline) is not None:
                kind = "heading"
            based_el = style.find(w.basedOn)
            if based_el is not None:
                based[sid] = based_el.get(w.val) or ""
            kinds[sid] = kind or kinds.get(sid)
        for sid in unknown:
            if not kinds.get(sid) and based.get(sid):
                kinds[sid] = kinds.get(based[sid]) or _style_kind(based[sid])
    return {sid: kind or "" for sid, kind in kinds.items()}


def _numbering(package, part: str, names: set[str], *, path: Path) -> dict[str, dict[tuple[str, str], tuple[str, str, int]]]:
    """Per namespace: (numId, ilvl) -> (numFmt, lvlText, start)."""
    if part not in names:
        return {}
    root = _parse(package.read(part), path, part)
    ns = etree.QName(root).namespace
    w = _Names(ns)
    abstract: dict[str, dict[str, tuple[str, str, int]]] = {}
    for an in root.iter(w.abstractNum):
        levels = {}
        for lvl in an.iter(w.lvl):
            fmt, text, start = lvl.find(w.numFmt), lvl.find(w.lvlText), lvl.find(w.start)
            levels[lvl.get(w.ilvl) or "0"] = (
                fmt.get(w.val) if fmt is not None else "decimal",
                text.get(w.val) if text is not None else "%1.",
                int(start.get(w.val) or 1) if start is not None else 1,
            )
        abstract[an.get(w.abstractNumId) or ""] = levels
    out = {}
    for num in root.iter(w.num):
        ref = num.find(w.abstractNumId)
        levels = abstract.get(ref.get(w.val) if ref is not None else "", {})
        for ilvl, spec in levels.items():
            out[(num.get(w.numId) or "", ilvl)] = spec
    return {ns: out}


class _Walker:
    """Walks the body in document order and collects paragraphs and table rows."""

    def __init__(self, w: _Names, styles: dict[str, str], numbering: dict, paras: dict | None = None) -> None:
        self.w, self.styles, self.numbering = w, styles, numbering
        self.pieces: list[_Para | _Row] = []
        self.n_paras = self.n_tables = 0
        self.counters: dict[tuple[str, str], int] = {}
        self.paras = paras or {}  # paragraph -> (text, pPr) where known beforehand (see _paragraphs)

    def walk(self, parent) -> None:
        w = self.w
        for child in parent[:]:  # a list of the children costs less than an iterator over them
            tag = child.tag
            if tag == w.p:
                self.n_paras += 1
                text, style = self.paragraph(child)
                if text.strip():
                    bold = len(text) < 300 and _all_bold(child, w)
                    self.pieces.append(_Para(text, f"paragraph {self.n_paras}", style, bold))
            elif tag == w.tbl:
                self.n_tables += 1
                self.table(child, self.n_tables)
            elif tag in (w.sdt, w.customXml, w.sdtContent):
                self.walk(_child(child, w.sdtContent) if tag == w.sdt else child)

    def table(self, tbl, number: int) -> None:
        w = self.w
        for r, tr in enumerate(_children(tbl, w.tr, w), start=1):
            cells = []
            for tc in _children(tr, w.tc, w):
                kids = tc[:]
                tc_pr = _first(kids, w.tcPr)
                if tc_pr is not None:
                    vmerge, hmerge = _children_of(tc_pr, w.vMerge, w.hMerge)
                    if (vmerge is not None and vmerge.get(w.val) in (None, "continue")) or (
                        hmerge is not None and hmerge.get(w.val) in (None, "continue")
                    ):
                        continue  # continuation of a merged cell: its text lives in the first cell
                cells.append(self.cell(tc, kids))
            # a row with the same text in every cell is one merged cell in disguise
            if len(cells) > 1 and len(set(cells)) == 1:
                cells = cells[:1]
            if any(c.strip() for c in cells):
                self.pieces.append(_Row(cells, f"table {number}, row {r}"))

    def cell(self, tc, kids: list | None = None) -> str:
        """The text of a table cell (``kids``: its children, where already at hand); a nested
        table gives one line per row, cells joined by " | "."""
        tc_pr = self.w.tcPr
        content = [child for child in (tc[:] if kids is None else kids) if child.tag != tc_pr]
        if len(content) == 1 and content[0].tag == self.w.p:  # the common cell: one paragraph
            text = self.paragraph(content[0])[0]
            return text.strip("\n") if text.strip() else ""
        answer = _Answer()
        self._cell_content(content, answer)
        return answer.text()

    def _cell_content(self, children, answer: _Answer) -> None:
        w = self.w
        for child in children:
            tag = child.tag
            if tag == w.p:
                text, style = self.paragraph(child)
                answer.add(text, "", style in ("bullet", "number"))
            elif tag == w.tbl:
                for tr in _children(child, w.tr, w):
                    line = " | ".join(self.cell(tcell).replace("\n\n", " ") for tcell in _children(tr, w.tc, w))
                    answer.add(line, "", True)
            elif tag in (w.sdt, w.customXml, w.sdtContent):
                inner = _child(child, w.sdtContent) if tag == w.sdt else child
                if inner is not None:
                    self._cell_content(inner[:], answer)

    def paragraph(self, p) -> tuple[str, str]:
        w = self.w
        known = self.paras.get(p)
        text, ppr = known if known is not None else (_text(p, w), _child(p, w.pPr))
        style, prefix = "", ""
        if ppr is not None:
            ps, outline, num = _children_of(ppr, w.pStyle, w.outline, w.numPr)
            style = self.styles.get(ps.get(w.val), "") if ps is not None else ""
            if outline is not None:
                style = "heading"
            if num is not None:
                style, prefix = self.list_prefix(num, style)
            elif style == "bullet":
                prefix = "- "
            elif style == "number":  # numbering that comes with the style (List Number)
                key = (ps.get(w.val), "0")
                self.counters[key] = self.counters.get(key, 0) + 1
                prefix = f"{self.counters[key]}. "
        if prefix and text.strip():
            text = prefix + text.lstrip()
        return text, style

    def list_prefix(self, num, style: str) -> tuple[str, str]:
        w = self.w
        num_id_el, ilvl_el = _child(num, w.numId), _child(num, w.ilvl)
        num_id = num_id_el.get(w.val) if num_id_el is not None else ""
        raw = (ilvl_el.get(w.val) if ilvl_el is not None else None) or "0"
        level = min(max(int(raw), 0), 8) if raw.isdigit() else 0  # Word has levels 0-8; ignore nonsense
        ilvl = str(level)
        if num_id in ("", "0"):
            return style, ""
        fmt, lvl_text, start = self.numbering.get((num_id, ilvl), ("bullet", "", 1))
        indent = "  " * level
        if fmt in ("bullet", "none"):
            return ("bullet" if style != "heading" else style), indent + "- "
        key = (num_id, ilvl)
        self.counters[key] = self.counters.get(key, start - 1) + 1
        for (other_id, other_lvl) in list(self.counters):  # a higher level restarts the lower ones
            if other_id == num_id and int(other_lvl) > int(ilvl):
                del self.counters[(other_id, other_lvl)]
        n = self.counters[key]
        label = re.sub(r"%\d", str(n), lvl_text) if "%" in lvl_text else f"{n}."
        return ("number" if style != "heading" else style), indent + label.strip() + " "


def _text(p, w: _Names) -> str:
    """The text of a paragraph: its text runs with tabs, line breaks and non-breaking hyphens."""
    parts = []
    for el in p.iter(w.t, w.tab, w.br, w.cr, w.nbh):
        text = el.text if el.tag == w.t else _mark(el, el.getparent(), w)
        if text:
            parts.append(text)
    return "".join(parts)


def _mark(el, parent, w: _Names) -> str:
    """The text a tab, break or non-breaking hyphen stands for ("" for a page or column break)."""
    tag = el.tag
    if tag == w.tab:
        return "\t" if parent.tag == w.r else ""  # a tab stop definition in pPr is not text
    if tag == w.nbh:
        return "-"
    return "\n" if el.get(w.type) not in ("page", "column") else ""


_NESTED = {ns: etree.XPath("boolean(.//w:p//w:p)", namespaces={"w": ns}) for ns in _NS}


def _paragraphs(body, w: _Names) -> dict:
    """Paragraph -> (its text as :func:`_text` reads it, its ``pPr``) for the paragraphs below ``body``.

    One pass over the tree for all of them: asking each paragraph for its own elements costs
    a tree iterator per paragraph, the larger part of reading a form. Text outside any
    paragraph is left out, as the walk leaves it. A paragraph inside another (a text box) gives
    ``{}``: each paragraph is then read by itself.
    """
    if _NESTED[w.ns](body):
        return {}
    found: dict = {}
    current = inside = ppr = None  # the paragraph, an element known to be in it, its pPr
    parts: list[str] = []
    for el in body.iter(w.p, w.pPr, w.t, w.tab, w.br, w.cr, w.nbh):
        tag = el.tag
        if tag == w.p:
            if current is not None:
                found[current] = ("".join(parts), ppr)
            current = inside = el
            parts, ppr = [], None
            continue
        parent = el.getparent()
        if parent is not inside:  # after the paragraph's end (a run outside paragraphs)?
            up = parent
            while up is not None and up is not current:
                up = up.getparent()
            if up is None:
                continue
            inside = parent
        if tag == w.t:
            text = el.text
        elif tag == w.pPr:
            if ppr is None and parent is current:
                ppr = el
            continue
        else:
            text = _mark(el, parent, w)
        if text:
            parts.append(text)
    if current is not None:
        found[current] = ("".join(parts), ppr)
    return found


def _children(parent, tag: str, w: _Names):
    """Direct children with ``tag``, looking through content controls and custom XML."""
    for child in parent[:]:
        if child.tag == tag:
            yield child
        elif child.tag in (w.sdt, w.customXml):
            inner = _child(child, w.sdtContent) if child.tag == w.sdt else child
            if inner is not None:
                yield from _children(inner, tag, w)


def _all_bold(p, w: _Names) -> bool:
    runs = [r for r in p.iter(w.r) if _child(r, w.t) is not None]
    if not runs:
        return False
    for r in runs:
        rpr = _child(r, w.rPr)
        b = _child(rpr, w.b) if rpr is not None else None
        if b is None or b.get(w.val) in ("0", "false", "off"):
            return False
    return True


def _children_of(parent, *tags: str) -> list:
    """The first child of ``parent`` with each of ``tags`` (None where there is none), in one pass."""
    found: list = [None] * len(tags)
    for child in parent[:]:
        if child.tag in tags:
            i = tags.index(child.tag)
            if found[i] is None:
                found[i] = child
    return found


def _child(parent, tag: str):
    """``parent.find(tag)`` (its first child with ``tag``) at a fraction of the cost: the children
    are few, and the one looked for (``pPr``, ``tcPr``) comes first."""
    return _first(parent[:], tag)


def _first(children: list, tag: str):
    """The first of ``children`` with ``tag``, or None."""
    for child in children:
        if child.tag == tag:
            return child
    return None


# -- pieces to answers ----------------------------------------------------------------------


def _assemble(
    pieces: list[_Para | _Row], template: Template
) -> tuple[dict[int, _Answer], list[tuple[str, str, bool]], set[int]]:
    """Attach every piece to the question it answers; the rest is unmatched (text, location, before first).

    Also returns the questions recognised by their wording (not by a number alone).
    """
    answers: dict[int, _Answer] = {}
    worded: set[int] = set()
    numbers = set(template.numbers)
    prompt = ""  # the part of the current question's prompt not yet seen
    unmatched: list[tuple[str, str, bool]] = []
    current: int | None = None
    in_table = False
    for piece in pieces:
        if isinstance(piece, _Row):
            if not in_table:
                in_table = True
            found = _row_question(piece.cells, template, current, numbers)
            if found is not None:
                current, cells, by_wording = found
                if by_wording:
                    worded.add(current)
                answer = answers.setdefault(current, _Answer())
                for text in cells:
                    answer.add(text, piece.location)
            elif _is_header_row(piece.cells):
                continue
            elif current is not None:
                for text in piece.cells:
                    answers[current].add(template.strip_prompt(current, text), piece.location)
            else:
                unmatched.append(("\n".join(c for c in piece.cells if c.strip()), piece.location, not answers))
            continue
        if in_table:  # paragraphs after a table belong to a question only after a new anchor
            in_table = False
            current = None
        match = _para_question(piece, template)
        if match is not None:
            current = match.number
            worded.add(current)
            answer = answers.setdefault(current, _Answer())
            answer.add(template.strip_prompt(current, match.rest(piece.text)), piece.location)  # a prompt in its line
            prompt = normalize(template.question(current).prompt)  # may follow, over several paragraphs
        elif current is not None:
            if prompt and not answers[current].parts:
                prompt, text = _consume_prompt(prompt, piece.text, template, current)
            else:
                prompt, text = "", piece.text
            answers[current].add(text, piece.location, piece.style in ("bullet", "number"))
        else:
            unmatched.append((piece.text, piece.location, not answers))
    return answers, unmatched, worded


def _consume_prompt(prompt: str, text: str, template: Template, number: int) -> tuple[str, str]:
    """Skip the prompt (toelichting) where it is copied under a question, paragraph by paragraph.

    Returns the part of the prompt still expected and the answer text left in ``text``.
    """
    norm = normalize(text)
    if norm and prompt.startswith(norm):
        return prompt[len(norm):].lstrip(), ""
    return "", template.strip_prompt(number, text)


def _para_question(para: _Para, template: Template):
    text = para.text
    emphasised = para.style == "heading" or para.bold
    candidate = (
        emphasised
        or para.style == "number"
        or text[:1].isdigit()
        or text[:6].lower().startswith("vraag")
        or (len(text) < 250 and text.rstrip().endswith(("?", ":")))
    )
    if not candidate:
        return None
    return _match(template, text, loose=emphasised)


_NUMBER_CELL = re.compile(r"^\s*(?:vraag\s*)?(\d{1,2})\s*[.):]?\s*$", re.IGNORECASE)


def _row_question(
    cells: list[str], template: Template, current: int | None, numbers: set[int]
) -> tuple[int, list[str], bool] | None:
    """The question a table row asks, and the answer texts in the row, or None.

    A number cell followed by the question's wording anchors the row; a number alone does
    so only where the wording is missing or the number is the next one expected.
    """
    for i, cell in enumerate(cells[:3]):
        number = _NUMBER_CELL.match(cell)
        if number and int(number.group(1)) in numbers:
            n = int(number.group(1))
            nxt = cells[i + 1] if i + 1 < len(cells) else ""
            match = _match(template, f"{n}. {nxt}", loose=True) if nxt.strip() else None
            if match is not None and match.number == n and match.score >= 0.7:
                rest = _strip(template, n, match.rest(f"{n}. {nxt}"))  # a prompt in the question's cell
                return n, [rest, *(_strip(template, n, c) for c in cells[i + 2 :])], True
            if not nxt.strip() or n == (current or 0) + 1:
                return n, [_strip(template, n, c) for c in cells[i + 1 :]], False
            return None
        match = _match(template, cell) if cell.strip() else None
        if match is not None:
            n = match.number
            return n, [_strip(template, n, match.rest(cell)), *(_strip(template, n, c) for c in cells[i + 1 :])], True
    return None


_MATCH_CACHE = "_docx_matches"  # kept on the template: its answers to short texts
_CACHED_TEXT, _CACHE_ENTRIES = 200, 4096


def _match(template: Template, text: str, *, loose: bool = False):
    """``template.match_question(text, loose=loose)``, remembered for short texts: the cells and
    headings of the questions are the same in every form of a folder, the answers are not."""
    if len(text) > _CACHED_TEXT:
        return template.match_question(text, loose=loose)
    cache = template.__dict__.setdefault(_MATCH_CACHE, {})  # like a cached_property: lives with the template
    key = (text, loose)
    if key not in cache:
        if len(cache) >= _CACHE_ENTRIES:  # bounded: forms of another kind would only fill it
            cache.clear()
        cache[key] = template.match_question(text, loose=loose)
    return cache[key]


def _strip(template: Template, number: int, text: str) -> str:
    return template.strip_prompt(number, text)


def _is_header_row(cells: list[str]) -> bool:
    words = [c.strip().lower() for c in cells if c.strip()]
    return bool(words) and all(w in _HEADER_WORDS for w in words)

