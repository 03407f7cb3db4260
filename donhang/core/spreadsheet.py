"""Spreadsheet cells from and to the outside (DESIGN.md 3.10, OWASP "CSV injection"): a text
cell that starts with =, +, -, @, a tab or a carriage return (also after leading spaces, tabs or
line breaks) would run as a formula in Excel or LibreOffice. Exports prefix such text with an
apostrophe, so it shows as text; imports read formulas as their text, never their result, and
drop our own apostrophe again so that an export imports back unchanged."""

from __future__ import annotations

from collections.abc import Iterable

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
