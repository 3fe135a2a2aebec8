"""Annotated report drafts for ``quickscan verify``: Word documents with known count claims.

Used by ``tests/test_verify.py`` and ``benchmarks/bench_verify.py``. A draft is a list of
items ``(kind, text, expected)``: kind is a heading level (``h0`` title, ``h1``...), ``p``
(body), ``bullet``, ``number`` (numbered list), ``caption``, ``table`` (text is a list of
rows), ``textbox`` (a text box anchored in an empty paragraph), ``kop`` (a heading in a
"Kop 2" style, as Dutch Word and LibreOffice name it), ``outline`` (a Normal paragraph with
an outline level: a heading without a heading style); ``expected`` lists the claims in it
as ``(words of the claim, verdict)``.

Three drafts: ``DRAFT_A`` was written with the code and used while developing it;
``DRAFT_B`` and ``DRAFT_C`` were written afterwards from other report phrasings and
annotated before their first run (the figures of that first run are in docs/verify.md; the
code was then improved where they showed a general gap). The tables (``tables()``) are
fictional: 15 projects in T0, 16 in T1.

    python scripts/verify_drafts.py out/      # writes draft-a.docx, draft-b.docx and tables.xlsx
"""

from __future__ import annotations

import copy
import sys
from pathlib import Path

import pandas as pd

BASISSET_T0 = {
    "Aanpak dakloosheid": 8, "Activering en werk": 10, "Ambulante begeleiding": 11, "Ambulante behandeling": 9,
    "Ervaringsdeskundigheid": 8, "Herstelgerichte benadering": 13, "Informele zorg": 12, "Integrale aanpak": 8,
    "Inclusieve wijk (integratie in de wijk)": 6, "Persoonlijke ontwikkeling": 8,
    "Preventie en vroegsignalering": 14, "Professionele ruimte": 11, "Schuldhulpverlening": 4,
    "Time-out voorziening": 3, "Wonen": 11,
}
BASISSET_T1 = {**BASISSET_T0, "Wonen": 9, "Schuldhulpverlening": 8, "Ervaringsdeskundigheid": 13,
               "Activering en werk": 8, "Time-out voorziening": 4}
UITGANGSPUNTEN_T0 = {
    "Eigen verantwoordelijkheid, keuzevrijheid en wederkerigheid zijn vanzelfsprekend": 11,
    "Normaliseren en uitgaan van de mogelijkheden": 13,
    "Ruimte voor professionele afwegingen en beslissingen": 9,
    "Eenvoudiger systeem en integrale aanpak": 7,
    "Lokaal wat lokaal kan, regionaal wat meerwaarde heeft": 12,
}
UITGANGSPUNTEN_T1 = {**UITGANGSPUNTEN_T0, "Eenvoudiger systeem en integrale aanpak": 12}


def table(totals: dict[str, int], n: int, unit: str = "Pilot") -> pd.DataFrame:
    """A code_matrix-shaped table: the first ``total`` pilots of each code marked X, a Totaal row."""
    index = [f"{i}. Project {i}" for i in range(1, n + 1)] + ["Totaal"]
    data = {label: ["X" if i < total else "" for i in range(n)] + [total] for label, total in totals.items()}
    return pd.DataFrame(data, index=pd.Index(index, name=unit), dtype=object)


def tables() -> dict[tuple[str, str], pd.DataFrame]:
    return {("basisset", "T0"): table(BASISSET_T0, 15), ("basisset", "T1"): table(BASISSET_T1, 16),
            ("uitgangspunten", "T0"): table(UITGANGSPUNTEN_T0, 15),
            ("uitgangspunten", "T1"): table(UITGANGSPUNTEN_T1, 16)}


A, D, U = "agrees", "differs", "unchecked"

