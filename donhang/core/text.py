"""Text helpers for Vietnamese: diacritics-insensitive search keys."""

import unicodedata

_EXTRA = str.maketrans({"đ": "d", "Đ": "d"})


def fold(text: str | None) -> str:
    """Lower-case, strip Vietnamese diacritics ("Áo Đầm" → "ao dam"), collapse spaces.

    Stored beside searchable names so that a search for "ao dam" finds "Áo đầm" on every database.
    """
    if not text:
        return ""
    text = text.translate(_EXTRA)
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return " ".join(stripped.lower().split())


def search_key(*parts: str | None) -> str:
    return " ".join(fold(p) for p in parts if p)


# --- what people type into codes and names ---------------------------------------------------
# Look-alikes: "ÁO-A51B" typed composed (one code point per letter) and decomposed (A + combining
# accent) must be one SKU, and "AO\u200b-A51B" (a zero-width space) must not pass for "AO-A51B".
# Codes are NFC-normalised and refuse invisible and control characters; names refuse NUL and
# control characters and must show at least one visible character.

_INVISIBLE_CATEGORIES = {"Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp"}


def invisible_characters(text: str) -> list[str]:
    """Control, format (zero-width, bidi) and unassigned characters in text."""
    return [ch for ch in text if unicodedata.category(ch) in _INVISIBLE_CATEGORIES]


def code_normalize(value: str | None) -> str:
    """NFC and stripped; the caller decides whether invisible characters are refused."""
    return unicodedata.normalize("NFC", value or "").strip()


def code_problem(value: str) -> str | None:
    """Why a normalised code (SKU, barcode, phone, document code) is refused, or None."""
    if invisible_characters(value):
        return "invisible"
    return None


def name_problem(value: str) -> str | None:
    """Why a name is refused: "control" (NUL and other control characters; tabs and line breaks
    are allowed in long text) or "invisible" (nothing visible in it), else None."""
    if any(unicodedata.category(ch) == "Cc" and ch not in "\t\n\r" for ch in value):
        return "control"
    visible = [
        ch
        for ch in value
        if unicodedata.category(ch) not in _INVISIBLE_CATEGORIES and not ch.isspace()
    ]
    if value and not visible:
        return "invisible"
    return None


BIGGEST_ID = 2**62  # larger "ids" in a URL are nonsense, not a database overflow


def plain_int(value, *, maximum: int = BIGGEST_ID) -> int | None:
    """An int from ASCII digits (e.g. an id in a query string), else None. "²".isdigit() is true
    but int("²") fails, and a 30-digit number overflows the database: both give None."""
    text = str(value).strip() if value is not None else ""
    if not text or not text.isascii() or not text.isdigit():
        return None
    number = int(text)
    return number if number <= maximum else None
