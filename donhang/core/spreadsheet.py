"""Spreadsheet cells from and to the outside (DESIGN.md 3.10, OWASP "CSV injection"): a text
cell that starts with =, +, -, @, a tab or a carriage return (also after leading spaces, tabs or
line breaks) would run as a formula in Excel or LibreOffice. Exports prefix such text with an
apostrophe, so it shows as text; imports read formulas as their text, never their result, and
drop our own apostrophe again so that an export imports back unchanged."""

from __future__ import annotations

import io
import itertools
import zipfile
from collections.abc import Iterable

from django.conf import settings
from django.utils.formats import number_format
from django.utils.translation import gettext as _

DANGEROUS_FIRST = ("=", "+", "-", "@", "\t", "\r")


def is_dangerous(text: str) -> bool:
    if not text:
        return False
    if text[0] in DANGEROUS_FIRST:
        return True
    stripped = text.lstrip(" \t\r\n")
    return bool(stripped) and stripped[0] in DANGEROUS_FIRST


def neutralize(value):
    """A cell value safe to write: numbers, dates and booleans as they are; dangerous text with a
    leading apostrophe."""
    if isinstance(value, str) and is_dangerous(value):
        return "'" + value
    return value


def neutralize_row(values: Iterable) -> list:
    return [neutralize(v) for v in values]


def imported_text(value: str) -> str:
    """Text of an imported cell: our own apostrophe before dangerous text is removed (the text
    is stored as text either way; it is neutralised again on export)."""
    if value.startswith("'") and is_dangerous(value[1:]):
        return value[1:]
    return value


# --- imports: how much a file may hold (issue 17) ---------------------------------------------
# Every import (catalog products, stocktake counts, COD statements) refuses, before parsing the
# file in full: more than IMPORT_MAX_BYTES uploaded; an .xlsx that is not a zip, or that unpacks
# to more than IMPORT_MAX_UNPACKED_BYTES or holds more than XLSX_MAX_MEMBERS parts (zip bombs);
# more than IMPORT_MAX_ROWS rows (it stops reading at the first row past the limit). Each can be
# changed in settings (SPREADSHEET_IMPORT_MAX_BYTES, …_MAX_ROWS, …_MAX_UNPACKED_BYTES).

IMPORT_MAX_BYTES = 10 * 1024 * 1024
IMPORT_MAX_ROWS = 20_000
IMPORT_MAX_UNPACKED_BYTES = 100 * 1024 * 1024
XLSX_MAX_MEMBERS = 1_000


class SpreadsheetRefused(ValueError):
    """A file an import will not read; `message` says why, in the user's language."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class SpreadsheetUnreadable(SpreadsheetRefused):
    """Not a spreadsheet at all (an .xlsx that is not a zip): an import may say it its own way."""


def max_bytes() -> int:
    return int(getattr(settings, "SPREADSHEET_IMPORT_MAX_BYTES", IMPORT_MAX_BYTES))


def max_rows() -> int:
    return int(getattr(settings, "SPREADSHEET_IMPORT_MAX_ROWS", IMPORT_MAX_ROWS))


def read_upload(file) -> bytes:
    """The bytes of an uploaded file, never more than the limit (SpreadsheetRefused past it)."""
    limit = max_bytes()
    size = getattr(file, "size", None)
    if size is not None and size > limit:
        raise SpreadsheetRefused(_too_large(limit))
    if hasattr(file, "seek"):
        file.seek(0)
    data = file.read(limit + 1)
    if isinstance(data, str):
        data = data.encode("utf-8")
    if len(data) > limit:
        raise SpreadsheetRefused(_too_large(limit))
    return data


def _too_large(limit: int) -> str:
    return _("The file is larger than %(mb)s MB; split it and import the parts.") % {
        "mb": limit // (1024 * 1024)
    }


def check_size(content: bytes) -> None:
    if len(content) > max_bytes():
        raise SpreadsheetRefused(_too_large(max_bytes()))


def check_xlsx(content: bytes) -> None:
    """Refuse an .xlsx that is not a zip or unpacks to too much, before openpyxl opens it."""
    check_size(content)
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise SpreadsheetUnreadable(_("The file is not a readable .xlsx workbook.")) from exc
    unpacked = sum(m.file_size for m in members)
    limit = int(
        getattr(settings, "SPREADSHEET_IMPORT_MAX_UNPACKED_BYTES", IMPORT_MAX_UNPACKED_BYTES)
    )
    if len(members) > XLSX_MAX_MEMBERS or unpacked > limit:
        raise SpreadsheetRefused(
            _("The workbook unpacks to more than %(mb)s MB; split it and import the parts.")
            % {"mb": limit // (1024 * 1024)}
        )


def limited_rows(rows: Iterable) -> list:
    """The rows of a sheet, read no further than one past IMPORT_MAX_ROWS (then refused)."""
    limit = max_rows()
    taken = list(itertools.islice(rows, limit + 2))  # the header row and one past the limit
    if len(taken) > limit + 1:
        raise SpreadsheetRefused(
            _("The file has more than %(rows)s rows; split it and import the parts.")
            % {"rows": number_format(limit, force_grouping=True)}
        )
    return taken
