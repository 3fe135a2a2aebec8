"""Ingest: filled-in forms (.docx) and combined workbooks (.xlsx) into one :class:`Corpus`.

>>> from quickscan import read_folder
>>> corpus = read_folder("data/sample/T0")
>>> corpus.waves, len(corpus.pilot_ids)
(('T0',), 15)
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from concurrent.futures import Executor
from os import PathLike
from pathlib import Path

from ._docx import read_docx, read_form
from ._xlsx import read_excel, write_excel
from .corpus import Corpus, combine, problem, wave_from_name
from ._limits import regular_file
from ._io import OUTPUT_MARKER, elsewhere
from .errors import OwnOutputError, QuickscanError
from .template import Template, default_template

__all__ = ["read_docx", "read_excel", "read_folder", "read_files", "form_files", "write_excel"]

_READERS = {".docx": read_docx, ".docm": read_docx, ".xlsx": read_excel, ".xlsm": read_excel}
_LEGACY = {".doc", ".xls", ".rtf", ".odt", ".ods"}


def read_folder(
    path: str | PathLike[str],
    *,
    wave: str | None = None,
    template: Template | None = None,
    aliases: str | PathLike[str] | dict[str, str] | None = None,
    progress: bool | None = None,
    executor: Executor | None = None,
) -> Corpus:
    """Read every form and workbook below a folder; a bad file becomes a problem, not a crash.

    The wave of each file comes from ``wave=``, else from its folder or file name
    (``T0/``, ``quickscan-T1.xlsx``). Problems are in ``corpus.problems`` and in
    ``print(corpus)``. With an ``executor`` half of the files is read in it (see :func:`read_files`).
    """
    root = Path(path)
    if not root.is_dir():
        raise FileNotFoundError(f"{root}: no such folder")
    files, notes = form_files(root)
    return read_files(files, wave=wave, template=template, aliases=aliases, progress=progress, root=root, notes=notes,
                      executor=executor)


def form_files(folder: str | PathLike[str]) -> tuple[list[Path], list[dict]]:
    """The forms and workbooks below a folder, sorted, and a note for every folder skipped.

    Skipped: hidden files and folders, Word's lock files (``~$``), and the output folders
    of ``quickscan report`` (they hold the marker file ``.quickscan-output``), so that a
    report written inside the data folder is never read back as forms.
    """
    suffixes = _READERS.keys() | _LEGACY
    files, notes = [], []
    for top, dirs, names in os.walk(folder):
        if OUTPUT_MARKER in names:
            notes.append(problem("info", "I109", top, None, f"skipped: an output folder of quickscan report "
                                 f"(it holds {OUTPUT_MARKER}), not forms"))
            dirs[:] = []
            continue
        dirs.sort()
        files += [Path(top, n) for n in names
                  if not n.startswith(("~$", ".")) and Path(n).suffix.lower() in suffixes and Path(top, n).is_file()]
    return sorted(files), notes


def read_files(
    paths: Iterable[str | PathLike[str]],
    *,
    wave: str | None = None,
    template: Template | None = None,
    aliases: str | PathLike[str] | dict[str, str] | None = None,
    progress: bool | None = None,
    root: Path | None = None,
    notes: Iterable[dict] = (),
    executor: Executor | None = None,
) -> Corpus:
    """Read the given forms and workbooks into one corpus (see :func:`read_folder`).

    A workbook or document that ``quickscan report`` wrote (a report, review sheet or
    tables, recognised by its document properties) is skipped with a note (``I109``).
    ``notes`` are problem rows to keep (the folders :func:`form_files` skipped). With an
    ``executor`` (a process pool, see :mod:`concurrent.futures`) the later half of the files is
    read in it meanwhile; the corpus is the same.
    """
    template = template or default_template()
    paths = [Path(p) for p in paths]
    split = len(paths) // 2 if executor is not None and len(paths) >= _SPLIT_FILES else len(paths)
    if split < len(paths):
        second = elsewhere(executor, _read_each, paths[split:], wave, template, root, False)
    form_rows, parts, problems = _read_each(paths[:split], wave, template, root, progress)
    if split < len(paths):
        later = second()
        form_rows, parts, problems = form_rows + later[0], parts + later[1], problems + later[2]
    problems = [*notes, *problems]
    while True:  # out of memory while the corpus is built: leave out the largest file, say so, try again
        try:
            forms = Corpus.from_answers(form_rows, problems, template)
            return _flag_personal(combine([forms, *parts], aliases=aliases))
        except MemoryError:
            forms = None
            form_rows, parts, dropped = _drop_largest(form_rows, parts)
            if dropped is None:
                raise
            problems.append(problem("error", "E108", dropped, None, _OUT_OF_MEMORY + " (while combining the files)"))


#: With an executor, read_files reads half of the files in it from this many files on (fewer take
#: less time than the other process needs to start).
_SPLIT_FILES = 100


def _read_each(paths: list[Path], wave, template: Template, root: Path | None,
               progress: bool | None) -> tuple[list[dict], list[Corpus], list[dict]]:
    """The answer rows of the forms, the corpora of the workbooks and the problems of the files, in order."""
    parts: list[Corpus] = []
    form_rows: list[dict] = []
    problems: list[dict] = []
    for path in _progress(paths, progress):
        reader = _READERS.get(path.suffix.lower())
        try:
            regular_file(path)  # a FIFO or /dev/zero would block or never end
            if reader is None:
                raise_legacy(path)
            elif reader is read_docx:  # forms: rows only, one DataFrame for all of them below
                named = path.relative_to(root) if root and path.is_relative_to(root) else path
                rows, form_problems = read_form(path, wave=wave or wave_from_name(named), template=template)
                form_rows += rows
                problems += form_problems
            else:  # a workbook: the wave of each sheet comes from its name before the file's
                parts.append(reader(path, wave=wave, template=template))
        except OwnOutputError as exc:
            problems.append(problem("info", exc.code, exc.path or path, exc.place, exc.message))
        except QuickscanError as exc:
            problems.append(problem("error", exc.code, exc.path or path, exc.place, exc.message))
        except MemoryError:
            problems.append(problem("error", "E108", path, None, _OUT_OF_MEMORY))
        except Exception as exc:  # noqa: BLE001 - one unreadable file must not take the folder down
            problems.append(problem("error", "E100", path, None, f"unexpected error while reading: {exc!r}"))
    return form_rows, parts, problems


def _flag_personal(corpus: Corpus) -> Corpus:
    """Warn (``W141``) about e-mail addresses, phone numbers and names outside the personal questions."""
    from dataclasses import replace

    from .corpus import _concat_problems, _problems_frame
    from .privacy import personal_elsewhere_problems

    found = personal_elsewhere_problems(corpus)
    if not found:
        return corpus
    return replace(corpus, problems=_concat_problems([corpus.problems, _problems_frame(found)]))


_OUT_OF_MEMORY = ("out of memory while reading this file; it was left out. Its text is too large for this machine: "
                  "split it, or read it on a machine with more memory")


def _drop_largest(rows: list[dict], parts: list[Corpus]) -> tuple[list[dict], list[Corpus], str | None]:
    """The form rows and workbook corpora without the source holding the most text, and that source."""
    sizes: dict[str, int] = {}
    for row in rows:
        sizes[row["source"]] = sizes.get(row["source"], 0) + len(row["answer"])
    for i, part in enumerate(parts):
        sizes[f"\0{i}"] = int(part.answers["answer"].str.len().sum())
    if not sizes:
        return rows, parts, None
    largest = max(sizes, key=sizes.__getitem__)
    if largest.startswith("\0"):
        i = int(largest[1:])
        source = str(parts[i].answers["source"].iloc[0]) if len(parts[i].answers) else "a workbook"
        return rows, parts[:i] + parts[i + 1:], source
    return [r for r in rows if r["source"] != largest], parts, largest


def raise_legacy(path: Path) -> None:
    from .errors import InputError, LegacyFormatError

    kind = {".doc": "Word 97-2003 (.doc)", ".xls": "Excel 97-2003 (.xls)", ".rtf": "RTF", ".odt": "OpenDocument text",
            ".ods": "OpenDocument spreadsheet"}.get(path.suffix.lower())
    if kind is None:
        raise InputError(path, f"not a form or workbook: quickscan reads {', '.join(_READERS)} files")
    target = ".xlsx" if path.suffix.lower() in (".xls", ".ods") else ".docx"
    raise LegacyFormatError(path, f"{kind} file: open it and save it as {target}")


def _progress(items: list, enabled: bool | None):
    if enabled is None:
        enabled = len(items) > 5 and (sys.stderr.isatty() or "ipykernel" in sys.modules)
    if not enabled:
        return items
    from tqdm import tqdm

    return tqdm(items, desc="reading forms", unit="file")
