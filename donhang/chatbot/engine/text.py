"""Vietnamese text as customers type it: with or without diacritics, shop slang ("ko", "sp",
"bn", "ib"), money ("150k", "1tr2", "150.000đ"), phone numbers written with dots and spaces.

`normalize` gives two forms of a message: `nfc` (what was typed, NFC, for names and addresses)
and `key` (lower case, diacritics stripped, slang expanded, money/phone/order code replaced by
placeholders) for intent cues and matching. Tokens of `key` keep a link to the typed word so that
a match can tell "đen" (black) from "đèn" (lamp) when the customer typed the accents.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from donhang.core.text import fold

# Slang and abbreviations → words (on the folded form). Single letters are expanded only where
# they cannot be a size (see `_expand`).
SLANG = {
    "ko": "khong",
    "kh": "khong",
    "khg": "khong",
    "khog": "khong",
    "kog": "khong",
    "hok": "khong",
    "hk": "khong",
    "hem": "khong",
    "hum": "khong",
    "khum": "khong",
    "hong": "khong",  # "còn hông" — but "hồng" (pink) and "hỏng" (broken): see _expand
    "dc": "duoc",
    "dk": "duoc",
    "dx": "duoc",
    "duoc": "duoc",
    "bn": "bao nhieu",
    "bnh": "bao nhieu",
    "bnhieu": "bao nhieu",
    "bnhiu": "bao nhieu",
    "baonhieu": "bao nhieu",
    "nhiu": "nhieu",
    "bao nhiu": "bao nhieu",
    "sp": "san pham",
    "spham": "san pham",
    "sdt": "so dien thoai",
    "dt": "dien thoai",
    "dthoai": "dien thoai",
    "ck": "chuyen khoan",
    "stk": "so tai khoan",
    "sz": "size",
    "tphcm": "ho chi minh",
    "hcm": "ho chi minh",
    "sg": "sai gon",
    "hn": "ha noi",
    "j": "gi",
    "ji": "gi",
    "gj": "gi",
    "mk": "minh",
    "mik": "minh",
    "mjk": "minh",
    "mh": "minh",
    "ntn": "nhu the nao",
    "r": "roi",
    "z": "vay",
    "zay": "vay",
    "dzay": "vay",
    "zậy": "vay",
    "cx": "cung",
    "trc": "truoc",
    "oke": "ok",
    "oki": "ok",
    "okie": "ok",
    "okela": "ok",
    "okay": "ok",
    "uk": "ok",
    "ukm": "ok",
    "ib": "inbox",
    "gium": "giup",
    "dum": "giup",
    "thui": "thoi",
    "hnay": "hom nay",
    "bh": "bao gio",
    "bjo": "bao gio",
    "bgio": "bao gio",
    "bg": "bao gio",
    "vs": "voi",
    "pls": "lam on",
    "plz": "lam on",
    "ad": "admin",
    "add": "admin",
    "shp": "shop",
    "sop": "shop",
    "sip": "ship",
    "shiper": "shipper",
    "fs": "freeship",
    "frship": "freeship",
    "free ship": "freeship",
    "dchi": "dia chi",
    "đchi": "dia chi",
    "tks": "cam on",
    "thanks": "cam on",
    "thank": "cam on",
    "thx": "cam on",
    "camon": "cam on",
    "kiu": "cam on",
    "mún": "muon",
    "mun": "muon",
    "iu": "yeu",
    "wa": "qua",
    "ntin": "nhan tin",
    "nt": "nhan tin",
    "sđt": "so dien thoai",
    "tr": "trieu",
    "tk": "tai khoan",
    "cty": "cong ty",
    "cod": "cod",
    "ship cod": "cod",
    "mog": "mong",
    "hết": "het",
    "onl": "online",
    "order": "order",
    "oder": "order",
    "ordr": "order",
    "qc": "quang cao",
    "nv": "nhan vien",
    "tvv": "tu van vien",
    "ctv": "cong tac vien",
    "vc": "van chuyen",
    "gh": "giao hang",
    "ghn": "giao hang nhanh",
}

# Words that only address someone or soften a sentence; left out of the matching key.
FILLERS = {
    "a",
    "ah",
    "nha",
    "nhe",
    "nhen",
    "ne",
    "oi",
    "di",
    "vay",
    "nhi",
    "the",
    "voi",
}

_WORD = re.compile(r"[a-z0-9]+(?:[.,/][0-9]+)*")
_REPEAT = re.compile(r"([a-z])\1{2,}")
# Money: "150k", "150 k", "1tr2", "1.5tr", "1 triệu 2", "150.000đ", "150,000 vnđ", "150 nghìn".
_MONEY_PATTERNS = [
    re.compile(r"\b(\d+)(?:[.,](\d+))?\s*(?:tr|trieu|cu|m)\s*(\d{1,3})?\b(?!\s*(?:x|\*))"),
    re.compile(r"\b(\d+(?:[.,]\d+)?)\s*(k|ng|nghin|ngan|ngan dong|nghin dong)\b"),
    re.compile(r"\b(\d{1,3}(?:[.,]\d{3})+)\s*(d|dong|vnd|vnđ|đ)?\b"),
    re.compile(r"\b(\d{4,9})\s*(d|dong|vnd)\b"),
]
_PHONE = re.compile(r"(?<![\d])(?:\+?84|0)[\s.\-]?[35789](?:[\s.\-]?\d){8}(?![\d])")
_ORDER_CODE = re.compile(r"\b(dh)[\s\-#]?(\d{3,10})\b")
_NUMBER_WORDS = {
    "mot": 1,
    "hai": 2,
    "ba": 3,
    "bon": 4,
    "tu": 4,
    "nam": 5,
    "sau": 6,
    "bay": 7,
    "tam": 8,
    "chin": 9,
    "muoi": 10,
    "chuc": 10,
}


def nfc(text: str | None) -> str:
    return unicodedata.normalize("NFC", text or "").strip()


def squeeze(word: str) -> str:
    """ "khonggg" → "khong", "điiii" → "di" (three or more of a letter become one)."""
    return _REPEAT.sub(r"\1", word)


def parse_money(text: str) -> list[int]:
    """Amounts in đồng mentioned in folded text."""
    found = []
    for value, *_ in _money_matches(text):
        found.append(value)
    return found


def _money_matches(text: str):
    taken: list[tuple[int, int]] = []
    for i, pattern in enumerate(_MONEY_PATTERNS):
        for m in pattern.finditer(text):
            if any(m.start() < e and m.end() > s for s, e in taken):
                continue
            if i == 0:
                whole = int(m.group(1))
                frac = m.group(2)
                tail = m.group(3)
                value = whole * 1_000_000
                if frac:
                    value += int(frac.ljust(6, "0")[:6])
                elif tail:
                    value += int(tail.ljust(3, "0")[:3]) * 1000
            elif i == 1:
                value = int(float(m.group(1).replace(",", ".")) * 1000)
            elif i == 2:
                value = int(re.sub(r"[.,]", "", m.group(1)))
            else:
                value = int(m.group(1))
            taken.append((m.start(), m.end()))
            yield value, m.start(), m.end()


def find_phones(raw: str) -> list[str]:
    """Mobile numbers as typed ("090.123.4567", "+84 912 345 678") → "0901234567"."""
    out = []
    for m in _PHONE.finditer(raw):
        digits = re.sub(r"\D", "", m.group(0))
        if digits.startswith("84"):
            digits = "0" + digits[2:]
        if len(digits) == 10:
            out.append(digits)
    return out


_BARE_CODE = re.compile(
    r"\b(?:ma don(?: hang)?|don hang|don|ma|order)\s*(?:so\s*)?[:#]?\s*(\d{5,8})\b"
)


def find_order_codes(key: str) -> list[str]:
    """Order codes as the shop writes them: "DH" + at least six digits ("dh 457" → DH000457;
    "mã đơn 000123" → DH000123)."""
    found = [f"DH{int(m.group(2)):06d}" for m in _ORDER_CODE.finditer(key)]
    if not found:
        found = [f"DH{int(m.group(1)):06d}" for m in _BARE_CODE.finditer(key)]
    return found


@dataclass
class Token:
    key: str  # folded, slang expanded (may be two words, e.g. "bao nhieu")
    typed: str  # as typed, lower case NFC (for diacritics-aware matching)
    start: int  # position in `Normalized.nfc`
    end: int
    capital: bool = False  # typed with a capital letter after the first word (a name)

    @property
    def accented(self) -> bool:
        return self.typed != fold(self.typed)


@dataclass
class Normalized:
    raw: str
    nfc: str
    key: str  # folded words joined by spaces, placeholders for money/phone/order code
    tokens: list[Token] = field(default_factory=list)
    money: list[int] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    order_codes: list[str] = field(default_factory=list)

    @property
    def words(self) -> list[str]:
        return self.key.split()


_PIECE = re.compile(r"\S+")
_STRIP = re.compile(r"^[^\w+]+|[^\w]+$")


# Accented words that fold onto a different, common word: "đắt" (dear) is not "đặt" (order),
# "đôi" (a pair) is not "đổi" (exchange), "đợi" (wait) neither.
TYPED_OVERRIDES = {"đắt": "mac", "đôi": "cap", "đợi": "cho"}


def _expand(word: str, typed: str, prev: str, nxt: str) -> str:
    """Slang → words, with the few context rules Vietnamese shop chat needs."""
    if word == "hong":
        if typed in ("hồng", "hỏng", "hổng"):
            return "khong" if typed == "hổng" else word
        # "bị hỏng" (broken), "màu hồng" (pink): keep; "còn hong", "được hong": không
        if prev in ("bi", "da", "lam", "hu", "mau", "ao", "son", "vo") or nxt in (
            "dat",
            "nhat",
            "pastel",
            "phan",
        ):
            return word
        return "khong"
    if word == "k":
        # "150 k" is money; alone it is "không".
        return word if prev.isdigit() or re.fullmatch(r"\d+[.,]\d+", prev) else "khong"
    if word == "kg" and not prev.isdigit():
        return "khong"
    if word in ("e", "a", "c", "b") and len(typed) == 1 and typed.islower():
        return {"e": "em", "a": "anh", "c": "chi", "b": "ban"}[word]
    if word == "v" and prev not in ("size",):
        return "vay"
    if word == "t" and prev not in ("size",):
        return "toi"
    if word == "ok" or word == "o":
        return word
    if typed in TYPED_OVERRIDES:
        return TYPED_OVERRIDES[typed]
    return SLANG.get(word, word)


def normalize(text: str | None) -> Normalized:
    raw = text or ""
    typed_text = nfc(raw)
    lowered = typed_text.lower()
    phones = find_phones(typed_text)
    tokens: list[Token] = []
    pieces = []
    for m in _PIECE.finditer(lowered):
        piece = _STRIP.sub("", m.group(0))
        if not piece:
            continue
        start = m.start() + m.group(0).find(piece)
        pieces.append((piece, start))
    # Fold each typed word, split on punctuation inside it ("size:M", "áo/quần").
    words: list[tuple[str, str, int, int]] = []
    for piece, start in pieces:
        folded = fold(piece)
        for wm in _WORD.finditer(folded):
            typed = piece[wm.start() : wm.end()] if len(piece) == len(folded) else piece
            words.append((squeeze(wm.group(0)), typed, start + wm.start(), start + wm.end()))
    for i, (word, typed, start, end) in enumerate(words):
        prev = words[i - 1][0] if i else ""
        nxt = words[i + 1][0] if i + 1 < len(words) else ""
        capital = i > 0 and typed_text[start : start + 1].isupper()
        tokens.append(Token(_expand(word, typed, prev, nxt), typed, start, end, capital))
    key = _codes_and_phones(" ".join(t.key for t in tokens))
    money = [value for value, start, _end in sorted(_money_matches(key), key=lambda m: m[1])]
    for pattern in _MONEY_PATTERNS:
        key = pattern.sub(" _money_ ", key)
    key = " ".join(key.split())
    return Normalized(
        raw=raw,
        nfc=typed_text,
        key=key,
        tokens=tokens,
        money=money,
        phones=phones,
        order_codes=find_order_codes(fold(typed_text)),
    )


def _codes_and_phones(key: str) -> str:
    """Order codes and phone numbers become _code_ and _phone_ in the key (before money is
    looked for: "090.123.4567" is not 90.123 đồng)."""
    key = _ORDER_CODE.sub(" _code_ ", key)
    key = _BARE_CODE.sub(lambda m: m.group(0)[: m.start(1) - m.start(0)] + " _code_ ", key)
    key = re.sub(r"(?<![\d.])(?:84|0)[ .\-]?[35789](?:[ .\-]?\d){8}(?![\d])", " _phone_ ", key)
    return " ".join(key.split())


def number_word(word: str) -> int | None:
    if word.isdigit():
        return int(word)
    return _NUMBER_WORDS.get(word)