DRAFT_A = [
    ("h0", "Tussenrapportage quickscan pilots T0", []),
    ("h1", "1 Inleiding", []),
    ("p", "In het voorjaar van 2020 zijn vijftien projecten geïnterviewd met de quickscan.", [("vijftien projecten", A)]),
    ("p", "Per project is één gesprek gevoerd van ongeveer twee uur. De gesprekken vonden plaats tussen februari en "
          "mei 2020; drie gesprekken zijn telefonisch gevoerd. In hoofdstuk 3 staan de resultaten per thema.", []),
    ("p", "Sinds 2019 werken 3 gemeenten samen in dit programma. Project 3 en project 7 werken met Housing First. "
          "Een project noemt expliciet de wachtlijsten.", []),
    ("h1", "2 Bijdrage aan de basisset", []),
    ("caption", "Tabel 1. Onderdelen uit de basisset waar ieder project aan bijdraagt (n = 15).", []),
    ("table", [["Project", "Wonen", "Activering en werk"], ["1. Project 1", "X", "X"], ["Totaal", "11", "10"],
               ["", "12 van de 15 projecten", "alle projecten"]], []),
    ("p", "Tabel 1 laat zien dat preventie en vroegsignalering door veertien projecten wordt genoemd.",
     [("veertien projecten", A)]),
    ("h2", "2.1 Activering en werk", []),
    ("p", "Negen projecten dragen bij aan activering en werk.", [("Negen projecten", D)]),
    ("p", "Bij drie projecten wordt toegeleid naar (betaald) werk.", [("drie projecten", U)]),
    ("p", "Van de tien projecten die hieraan bijdragen, geven er vier aan dat dagbesteding de eerste stap is.",
     [("tien projecten", U), ("vier", U)]),
    ("p", "In drie van de vier projecten met een werkproject gebeurt dat samen met het UWV.",
     [("drie van de vier projecten", U)]),
    ("h2", "2.2 Wonen", []),
    ("p", "Elf projecten richten zich op wonen. Het merendeel van de projecten noemt wonen als belangrijk thema.",
     [("Elf projecten", A), ("Het merendeel van de projecten", A)]),
    ("p", "De andere vier projecten werken vooral aan dagstructuur. Twee van deze projecten zijn gestart als "
          "Housing First.", [("vier projecten", U), ("Twee van deze projecten", U)]),
    ("h2", "2.3 Schuldhulpverlening", []),
    ("p", "Schuldhulpverlening wordt door zes projecten genoemd.", [("zes projecten", D)]),
    ("p", "Eén project werkt samen met de Kredietbank.", [("Eén project", U)]),
    ("kop", "2.4 Ervaringsdeskundigheid", []),
    ("bullet", "Acht projecten zetten ervaringsdeskundigen in.", [("Acht projecten", A)]),
    ("bullet", "Bij vijf projecten zijn zij in dienst van de organisatie.", [("vijf projecten", U)]),
    ("outline", "2.5 Overige onderdelen", []),
    ("p", "Nagenoeg alle projecten besteden aandacht aan een herstelgerichte benadering.",
     [("Nagenoeg alle projecten", A)]),
    ("p", "Informele zorg komt bij twaalf van de vijftien projecten terug.", [("twaalf van de vijftien projecten", A)]),
    ("p", "Time-out voorziening wordt door de helft van de projecten genoemd.", [("de helft van de projecten", D)]),
    ("p", "Geen van de projecten noemt ambulante behandeling.", [("Geen van de projecten", D)]),
    ("p", "Op twee na alle projecten noemen integrale aanpak.", [("Op twee na alle projecten", D)]),
    ("p", "Persoonlijke ontwikkeling noemen acht projecten. Ruim de helft van de projecten werkt aan "
          "professionele ruimte.", [("acht projecten", A), ("Ruim de helft van de projecten", A)]),
    ("number", "Inclusieve wijk wordt door zes projecten genoemd.", [("zes projecten", A)]),
    ("number", "Ambulante begeleiding wordt door 12 van de 15 projecten genoemd.", [("12 van de 15 projecten", D)]),
    ("p", "“Bij ons doen alle projecten mee”, aldus een pilotleider.", []),
    ("h1", "3 Uitgangspunten van de Regionale koers", []),
    ("p", "Tien van de vijftien projecten noemen eigen verantwoordelijkheid als uitgangspunt.",
     [("Tien van de vijftien projecten", D)]),
    ("p", "Uitgangspunt 2 (normaliseren) is herkenbaar bij dertien projecten.", [("dertien projecten", A)]),
    ("p", "Het derde uitgangspunt noemen negen projecten.", [("negen projecten", A)]),
    ("p", "Zeven projecten noemen een eenvoudiger systeem en integrale aanpak.", [("Zeven projecten", A)]),
    ("p", "Lokaal wat lokaal kan noemen alle projecten.", [("alle projecten", D)]),
    ("caption", "Tabel 2. Uitgangspunten per project.", []),
    ("h1", "4 Ontwikkeling tussen T0 en T1", []),
    ("h2", "4.1 Stand in T1", []),
    ("p", "In T1 doen zestien projecten mee.", [("zestien projecten", A)]),
    ("p", "Wonen wordt in T1 door negen projecten genoemd, in T0 door elf.", [("negen projecten", A)]),
    ("p", "Twee projecten noemen wonen niet meer.", [("Twee projecten", U)]),
    ("p", "Schuldhulpverlening is gegroeid naar acht projecten.", [("acht projecten", A)]),
    ("p", "Tien van de vijftien projecten noemen ervaringsdeskundigheid.", [("Tien van de vijftien projecten", D)]),
    ("h1", "5 Conclusies", []),
    ("p", "Kortom: de meeste projecten dragen bij aan meerdere onderdelen van de basisset.",
     [("de meeste projecten", U)]),
    ("p", "Vrijwel alle projecten werken samen met de gemeente.", [("Vrijwel alle projecten", U)]),
    ("textbox", "Acht projecten werken met ervaringsdeskundigen.", [("Acht projecten", A)]),
    ("textbox", "Vijf projecten noemen schuldhulpverlening.", [("Vijf projecten", D)]),
]

