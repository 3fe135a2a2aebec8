"""Writing files atomically: a temporary file in the same folder, then moved into place."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from os import PathLike
from pathlib import Path

__all__ = ["atomic_write"]


def atomic_write(path: str | PathLike[str], write: Callable[[str], object]) -> Path:
    """Call ``write(temporary_path)``, then replace ``path`` by it; a failed write leaves ``path`` as it was.

    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "x.txt"
    >>> atomic_write(target, lambda tmp: pathlib.Path(tmp).write_text("klaar")).read_text()
    'klaar'
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, _mode(path))  # mkstemp makes the file private; keep what a plain write would give
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _mode(path: Path) -> int:
    """The permissions of the file being replaced, else those of a new file (0o666 less the umask)."""
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
