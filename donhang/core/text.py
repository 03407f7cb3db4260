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