# Written after the code, from other phrasings seen in Dutch evaluation reports; not tuned on.
DRAFT_B = [
    ("h0", "Quickscan beschermd thuis: bevindingen eerste meting (T0)", []),
    ("h1", "Samenvatting", []),
    ("p", "Aan de quickscan namen vijftien initiatieven deel. Alle vijftien initiatieven dragen bij aan preventie "
          "en vroegsignalering.", [("vijftien initiatieven", A), ("Alle vijftien initiatieven", D)]),
    ("p", "Ruim twee derde van de initiatieven richt zich op herstel.", [("Ruim twee derde van de initiatieven", A)]),
    ("h1", "Resultaten", []),
    ("h2", "Wonen en dakloosheid", []),
    ("p", "Acht initiatieven werken aan de aanpak van dakloosheid, elf aan wonen.", [("Acht initiatieven", A)]),
    ("p", "Van de elf initiatieven die aan wonen werken, bieden er zes begeleiding in de eigen woning.",
     [("elf initiatieven", U), ("zes", U)]),
    ("p", "Het gaat in vier gevallen om Housing First.", []),
    ("h2", "Werk, inkomen en schulden", []),
    ("p", "Schuldhulpverlening komt bij vier initiatieven voor; bij twee daarvan gaat het om budgetbeheer.",
     [("vier initiatieven", A)]),
    ("p", "In tien pilots is er aandacht voor activering en werk.", [("tien pilots", A)]),
    ("p", "Minder dan de helft van de pilots noemt activering en werk.", [("Minder dan de helft van de pilots", D)]),
    ("p", "Zes pilots bieden dagbesteding aan.", [("Zes pilots", U)]),
    ("h2", "Zorg en ondersteuning", []),
    ("p", "Ambulante behandeling is bij negen van de vijftien pilots onderdeel van de aanpak.",
     [("negen van de vijftien pilots", A)]),
    ("p", "Meer dan tien pilots noemen ambulante begeleiding.", [("Meer dan tien pilots", A)]),
    ("p", "Ervaringsdeskundigheid wordt in zeven pilots ingezet, informele zorg in twaalf.", [("zeven pilots", D)]),
    ("p", "In 80% van de pilots is er aandacht voor herstelgericht werken.", [("80% van de pilots", D)]),
    ("p", "Een meerderheid van de pilots, namelijk acht, noemt integrale aanpak.", [("Een meerderheid van de pilots", A)]),
    ("p", "Alle pilots behalve één noemen preventie.", [("Alle pilots behalve één", A)]),
    ("h1", "Uitgangspunten", []),
    ("p", "Het vijfde uitgangspunt, lokaal wat lokaal kan, is bij twaalf pilots herkenbaar.", [("twaalf pilots", A)]),
    ("p", "Normaliseren en uitgaan van de mogelijkheden zien we terug in veertien pilots.", [("veertien pilots", D)]),
    ("p", "Ruimte voor professionele afwegingen wordt door ongeveer de helft van de pilots genoemd.",
     [("ongeveer de helft van de pilots", A)]),
    ("p", "Daarvan noemen vijf pilots ook de ruimte om af te wijken van regels.", [("vijf pilots", U)]),
    ("h1", "Tweede meting (T1)", []),
    ("p", "In de tweede meting zijn zestien pilots gesproken.", [("zestien pilots", A)]),
    ("p", "Dertien pilots zetten nu ervaringsdeskundigen in.", [("Dertien pilots", A)]),
    ("p", "Het aantal pilots dat schuldhulpverlening noemt, is gestegen van vier naar zes pilots.", [("zes pilots", U)]),
    ("p", "Twaalf van de zestien pilots werken aan een eenvoudiger systeem.", [("Twaalf van de zestien pilots", A)]),
]

