"""I/O at the edges: writing files atomically (a temporary file in the same folder, then moved into
place) and reading small text and YAML files safely."""

from __future__ import annotations

import errno
import os
import re
import tempfile
import time
from collections.abc import Callable
from contextlib import contextmanager
from os import PathLike
from pathlib import Path
from typing import Any

__all__ = ["atomic_write", "read_text", "read_yaml", "parse_yaml"]


def atomic_write(path: str | PathLike[str], write: Callable[[str], object]) -> Path:
    """Call ``write(temporary_path)``, then replace ``path`` by it; a failed write leaves ``path`` as it was.

    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "x.txt"
    >>> atomic_write(target, lambda tmp: pathlib.Path(tmp).write_text("klaar")).read_text()
    'klaar'
    """
    path = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise output_error(path, exc) from None
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, _mode(path))  # mkstemp makes the file private; keep what a plain write would give
        os.replace(tmp, path)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise output_error(path, exc) from None
        raise
    return path


def output_error(path: str | PathLike[str], exc: OSError, *, folder: Path | None = None):
    """An :class:`~quickscan.errors.OutputError` for a failed write: what went wrong and what to do.

    >>> import errno
    >>> str(output_error("uit/tables.xlsx", OSError(errno.ENOSPC, "No space left on device")))
    'uit/tables.xlsx: cannot write: the disk is full; free some space, or write to another folder (--out) [E701]'
    """
    from .errors import OutputError

    path = Path(path)
    folder = folder or path.parent
    reasons = {
        errno.ENOSPC: "the disk is full; free some space, or write to another folder (--out)",
        errno.EDQUOT: "the disk quota is used up; free some space, or write to another folder (--out)",
        errno.EROFS: f"the folder {folder} is on a read-only disk; write to another folder (--out)",
        errno.EACCES: f"no permission to write in {folder}; write to another folder (--out) or change its permissions",
        errno.EPERM: f"no permission to write in {folder}; write to another folder (--out) or change its permissions",
        errno.ENOENT: f"the folder {folder} does not exist",
        errno.ENOTDIR: f"{folder} is a file, not a folder; give a folder for the output (--out)",
        errno.EISDIR: f"{path} is a folder; give a file name",
    }
    return OutputError(path, f"cannot write: {reasons.get(exc.errno, exc.strerror or str(exc))}")


def _mode(path: Path) -> int:
    """The permissions of the file being replaced, else those of a new file (0o666 less the umask)."""
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


# -- reading text and YAML safely ------------------------------------------------------------------

_BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"),
         (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))
_ANCHOR = re.compile(r"(?:^|[\s\[{,])&[^\s,\[\]{}]")  # where an anchor may start (a superset): no alias without one
_YAML_TAGS = {f"tag:yaml.org,2002:{t}" for t in ("null", "bool", "int", "float", "str", "seq", "map", "timestamp",
                                                 "merge")}


def read_text(path: str | PathLike[str], *, error: type | None = None, what: str = "file") -> str:
    """The text of a small text file (YAML, CSV): UTF-8, or UTF-16/32 with a byte-order mark.

    Refuses, with ``error`` naming the file (default :class:`~quickscan.errors.InputError`),
    a FIFO or device, a file over the budget ``text`` (``QUICKSCAN_MAX_TEXT_MB``) and text
    in another encoding (with the byte where it goes wrong).

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x.yaml"
    >>> _ = p.write_bytes("id: één".encode("utf-16"))
    >>> read_text(p)
    'id: één'
    """
    from ._limits import check, regular_file
    from .errors import InputError

    error = error or InputError
    try:
        size = regular_file(path, error=error)
    except error as exc:
        raise error(path, f"cannot read {what}: {exc.message}") from None
    check("text", size, path, f"the file is {size / 2**20:,.0f} MiB", error=error)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise error(path, f"cannot read {what}: {exc.strerror}") from exc
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError as exc:
                raise error(path, f"not valid {encoding.upper()} text (byte {exc.start}); save it as UTF-8") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise error(path, f"not UTF-8 text (byte {exc.start}: {data[exc.start:exc.start + 1]!r}); save the file as "
                    "UTF-8 (in Notepad: Save as, Encoding UTF-8)", place=f"line {line}") from None


