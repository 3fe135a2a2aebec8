"""REFI-QDA exchange: codebooks (``.qdc``) and coded projects (``.qdpx``) for ATLAS.ti,
MAXQDA, NVivo and QualCoder.

``write_qdc`` / ``read_qdc`` move a codebook; ``write_qdpx`` / ``read_qdpx`` move the
forms and their codings, so that coding done in another tool comes back as a codings
DataFrame for :func:`quickscan.matrices.code_matrix`. See ``docs/refi-qda.md``.

What is written (QDA-XML 1.0, ``Project-mrt2019.xsd`` and ``Codebook.xsd``):

* **codes**: every family is a top-level, non-codable code; its codes are nested under
  it and under their ``parent`` code. The ``Description`` holds the definition, the
  include and exclude rules (``Wel coderen:`` / ``Niet coderen:``) and a last line
  ``[quickscan:code=<id>]`` from which the quickscan id is read back. GUIDs are stable:
  ``uuid5`` of a fixed namespace, the codebook id and the code id (:func:`code_guid`).
* **sources**: one ``TextSource`` per form (pilot x wave), ``Sources/<guid>.txt``
  (UTF-8, no BOM, ``\\n`` line endings). The plain text is a title line, then per question
  a heading ``Vraag <n>. <question>`` and the answer; passages that matched no question
  follow under ``Zonder vraag``. The template's personal questions are left out unless
  ``include_personal=True``.
* **codings**: the codings that count as present (:func:`quickscan.coding.present`: not
  negated, not rejected) as ``PlainTextSelection`` over the matched words with a
  ``Coding`` per code; negated and rejected codings are *not* written, so another tool
  shows exactly what the tables count. A coding without offsets (the fallback of a fact
  family, ``onbekend``) is a ``Coding`` of the whole source.
* **offsets**: ``startPosition`` / ``endPosition`` count Unicode code points (Python
  ``str`` indices) of the plain text as stored, end exclusive; ``\\r\\n`` in an answer is
  written as ``\\n`` (one position). NVivo counts UTF-16 units: an emoji outside the BMP
  is two positions there and one here.
* **users, cases, variables**: a user per coder (``coder`` column; ``quickscan`` for rule
  codings), a case per pilot with the variables pilot_id, wave, status, gemeente and
  bereik, and the same variables (of that wave) on each source.

>>> from quickscan.codebook import Codebook
>>> cb = Codebook.from_yaml("id: mini\\nfamilies: [{id: basisset, label: Basisset, codes: [{id: wonen, label: Wonen}]}]")
>>> code_guid(cb, "wonen") == code_guid(cb, "wonen"), len(code_guid(cb, "wonen"))
(True, 36)
>>> back = codebook_from_qdc(to_qdc(cb))
>>> [(c.id, c.label, c.family) for c in back.codes]
[('wonen', 'Wonen', 'basisset')]
"""

from __future__ import annotations

import bisect
import io
import re
import uuid
import zipfile
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from hashlib import sha1
from os import PathLike
from pathlib import Path, PurePosixPath
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import pandas as pd

from ._io import atomic_write, xml_safe
from .codebook import Code, Codebook, Family, default_codebook
from .coding import CODING_COLUMNS, fold, present, segment_id
from .errors import RefiError
from .template import Template, default_template, normalize

__all__ = [
    "RefiProject",
    "GUID_NAMESPACE",
    "NS_PROJECT",
    "NS_CODEBOOK",
    "MAX_MEMBER_BYTES",
    "code_guid",
    "code_guids",
    "to_qdc",
    "write_qdc",
    "codebook_from_qdc",
    "read_qdc",
    "compose_form",
    "to_qdpx",
    "write_qdpx",
    "read_qdpx",
]

NS_PROJECT = "urn:QDA-XML:project:1.0"
NS_CODEBOOK = "urn:QDA-XML:codebook:1.0"
GUID_NAMESPACE = uuid.UUID("3c1f5a2e-8d4b-5b7e-9f1a-2e6d0c4b7a91")  # fixed: the GUIDs never change
_NAMESPACE = GUID_NAMESPACE.bytes
MAX_MEMBER_BYTES = 64 * 2**20  # a source text of a .qdpx larger than this (unpacked) is refused;
# project.qde has the budget of parsed XML (QUICKSCAN_MAX_XML_MB)
MAX_MEMBERS = 20_000
RULE_USER = "quickscan"
TITLE_SEPARATOR = "\n\n"
UNMATCHED_HEADING = "Zonder vraag"
INCLUDE_PREFIX = "Wel coderen: "
EXCLUDE_PREFIX = "Niet coderen: "
VARIABLES = ("pilot_id", "wave")  # of every case and source; then the template's case variables
READ_COLUMNS = [*CODING_COLUMNS, "coder"]
_PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
            "#bcbd22", "#17becf", "#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173")
_MARKER = re.compile(r"(?:\n\n)?\[quickscan:([^\]\n]*)\]\s*\Z")
_DESCRIPTION = re.compile(
    rf"(?s)\A(?:\n\n(?!{INCLUDE_PREFIX}|{EXCLUDE_PREFIX})(?P<definition>.*?))?"
    rf"(?:\n\n{INCLUDE_PREFIX}(?P<include>.*?))?(?:\n\n{EXCLUDE_PREFIX}(?P<exclude>.*?))?\Z"
)
_HEADING = re.compile(rf"^(?:Vraag (\d{{1,3}})\. ([^\r\n]*)|{UNMATCHED_HEADING})\r?$", re.MULTILINE)
_TITLE = re.compile(r"^(?P<pilot>.+?) \((?P<wave>[^()]+)\)$")


# -- GUIDs ---------------------------------------------------------------------------------


def _guid(*parts: Any) -> str:
    """``str(uuid.uuid5(GUID_NAMESPACE, "\\x1f".join(parts)))``, without the ``UUID`` object
    (a project of 1,500 forms has 800,000 GUIDs).

    >>> _guid("user", "Anna") == str(uuid.uuid5(GUID_NAMESPACE, "user\\x1fAnna"))
    True
    """
    digest = bytearray(sha1(_NAMESPACE + "\x1f".join(map(str, parts)).encode("utf-8")).digest()[:16])
    digest[6] = digest[6] & 0x0F | 0x50  # version 5
    digest[8] = digest[8] & 0x3F | 0x80  # RFC 4122 variant
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def code_guid(codebook: Codebook | str, code_id: str, *, kind: str = "code") -> str:
    """The stable GUID of a code (or with ``kind="family"`` of a family) of a codebook.

    ``uuid5`` over a fixed namespace, the codebook id and the code id: the same code of the
    same codebook gets the same GUID in every export, another codebook other GUIDs.

    >>> code_guid("regionale-koers-u16", "wonen")
    '...-...-5...-...-...'
    >>> code_guid("a", "wonen") != code_guid("b", "wonen")
    True
    """
    cb_id = codebook if isinstance(codebook, str) else codebook.id
    return _guid("quickscan", cb_id, kind, code_id)


def code_guids(codebook: Codebook) -> dict[str, str]:
    """GUID -> code id for every code (and ``family:<id>`` for every family) of a codebook.

    >>> from quickscan.codebook import load_codebook
    >>> guids = code_guids(load_codebook())
    >>> guids[code_guid("regionale-koers-u16", "wonen")]
    'wonen'
    """
    out = {code_guid(codebook, f.id, kind="family"): f"family:{f.id}" for f in codebook.families}
    out.update({code_guid(codebook, c.id): c.id for c in codebook.codes})
    return out


# -- codebook -> XML -----------------------------------------------------------------------


def _marker(**fields: Any) -> str:
    return "[quickscan:" + " ".join(f"{k}={v}" for k, v in fields.items() if v not in (None, "", False)) + "]"


def _code_description(code: Code, *, qualified: bool = False) -> str:
    blocks = [code.definition] if code.definition else []
    if code.include:
        blocks.append(INCLUDE_PREFIX + code.include)
    if code.exclude:
        blocks.append(EXCLUDE_PREFIX + code.exclude)
    blocks.append(_marker(code=code.id, fallback="true" if code.fallback else None,
                          qualified="true" if qualified else None))
    return "\n\n".join(blocks)