# Written last, annotated before it was first run; the figures of its first run are kept in
# docs/verify.md.
DRAFT_C = [
    ("h0", "Interim-rapportage quickscan, eerste meting (T0)", []),
    ("p", "In deze rapportage beschrijven we de resultaten van de quickscan bij vijftien pilots.",
     [("vijftien pilots", U)]),
    ("h1", "Bijdrage aan de basisset", []),
    ("p", "Bijna alle pilots (veertien) noemen preventie en vroegsignalering.", [("Bijna alle pilots", A)]),
    ("p", "Dertien pilots werken vanuit een herstelgerichte benadering.", [("Dertien pilots", A)]),
    ("p", "Aan ambulante begeleiding dragen twaalf pilots bij.", [("twaalf pilots", D)]),
    ("p", "Ambulante behandeling, vaak via de zorgverzekeraar, komt bij negen pilots voor.", [("negen pilots", A)]),
    ("p", "Bij vier van deze pilots is er een FACT-team betrokken.", [("vier van deze pilots", U)]),
    ("p", "Zeven pilots noemen informele zorg.", [("Zeven pilots", D)]),
    ("p", "Vrijwilligers spelen bij acht pilots een rol.", [("acht pilots", U)]),
    ("p", "Aanpak dakloosheid noemen acht pilots.", [("acht pilots", A)]),
    ("bullet", "Schuldhulpverlening: vier pilots.", [("vier pilots", A)]),
    ("p", "Een derde van de pilots noemt persoonlijke ontwikkeling.", [("Een derde van de pilots", D)]),
    ("p", "Integrale aanpak wordt door acht pilots genoemd, inclusieve wijk door zes.", [("acht pilots", A)]),
    ("h1", "Uitgangspunten", []),
    ("p", "Alle vijf uitgangspunten zijn herkenbaar bij ten minste zes pilots.", [("ten minste zes pilots", U)]),
    ("p", "Het eerste uitgangspunt wordt door elf pilots genoemd.", [("elf pilots", A)]),
    ("p", "Normaliseren noemen twaalf pilots.", [("twaalf pilots", D)]),
    ("p", "Ruimte voor professionele afwegingen en beslissingen herkennen we bij negen van de vijftien pilots.",
     [("negen van de vijftien pilots", A)]),
    ("p", "Een eenvoudiger systeem noemen zeven pilots, maar slechts twee daarvan werken echt integraal.",
     [("zeven pilots", A)]),
    ("p", "Lokaal wat lokaal kan is voor de meeste pilots een vanzelfsprekend uitgangspunt.",
     [("de meeste pilots", A)]),
    ("h1", "Tweede meting (T1)", []),
    ("p", "In T1 zijn zestien pilots bevraagd.", [("zestien pilots", A)]),
    ("p", "Negen pilots noemen nu wonen, twee minder dan bij de eerste meting.", [("Negen pilots", A)]),
    ("p", "Het aantal pilots met schuldhulpverlening verdubbelde naar acht.", []),
    ("p", "Activering en werk noemen tien van de zestien pilots.", [("tien van de zestien pilots", D)]),
    ("p", "Ervaringsdeskundigheid komt nu bij dertien pilots voor, vijf meer dan in T0.", [("dertien pilots", A)]),
    ("p", "Time-out voorzieningen zijn er bij vier pilots.", [("vier pilots", A)]),
]