def read_yaml(path: str | PathLike[str], *, error: type | None = None, what: str = "file") -> Any:
    """The data of a YAML file, read with :func:`read_text` and :func:`parse_yaml`."""
    return parse_yaml(read_text(path, error=error, what=what), path, error=error)


def parse_yaml(text: str, source: str | PathLike[str] | None = None, *, error: type | None = None) -> Any:
    """Parse YAML safely: plain data only, with a budget on the nodes after aliases are expanded.

    What ``yaml.safe_load`` gives, except that a document whose aliases expand to more
    than the budget ``yaml`` (``QUICKSCAN_MAX_YAML_NODES``: a "billion laughs"), a
    recursive alias, and any explicit tag other than the plain types (``!!python/...``,
    ``!!binary``, ``!!set``, custom tags) are refused before anything is built, with
    ``error`` naming ``source`` and the line.

    >>> parse_yaml("a: &x [1, 2]\\nb: *x")
    {'a': [1, 2], 'b': [1, 2]}
    >>> bomb = "a: &a [x, x]\\n" + "".join(f"{c}: &{c} [*{p}, *{p}, *{p}]\\n" for p, c in zip("abcdefghijklmnopqrst", "bcdefghijklmnopqrstu"))
    >>> parse_yaml(bomb, "aliases.yaml")
    Traceback (most recent call last):
    ...
    quickscan.errors.LimitError: aliases.yaml: line 13: refused before reading: its aliases expand to more than 1,000,000 nodes (limit 1,000,000 nodes per YAML file, aliases expanded; ...) [E108]
    """
    import yaml

    from ._limits import check, limit, over
    from .errors import InputError, LimitError

    error = error or InputError
    source = str(source) if source is not None else None
    check("text", len(text), source, f"the text is {len(text) / 2**20:,.0f} MiB", error=error)
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)  # libyaml when installed: 10x faster
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        budget = limit("yaml")
        if len(text) <= budget and "!" not in text and not _ANCHOR.search(text):
            return loader.construct_document(node)  # no anchor, no tag: at most a node per character
        memo: dict[int, int] = {}  # id(node) -> nodes below it, aliases expanded, each node counted once
        open_: set[int] = set()
        stack = [(node, False)]
        while stack:
            current, done = stack.pop()
            key = id(current)
            kids = current.value if isinstance(current, yaml.SequenceNode) else (
                [n for pair in current.value for n in pair] if isinstance(current, yaml.MappingNode) else ())
            if done:
                open_.discard(key)
                memo[key] = 1 + sum(memo[id(k)] for k in kids)
                if memo[key] > budget:
                    line = current.start_mark.line + 1
                    raise over("yaml", memo[key], source, f"its aliases expand to more than {budget:,} nodes",
                               place=f"line {line}", error=LimitError if error is InputError else error)
                continue
            if key in memo:
                continue
            where = f"line {current.start_mark.line + 1}"
            if key in open_:
                raise error(source, "an alias refers to the node that contains it (recursive YAML); refused",
                            place=where)
            if current.tag not in _YAML_TAGS:
                raise error(source, f"the tag {current.tag!r} is not allowed: only plain YAML (text, numbers, "
                            "lists and mappings)", place=where)
            open_.add(key)
            stack.append((current, True))
            stack.extend((k, False) for k in kids if id(k) not in memo)
        return loader.construct_document(node)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        hint = ("; inside { } or [ ] put quotes around a text that ends in '?' or holds ': ' "
                "(question: \"Wat is het doel?\")") if any(
            sign in str(getattr(exc, "problem", "")) for sign in ("?", "mapping values")) else ""
        raise error(source, f"not valid YAML: {getattr(exc, 'problem', None) or exc}{hint}",
                    place=f"line {mark.line + 1}" if mark else None) from None
    finally:
        loader.dispose()


# -- CSV that a spreadsheet opens without evaluating anything -------------------------------------

_ACTIVE = ("=", "+", "-", "@", "\t", "\r", "'")  # what a spreadsheet may evaluate, and the escape itself


def csv_cell(value: Any) -> Any:
    """A value as written to CSV: text a spreadsheet would evaluate gets a leading apostrophe.

    Text starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is a formula
    to Excel and LibreOffice (``=HYPERLINK(...)`` runs when the file is opened); text
    starting with an apostrophe gets one too, so that :func:`csv_value` gives back exactly
    what was written. Other values are returned as they are.

    >>> [csv_cell(v) for v in ["=1+1", "-3", "'quote", "gewoon", -3, None]]
    ["'=1+1", "'-3", "''quote", 'gewoon', -3, None]
    """
    return "'" + value if isinstance(value, str) and value.startswith(_ACTIVE) else value


