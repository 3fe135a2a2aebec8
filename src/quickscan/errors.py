"""Errors and warnings of quickscan, each with a code and the file and place it concerns.

Every message names the file and, where known, the place in it, so that a researcher
can open the document and see the problem:

>>> str(LegacyFormatError("interviews/houten.doc"))
'interviews/houten.doc: legacy Word 97-2003 file; open it in Word and save it as .docx [E101]'
"""

from __future__ import annotations

from os import PathLike

__all__ = [
    "QuickscanError",
    "InputError",
    "LegacyFormatError",
    "EncryptedFileError",
    "CorruptFileError",
    "ArchiveTooLargeError",
    "LimitError",
    "OwnOutputError",
    "EmptyDocumentError",
    "NotAQuickscanForm",
    "DuplicatePilotError",
    "TemplateError",
    "CodebookError",
    "ReviewError",
    "RefiError",
    "StudyError",
    "UsageError",
    "WrongTemplateError",
    "OutputError",
    "QuickscanWarning",
]


class QuickscanError(Exception):
    """Base class: a problem with a file, a place in it, and a code."""

    code = "E000"
    default_message = "problem"

    def __init__(
        self,
        path: str | PathLike[str] | None = None,
        message: str | None = None,
        *,
        place: str | None = None,
    ) -> None:
        self.path = str(path) if path is not None else None
        self.place = place
        self.message = message or self.default_message
        super().__init__(str(self))

    def __str__(self) -> str:
        where = ": ".join(p for p in (self.path, self.place) if p)
        return f"{where}: {self.message} [{self.code}]" if where else f"{self.message} [{self.code}]"

    def __reduce__(self):  # keep pickling (multiprocessing) working with keyword args
        return (_rebuild, (type(self), self.path, self.message, self.place))


def _rebuild(cls, path, message, place):
    return cls(path, message, place=place)


class InputError(QuickscanError):
    """An input document that cannot be read as a quick-scan form or workbook."""

    code = "E100"
    default_message = "cannot read this file"


class LegacyFormatError(InputError):
    code = "E101"
    default_message = "legacy Word 97-2003 file; open it in Word and save it as .docx"


class EncryptedFileError(InputError):
    code = "E102"
    default_message = (
        "password-protected (encrypted) Office file; remove the password in Word or Excel "
        "(File > Info > Protect) and save it again"
    )


class CorruptFileError(InputError):
    code = "E103"
    default_message = "corrupt or truncated file: not a readable Office Open XML (zip) package"


class ArchiveTooLargeError(InputError):
    code = "E104"
    default_message = "refused: the unpacked size of this file is implausibly large"


class LimitError(ArchiveTooLargeError):
    """A file that would need more than quickscan's budget for one file (see ``docs/safety.md``)."""

    code = "E108"
    default_message = "refused: over the budget for one file"


class OwnOutputError(InputError):
    """A document or workbook that quickscan report wrote (an output, not a form): skipped when reading."""

    code = "I109"
    default_message = "skipped: written by quickscan report (an output, not a form or workbook of answers)"


class EmptyDocumentError(InputError):
    code = "E105"
    default_message = "the document is empty"


class NotAQuickscanForm(InputError):
    code = "E106"
    default_message = "not a quick-scan form"


class DuplicatePilotError(InputError):
    code = "E107"
    default_message = "the same pilot appears twice in one wave"


class WrongTemplateError(InputError):
    """Forms that match too few questions of the template: another instrument's forms."""

    code = "E109"
    default_message = "the forms do not fit the template"


class TemplateError(QuickscanError):
    """A template file that is malformed: names the file and the key."""

    code = "E201"
    default_message = "malformed template"


class CodebookError(QuickscanError):
    """A codebook file that is malformed; ``problems`` lists every problem found."""

    code = "E301"
    default_message = "malformed codebook"

    def __init__(self, path=None, message=None, *, place=None, problems=()):
        self.problems = list(problems)
        if message is None and self.problems:
            message = f"{len(self.problems)} problem(s):\n  - " + "\n  - ".join(self.problems)
        super().__init__(path, message, place=place)


class ReviewError(QuickscanError):
    """A review sheet that cannot be read."""

    code = "E401"
    default_message = "malformed review sheet"


class RefiError(InputError):
    """A REFI-QDA file (``.qdc``, ``.qdpx``) that cannot be read: names the file, the member
    and the element (with its line where known)."""

    code = "E501"
    default_message = "malformed REFI-QDA file"


class StudyError(QuickscanError):
    """A study file that is malformed: names the file and the key."""

    code = "E601"
    default_message = "malformed study file"


class UsageError(QuickscanError):
    """Options that do not fit together (an unknown family, no data), found before any work;
    the command line exits with 2."""

    code = "E602"
    default_message = "wrong use"


class OutputError(QuickscanError, OSError):
    """An output that cannot be written (read-only folder, disk full, a file where a folder
    should be): names the file and says what to do. Nothing half-written is left behind.
    An ``OSError`` too, so that code catching that keeps working."""

    code = "E701"
    default_message = "cannot write"


class QuickscanWarning(UserWarning):
    """Something the user should know about an output (e.g. a text cut to fit an Excel cell)."""
