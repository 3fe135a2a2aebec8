"""Write filled-in quick-scan forms in the layouts interviewers really use (python-docx).

Used by the tests (tiny inline forms) and by ``render_sample.py`` (the sample data).
Answer text conventions: blocks separated by a blank line become paragraphs, lines that
start with ``- `` become bulleted list items, other line breaks stay line breaks.

Layouts:
1. the format table ``nr | vraag | toelichting`` with the answer in an added fourth column;
2. the answer typed into the third column, under the prompt (or instead of it);
3. a question row followed by answer rows whose cells are merged across the row;
4. no table: numbered questions as headings or bold paragraphs, answers as paragraphs;
5. the format split over several tables (with the answer in a fourth column);
6. a two-column table ``vraag | antwoord``, the prompt under the question in its cell.

``prompt_with_question=True`` puts the prompt into the question's own cell (layouts 1-3, 5)
or paragraph (layout 4), as forms written by other software do.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from docx import Document
from docx.shared import Pt

from quickscan._io import atomic_write

LAYOUTS = (1, 2, 3, 4, 5, 6)
FIXED_TIME = (2020, 1, 1, 0, 0, 0)


def add_answer(container, text: str, *, first=None) -> None:
    """Add answer text to a document or cell as paragraphs, line breaks and bullets."""
    paragraph = first
    for b, block in enumerate(text.split("\n\n")):
        lines = block.split("\n")
        run_lines: list[str] = []

        def flush() -> None:
            nonlocal paragraph
            if not run_lines:
                return
            p = paragraph if paragraph is not None else container.add_paragraph()
            paragraph = None
            run = p.add_run(run_lines[0])
            for line in run_lines[1:]:
                run.add_break()
                run.add_text(line)
            run_lines.clear()

        for line in lines:
            if line.startswith("- "):
                flush()
                if paragraph is not None:
                    paragraph.style = "List Bullet"
                    paragraph.add_run(line[2:])
                    paragraph = None
                else:
                    container.add_paragraph(line[2:], style="List Bullet")
            else:
                run_lines.append(line)
        flush()


def write_form(path, answers: dict[int, str], template, *, layout: int = 1, title: str | None = None,
               prompt_with_question: bool = False) -> Path:
    """Write one filled-in form in one of the six layouts; returns the path."""
    doc = Document()
    if title:
        doc.add_heading(title, level=1)
    questions = template.questions
    if layout in (1, 2, 3):
        _table(doc, questions, answers, layout, prompt_with_question)
    elif layout == 4:
        for q in questions:
            if q.number % 2:
                p = doc.add_heading(f"{q.number}. {q.question}", level=2)
            else:
                p = doc.add_paragraph()
                p.add_run(f"{q.number}. {q.question}").bold = True
            if q.prompt and prompt_with_question:
                p.runs[-1].add_break()
                p.add_run(q.prompt).italic = True
            elif q.prompt and q.number % 3 == 0:
                p = doc.add_paragraph()
                p.add_run(q.prompt).italic = True
            add_answer(doc, answers.get(q.number, ""))
    elif layout == 5:
        thirds = [part for part in (questions[:8], questions[8:14], questions[14:]) if part]
        for i, part in enumerate(thirds):
            if i:
                doc.add_paragraph("")
            _table(doc, part, answers, 1, prompt_with_question)
    elif layout == 6:
        table = doc.add_table(rows=0, cols=2)
        table.style = "Table Grid"
        for q in questions:
            cells = table.add_row().cells
            cells[0].paragraphs[0].add_run(q.question).bold = True
            if q.prompt:
                cells[0].add_paragraph(q.prompt)
            add_answer(cells[1], answers.get(q.number, ""), first=cells[1].paragraphs[0])
    else:
        raise ValueError(f"unknown layout {layout}")
    return save_deterministic(doc, path)


def _table(doc, questions, answers: dict[int, str], layout: int, prompt_with_question: bool = False) -> None:
    ncols = 4 if layout == 1 else 3
    table = doc.add_table(rows=1, cols=ncols)
    table.style = "Table Grid"
    header = ["nr", "vraag", "toelichting", "antwoord"][:ncols]
    for cell, text in zip(table.rows[0].cells, header):
        cell.paragraphs[0].add_run(text).bold = True
    for q in questions:
        cells = table.add_row().cells
        cells[0].text = str(q.number)
        cells[1].paragraphs[0].add_run(q.question).bold = True
        if prompt_with_question and q.prompt:
            cells[1].add_paragraph(q.prompt)
            q = _without_prompt(q)
        answer = answers.get(q.number, "")
        if layout == 1:
            cells[2].text = q.prompt
            add_answer(cells[3], answer, first=cells[3].paragraphs[0])
        elif layout == 2:
            if q.prompt and q.number % 4:
                cells[2].text = q.prompt  # the answer typed under the prompt
                add_answer(cells[2], answer)
            else:
                add_answer(cells[2], answer, first=cells[2].paragraphs[0])  # instead of it
        else:
            cells[2].text = q.prompt
            blocks = answer.split("\n\n")
            # long answers are sometimes typed into two answer rows
            groups = [answer] if len(blocks) < 3 or q.number % 2 else ["\n\n".join(blocks[:1]), "\n\n".join(blocks[1:])]
            for group in groups:
                row = table.add_row().cells
                merged = row[0].merge(row[-1])
                add_answer(merged, group, first=merged.paragraphs[0])


def _without_prompt(question):
    from dataclasses import replace

    return replace(question, prompt="")


def save_deterministic(doc, path) -> Path:
    """Save atomically with fixed core properties and zip timestamps: same input, same bytes."""
    path = Path(path)
    props = doc.core_properties
    props.author = "quickscan sample"
    props.last_modified_by = "quickscan sample"
    import datetime as dt

    props.created = props.modified = dt.datetime(2020, 1, 1)
    props.revision = 1

    def write(tmp: str) -> None:
        doc.save(tmp)
        _normalize_zip(tmp)

    return atomic_write(path, write)


def _normalize_zip(name: str) -> None:
    with zipfile.ZipFile(name) as z:
        items = [(i.filename, z.read(i.filename)) for i in z.infolist()]
    with zipfile.ZipFile(name, "w", zipfile.ZIP_DEFLATED) as z:
        for filename, data in items:
            info = zipfile.ZipInfo(filename, FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data)


__all__ = ["LAYOUTS", "add_answer", "write_form", "save_deterministic", "Pt"]