def _code_names(codebook: Codebook) -> dict[str, str]:
    """Code id -> the code's name in the exchange file, unique within the codebook.

    Tools such as QualCoder identify a code by its name and attach the codings of a second
    code with the same name to nothing. A label that several families use ("Wonen",
    "Onbekend") is qualified with its family, ``"Wonen (Basisset)"``, and only then: the
    other names stay as the researchers know them. A name still taken gets a number.
    """
    count: dict[str, int] = defaultdict(int)
    for c in codebook.codes:
        count[c.label.strip().casefold()] += 1
    labels = {f.id: f.label for f in codebook.families}
    names: dict[str, str] = {}
    used: set[str] = set()
    for c in codebook.codes:
        name = c.label if count[c.label.strip().casefold()] == 1 else f"{c.label} ({labels.get(c.family, c.family)})"
        candidate, n = name, 2
        while candidate.strip().casefold() in used:
            candidate, n = f"{name} {n}", n + 1
        used.add(candidate.strip().casefold())
        names[c.id] = candidate
    return names


def _unqualified(name: str) -> str:
    """The label of a code name qualified by :func:`_code_names`: ``"Wonen (Basisset)"`` -> ``"Wonen"``."""
    cut = name.rfind(" (")
    return name[:cut] if cut > 0 and name.endswith(")") else name


def _family_description(codebook: Codebook, family: Family) -> str:
    blocks = [family.caption] if family.caption else []
    blocks.append(_marker(family=family.id, codebook=codebook.id, kind=family.kind if family.kind != "codes" else None,
                          question=family.question))
    return "\n\n".join(blocks)


def _codes_element(codebook: Codebook, ns: str):
    """The ``<Codes>`` element: families as non-codable top codes, codes nested by parent."""
    from lxml import etree

    codes = etree.Element(f"{{{ns}}}Codes")
    names = _code_names(codebook)

    def node(parent, guid: str, name: str, codable: bool, color: str, description: str):
        el = etree.SubElement(parent, f"{{{ns}}}Code", guid=guid, name=xml_safe(name),
                              isCodable="true" if codable else "false", color=color)
        etree.SubElement(el, f"{{{ns}}}Description").text = xml_safe(description)
        return el

    for i, family in enumerate(codebook.families):
        color = _PALETTE[i % len(_PALETTE)]
        top = node(codes, code_guid(codebook, family.id, kind="family"), family.label, False, color,
                   _family_description(codebook, family))
        ids = {c.id for c in family.codes}
        children: dict[str | None, list[Code]] = defaultdict(list)
        for c in family.codes:
            children[c.parent if c.parent in ids and c.parent != c.id else None].append(c)

        def add(parent_el, parent_id: str | None, seen: frozenset[str]) -> None:
            for c in children.get(parent_id, ()):
                if c.id in seen:  # a cycle (a checked codebook has none)
                    continue
                el = node(parent_el, code_guid(codebook, c.id), names[c.id], True, color,
                          _code_description(c, qualified=names[c.id] != c.label))
                add(el, c.id, seen | {c.id})

        add(top, None, frozenset())
    return codes


def to_qdc(codebook: Codebook) -> bytes:
    """The codebook as REFI-QDA codebook XML (``.qdc``), valid against ``Codebook.xsd``.

    >>> from quickscan.codebook import load_codebook
    >>> print(to_qdc(load_codebook()).decode("utf-8").splitlines()[1])
    <CodeBook xmlns="urn:QDA-XML:codebook:1.0" origin="quickscan ...">
    """
    from lxml import etree

    from . import __version__

    root = etree.Element(f"{{{NS_CODEBOOK}}}CodeBook", nsmap={None: NS_CODEBOOK},
                         origin=f"quickscan {__version__}")
    root.append(_codes_element(codebook, NS_CODEBOOK))
    return etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True)


def write_qdc(codebook: Codebook, path: str | PathLike[str]) -> Path:
    """Write the codebook as a REFI-QDA codebook file (``.qdc``), atomically.

    >>> import tempfile, pathlib
    >>> from quickscan.codebook import load_codebook
    >>> out = write_qdc(load_codebook(), pathlib.Path(tempfile.mkdtemp()) / "codeboek.qdc")
    >>> read_qdc(out).family("basisset").codes[0].label
    'Aanpak dakloosheid'
    """
    data = to_qdc(codebook)
    return atomic_write(path, lambda tmp: Path(tmp).write_bytes(data))


# -- XML -> codebook -----------------------------------------------------------------------


def _parser():
    from lxml import etree

    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                           remove_comments=True, remove_pis=True)


def _parse_xml(data: bytes, path: str, member: str | None = None):
    """Parse untrusted XML: no DTD, no entities, no network; errors name the file and line."""
    from lxml import etree

    where = f"{member} " if member else ""
    try:
        tree = etree.parse(io.BytesIO(data), _parser())
    except etree.XMLSyntaxError as exc:
        line = getattr(exc, "lineno", None)
        raise RefiError(path, f"{where}is not well-formed XML: {exc.msg}",
                        place=f"{member or 'line'} line {line}" if member and line else
                        (f"line {line}" if line else member)) from exc
    if tree.docinfo.doctype:
        raise RefiError(path, f"{where}has a DOCTYPE; REFI-QDA files have none (refused: entities)", place=member)
    return tree


def _ns(root) -> str:
    tag = root.tag
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


def _local(el) -> str:
    tag = el.tag
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _kids(el, name: str) -> list:
    return [c for c in el if _local(c) == name]


def _kid(el, name: str):
    found = _kids(el, name)
    return found[0] if found else None


def _place(el, member: str | None) -> str:
    return f"{member + ' ' if member else ''}line {el.sourceline}"


def _slug(text: str) -> str:
    """A lower_snake_case id from a name: ``"Aanpak dakloosheid"`` -> ``aanpak_dakloosheid``."""
    return "_".join(fold(text).split()) or "code"


def _unique(ident: str, used: set[str]) -> str:
    out, n = ident, 2
    while out in used:
        out, n = f"{ident}_{n}", n + 1
    used.add(out)
    return out


def _split_description(text: str | None) -> tuple[str, dict[str, str]]:
    """(description without the marker, marker fields)."""
    text = text or ""
    m = _MARKER.search(text)
    if not m:
        return text.strip(), {}
    fields = dict(kv.split("=", 1) for kv in m.group(1).split() if "=" in kv)
    return text[: m.start()], fields


def _definition_parts(text: str) -> tuple[str, str, str]:
    m = _DESCRIPTION.match("\n\n" + text) if text else None
    if not m:
        return text, "", ""
    return m.group("definition") or "", m.group("include") or "", m.group("exclude") or ""


@dataclass
class _CodeTree:
    """A codebook read from ``<Codes>``, with GUID -> code id and the codable GUIDs."""

    codebook: Codebook
    guids: dict[str, str] = field(default_factory=dict)  # GUID -> code id (codable nodes only)
    names: dict[str, str] = field(default_factory=dict)  # GUID -> name of every node