def csv_value(text: Any) -> Any:
    """The inverse of :func:`csv_cell` for text read from a CSV file quickscan wrote.

    >>> [csv_value(csv_cell(v)) for v in ["=1+1", "''", "'", "+31 6 12345678"]]
    ['=1+1', "''", "'", '+31 6 12345678']
    """
    return text[1:] if isinstance(text, str) and text.startswith("'") else text


def csv_frame(frame):
    """A copy of a DataFrame with :func:`csv_cell` applied to its text cells, column names and index."""
    import pandas as pd

    out = frame.copy(deep=False)  # columns are replaced, never changed in place
    for column in out.columns:
        values = out[column]
        if values.dtype == object or str(values.dtype) in ("str", "string"):
            distinct = values.unique()  # ids, waves, codes: a few distinct values, checked one by one
            if len(distinct) < len(values) // 4 and not any(isinstance(v, str) and v.startswith(_ACTIVE)
                                                            for v in distinct):
                continue
            try:
                active = values.str[:1].isin(_ACTIVE)
            except AttributeError:  # no text in the column (only None, numbers)
                continue
            if active.any():
                values = values.copy()
                values[active] = "'" + values[active].astype(str)
                out[column] = values
    out.columns = [csv_cell(c) for c in out.columns]
    if not isinstance(out.index, pd.RangeIndex) and (out.index.dtype == object or str(out.index.dtype) == "str"):
        out.index = pd.Index([csv_cell(v) for v in out.index], name=frame.index.name)  # pilot names: short
    out.index.name = csv_cell(frame.index.name)
    return out


def elsewhere(executor, function: Callable, *args: Any) -> Callable[[], Any]:
    """Start ``function(*args)`` in ``executor`` (another process); the function returned gives
    its result, computed here when that process died before or while running it.

    >>> from concurrent.futures import ThreadPoolExecutor
    >>> with ThreadPoolExecutor(1) as pool:
    ...     result = elsewhere(pool, sum, [1, 2])
    ...     result()
    3
    """
    from concurrent.futures import BrokenExecutor

    try:
        future = executor.submit(function, *args)
    except BrokenExecutor:  # it died already
        future = None
    return lambda: result_or_here(future, function, *args)


def result_or_here(future, function: Callable, *args: Any) -> Any:
    """``future.result()``; ``function(*args)`` here when there is no future or the process
    running it died (killed, out of memory).

    >>> result_or_here(None, max, 1, 2)
    2
    """
    from concurrent.futures import BrokenExecutor

    if future is not None:
        try:
            return future.result()
        except BrokenExecutor:
            pass
    return function(*args)


def write_csv(frame, path: str | PathLike[str], **options: Any) -> Path:
    """Write ``frame`` as CSV atomically, neutralised with :func:`csv_frame` (``to_csv`` options pass through).

    >>> import tempfile, pathlib, pandas as pd
    >>> path = write_csv(pd.DataFrame({"evidence": ["=HYPERLINK(\\"http://x\\")", "- punt"]}),
    ...                  pathlib.Path(tempfile.mkdtemp()) / "c.csv", index=False)
    >>> path.read_bytes().decode().split("\\r\\n")[:3]
    ['evidence', '"\\'=HYPERLINK(""http://x"")"', "'- punt"]
    >>> read_csv(path)["evidence"].tolist()
    ['=HYPERLINK("http://x")', '- punt']
    """
    safe = csv_frame(frame)
    options.setdefault("lineterminator", "\r\n")  # RFC 4180; also makes the csv module quote a text holding "\r"
    return atomic_write(path, lambda tmp: safe.to_csv(tmp, **options))


def read_csv(path: str | PathLike[str], **options: Any):
    """Read a CSV file written by :func:`write_csv` as text, undoing the neutralisation exactly."""
    import pandas as pd

    from ._limits import regular_file

    regular_file(path)  # a FIFO would block for ever
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, **options)
    frame.columns = [csv_value(c) for c in frame.columns]
    for column in frame.columns:
        frame[column] = frame[column].map(csv_value)
    return frame


# -- recognising quickscan's own outputs -----------------------------------------------------------

