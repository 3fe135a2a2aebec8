"""What quickscan reads at most from one file, checked before the work, and how to raise it.

A small file can ask for a lot of memory: a zip member that unpacks to gigabytes, a
REFI-QDA project whose sources all point at one large member, a sheet with one cell at
``XFD1048576``, a YAML "billion laughs". Every reader checks a budget *before* it unpacks
or parses, and refuses the file with an error that names it, the limit and the
environment variable that raises it (see ``docs/safety.md``):

>>> str(over("xml", 600 * 2**20, "form.docx", "word/document.xml would unpack to 600 MiB of XML"))
'form.docx: refused before reading: word/document.xml would unpack to 600 MiB of XML (limit 64 MiB of XML per file; if the file is genuine, raise it with QUICKSCAN_MAX_XML_MB=1200) [E108]'
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from os import PathLike
from pathlib import Path

from .errors import InputError, LimitError, QuickscanError

__all__ = ["Limit", "LIMITS", "limit", "check", "over", "regular_file"]


@dataclass(frozen=True)
class Limit:
    """One budget: its environment variable, default, unit (bytes are set in MiB) and what it counts."""

    env: str
    default: int
    unit: str
    what: str

    @property
    def scale(self) -> int:
        return 2**20 if self.unit == "MiB" else 1


LIMITS = {
    "unpacked": Limit("QUICKSCAN_MAX_UNPACKED_MB", 512, "MiB", "unpacked per file"),
    "xml": Limit("QUICKSCAN_MAX_XML_MB", 64, "MiB", "of XML per file"),
    "cells": Limit("QUICKSCAN_MAX_CELLS", 2_000_000, "cells", "per sheet"),
    "yaml": Limit("QUICKSCAN_MAX_YAML_NODES", 1_000_000, "nodes", "per YAML file, aliases expanded"),
    "text": Limit("QUICKSCAN_MAX_TEXT_MB", 32, "MiB", "per text file (YAML, CSV)"),
}


def limit(key: str) -> int:
    """The budget in bytes (or cells, nodes): the environment variable where set, else the default.

    >>> limit("cells")
    2000000
    """
    spec = LIMITS[key]
    raw = os.environ.get(spec.env, "").strip()
    try:
        value = int(float(raw)) if raw else spec.default
    except ValueError:
        raise QuickscanError(None, f"{spec.env}={raw!r} is not a number; set it to a whole number of "
                             f"{spec.unit}") from None
    return value * spec.scale


def over(key: str, amount: int, path: str | PathLike[str] | None, what: str, *,
         place: str | None = None, error: type[QuickscanError] = LimitError) -> QuickscanError:
    """The error for ``amount`` over the budget ``key``: names the file, the limit and how to raise it."""
    spec = LIMITS[key]
    needed = -(-2 * amount // spec.scale)  # twice what this file asks, in the unit of the variable
    message = (f"refused before reading: {what} (limit {limit(key) // spec.scale:,} {spec.unit} {spec.what}; "
               f"if the file is genuine, raise it with {spec.env}={needed})")
    return error(path, message, place=place)


def check(key: str, amount: int, path: str | PathLike[str] | None, what: str, *,
          place: str | None = None, error: type[QuickscanError] = LimitError) -> None:
    """Raise :func:`over` when ``amount`` exceeds the budget ``key``; ``what`` says what would be read."""
    if amount > limit(key):
        raise over(key, amount, path, what, place=place, error=error)


def regular_file(path: str | PathLike[str], *, error: type[QuickscanError] = InputError) -> int:
    """The size of ``path`` if it is a regular file; an error for a folder, FIFO, device or socket.

    Checked before opening: reading a FIFO blocks for ever and ``/dev/zero`` never ends.

    >>> regular_file("/dev/null")
    Traceback (most recent call last):
    ...
    quickscan.errors.InputError: /dev/null: not a regular file (a character device); give a saved file [E100]
    """
    path = Path(path)
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise error(path, "no such file") from None
    except OSError as exc:
        raise error(path, f"cannot open: {exc.strerror}") from exc
    if stat.S_ISREG(mode):
        return path.stat().st_size
    kind = ("a folder" if stat.S_ISDIR(mode) else "a FIFO (named pipe)" if stat.S_ISFIFO(mode)
            else "a character device" if stat.S_ISCHR(mode) else "a block device" if stat.S_ISBLK(mode)
            else "a socket" if stat.S_ISSOCK(mode) else "not a file")
    raise error(path, f"not a regular file ({kind}); give a saved file")
