"""One form of a username for log-in and its throttle.

`ｍａｎａｇｅｒ` (full width), `Manager` and `manager` are one person: the log-in form folds the
first into the last (NFKC), and the throttle must count all three as one name, or each look-alike
gets its own five tries.
"""

from __future__ import annotations

import unicodedata

USERNAME_MAX_LENGTH = 150


def username_key(username: str) -> str:
    """NFKC, case-folded, NFKC again (folding can undo the first normalisation), stripped."""
    text = unicodedata.normalize("NFKC", username or "")
    return unicodedata.normalize("NFKC", text.casefold()).strip()[:USERNAME_MAX_LENGTH]


def username_clean(username: str) -> str:
    """The username as stored: NFKC (as Django's create_user does), stripped."""
    return unicodedata.normalize("NFKC", username or "").strip()