def write_draft(path, items, *, repeat: int = 1) -> Path:
    """Write the items as a .docx (``repeat`` copies of the body: a long draft)."""
    from docx import Document
    from docx.enum.style import WD_STYLE_TYPE
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    doc = Document()
    kop = doc.styles.add_style("Kop 2", WD_STYLE_TYPE.PARAGRAPH)
    kop.base_style = doc.styles["Heading 2"]
    for _ in range(repeat):
        for kind, text, _expected in items:
            if kind.startswith("h") and kind[1:].isdigit():
                level = int(kind[1:])
                doc.add_heading(text, level) if level else doc.add_paragraph(text, style="Title")
            elif kind == "kop":
                doc.add_paragraph(text, style="Kop 2")
            elif kind == "outline":
                p = doc.add_paragraph(text)
                ppr = p._p.get_or_add_pPr()
                ppr.append(parse_xml(f'<w:outlineLvl {nsdecls("w")} w:val="1"/>'))
            elif kind == "bullet":
                doc.add_paragraph(text, style="List Bullet")
            elif kind == "number":
                doc.add_paragraph(text, style="List Number")
            elif kind == "caption":
                doc.add_paragraph(text, style="Caption")
            elif kind == "table":
                t = doc.add_table(rows=len(text), cols=len(text[0]))
                for row, values in zip(t.rows, text):
                    for cell, value in zip(row.cells, values):
                        cell.text = value
            elif kind == "textbox":
                p = doc.add_paragraph("")
                p._p.append(parse_xml(_TEXTBOX.format(ns=_TEXTBOX_NS, text=text)))
            else:
                doc.add_paragraph(text)
    path = Path(path)
    doc.save(path)
    return path


_TEXTBOX_NS = " ".join([
    'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"',
    'xmlns:v="urn:schemas-microsoft-com:vml"',
    'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"',
    'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape"',
])

# A text box as Word writes it: the DrawingML choice and the VML fallback both hold the text
_TEXTBOX = (
    '<w:r {ns}><mc:AlternateContent><mc:Choice Requires="wps"><w:drawing><wps:wsp><wps:txbx><w:txbxContent>'
    '<w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:txbxContent></wps:txbx></wps:wsp></w:drawing></mc:Choice>'
    '<mc:Fallback><w:pict><v:shape><v:textbox><w:txbxContent><w:p><w:r><w:t>{text}</w:t></w:r></w:p>'
    '</w:txbxContent></v:textbox></v:shape></w:pict></mc:Fallback></mc:AlternateContent></w:r>'
)


def expected(items, *, repeat: int = 1) -> list[tuple[int, str, str]]:
    """(occurrence index of the paragraph text, claim words, verdict) in document order."""
    out = []
    for _ in range(repeat):
        for kind, text, claims in items:
            for words, verdict in claims:
                out.append((text if isinstance(text, str) else "", words, verdict))
    return out


def score(claims: pd.DataFrame, items, *, repeat: int = 1) -> dict[str, float]:
    """Claims found and the precision and recall of ``differs`` against the annotations.

    A found claim is matched to an annotated one by its paragraph text and claim words, in
    order; found claims that are not annotated count as false (they should not be claims).
    """
    want = expected(items, repeat=repeat)
    pool: dict[tuple[str, str], list[str]] = {}
    for text, words, verdict in want:
        pool.setdefault((text, words), []).append(verdict)
    true_differs = found_differs = hits = extra = matched = 0
    for row in claims.itertuples():
        key = next(((t, w) for (t, w) in pool if pool[(t, w)] and w == row.claim and row.sentence in t), None)
        if key is None:
            extra += 1
            got = None
        else:
            got = pool[key].pop(0)
            matched += 1
        if row.verdict == "differs":
            found_differs += 1
            true_differs += got == "differs"
        hits += got == row.verdict
    n_differs = sum(v == "differs" for _, _, v in want)
    return {
        "annotated claims": len(want), "claims found": len(claims), "annotated claims found": matched,
        "not annotated": extra, "verdict as annotated": hits,
        "differs annotated": n_differs, "differs found": found_differs, "differs right": true_differs,
        "precision differs": true_differs / found_differs if found_differs else 1.0,
        "recall differs": true_differs / n_differs if n_differs else 1.0,
    }


def write_tables_xlsx(path) -> Path:
    """The fictional tables as quickscan writes them (one sheet "<family> <wave>")."""
    from openpyxl import Workbook

    from quickscan._sheets import save
    from quickscan.export import _write_table_sheet

    wb = Workbook()
    wb.remove(wb.active)
    bodies = {}
    for (family, wave), frame in tables().items():
        ws = wb.create_sheet(f"{family} {wave}")
        bodies[ws.title] = _write_table_sheet(ws, frame)
    wb.properties.creator = "quickscan"
    path = Path(path)
    save(wb, bodies, path)
    return path


if __name__ == "__main__":  # pragma: no cover
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "verify-drafts")
    out.mkdir(parents=True, exist_ok=True)
    print(write_draft(out / "draft-a.docx", DRAFT_A), write_draft(out / "draft-b.docx", DRAFT_B),
          write_tables_xlsx(out / "tables.xlsx"))
    _ = copy
