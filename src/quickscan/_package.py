"""Opening Office Open XML packages (.docx, .xlsx) safely, with errors that say what is wrong."""

from __future__ import annotations

import zipfile
from os import PathLike
from pathlib import Path

from ._limits import check, limit, over, regular_file
from .errors import ArchiveTooLargeError, CorruptFileError, EncryptedFileError, LegacyFormatError

__all__ = ["open_package", "check_xml", "check_not_output", "MAX_UNPACKED", "MAX_RATIO"]

MAX_UNPACKED = 512 * 1024 * 1024  # the default budget: no real form or workbook unpacks to half a gigabyte
MAX_RATIO = 200  # compression ratio of one member beyond which it is a zip bomb
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_OLE_SCAN = 32 * 1024 * 1024  # an encrypted form is far smaller; its directory may come after the data


def open_package(path: str | PathLike[str]) -> zipfile.ZipFile:
    """Open a .docx/.xlsx as a zip, refusing legacy, encrypted, corrupt and bomb files.

    An encrypted Office file and a legacy .doc/.xls are both OLE compound files; the
    encrypted one holds an ``EncryptionInfo`` stream. A FIFO or device is refused before
    it is opened; the members' unpacked sizes are checked against the budget ``unpacked``
    (``QUICKSCAN_MAX_UNPACKED_MB``, see :mod:`quickscan._limits`) before any is read.
    """
    path = Path(path)
    regular_file(path, error=CorruptFileError)
    try:
        with path.open("rb") as fh:
            head = fh.read(8)
            rest = fh.read(_OLE_SCAN) if head == _OLE else b""  # the stream names sit in the directory sectors
    except OSError as exc:
        raise CorruptFileError(path, f"cannot open: {exc.strerror}") from exc
    if head == _OLE:
        if "EncryptionInfo".encode("utf-16-le") in rest or b"EncryptedPackage" in rest.replace(b"\x00", b""):
            raise EncryptedFileError(path)
        kind = "Excel 97-2003 (.xls)" if path.suffix.lower() in (".xls", ".xlsx") else "Word 97-2003 (.doc)"
        app, ext = ("Excel", ".xlsx") if "Excel" in kind else ("Word", ".docx")
        raise LegacyFormatError(path, f"legacy {kind} file; open it in {app} and save it as {ext}")
    if not head:
        raise CorruptFileError(path, "the file is empty (0 bytes)")
    try:
        package = zipfile.ZipFile(path)
        members = package.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise CorruptFileError(path, f"corrupt or truncated file: not a readable Office Open XML (zip) package ({exc})") from exc
    total = sum(m.file_size for m in members)
    worst = max(members, key=lambda m: m.file_size / max(m.compress_size, 1), default=None)
    ratio = worst.file_size / max(worst.compress_size, 1) if worst is not None else 0
    if total > limit("unpacked"):
        package.close()
        raise over("unpacked", total, path, f"it would unpack to {total / 2**20:,.0f} MiB")
    if worst is not None and worst.file_size > 10_000_000 and ratio > MAX_RATIO:
        package.close()
        raise ArchiveTooLargeError(path, f"refused before unpacking: {worst.filename} would unpack {ratio:.0f} times "
                                   f"its packed size to {worst.file_size / 2**20:.0f} MiB (limit {MAX_RATIO} times)")
    return package


def check_not_output(package: zipfile.ZipFile, path: str | PathLike[str]) -> None:
    """Raise :class:`~quickscan.errors.OwnOutputError` for a file quickscan report wrote."""
    from ._io import is_output
    from .errors import OwnOutputError

    if is_output(package):
        raise OwnOutputError(path)


def check_xml(package: zipfile.ZipFile, members, path: str | PathLike[str]) -> None:
    """Refuse a package whose XML ``members`` (those that will be parsed) unpack to more than
    the budget ``xml`` (``QUICKSCAN_MAX_XML_MB``): a parsed tree takes many times its text."""
    infos = []
    for name in members:
        try:
            infos.append(package.getinfo(name))
        except KeyError:
            continue
    total = sum(i.file_size for i in infos)
    if infos:
        biggest = max(infos, key=lambda i: i.file_size)
        check("xml", total, path, f"{biggest.filename} would unpack to {biggest.file_size / 2**20:,.0f} MiB of XML"
              + (f" ({total / 2**20:,.0f} MiB with the other parts)" if len(infos) > 1 else ""))