def _read_codes(codes_el, path: str, member: str | None, *, codebook_id: str, name: str,
                reference: Codebook | None) -> _CodeTree:
    """Top-level codes -> families, nested codes -> codes with their parent.

    Ids come from the ``[quickscan:...]`` marker, else from the GUID of a code of
    ``reference`` (our stable GUIDs), else from the name (slugified, made unique).
    Top-level codable codes without children (a flat code list) go to the family
    ``overige_codes``; a top-level codable code with children is a family and also a code.
    """
    known = code_guids(reference) if reference is not None else {}
    ref_codes = {c.id: c for c in reference.codes} if reference is not None else {}
    ref_families = {f.id: f for f in reference.families} if reference is not None else {}
    family_ids: set[str] = set()
    code_ids: set[str] = set()
    tree = _CodeTree(codebook=None)  # type: ignore[arg-type]
    families: list[Family] = []
    loose: list[Code] = []
    cb_ids: list[str] = []

    def attrs(el) -> tuple[str, str, bool]:
        guid, nm = el.get("guid"), el.get("name")
        if not guid:
            raise RefiError(path, "a <Code> without its required guid", place=_place(el, member))
        if nm is None:
            raise RefiError(path, f"<Code guid={guid!r}> without its required name", place=_place(el, member))
        codable = (el.get("isCodable") or "true").strip().lower() not in ("false", "0")
        tree.names[guid.strip("{}").lower()] = nm
        return guid.strip("{}").lower(), nm, codable

    def make_code(el, family_id: str, parent: str | None) -> Code:
        guid, nm, _ = attrs(el)
        text, fields = _split_description(_text_of(_kid(el, "Description")))
        wanted = fields.get("code") or (known.get(guid) if not known.get(guid, "").startswith("family:") else None)
        ident = _unique(wanted if wanted and _valid_id(wanted) else _slug(nm), code_ids)
        definition, include, exclude = _definition_parts(text) if fields else (text, "", "")
        ref = ref_codes.get(ident) if wanted else None
        if fields.get("qualified") == "true":  # a name made unique on export: the label again
            nm = ref.label if ref is not None else _unqualified(nm)
        code = Code(id=ident, label=nm, family=family_id, definition=definition, include=include, exclude=exclude,
                    parent=parent, fallback=fields.get("fallback") == "true" or bool(ref and ref.fallback))
        if ref is not None:  # patterns are not part of REFI-QDA: the reference codebook keeps them
            code = replace(code, expected=ref.expected, questions=ref.questions, examples=ref.examples,
                           patterns=ref.patterns)
            if not fields:  # a tool dropped our description: keep what the reference knows
                code = replace(code, definition=ref.definition, include=ref.include, exclude=ref.exclude,
                               fallback=ref.fallback)
        tree.guids[guid] = ident
        return code

    def walk(el, family_id: str, parent: str | None, out: list[Code]) -> None:
        for child in _kids(el, "Code"):
            _, _, codable = attrs(child)
            if codable:
                code = make_code(child, family_id, parent)
                out.append(code)
                walk(child, family_id, code.id, out)
            else:  # a non-codable grouping inside a family: its codes keep the outer parent
                walk(child, family_id, parent, out)

    for top in _kids(codes_el, "Code"):
        guid, nm, codable = attrs(top)
        text, fields = _split_description(_text_of(_kid(top, "Description")))
        nested = _kids(top, "Code")
        ref_family = known.get(guid, "")
        if codable and not nested and "family" not in fields and not ref_family.startswith("family:"):
            loose.append(make_code(top, "overige_codes", None))
            continue
        wanted = fields.get("family") or (ref_family[len("family:"):] if ref_family.startswith("family:") else None)
        fid = _unique(wanted if wanted and _valid_id(wanted) else _slug(nm), family_ids)
        if fields.get("codebook"):
            cb_ids.append(fields["codebook"])
        codes: list[Code] = []
        parent = None
        if codable and "family" not in fields:
            own = make_code(top, fid, None)
            codes.append(own)
            parent = own.id
        walk(top, fid, parent, codes)
        question = fields.get("question")
        ref_f = ref_families.get(fid) if wanted else None
        families.append(Family(
            id=fid, label=nm, codes=tuple(codes), caption=text if fields else (ref_f.caption if ref_f else ""),
            kind=fields.get("kind") or (ref_f.kind if ref_f else "codes"),
            question=int(question) if question and question.isdigit() else (ref_f.question if ref_f else None),
            questions=ref_f.questions if ref_f else (), valence=ref_f.valence if ref_f else (),
        ))
    if loose:
        fid = _unique("overige_codes", family_ids)
        families.append(Family(id=fid, label="Overige codes", codes=tuple(replace(c, family=fid) for c in loose)))
    ident = cb_ids[0] if cb_ids and len(set(cb_ids)) == 1 else codebook_id
    tree.codebook = Codebook(id=ident, name=name, families=tuple(families), source=path)
    return tree


def _valid_id(ident: str) -> bool:
    return bool(re.match(r"^[a-z0-9][a-z0-9_]*$", ident))


def _text_of(el) -> str:
    return "" if el is None or el.text is None else el.text