OUTPUT_MARK = "quickscan-output"  # the category in the document properties of a report output
OUTPUT_MARKER = ".quickscan-output"  # the file that marks an output folder


_XML_INVALID = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_safe(text: Any) -> str:
    r"""``text`` as a string XML 1.0 can hold: a control character it forbids becomes U+FFFD.

    >>> xml_safe("a\x01b\tc")
    'a\ufffdb\tc'
    """
    return _XML_INVALID.sub("\ufffd", str(text))


def mark_output(properties) -> None:
    """Mark an openpyxl ``wb.properties`` or python-docx ``doc.core_properties`` as a quickscan output.

    Readers skip a workbook or document so marked (see :func:`is_output`): a report written
    into the data folder is never read back as a form. The mark (the *category* property)
    stays when the file is opened and saved in Excel or Word.
    """
    properties.category = OUTPUT_MARK


def is_output(package) -> bool:
    """Whether an opened Office package (zip) is marked by :func:`mark_output`."""
    try:
        info = package.getinfo("docProps/core.xml")
    except KeyError:
        return False
    if info.file_size > 2**20:  # document properties are a few hundred bytes
        return False
    return f">{OUTPUT_MARK}<".encode() in package.read(info)


def make_output_folder(folder: str | PathLike[str]) -> Path:
    """Make the output folder (and its parents), or raise an :class:`~quickscan.errors.OutputError`
    saying why not (a file in the way, a read-only disk, no permission), before any work."""
    from .errors import OutputError

    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise OutputError(folder, "cannot write: a file is in the way of this folder; give a folder for the "
                          "output (--out)") from None
    except OSError as exc:
        raise output_error(folder, exc, folder=folder.parent) from None
    if not os.access(folder, os.W_OK):
        raise output_error(folder, OSError(errno.EACCES, "Permission denied"), folder=folder)
    return folder


def mark_output_folder(folder: str | PathLike[str]) -> Path:
    """Write the marker file of an output folder: readers skip the folder and all below it."""
    marker = Path(folder) / OUTPUT_MARKER
    if not marker.exists():
        atomic_write(marker, lambda tmp: Path(tmp).write_text("This folder holds the output of quickscan report. quickscan does not read forms in it.\n",
                          "utf-8"))
    return marker


# -- one run per output folder, and no temporary files left behind ----------------------------------

LOCK_FILE = ".quickscan.lock"
_TEMPORARY = re.compile(r"^\..+\.[A-Za-z0-9_]{8}\.tmp$")  # what atomic_write's mkstemp names


@contextmanager
def output_lock(folder: str | PathLike[str]):
    """Hold the lock of an output folder for one run; a second run into it stops with a message.

    The lock is an OS lock on ``folder/.quickscan.lock`` (``flock``; ``msvcrt.locking`` on
    Windows): the system releases it when the process ends in any way (Ctrl-C, kill, out
    of memory), so a killed run never leaves the folder locked. While it is held, the
    temporary files a killed run left behind (``.name.xxxxxxxx.tmp``, possibly holding
    answers) are removed; yields their number.
    """
    from .errors import OutputError

    folder = Path(folder)
    path = folder / LOCK_FILE
    try:
        fh = open(path, "a+")
    except OSError as exc:
        raise output_error(path, exc, folder=folder) from None
    try:
        try:
            _lock(fh)
        except OSError:
            fh.seek(0)
            holder = fh.read().strip() or "another process"
            raise OutputError(folder, f"another quickscan run ({holder}) is writing into this folder; wait until it "
                              "has finished, or write to another folder (--out)") from None
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()}, started {time.strftime('%H:%M:%S')}")
        fh.flush()
        yield remove_stale_temporaries(folder)
    finally:
        fh.close()  # releases the lock


def _lock(fh) -> None:
    try:
        import fcntl
    except ImportError:  # Windows
        import msvcrt

        fh.seek(0)
        msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)
        return
    fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)


def remove_stale_temporaries(folder: str | PathLike[str]) -> int:
    """Remove the temporary files of :func:`atomic_write` below ``folder`` (left by a killed run).

    Call it only while holding :func:`output_lock`: a running writer's file looks the same.
    """
    removed = 0
    for top, _, names in os.walk(folder):
        for name in names:
            if _TEMPORARY.match(name):
                Path(top, name).unlink(missing_ok=True)
                removed += 1
    return removed