def _codebook_id(path: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", PurePosixPath(str(path).replace("\\", "/")).stem).strip("-.") or "refi"


def codebook_from_qdc(data: bytes, *, source: str = "<qdc>", codebook: Codebook | None = None) -> Codebook:
    """A codebook from REFI-QDA codebook XML (the pure twin of :func:`read_qdc`).

    >>> xml = b'''<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>
    ...   <Code guid="11111111-1111-1111-1111-111111111111" name="Wonen" isCodable="true">
    ...     <Code guid="22222222-2222-2222-2222-222222222222" name="Eigen voordeur" isCodable="true"/>
    ...   </Code></Codes></CodeBook>'''
    >>> cb = codebook_from_qdc(xml)
    >>> [(c.id, c.parent) for c in cb.family("wonen").codes]
    [('wonen', None), ('eigen_voordeur', 'wonen')]
    """
    tree = _parse_xml(data, source)
    root = tree.getroot()
    if _local(root) != "CodeBook" or not _ns(root).startswith("urn:QDA-XML:"):
        raise RefiError(source, f"not a REFI-QDA codebook: the root element is <{_local(root)}>, not <CodeBook> "
                        f"in {NS_CODEBOOK}", place=f"line {root.sourceline}")
    codes = _kid(root, "Codes")
    if codes is None:
        raise RefiError(source, "the <CodeBook> has no <Codes>", place=f"line {root.sourceline}")
    return _read_codes(codes, source, None, codebook_id=_codebook_id(source), name=_codebook_id(source),
                       reference=codebook).codebook


def read_qdc(path: str | PathLike[str], *, codebook: Codebook | None = None) -> Codebook:
    """Read a REFI-QDA codebook (``.qdc``) written by quickscan or another tool.

    Top-level codes become families, nested codes codes with their ``parent``. Our own
    files give back the ids, definitions, include/exclude rules and fact families; codes
    of other tools get ids made from their names. Patterns are not part of REFI-QDA: pass
    the original ``codebook`` to get its codes back (matched by their stable GUIDs) where
    another tool dropped the descriptions.

    >>> import tempfile, pathlib
    >>> from quickscan.codebook import load_codebook
    >>> out = write_qdc(load_codebook(), pathlib.Path(tempfile.mkdtemp()) / "k.qdc")
    >>> cb = read_qdc(out)
    >>> cb.id, cb.family("status").kind, cb.code("status_onbekend").fallback
    ('regionale-koers-u16', 'fact', True)
    """
    from ._limits import check, regular_file

    size = regular_file(path, error=RefiError)  # a FIFO or device would never end
    check("xml", size, path, f"the codebook is {size / 2**20:,.0f} MiB of XML", error=RefiError)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise RefiError(path, f"cannot read codebook: {exc.strerror}") from exc
    return codebook_from_qdc(data, source=str(path), codebook=codebook)


# -- forms -> plain text ---------------------------------------------------------------------


def _lf(text: str) -> tuple[str, list[int] | None]:
    """The text with ``\\r\\n`` and lone ``\\r`` as ``\\n``, and for each of its positions (plus
    the end) the position in the original (None when nothing changed)."""
    if "\r" not in text:
        return text, None
    out: list[str] = []
    index: list[int] = []
    i, n = 0, len(text)
    while i < n:
        index.append(i)
        if text[i] == "\r":
            out.append("\n")
            i += 2 if i + 1 < n and text[i + 1] == "\n" else 1
        else:
            out.append(text[i])
            i += 1
    index.append(n)
    return "".join(out), index


def _to_lf(index: list[int] | None, offset: int, *, end: bool = False) -> int:
    """A position in the original as a position in the ``\\n`` text; a span that splits a
    ``\\r\\n`` pair widens to hold the whole line break."""
    if index is None:
        return offset
    return bisect.bisect_left(index, offset) if end else bisect.bisect_right(index, offset) - 1


def _from_lf(index: list[int] | None, offset: int) -> int:
    return offset if index is None else index[offset]


@dataclass(frozen=True)
class _Section:
    question: int | None
    start: int  # of the answer in the composed text
    end: int
    answer: str  # the original answer (line endings as in the corpus)
    index: list[int] | None = field(default=None, compare=False)  # LF position -> original position
    own: list[int] | None = field(default=None, compare=False)  # LF position -> position in the source read


def compose_form(
    answers: pd.DataFrame,
    *,
    title: str,
    template: Template | None = None,
    include_personal: bool = False,
) -> tuple[str, list[_Section]]:
    """The plain text of one form and where each answer lies in it.

    A title line, then per answer a heading (``Vraag <n>. <question>``, or ``Zonder vraag``
    for a passage that matched no question) and the answer with ``\\n`` line endings;
    blocks are separated by an empty line. Answers to personal questions are left out
    unless ``include_personal``.

    >>> from quickscan.corpus import make_answers
    >>> rows = make_answers("Buurtcirkel Zeist", "T0", {3: "Jan, 06-1", 9: "Minder\\r\\neenzaamheid."})
    >>> text, sections = compose_form(rows, title="Buurtcirkel Zeist (T0)")
    >>> print(text, end="")
    Buurtcirkel Zeist (T0)
    <BLANKLINE>
    Vraag 9. Wat is het doel van de pilot?
    Minder
    eenzaamheid.
    >>> s = sections[0]
    >>> s.question, text[s.start:s.end] == "Minder\\neenzaamheid."
    (9, True)
    """
    template = template or default_template()
    personal = set(template.personal_questions)
    known = set(template.numbers)
    parts = [xml_safe(title).replace("\n", " ").replace("\r", " "), TITLE_SEPARATOR]
    pos = len(parts[0]) + len(TITLE_SEPARATOR)
    sections: list[_Section] = []
    for q, answer in zip(answers["question"], answers["answer"]):
        q = None if pd.isna(q) else int(q)
        if q is not None and q in personal and not include_personal:
            continue
        if q is not None and q in known:
            heading = f"Vraag {q}. {' '.join(template.question(q).question.split())}"
        elif q is None:
            heading = UNMATCHED_HEADING
        else:
            heading = f"Vraag {q}. "
        answer = "" if pd.isna(answer) else str(answer)
        body, index = _lf(answer)
        if sections:
            parts.append("\n\n")
            pos += 2
        parts += [heading, "\n", body]
        start = pos + len(heading) + 1
        pos = start + len(body)
        sections.append(_Section(q, start, pos, answer, index))
    parts.append("\n")
    return "".join(parts), sections


def _find_sections(text: str, template: Template) -> list[_Section]:
    """The answers of a text we composed, found again from their headings (empty: not ours)."""
    heads = []
    for m in _HEADING.finditer(text):
        if m.group(1) is None:
            heads.append((m, None))
            continue
        q = int(m.group(1))
        if q not in template.numbers:
            continue
        wording = normalize(m.group(2))
        question = template.question(q)
        if wording in {normalize(w) for w in (*question.wordings, question.label)} or not wording:
            heads.append((m, q))
    out = []
    for i, (m, q) in enumerate(heads):
        start = m.end() + (1 if m.end() < len(text) else 0)
        if i + 1 < len(heads):
            end = heads[i + 1][0].start()
            for sep in ("\r\n\r\n", "\n\n"):
                if text.endswith(sep, start, end):
                    end -= len(sep)
                    break
        else:
            end = len(text)
            for sep in ("\r\n", "\n"):
                if text.endswith(sep, start, end):
                    end -= len(sep)
                    break
        end = max(start, end)
        out.append(_Section(q, start, end, text[start:end]))
    return out


# -- corpus + codings -> project -------------------------------------------------------------


def _fact_values(corpus, found: pd.DataFrame, codebook: Codebook) -> dict[tuple[str, str, str], str]:
    """(pilot_id, wave, variable) -> value of the template's case variables (its fact questions,
    named by their key): the label of the fact coding where the codebook has a fact family
    for that question, else the answer."""
    out: dict[tuple[str, str, str], str] = {}
    pilots = corpus.pilots
    variables = {q.number: q.key for q in corpus.template.case_variables}
    for var in variables.values():
        if var in pilots:
            for pid, wave, value in zip(pilots["pilot_id"].tolist(), pilots["wave"].tolist(), pilots[var].tolist()):
                out[(pid, wave, var)] = " ".join(str(value).split())
    facts = {c.id: (variables[f.question], c.label) for f in codebook.families
             if f.kind == "fact" and f.question in variables for c in f.codes}
    for pid, wave, code in zip(found["pilot_id"].tolist(), found["wave"].tolist(), found["code"].tolist()):
        if code in facts:
            out[(pid, wave, facts[code][0])] = facts[code][1]
    return out


def _user(coder: Any) -> str:
    """The user of a coding: its ``coder``, or the rule."""
    return coder.strip() if isinstance(coder, str) and coder.strip() else RULE_USER


def _attr(value: Any) -> str:
    """An attribute value: XML-safe, escaped, quoted (a line break kept as a character reference)."""
    return quoteattr(xml_safe(value), {"\n": "&#10;", "\r": "&#13;", "\t": "&#9;"})


def to_qdpx(
    corpus,
    codings: pd.DataFrame,
    *,
    codebook: Codebook | None = None,
    include_personal: bool = False,
    name: str = "quickscan",
) -> bytes:
    """The corpus and its codings as a REFI-QDA project: the bytes of a ``.qdpx`` zip.

    The pure twin of :func:`write_qdpx` (which see). Every GUID is derived from what it
    names, so the same input gives the same bytes.

    >>> from quickscan.corpus import Corpus, make_answers
    >>> corpus = Corpus.from_answers(make_answers("Thuis Houten", "T0", {9: "Een eigen woning."}))
    >>> codings = pd.DataFrame([{"pilot_id": "thuis-houten", "wave": "T0", "question": 9, "code": "wonen",
    ...     "family": "basisset", "start": 10, "end": 16, "evidence": "Een eigen woning.", "negated": False}])
    >>> data = to_qdpx(corpus, codings)
    >>> sorted(zipfile.ZipFile(io.BytesIO(data)).namelist())[-1]
    'project.qde'
    """
    buffer = io.BytesIO()
    _write_project(buffer, corpus, codings, codebook=codebook, include_personal=include_personal, name=name)
    return buffer.getvalue()


def _write_project(target, corpus, codings: pd.DataFrame, *, codebook: Codebook | None, include_personal: bool,
                   name: str) -> None:
    """Write the ``.qdpx`` zip into ``target`` (a path or a binary file), streamed: each form's
    text as it is composed, then ``project.qde`` element by element; what is kept meanwhile
    is the selections of each form (a few numbers per coding), never the texts or an XML tree."""
    from . import __version__

    codebook = codebook or default_codebook()
    template = corpus.template
    by_code = {c.id: c for c in codebook.codes}
    codings = codings if codings is not None else pd.DataFrame(columns=CODING_COLUMNS)
    missing = sorted({"pilot_id", "wave", "code"} - set(codings.columns))
    if missing:
        raise ValueError(f"codings lack the column(s) {missing}; expected quickscan.coding.CODING_COLUMNS")
    if "negated" not in codings:  # codings of another source: every row is a presence
        codings = codings.assign(negated=False)
    found = present(codings)
    unknown = sorted(set(found["code"]) - set(by_code))
    if unknown:
        raise ValueError(f"codes {unknown[:5]} are not in codebook {codebook.id!r}; pass the codebook they come from")
    personal = set(template.personal_questions)
    if not include_personal:  # a contact row read as part of another answer: pseudonymised here too
        corpus, found = _hide_elsewhere(corpus, found)
    answers = corpus.answers
    names = corpus.pilots.drop_duplicates("pilot_id").set_index("pilot_id")["pilot"].to_dict()
    code_ref = {c: code_guid(codebook, c) for c in by_code}

    # the codings, as columns, and per form the rows that code it
    n = len(found)
    column = {c: found[c].tolist() if c in found else [None] * n for c in ("start", "end", "evidence", "coder")}
    pids, waves, codes = found["pilot_id"].tolist(), found["wave"].tolist(), found["code"].tolist()
    questions = [None if q != q else int(q) for q in (
        pd.to_numeric(found["question"], errors="coerce").astype(float).tolist() if "question" in found else [None] * n)]
    row_users = [_user(c) for c in column["coder"]]
    users = sorted(set(row_users) | {RULE_USER}, key=lambda u: (u != RULE_USER, u))
    user_guid = {u: _guid("user", u) for u in users}
    keys = set(zip(answers["pilot_id"].tolist(), answers["wave"].tolist()))
    rows_of: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, key in enumerate(zip(pids, waves)):
        if key not in keys:
            raise ValueError(f"coding of {codes[i]!r} for pilot {key[0]!r} in wave {key[1]!r}: no such form in the corpus")
        rows_of[key].append(i)

    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:

        def member(path: str):
            info = zipfile.ZipInfo(path, date_time=(2020, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            return zf.open(info, "w")

        # the forms: their text as a member each, their selections (start, end) -> [(code, user)] kept
        forms: list[tuple[str, str, str, str, dict, list]] = []  # pilot_id, wave, guid, name, selections, whole
        for (pid, wave), rows in answers.groupby(["pilot_id", "wave"], sort=False):
            title = f"{rows['pilot'].iloc[0]} ({wave})"
            text, sections = compose_form(rows, title=title, template=template, include_personal=include_personal)
            guid = _guid("source", pid, wave)
            with member(f"Sources/{guid}.txt") as f:
                f.write(text.encode("utf-8"))
            selections: dict[tuple[int, int], list[tuple[str, str]]] = {}
            whole: list[tuple[str, str]] = []
            for i in rows_of.get((pid, wave), ()):
                q, code, user = questions[i], codes[i], row_users[i]
                if q is not None and q in personal and not include_personal:
                    continue
                span = _span(sections, q, column["start"][i], column["end"][i], column["evidence"][i],
                             what=(code, pid, wave))
                if span is None:
                    if (code, user) not in whole:
                        whole.append((code, user))
                    continue
                coded = selections.setdefault(span, [])
                if all(c != code for c, _ in coded):
                    coded.append((code, user))
            forms.append((pid, wave, guid, title, selections, whole))

        # the project
        facts = _fact_values(corpus, found, codebook)
        case_variables = [q.key for q in template.case_variables]
        var_guid = {v: _guid("variable", v) for v in (*VARIABLES, *case_variables)}
        waves_of: dict[str, list[tuple[str, str]]] = defaultdict(list)  # pilot_id -> (wave, source guid)
        for pid, wave, guid, *_ in forms:
            waves_of[pid].append((wave, guid))
        from lxml import etree

        codebook_el = etree.Element(f"{{{NS_PROJECT}}}CodeBook", nsmap={None: NS_PROJECT})
        codebook_el.append(_codes_element(codebook, NS_PROJECT))

        def values(pairs: Iterable[tuple[str, str]]) -> str:
            return "".join(f'<VariableValue><VariableRef targetGUID="{var_guid[var]}"/>'
                           f"<TextValue>{escape(xml_safe(value))}</TextValue></VariableValue>\n"
                           for var, value in pairs if value)

        with member("project.qde") as raw, io.TextIOWrapper(raw, encoding="utf-8", newline="") as out:
            out.write(f"<?xml version='1.0' encoding='utf-8'?>\n<Project xmlns={_attr(NS_PROJECT)} name={_attr(name)} "
                      f"origin={_attr(f'quickscan {__version__}')} creatingUserGUID=\"{user_guid[RULE_USER]}\">\n")
            out.write("<Users>\n" + "".join(f'<User guid="{user_guid[u]}" name={_attr(u)}/>\n' for u in users)
                      + "</Users>\n")
            out.write(etree.tostring(codebook_el, encoding=str) + "\n<Variables>\n")
            out.write("".join(f'<Variable guid="{g}" name={_attr(v)} typeOfVariable="Text"/>\n'
                              for v, g in var_guid.items()) + "</Variables>\n<Cases>\n")
            for pid, sources in waves_of.items():
                latest = sources[-1][0]
                out.write(f'<Case guid="{_guid("case", pid)}" name={_attr(names.get(pid, pid))}>\n'
                          + values([("pilot_id", pid), ("wave", ", ".join(w for w, _ in sources))]
                                   + [(v, facts.get((pid, latest, v), "")) for v in case_variables])
                          + "".join(f'<SourceRef targetGUID="{g}"/>\n' for _, g in sources) + "</Case>\n")
            out.write("</Cases>\n<Sources>\n")
            for pid, wave, guid, title, selections, whole in forms:
                part = [f'<TextSource guid="{guid}" name={_attr(title)} plainTextPath="internal://{guid}.txt" '
                        f'creatingUser="{user_guid[RULE_USER]}">\n']
                for (start, end), coded in sorted(selections.items()):
                    part.append(f'<PlainTextSelection guid="{_guid("selection", guid, start, end)}" '
                                f'startPosition="{start}" endPosition="{end}" creatingUser="{user_guid[coded[0][1]]}">\n')
                    part += [f'<Coding guid="{_guid("coding", guid, start, end, code)}" creatingUser="{user_guid[user]}">'
                             f'<CodeRef targetGUID="{code_ref[code]}"/></Coding>\n' for code, user in coded]
                    part.append("</PlainTextSelection>\n")
                part += [f'<Coding guid="{_guid("coding", guid, "source", code)}" creatingUser="{user_guid[user]}">'
                         f'<CodeRef targetGUID="{code_ref[code]}"/></Coding>\n' for code, user in whole]
                part.append(values([("pilot_id", pid), ("wave", wave)]
                                   + [(v, facts.get((pid, wave, v), "")) for v in case_variables]))
                part.append("</TextSource>\n")
                out.write("".join(part))
            out.write("</Sources>\n</Project>\n")


def _hide_elsewhere(corpus, codings: pd.DataFrame):
    """The corpus with personal data outside the personal questions pseudonymised
    (:func:`quickscan.privacy.hide_personal_elsewhere`), and the codings' offsets moved with it."""
    from .privacy import find_personal_elsewhere, hide_personal_elsewhere, shift_offset

    spans = find_personal_elsewhere(corpus)
    if spans.empty:
        return corpus, codings
    edits: dict[tuple, list[tuple[int, int, int]]] = defaultdict(list)
    texts: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
    for r in spans.itertuples(index=False):
        q = None if pd.isna(r.question) else int(r.question)
        edits[(r.pilot_id, r.wave, q)].append((int(r.start), int(r.end), len(r.placeholder)))
        texts[(r.pilot_id, r.wave)].append((r.text, r.placeholder))
    rows = []
    for r in codings.to_dict("records"):
        q = None if pd.isna(r.get("question")) else int(r["question"])
        key = (r["pilot_id"], r["wave"])
        if key in texts:
            for text, placeholder in texts[key]:
                if isinstance(r.get("evidence"), str):
                    r["evidence"] = r["evidence"].replace(text, placeholder)
            has = not (pd.isna(r.get("start")) or pd.isna(r.get("end")))
            if q is None and (r["pilot_id"], r["wave"], None) in edits:
                r["start"] = r["end"] = None  # several passages: found again by its evidence
            elif has and (*key, q) in edits:
                r["start"] = shift_offset(int(r["start"]), edits[(*key, q)])
                r["end"] = shift_offset(int(r["end"]), edits[(*key, q)], end=True)
        rows.append(r)
    return hide_personal_elsewhere(corpus, spans), pd.DataFrame(rows, columns=codings.columns)


def _missing(value: Any) -> bool:
    """None, ``pd.NA`` or NaN (quicker than ``pd.isna`` on one value)."""
    return value is None or value is pd.NA or value != value


def _span(sections: list[_Section], q: int | None, start: Any, end: Any, evidence: Any, *,
          what: tuple[str, str, str]) -> tuple[int, int] | None:
    """Where a coding (``what``: code, pilot_id, wave) lies in the composed text of its form
    (None: the whole source)."""
    candidates = [s for s in sections if s.question == q]
    evidence = evidence.strip() if isinstance(evidence, str) else ""
    has_offsets = not (_missing(start) or _missing(end))
    if not candidates:
        return None
    if q is None and len(candidates) > 1 and evidence:  # several passages without a question
        with_evidence = [s for s in candidates if evidence in s.answer]
        candidates = with_evidence or candidates
    s = candidates[0]
    if not has_offsets:
        at = s.answer.find(evidence) if evidence else -1
        if at < 0:
            return None
        start, end = at, at + len(evidence)
    start, end = int(start), int(end)
    if not 0 <= start <= end <= len(s.answer):
        where = f"question {q}" if q is not None else "a passage without question"
        code, pid, wave = what
        raise ValueError(f"coding of {code!r} ({pid}, {wave}, {where}): "
                         f"offsets {start}-{end} lie outside the answer ({len(s.answer)} characters)")
    return s.start + _to_lf(s.index, start), s.start + _to_lf(s.index, end, end=True)


def write_qdpx(
    corpus,
    codings: pd.DataFrame,
    path: str | PathLike[str],
    *,
    codebook: Codebook | None = None,
    include_personal: bool = False,
    name: str = "quickscan",
) -> Path:
    """Write the forms and their codings as a REFI-QDA project (``.qdpx``), atomically.

    Open the file in ATLAS.ti, MAXQDA, NVivo or QualCoder (import a REFI-QDA project).

    Parameters
    ----------
    corpus : Corpus
        The forms: one text source per pilot and wave.
    codings : DataFrame
        Codings (``CODING_COLUMNS``; an optional ``coder`` column names the user). Only
        the codings that count as present are written (not negated, not rejected).
    codebook : Codebook, optional
        The codebook of the codings (default: the bundled one).
    include_personal : bool
        Also write the template's personal questions (names, phones, e-mail). Without it,
        e-mail addresses, phone numbers and the names beside them found in other answers (a
        contact row read as part of question 2) are pseudonymised too
        (:func:`quickscan.privacy.hide_personal_elsewhere`), the codings moved with the text.
    name : str
        The project name shown by the other tool.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from quickscan.corpus import Corpus, make_answers
    >>> corpus = Corpus.from_answers(make_answers("Thuis Houten", "T0", {9: "Een eigen woning."}))
    >>> codings = pd.DataFrame([{"pilot_id": "thuis-houten", "wave": "T0", "question": 9, "code": "wonen",
    ...     "family": "basisset", "start": 10, "end": 16, "evidence": "Een eigen woning.", "negated": False}])
    >>> out = write_qdpx(corpus, codings, pathlib.Path(tempfile.mkdtemp()) / "houten.qdpx")
    >>> read_qdpx(out).codings[["pilot_id", "question", "code", "start", "end", "coder"]]
           pilot_id  question   code  start  end      coder
    0  thuis-houten         9  wonen     10   16  quickscan
    """
    return atomic_write(path, lambda tmp: _write_project(tmp, corpus, codings, codebook=codebook,
                                                         include_personal=include_personal, name=name))


# -- project -> codings ------------------------------------------------------------------------


@dataclass(frozen=True)
class RefiProject:
    """A REFI-QDA project read back: its codebook, codings, forms, sources and cases.

    ``codings`` has the columns of :data:`quickscan.coding.CODING_COLUMNS` plus ``coder``;
    ``corpus`` holds the text of every source (answers per question where the source is a
    form we wrote, else the whole text as one passage without question); ``sources`` and
    ``cases`` are one row per source and per case with their variables.
    """

    codebook: Codebook
    codings: pd.DataFrame
    corpus: Any
    sources: pd.DataFrame
    cases: pd.DataFrame
    origin: str = ""

    def __repr__(self) -> str:
        coders = sorted(set(self.codings["coder"])) if not self.codings.empty else []
        return (f"RefiProject(origin={self.origin!r}: {len(self.sources)} sources, {len(self.cases)} cases, "
                f"{len(self.codebook.codes)} codes in {len(self.codebook.families)} families, "
                f"{len(self.codings)} codings by {coders})")


class _Zip:
    """Members of an untrusted zip: size-limited, found case-insensitively.

    Every read counts against the file's budget ``unpacked`` (``QUICKSCAN_MAX_UNPACKED_MB``),
    also a member read again for a second source that points at it; the unpacked bytes of
    a member are kept, so that it is unpacked once.
    """

    def __init__(self, path: str | PathLike[str]) -> None:
        from ._limits import regular_file

        self.path = str(path)
        self.spent = 0
        self.kept: dict[str, bytes] = {}
        self.texts: dict[str, str] = {}  # decoded source texts, by member
        regular_file(path, error=RefiError)
        try:
            self.zf = zipfile.ZipFile(path)
        except FileNotFoundError as exc:
            raise RefiError(path, "no such file") from exc
        except (zipfile.BadZipFile, OSError) as exc:
            raise RefiError(path, "not a REFI-QDA project: a .qdpx is a zip archive, and this is not one") from exc
        infos = self.zf.infolist()
        if len(infos) > MAX_MEMBERS:
            raise RefiError(path, f"refused: {len(infos)} members in the archive (at most {MAX_MEMBERS})")
        self.by_name = {i.filename.replace("\\", "/").lstrip("/").lower(): i for i in infos if not i.is_dir()}

    def find(self, name: str) -> zipfile.ZipInfo | None:
        return self.by_name.get(name.replace("\\", "/").lstrip("/").lower())

    def read(self, info: zipfile.ZipInfo, *, xml: bool = False) -> bytes:
        """The bytes of a member, within the budgets: what the project unpacks in all, and
        for the XML that is parsed (``xml``) the budget of parsed XML."""
        from ._limits import check, limit, over

        cap = limit("xml") if xml else MAX_MEMBER_BYTES
        if info.file_size > cap:
            if xml:
                raise over("xml", info.file_size, self.path, f"{info.filename} would unpack to "
                           f"{info.file_size / 2**20:,.0f} MiB of XML", place=info.filename, error=RefiError)
            raise RefiError(self.path, f"refused: {info.file_size} bytes unpacked (at most {cap})", place=info.filename)
        self.spent += info.file_size
        check("unpacked", self.spent, self.path, f"reading {info.filename} ({info.file_size / 2**20:,.1f} MiB) "
              f"would bring what this project unpacks to {self.spent / 2**20:,.0f} MiB", place=info.filename,
              error=RefiError)
        if info.filename in self.kept:
            return self.kept[info.filename]
        try:
            with self.zf.open(info) as f:
                data = f.read(cap + 1)
        except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError) as exc:
            raise RefiError(self.path, f"cannot unpack: {exc}", place=info.filename) from exc
        if len(data) > cap:
            raise RefiError(self.path, f"refused: more than {cap} bytes unpacked", place=info.filename)
        self.kept[info.filename] = data
        return data


def _project_member(z: _Zip) -> zipfile.ZipInfo:
    info = z.find("project.qde")
    if info is None:
        top = [i for n, i in z.by_name.items() if n.endswith(".qde") and "/" not in n]
        if len(top) == 1:
            return top[0]
        raise RefiError(z.path, "not a REFI-QDA project: the archive holds no project.qde"
                        + (f" (but {len(top)} .qde files)" if top else ""))
    return info


def _validate(tree, schema: str | PathLike[str], path: str, member: str) -> None:
    from lxml import etree

    xsd = etree.XMLSchema(etree.parse(str(schema)))
    if not xsd.validate(tree):
        err = xsd.error_log[0]
        raise RefiError(path, f"{member} does not match the REFI-QDA schema: {err.message}",
                        place=f"{member} line {err.line}")


def _int_attr(el, name: str, path: str, member: str) -> int:
    value = el.get(name)
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        raise RefiError(path, f"<{_local(el)} guid={el.get('guid')!r}>: {name} must be a whole number, not {value!r}",
                        place=_place(el, member)) from None


def _variables(el, variables: Mapping[str, str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for vv in _kids(el, "VariableValue"):
        ref = _kid(vv, "VariableRef")
        name = variables.get(((ref.get("targetGUID") if ref is not None else "") or "").strip("{}").lower())
        if name is None:
            continue
        value = next((c.text for c in vv if _local(c) != "VariableRef" and c.text is not None), None)
        if value is not None:
            out.setdefault(name, value.strip())
    return out


_WAVE_VARS = ("wave", "meting", "golf", "ronde")
_PILOT_VARS = ("pilot", "pilotnaam", "project", "naam")


def _pick(values: Mapping[str, str], keys: Iterable[str]) -> str | None:
    lowered = {k.strip().lower(): v for k, v in values.items()}
    return next((lowered[k] for k in keys if lowered.get(k)), None)


def read_qdpx(
    path: str | PathLike[str],
    *,
    codebook: Codebook | None = None,
    corpus=None,
    template: Template | None = None,
    schema: str | PathLike[str] | None = None,
    wave: str = "T0",
) -> RefiProject:
    """Read a REFI-QDA project (``.qdpx``) coded in quickscan, ATLAS.ti, MAXQDA, NVivo or QualCoder.

    Each text source becomes a form: its pilot and wave come from the source's variables
    (``pilot_id``, ``wave``), else from the case that holds it (case name, case variables),
    else from the source name (``"Houten (T1)"``; a wave such as ``T1`` in the name; else
    ``wave``). A selection in a form we wrote is mapped to its question and to offsets in
    that answer (a selection over several answers gives a coding per answer); elsewhere the
    question is <NA> and the offsets are into the whole text. The evidence is the
    sentence(s) of the answer the selection touches (as :func:`quickscan.coding.code_corpus`
    would quote them); outside our forms the selected text.

    Parameters
    ----------
    codebook : Codebook, optional
        The codebook the project was exported with: codes found by their GUIDs get its ids,
        patterns and families back even when the other tool dropped the descriptions.
    corpus : Corpus, optional
        The corpus the project was exported from: offsets are mapped back onto its answers
        (undoing the ``\\r\\n`` -> ``\\n`` of the export) and its pilot ids are used.
    template : Template, optional
        The template whose questions the headings name (default: the bundled one).
    schema : path, optional
        ``Project-mrt2019.xsd``: validate ``project.qde`` against it first.
    wave : str
        The wave of a source that names none.

    Returns
    -------
    RefiProject
        ``codebook``, ``codings`` (CODING_COLUMNS + coder; ``source`` is ``rule`` for the
        quickscan user, else ``refi``; ``negated`` is False: a coding in a QDA tool is a
        presence), ``corpus``, ``sources``, ``cases``, ``origin``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from quickscan.corpus import Corpus, make_answers
    >>> corpus = Corpus.from_answers(make_answers("Thuis Houten", "T1", {9: "Wonen.\\r\\nEen eigen woning."}))
    >>> codings = pd.DataFrame([{"pilot_id": "thuis-houten", "wave": "T1", "question": 9, "code": "wonen",
    ...     "family": "basisset", "start": 18, "end": 24, "evidence": "Een eigen woning.", "negated": False}])
    >>> out = write_qdpx(corpus, codings, pathlib.Path(tempfile.mkdtemp()) / "houten.qdpx")
    >>> project = read_qdpx(out)
    >>> project
    RefiProject(origin='quickscan ...': 1 sources, 1 cases, ... codes in 14 families, 1 codings by ['quickscan'])
    >>> project.codings[["wave", "question", "start", "end", "evidence"]]
      wave  question  start  end           evidence
    0   T1         9     17   23  Een eigen woning.
    >>> read_qdpx(out, corpus=corpus).codings[["start", "end"]]  # offsets in the corpus answer (with \\r\\n)
       start  end
    0     18   24
    """
    from .corpus import UNMATCHED, Corpus, pilot_id as make_pilot_id, wave_from_name

    template = template or getattr(corpus, "template", None) or default_template()
    z = _Zip(path)
    path = z.path
    info = _project_member(z)
    member = info.filename
    tree = _parse_xml(z.read(info, xml=True), path, member)
    root = tree.getroot()
    if _local(root) != "Project" or not _ns(root).startswith("urn:QDA-XML:project:"):
        raise RefiError(path, f"{member}: the root element is <{_local(root)}> in {_ns(root) or 'no namespace'!r}, "
                        f"not <Project> in {NS_PROJECT!r}", place=f"{member} line {root.sourceline}")
    if schema is not None:
        _validate(tree, schema, path, member)

    users = {(u.get("guid") or "").strip("{}").lower(): u.get("name") or u.get("id") or ""
             for u in root.iter(f"{{{_ns(root)}}}User")}
    codebook_el = _kid(root, "CodeBook")
    codes_el = _kid(codebook_el, "Codes") if codebook_el is not None else None
    if codes_el is None:
        codes_tree = _CodeTree(Codebook(id=_codebook_id(path), name=root.get("name") or "", families=(),
                                        source=path))
    else:
        codes_tree = _read_codes(codes_el, path, member, codebook_id=_codebook_id(path),
                                 name=root.get("name") or _codebook_id(path), reference=codebook)
    cb = codes_tree.codebook
    family_of = {c.id: c.family for c in cb.codes}
    fact_question = {f.id: f.question for f in cb.families if f.kind == "fact"}
    variables = {(v.get("guid") or "").strip("{}").lower(): v.get("name") or ""
                 for v in _kids(_kid(root, "Variables"), "Variable")} if _kid(root, "Variables") is not None else {}

    # cases
    case_rows, case_of_source = [], {}
    for case in _kids(_kid(root, "Cases"), "Case") if _kid(root, "Cases") is not None else []:
        values = _variables(case, variables)
        refs = [(r.get("targetGUID") or "").strip("{}").lower() for r in _kids(case, "SourceRef")]
        row = {"guid": (case.get("guid") or "").strip("{}").lower(), "name": case.get("name") or "",
               "sources": tuple(refs), **values}
        case_rows.append(row)
        for ref in refs:
            case_of_source.setdefault(ref, row)

    corpus_ids = {}
    if corpus is not None:
        first = corpus.pilots.drop_duplicates("pilot_id")
        corpus_ids = {normalize(n): pid for n, pid in zip(first["pilot"], first["pilot_id"])}

    def code_of(coding_el) -> str:
        ref = _kid(coding_el, "CodeRef")
        target = (ref.get("targetGUID") if ref is not None else None) or ""
        ident = codes_tree.guids.get(target.strip("{}").lower())
        if ident is None:
            what = (f"a code that is not codable ({codes_tree.names[target.strip('{}').lower()]!r})"
                    if target.strip("{}").lower() in codes_tree.names else "an unknown code")
            raise RefiError(path, f"<Coding guid={coding_el.get('guid')!r}> refers to {what}: "
                            f"targetGUID {target!r} is not a code of the codebook", place=_place(coding_el, member))
        return ident

    def coder_of(*els) -> str:
        for el in els:
            user = (el.get("creatingUser") or "").strip("{}").lower()
            if user:
                return users.get(user) or user
        return ""

    answer_rows: list[dict[str, Any]] = []
    source_rows: list[dict[str, Any]] = []
    records: list[dict[str, Any]] = []
    sources_el = _kid(root, "Sources")
    _check_references(_kids(sources_el, "TextSource") if sources_el is not None else [], z)
    for src in _kids(sources_el, "TextSource") if sources_el is not None else []:
        guid = (src.get("guid") or "").strip("{}").lower()
        name = src.get("name") or guid
        text = _source_text(src, z, member)
        values = _variables(src, variables)
        case = case_of_source.get(guid, {})
        case_values = {k: v for k, v in case.items() if k not in ("guid", "name", "sources")}
        title = _TITLE.match(name.strip())
        pilot = (_pick(values, _PILOT_VARS) or case.get("name") or (title.group("pilot") if title else None)
                 or re.sub(r"(?i)(\.txt|\.docx?|\.rtf|\.pdf)$", "", name).strip())
        case_wave = _pick(case_values, _WAVE_VARS) or ""
        src_wave = (_pick(values, _WAVE_VARS) or (case_wave if case_wave and "," not in case_wave else None)
                    or (title.group("wave") if title else None) or wave_from_name(name) or wave)
        pid = (values.get("pilot_id") or (case_values.get("pilot_id") if case else None)
               or corpus_ids.get(normalize(pilot)) or make_pilot_id(pilot))
        sections = _find_sections(text, template)
        composed = bool(sections)
        if not composed:
            sections = [_Section(None, 0, len(text), text)]
        # offsets: source text (a tool may have saved it with \r\n) -> \n text -> the answer: the
        # corpus answer where it is the same text, else the text of the source
        mapped: list[_Section] = []
        for s in sections:
            lf, own = _lf(s.answer)
            original = _corpus_answer(corpus, pid, src_wave, s.question, lf) if corpus is not None else None
            answer = s.answer if original is None else original
            mapped.append(replace(s, answer=answer, index=_lf(answer)[1], own=own))
        sections = mapped
        for s in sections:
            answer_rows.append({"pilot_id": pid, "pilot": pilot, "wave": src_wave, "question": s.question,
                                "label": UNMATCHED if s.question is None else template.question(s.question).label, "answer": s.answer,
                                "source": name, "location": f"{name}: {s.start}-{s.end}"})
        source_rows.append({"guid": guid, "name": name, "pilot_id": pid, "pilot": pilot, "wave": src_wave,
                            "composed": composed, "characters": len(text), **values})
        base = {"pilot_id": pid, "wave": src_wave}

        for sel in _kids(src, "PlainTextSelection"):
            start = _int_attr(sel, "startPosition", path, member)
            end = _int_attr(sel, "endPosition", path, member)
            if not 0 <= start <= end <= len(text):
                raise RefiError(path, f"<PlainTextSelection guid={sel.get('guid')!r}>: positions {start}-{end} lie "
                                f"outside source {name!r} ({len(text)} characters)", place=_place(sel, member))
            codes = [(code_of(c), coder_of(c, sel, src)) for c in _kids(sel, "Coding")]
            if not codes:
                continue
            pieces = [(s, max(start, s.start), min(end, s.end)) for s in sections
                      if max(start, s.start) < min(end, s.end) or (start == end and s.start <= start <= s.end)]
            for code, coder in codes:
                if not pieces:  # a heading or the title only
                    records.append({**base, "question": None, "code": code, "start": None, "end": None,
                                    "evidence": " ".join(text[start:end].split()), "coder": coder})
                for s, a, b in pieces:
                    a = _from_lf(s.index, _to_lf(s.own, a - s.start))
                    b = _from_lf(s.index, _to_lf(s.own, b - s.start, end=True))
                    evidence = _evidence(s.answer, a, b) if composed else " ".join(s.answer[a:b].split())
                    records.append({**base, "question": s.question, "code": code, "start": a, "end": b,
                                    "evidence": evidence, "coder": coder})
        for c in _kids(src, "Coding"):  # the whole source
            code = code_of(c)
            question = fact_question.get(family_of.get(code)) if composed else None
            records.append({**base, "question": question, "code": code, "start": None, "end": None,
                            "evidence": "", "coder": coder_of(c, src)})

    codings = _codings_frame(records, family_of)
    answers = pd.DataFrame(answer_rows) if answer_rows else None
    read_corpus = Corpus.from_answers(answers, template=template) if answers is not None else (
        Corpus.from_answers([], template=template))
    sources = pd.DataFrame(source_rows, columns=None if source_rows else
                           ["guid", "name", "pilot_id", "pilot", "wave", "composed", "characters"])
    cases = pd.DataFrame(case_rows, columns=None if case_rows else ["guid", "name", "sources"])
    return RefiProject(cb, codings, read_corpus, sources, cases, origin=root.get("origin") or "")


def _check_references(sources, z: _Zip) -> None:
    """Refuse a project whose text sources, each reference counted, would unpack to more than the
    budget ``unpacked``, before any source is read (120 sources pointing at one 60 MB member)."""
    from ._limits import check

    total, biggest = z.spent, None
    for src in sources:
        ref = (src.get("plainTextPath") or "").strip()
        if not ref.lower().startswith("internal://"):
            continue
        file = ref[len("internal://"):].lstrip("/")
        info = z.find(f"sources/{file}") or z.find(file)
        if info is not None:
            total += info.file_size
            biggest = max(biggest or info, info, key=lambda i: i.file_size)
    if biggest is not None:
        check("unpacked", total, z.path, f"its {len(sources)} text sources (each reference counted; the largest, "
              f"{biggest.filename}, is {biggest.file_size / 2**20:,.1f} MiB) would unpack to {total / 2**20:,.0f} MiB",
              error=RefiError)


def _source_text(src, z: _Zip, member: str) -> str:
    content = _kid(src, "PlainTextContent")
    if content is not None:
        return content.text or ""
    ref = src.get("plainTextPath")
    name = src.get("name") or src.get("guid")
    if not ref:
        raise RefiError(z.path, f"<TextSource name={name!r}> has neither plainTextPath nor PlainTextContent",
                        place=_place(src, member))
    if not ref.lower().startswith("internal://"):
        raise RefiError(z.path, f"<TextSource name={name!r}>: the text {ref!r} lies outside the project; export "
                        "the project with its sources included", place=_place(src, member))
    file = ref[len("internal://"):].lstrip("/")
    if ".." in file.replace("\\", "/").split("/"):
        raise RefiError(z.path, f"<TextSource name={name!r}>: the text {ref!r} points outside the archive's "
                        "folders (refused: '..' in the path)", place=_place(src, member))
    info = z.find(f"sources/{file}") or z.find(file)
    if info is None:
        raise RefiError(z.path, f"<TextSource name={name!r}>: {ref} is missing from the archive (no Sources/{file})",
                        place=_place(src, member))
    data = z.read(info)  # counted against the budget on every reference
    if info.filename in z.texts:
        return z.texts[info.filename]
    try:
        text = z.texts[info.filename] = data.decode("utf-8-sig")
        return text
    except UnicodeDecodeError as exc:
        raise RefiError(z.path, f"the text of source {name!r} is not UTF-8 (byte {exc.start})",
                        place=info.filename) from exc


def _corpus_answer(corpus, pid: str, wave: str, question: int | None, lf: str) -> str | None:
    """The corpus answer a section was written from (the same text after ``\\r\\n`` -> ``\\n``)."""
    a = corpus.answers
    rows = a[(a["pilot_id"] == pid) & (a["wave"] == wave)]
    rows = rows[rows["question"].isna()] if question is None else rows[rows["question"] == question]
    for answer in rows["answer"]:
        if _lf(str(answer))[0] == lf:
            return str(answer)
    return None


def _evidence(answer: str, start: int, end: int) -> str:
    """The sentence(s) of an answer that a span touches, as the coder quotes them."""
    from .coding import sentences

    touched = [s for a, b, s in sentences(answer) if a < max(end, start + 1) and b > start]
    return " ".join(touched) if touched else " ".join(answer[start:end].split())


def _codings_frame(records: list[dict[str, Any]], family_of: Mapping[str, str]) -> pd.DataFrame:
    seen: dict[tuple, int] = defaultdict(int)
    rows = []
    for r in records:
        q = r["question"]
        key = (r["pilot_id"], r["wave"], q, fold(r["evidence"] or ""), r["code"])
        seen[key] += 1
        coder = r["coder"] or ""
        rows.append({
            "pilot_id": r["pilot_id"], "wave": r["wave"], "question": q, "code": r["code"],
            "family": family_of.get(r["code"]), "start": r["start"], "end": r["end"], "evidence": r["evidence"],
            "negated": False, "valence": None, "source": "rule" if coder == RULE_USER else "refi", "pattern": None,
            "segment_id": segment_id(r["pilot_id"], r["wave"], q, r["evidence"], r["code"], seen[key]),
            "coder": coder,
        })
    frame = pd.DataFrame(rows, columns=READ_COLUMNS)
    frame = frame.astype({"question": "Int64", "start": "Int64", "end": "Int64", "negated": bool})
    for col in ("valence", "pattern"):
        frame[col] = frame[col].astype(object)
    return frame.reset_index(drop=True)
