"""Intent and entities of one customer message, offline.

Entities come first (phone, order code, money, address, name, product, variant options,
quantity, payment method), each marking the words it used so the next does not reuse them
("12 Lê Lợi" is an address, not 12 units; "Hà Nội" is a province, not "nồi"). The intent is
then scored from cue phrases on the normalised text (keyword rules with weights, as Vietnamese
shop chat is formulaic), with the entities as evidence. A low or tied score is "unsure".

Intents: greeting, product_search, price, stock, shipping_fee, cod, order_status, place_order,
payment, return, human, other.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from donhang.chatbot.engine import lexicon
from donhang.chatbot.engine.cues import COMPILED, KNOWN_WORDS, TIE_ORDER
from donhang.chatbot.engine.index import (
    CatalogIndex,
    PlaceIndex,
    ProductDoc,
    ProductMatch,
    catalog_index,
    place_index,
)
from donhang.chatbot.engine.text import Normalized, Token, normalize, number_word
from donhang.core.text import fold

INTENTS = (
    "greeting",
    "product_search",
    "price",
    "stock",
    "shipping_fee",
    "cod",
    "order_status",
    "place_order",
    "payment",
    "return",
    "human",
    "other",
)

CONFIRM = re.compile(
    r"\b(chot|ok|oke|dong y|xac nhan|dung roi|dung|chuan|chinh xac|uh|vang|yes|dat luon|len don|lay luon|dat di|duoc|roi)\b"
)
# The customer says they order now: an order may be made in this turn.
CONFIRM_ORDER = re.compile(
    r"\b(chot|xac nhan|dong y|len don|dung roi|chuan roi|ok luon|ok dat|order|"
    r"dat (hang|don|luon|di|nhe|nha|gium|giup|lien|ngay|cho)|dat$|"
    r"(lay|mua) (\d+|mot|hai|ba|luon|nhe|nha|cai nay|ngay|lien|cho))\b"
)
DENY = re.compile(r"\b(khong|thoi|huy|sai|chua|doi lai|sua|nham|(?<!chuyen )khoan)\b")
ORDER_VERBS = re.compile(r"\b(chot|dat|len don|lay|mua|order|gui|ship cho)\b")
BANK_TRANSFER = re.compile(
    r"\b(chuyen khoan|banking|qr|so tai khoan|tra truoc|thanh toan truoc|momo|vietqr|ngan hang)\b"
)
COD_WORDS = re.compile(
    r"\b(cod|nhan hang (roi |moi )?(tra|thanh toan)|thanh toan khi nhan|tien mat|tra tien khi nhan|ship cod)\b"
)
_HOUSE = re.compile(r"^(?:so)?\d+[a-z]?(?:/\d+[a-z]?)*$")
_STREET_START = {"ngo", "hem", "kiet", "ngach", "thon", "ap", "xom", "to", "duong", "khu", "kp"}
_NAME_AFTER = re.compile(
    r"(?i)\b(?:h[ọo] v[àa] t[êe]n|h[ọo] t[êe]n|t[êe]n ng[ưu][ờo]i nh[ậa]n|ng[ưu][ờo]i nh[ậa]n(?: h[àa]ng)?|t[êe]n)\s*(?:l[àa]\b\s*)?[:\-]?\s*"
)
_SELF_NAME = re.compile(r"(?i)\b(?:m[ìi]nh|em|t[ôo]i|tui|t[ớo]|anh|ch[ịi])\s+l[àa]\s+")
_NAME_STOP = re.compile(
    r"(?i)\s*(?:\b(?:s[đd]t|sdt|s[ốo] (?:đi[ệe]n tho[ạa]i|dt|đt)|[đd]t|đi[ệe]n tho[ạa]i|phone|"
    r"[đd]ịa ch[ỉi]|dia chi|[đd]c|ở|o|giao|ship|nh[ée]|nha|ạ|a|[đd]ặt|l[ấa]y|mua|ch[ốo]t|"
    r"s[ốo]|nh[ậa]n|t[ạa]i)\b|[,;.\n\d(]).*$"
)
_RELATIONS = {"vo", "chong", "me", "bo", "ba", "con", "ban", "anh", "chi", "em", "co", "chu"}
_NOT_A_NAME = {
    "gi",
    "sao",
    "nao",
    "ai",
    "vay",
    "khach",
    "nguoi",
    "sinh",
    "nhan",
    "chu",
    "ban",
    "khach hang",
    "tro",
    "con",
    "me",
    "bo",
    "o",
    "dang",
    "muon",
    "can",
    "hoi",
    "thay",
    "co",
    "khong",
}


@dataclass
class Place:
    province_code: int | None = None
    province: str = ""
    ward_code: int | None = None
    ward: str = ""
    line: str = ""
    raw: str = ""  # the whole delivery place as typed (street, ward, old district, province)
    ward_typed: str = (
        ""  # a ward written with its prefix that is not a 2025 ward ("phường Bến Nghé")
    )
    province_written: bool = False  # named in the message (not only known from the ward)


@dataclass
class Analysis:
    text: Normalized
    intent: str = "other"
    confidence: float = 0.0
    scores: dict[str, float] = field(default_factory=dict)
    product: ProductMatch | None = None
    candidates: list[ProductMatch] = field(default_factory=list)
    options: dict[int, str] = field(default_factory=dict)  # attribute position → value
    colour: str = ""
    size: str = ""
    quantity: int | None = None
    quantities: list = field(default_factory=list)  # [(quantity, token index)]
    # Several lines in one message: [{"product": ProductDoc, "options": {pos: value},
    # "quantity": int | None}] ("1 dầu gội, 1 xịt dưỡng"; "1 cái size S, 1 cái size M").
    items: list = field(default_factory=list)
    each: bool = False  # "mỗi loại", "cả 2": about every line
    adds: bool = False  # "thêm … nữa": another line
    phone: str = ""
    name: str = ""
    place: Place = field(default_factory=Place)
    order_code: str = ""
    payment_method: str = ""
    confirm: bool = False
    deny: bool = False
    order_verb: bool = False
    confirm_order: bool = False
    mentions_product_words: bool = False
    product_span: str = ""  # the product as the customer wrote it ("ao thun")

    def entities(self) -> dict:
        """The entities found, as the API and the evaluation show them."""
        out: dict = {}
        if self.product_span:
            out["product"] = self.product_span
        if self.product:
            out["product_name"] = self.product.product.name
            out["product_id"] = self.product.product.id
        if self.colour:
            out["color"] = self.colour
        if self.size:
            out["size"] = self.size
        if self.quantity:
            out["quantity"] = self.quantity
        if self.phone:
            out["phone"] = self.phone
        if self.name:
            out["name"] = self.name
        if self.place.raw:
            out["address"] = self.place.raw
        if self.place.line:
            out["street"] = self.place.line
        if self.place.province and self.place.province_written:
            out["province"] = self.place.province
        if self.place.ward or self.place.ward_typed:
            out["ward"] = self.place.ward or self.place.ward_typed
        if self.order_code:
            out["order_code"] = self.order_code
        if self.payment_method:
            out["payment_method"] = self.payment_method
        return out


def _flat(tokens: list[Token]) -> list[tuple[str, int]]:
    """Words of the tokens (a slang token may expand to two words) with their token index."""
    out = []
    for i, t in enumerate(tokens):
        for word in t.key.split():
            out.append((word, i))
    return out


def _inside_name(norm: Normalized, first: int, last: int) -> bool:
    """Whether tokens first..last are part of a street's name: after a house number or
    "đường/phố/ngõ" and the capitalised words that follow it, with no comma ("5 Điện Biên
    Phủ", "2 Nguyễn Huệ", "đường Hà Nội"), not a province."""
    tokens = norm.tokens
    j = first - 1
    while j >= 0:
        gap = norm.nfc[tokens[j].end : tokens[j + 1].start]
        if re.search(r"[,;:.]", gap):
            return False
        typed = norm.nfc[tokens[j].start : tokens[j].end]
        if typed[:1].isupper() and typed.isalpha() and tokens[j].key not in ("tp", "tinh"):
            j -= 1
            continue
        break
    if j < 0:
        return False
    key = tokens[j].key
    return bool(_HOUSE.match(key) and any(c.isdigit() for c in key)) or key in (
        "duong",
        "pho",
        "ngo",
        "hem",
        "kiet",
        "ngach",
    )


def _province(
    words, used: set[int], places: PlaceIndex, norm: Normalized | None = None
) -> tuple[int | None, set[int], str]:
    """The province named (code, token ids, the alias as written, folded). Names right after
    "phường/xã" belong to the ward ("Phường Sài Gòn" is not the city)."""
    n = len(words)
    for size in (5, 4, 3, 2, 1):
        for start in range(0, n - size + 1):
            span = words[start : start + size]
            token_ids = {t for _w, t in span}
            if token_ids & used:
                continue
            key = " ".join(w for w, _t in span)
            if start > 0 and words[start - 1][0] in ("phuong", "xa", "p", "tt"):
                continue
            code = places.province_by_key.get(key)
            if code and norm is not None and _inside_name(norm, min(token_ids), max(token_ids)):
                continue
            if code:
                # "tp"/"tinh"/"thanh pho" before the name belongs to it.
                before = start - 1
                if span[0][0] in ("tp", "tinh", "thanh"):
                    pass
                elif before >= 0 and words[before][0] in ("tp", "tinh"):
                    token_ids.add(words[before][1])
                elif before >= 1 and (words[before - 1][0], words[before][0]) == ("thanh", "pho"):
                    token_ids |= {words[before - 1][1], words[before][1]}
                return code, token_ids, key
    return None, set(), ""


def _ward(words, used: set[int], places: PlaceIndex, province_code: int | None):
    """A ward named after "phường/xã/p." (or alone, when the province is known and the name is
    unmistakable): (code, token ids) or (None, set())."""
    n = len(words)
    for i, (word, _t) in enumerate(words):
        prefix_len = 0
        if word in ("phuong", "xa", "p", "tt") or (
            word == "dac" and i + 1 < n and words[i + 1][0] == "khu"
        ):
            prefix_len = 2 if word == "dac" else 1
        elif word == "thi" and i + 1 < n and words[i + 1][0] == "tran":
            prefix_len = 2
        if not prefix_len:
            continue
        for size in (4, 3, 2, 1):
            span = words[i + prefix_len : i + prefix_len + size]
            if len(span) < size:
                continue
            ids = {t for _w, t in span} | {t for _w, t in words[i : i + prefix_len]}
            if ids & used:
                continue
            key = " ".join(w for w, _t in span)
            codes = places.ward_by_key.get(key, [])
            if province_code:
                codes = [c for c in codes if places.wards[c][1] == province_code]
            if len(codes) == 1:
                return codes[0], ids
            if len(codes) > 1 and word != "p":
                kind = "xa" if word == "xa" else "phuong"
                exact = [c for c in codes if fold(places.wards[c][0]).startswith(kind)]
                if len(exact) == 1:
                    return exact[0], ids
    if province_code:
        # A ward name alone after a comma ("12 Lê Lợi, Bến Thành, HCM"): two words or more.
        for size in (4, 3, 2):
            for start in range(0, n - size + 1):
                span = words[start : start + size]
                ids = {t for _w, t in span}
                if ids & used:
                    continue
                key = " ".join(w for w, _t in span)
                codes = [
                    c
                    for c in places.ward_by_key.get(key, [])
                    if places.wards[c][1] == province_code
                ]
                if len(codes) == 1 and start > 0 and not words[start - 1][0].isdigit():
                    return codes[0], ids
    return None, set()


# Words after a number that make it anything but a house number ("3 ngày", "1 lần", "15 không").
_NOT_STREET = {
    "k",
    "tr",
    "trieu",
    "nghin",
    "ngan",
    "size",
    "ngay",
    "gio",
    "h",
    "phut",
    "tieng",
    "lan",
    "tuan",
    "thang",
    "nam",
    "hom",
    "buoi",
    "khong",
    "nhe",
    "nha",
    "voi",
    "roi",
    "ma",
    "thi",
    "la",
    "truoc",
    "sau",
    "duoc",
    "cai",
    "chiec",
    "doi",
    "sp",
    "san pham",
    "phan tram",
    "x",
    "va",
    "hay",
    "hoac",
    "mau",
    "con",
    "thoi",
    "a",
}
_ADDRESS_CUES = re.compile(
    r"\b(dia chi|dc|giao|ship|gui|chuyen|o|nha o|den|toi|ve|tai|nhan hang|so nha)$"
)
_RURAL = {"ap", "thon", "xom", "khu pho", "kp", "to dan pho", "khom"}


def _street(norm: Normalized, used: set[int], place_found: bool) -> tuple[str, set[int]]:
    """The street part of an address ("12 Lê Lợi", "số 5 ngõ 10 Tôn Thất Tùng", "hẻm 23 Lý
    Thường Kiệt", "ấp Phước Lộc"), as typed. A number starts one when a street name follows it
    (capitalised, or after words that announce an address, or in a message that names a ward
    or province); never "3 ngày", "1 lần", "2 cái"."""
    tokens = norm.tokens
    n = len(tokens)
    for i, token in enumerate(tokens):
        if i in used:
            continue
        key = token.key
        starts = False
        before = " ".join(t.key for t in tokens[max(0, i - 3) : i])
        if _HOUSE.match(key) and any(ch.isdigit() for ch in key):
            nxt = tokens[i + 1] if i + 1 < n else None
            prev = tokens[i - 1].key if i else ""
            if (
                nxt is not None
                and (i + 1) not in used
                and not nxt.key.isdigit()
                and not nxt.key.startswith("_")
                and prev not in ("size", "sz", "x", "lay", "mua", "chot", "dat", "so luong", "sl")
                and nxt.key.replace(" ", "").isalpha()
            ):
                typed = norm.nfc[nxt.start : nxt.end]
                capital = typed[:1].isupper()
                if nxt.key in _NOT_STREET and not capital:
                    continue
                unit = nxt.key in lexicon.UNITS or nxt.key.split()[0] in lexicon.UNITS
                context = bool(_ADDRESS_CUES.search(before)) or before.endswith("so")
                # Typed in lower case without a word announcing it ("5 ly thuong kiet"), a
                # number starts an address only at the start of a comma-separated part of a
                # message that names a ward or province ("1 nồi chiên" is not one).
                gap = norm.nfc[tokens[i - 1].end : token.start] if i else ","
                segment_start = bool(re.search(r"[,;:\n]", gap))
                starts = (
                    capital or context or (place_found and not unit and segment_start)
                ) and not (unit and not capital)
        elif key in _STREET_START and i + 1 < n and any(ch.isdigit() for ch in tokens[i + 1].key):
            starts = key != "to" or (i + 2 < n)
        elif key == "so nha" or (key == "so" and i + 1 < n and tokens[i + 1].key.isdigit()):
            starts = bool(_ADDRESS_CUES.search(before)) or place_found or key == "so nha"
        elif key in _RURAL and i + 1 < n and (i + 1) not in used:
            typed = norm.nfc[tokens[i + 1].start : tokens[i + 1].end]
            starts = typed[:1].isupper() or (typed.isalpha() and tokens[i + 1].accented)
        if not starts:
            continue
        end = i
        j = i
        while j < n and j not in used:
            end = j
            after = norm.nfc[tokens[j].end : tokens[j + 1].start] if j + 1 < n else ""
            if "," in after or ";" in after or "\n" in after or "." in after.strip():
                break
            if j + 1 < n and tokens[j + 1].key in (
                "phuong",
                "p",
                "xa",
                "quan",
                "q",
                "huyen",
                "tp",
                "tinh",
                "thanh",
                "sdt",
                "so dien thoai",
                "ten",
            ):
                break
            j += 1
        while end > i and tokens[end].key in ("nhe", "nha", "a", "nhen", "voi", "shop", "nhe shop"):
            end -= 1  # "9 Điện Biên Phủ nhé": the street without the softener
        span = set(range(i, end + 1))
        line = norm.nfc[tokens[i].start : tokens[end].end].strip(" ,.-")
        if len(span) >= 2:
            return line, span
    return "", set()


WARD_WORDS = ("phuong", "p", "xa")
DISTRICT_WORDS = ("quan", "q", "huyen", "thi xa", "tx")


def _prefixed_place(norm: Normalized, used: set[int], prefixes) -> tuple[str, set[int]]:
    """ "quận 1", "Q.Bình Thạnh", "phường Bến Nghé" (old units people still write), as typed:
    the prefix and up to three words or one number, until a comma. "quan" without accents is
    a district only before a number ("quần jean" is trousers)."""
    tokens = norm.tokens
    for i, t in enumerate(tokens):
        if i in used or t.key not in prefixes or i + 1 >= len(tokens) or (i + 1) in used:
            continue
        following = norm.nfc[tokens[i + 1].start : tokens[i + 1].end]
        if t.key == "quan" and t.typed != "quận" and not following[:1].isdigit():
            continue
        if t.key in ("q", "p") and not (following[:1].isdigit() or following[:1].isupper()):
            continue
        if t.key == "xa" and t.typed != "xã" and not following[:1].isupper():
            continue
        ids = [i]
        j = i + 1
        while j < len(tokens) and j not in used and len(ids) < 4:
            between = norm.nfc[tokens[j - 1].end : tokens[j].start]
            if "," in between or ";" in between:
                break
            key = tokens[j].key
            if key.isdigit():
                ids.append(j)
                break
            if not key.isalpha() or key in lexicon.STOPWORDS or key.startswith("_"):
                break
            typed = norm.nfc[tokens[j].start : tokens[j].end]
            if not typed[:1].isupper() and not tokens[j].accented and len(ids) > 1:
                break
            ids.append(j)
            j += 1
        if len(ids) < 2:
            continue
        return norm.nfc[tokens[ids[0]].start : tokens[ids[-1]].end], set(ids)
    return "", set()


def _span(norm: Normalized, ids) -> str:
    ids = sorted(ids)
    if not ids:
        return ""
    return norm.nfc[norm.tokens[ids[0]].start : norm.tokens[ids[-1]].end].strip(" ,.;:-")


def _address_span(norm: Normalized, place_ids: set[int], province_ids: set[int]) -> str:
    """The delivery place as typed when it is more than a province alone: the street, ward or
    old district with the province written next to them."""
    if not place_ids:
        return ""
    ids = sorted(place_ids | province_ids)
    clusters: list[list[int]] = [[ids[0]]]
    for i in ids[1:]:
        if i - clusters[-1][-1] <= 2:
            clusters[-1].append(i)
        else:
            clusters.append([i])
    best = max(clusters, key=lambda c: (len(set(c) & place_ids), -c[0]))
    return _span(norm, best)


def _decisive(match: ProductMatch, norm: Normalized) -> bool:
    """A match clear enough to change the product in focus: two neighbouring words of its
    name, two of its words, or a rare word typed with its accents."""
    if match.bigrams or len(match.matched) >= 2:
        return True
    token = norm.tokens[match.matched[0]]
    return token.accented and token.key not in lexicon.AMBIGUOUS


def _named_alone(norm: Normalized, match: ProductMatch, heads: set[str]) -> bool:
    """A word that is not a strong match but clearly names goods: what a product is called by
    ("áo", "túi", "son"), typed with its accents or not an everyday word."""
    for i in match.matched:
        token = norm.tokens[i]
        typed_as_product = token.typed in match.product.name_typed
        if token.key in heads and (
            (token.accented and typed_as_product)
            or (not token.accented and token.key not in lexicon.AMBIGUOUS)
        ):
            return True
    return False


def _more_products(matches, chosen: ProductMatch, norm: Normalized, used: set[int]):
    """Other products named in the same message, on words of their own ("sữa rửa mặt trà xanh
    với nước hoa hồng"): clear matches only, none sharing a word with another."""
    taken = set(used) | set(chosen.name_matched)
    out = []
    for m in matches[:12]:
        if m.product.id == chosen.product.id or not m.strong or not m.bigrams:
            continue
        if set(m.name_matched) & taken or len(m.name_matched) < 2:
            continue
        m.matched = list(m.name_matched)
        out.append(m)
        taken |= set(m.name_matched)
    return out


def _product_items(norm, matches, quantities, used) -> list[dict]:
    """One line per product named, each with the options and quantity written in its part of
    the message (between the previous product and the next)."""
    ordered = sorted(matches, key=lambda m: min(m.matched))
    items = []
    n = len(norm.tokens)
    for k, m in enumerate(ordered):
        start = max(ordered[k - 1].matched) + 1 if k else 0
        end = min(ordered[k + 1].matched) if k + 1 < len(ordered) else n
        outside = {i for i in range(n) if not start <= i < end}
        options, _ids = _options(m.product, norm, used | outside)
        quantity = next((q for q, i in quantities if start <= i < end), None)
        items.append({"product": m.product, "options": options, "quantity": quantity})
    return items


def _variant_items(norm, product: ProductDoc, quantities, used) -> list[dict]:
    """ "1 cái size S, 1 cái size M": one line per (quantity, value) pair of one product."""
    occurrences = _option_occurrences(product, norm, used)
    by_position: dict[int, list] = defaultdict(list)
    for position, value, ids in occurrences:
        by_position[position].append((min(ids), value))
    split = next((p for p, found in by_position.items() if len({v for _i, v in found}) >= 2), None)
    if split is None:
        return []
    items = []
    fixed = {p: found[0][1] for p, found in by_position.items() if p != split}
    for k, (quantity, index) in enumerate(quantities):
        limit = quantities[k + 1][1] if k + 1 < len(quantities) else len(norm.tokens)
        value = next((v for i, v in by_position[split] if index < i < limit), None)
        if value is None:
            return []
        items.append({"product": product, "options": {**fixed, split: value}, "quantity": quantity})
    return items if len(items) >= 2 else []


def _capitalize(name: str) -> str:
    return " ".join(w[:1].upper() + w[1:] for w in name.split())


def _name(norm: Normalized, used: set[int]) -> tuple[str, set[int]]:
    text = norm.nfc
    for pattern in (_NAME_AFTER, _SELF_NAME):
        for m in pattern.finditer(text):
            rest = text[m.end() :]
            candidate = _NAME_STOP.sub("", rest).strip(" :-")
            words = candidate.split()[:5]
            if words and fold(words[0]) in _RELATIONS and "," in rest:
                # "tên người nhận là vợ mình, Trần Thị Bình": the name after the comma.
                offset = rest.index(",") + 1
                rest = rest[offset:]
                candidate = _NAME_STOP.sub("", rest.lstrip()).strip(" :-")
                words = candidate.split()[:5]
                if not words or not words[0][:1].isupper():
                    continue
                m_end = m.end() + offset
            else:
                m_end = m.end()
            if not words or len(words) > 5:
                continue
            capital = words[0][:1].isupper()
            if (fold(words[0]) in _NOT_A_NAME and not capital) or not all(
                w.replace("'", "").isalpha() for w in words
            ):
                continue
            name = " ".join(words)
            start = m_end + rest.find(words[0])
            end = start + len(name)
            ids = {i for i, t in enumerate(norm.tokens) if t.start >= m.start() and t.end <= end}
            return _capitalize(name), ids
    # Capitalised words just before the phone number: "Nguyễn Thị Lan 0912 345 678".
    for phone_index, token in enumerate(norm.tokens):
        if token.key.startswith("_") or not token.key[:1].isdigit():
            continue
        if re.sub(r"\D", "", token.key)[:2] not in ("03", "05", "07", "08", "09", "84"):
            continue
        words = []
        k = phone_index - 1
        # "Hoàng Thị Yến, sđt 0396…": the words announcing the number are skipped.
        while k >= 0 and norm.tokens[k].key in (
            "so dien thoai",
            "dien thoai",
            "so",
            "phone",
            "sdt",
        ):
            k -= 1
        while k >= 0 and len(words) < 4:
            typed = norm.nfc[norm.tokens[k].start : norm.tokens[k].end]
            between = norm.nfc[norm.tokens[k].end : norm.tokens[k + 1].start]
            if not typed[:1].isupper() or not typed.isalpha() or k in used:
                break
            if words and ("," in between or ";" in between):
                break
            words.insert(0, (k, typed))
            k -= 1
        if words and fold(words[0][1]) not in ("shop", "zalo", "hotline", "sdt", "so"):
            return " ".join(w for _k, w in words), {k for k, _w in words}
        break
    return "", set()


def _phone_tokens(norm: Normalized) -> set[int]:
    """Tokens that are digits of a phone number."""
    ids = set()
    digits_run: list[int] = []
    for i, t in enumerate(norm.tokens):
        if re.fullmatch(r"\+?[\d.\-]+", t.typed) and any(c.isdigit() for c in t.typed):
            digits_run.append(i)
            joined = "".join(re.sub(r"\D", "", norm.tokens[k].typed) for k in digits_run)
            if len(joined) >= 10 and joined.lstrip("84")[:1] and re.match(r"^(84|0)", joined):
                ids.update(digits_run)
                digits_run = []
        else:
            digits_run = []
    return ids


_COLOUR_HEADS = {"xanh", "do", "hong", "den", "vang", "nau", "xam", "tim"}


def _value_forms(value: str, folded: str, kind: str) -> list[list[str]]:
    """How a value may be written: whole ("xanh navy"), or for a two-word colour its telling
    second word alone ("navy", "pastel")."""
    parts = folded.split()
    forms = [parts]
    if (
        kind == "colour"
        and len(parts) == 2
        and parts[0] in _COLOUR_HEADS
        and len(parts[1]) >= 3
        and parts[1] not in lexicon.AMBIGUOUS
    ):
        forms.append(parts[1:])
    return forms


def _option_occurrences(
    product: ProductDoc, norm: Normalized, used: set[int]
) -> list[tuple[int, str, set[int]]]:
    """Every value of the product's attributes written in the message, in order:
    [(attribute position, value, token ids)] ("đen", "size M", "39", "navy")."""
    tokens = norm.tokens
    out: list[tuple[int, str, set[int]]] = []
    taken: set[int] = set()
    words = [(t.key, i) for i, t in enumerate(tokens) if i not in used]
    for position, value, folded in product.option_values():
        kind = product.attribute_kind(position)
        for parts in _value_forms(value, folded, kind):
            for k in range(0, len(words) - len(parts) + 1):
                span = words[k : k + len(parts)]
                if [w for w, _i in span] != parts:
                    continue
                span_ids = {i for _w, i in span}
                if span_ids & taken:
                    continue
                first = tokens[span[0][1]]
                prev = tokens[span[0][1] - 1].key if span[0][1] > 0 else ""
                typed_value = value.lower()
                if (
                    first.accented
                    and len(parts) == 1
                    and first.typed != typed_value.split()[-1]
                    and fold(first.typed) == parts[0]
                    and typed_value != folded
                ):
                    continue  # "đèn" typed is not the colour "Đen"
                if kind == "size" and len(folded) <= 1 and folded.isalpha():
                    typed = norm.nfc[first.start : first.end]
                    if not (typed.isupper() or prev in ("size", "sz", "co")):
                        continue
                if kind == "size" and folded.isdigit() and prev not in ("size", "sz", "co", "so"):
                    nxt = tokens[span[-1][1] + 1].key if span[-1][1] + 1 < len(tokens) else ""
                    if nxt in lexicon.UNITS or prev in ("lay", "mua", "chot", "dat", "x"):
                        continue
                if kind == "colour" and folded == "be" and first.typed == "bé":
                    continue
                if (
                    kind == "colour"
                    and len(parts) == 1
                    and parts[0] in ("vang", "sang", "tim", "nau", "cam", "kem")
                    and not first.accented
                    and prev not in ("mau", "tone")
                ):
                    continue  # "da vang" (yes), "doi sang" (over to): not colours
                out.append((position, value, span_ids))
                taken |= span_ids
    out.sort(key=lambda x: min(x[2]))
    return out


def _options(
    product: ProductDoc, norm: Normalized, used: set[int]
) -> tuple[dict[int, str], set[int]]:
    """Values of the product's attributes mentioned in the message, the first of each."""
    found: dict[int, str] = {}
    ids: set[int] = set()
    for position, value, span_ids in _option_occurrences(product, norm, used):
        if position in found:
            continue
        found[position] = value
        ids |= span_ids
    return found, ids


def _loose_size(norm: Normalized, used: set[int]) -> tuple[str, set[int]]:
    tokens = norm.tokens
    for i, t in enumerate(tokens):
        if i in used:
            continue
        if (
            (t.key in ("size", "sz", "kich co", "kich thuoc") or t.typed == "cỡ")
            and i + 1 < len(tokens)
            and (i + 1) not in used
        ):
            value = tokens[i + 1].key
            if re.fullmatch(r"(x{0,3}[sml]|[2-5]xl|\d{2}|free ?size|freesize)", value):
                return value.upper() if not value.isdigit() else value, {i, i + 1}
        if re.fullmatch(r"(x{1,3}l|xs|[2-5]xl)", t.key):
            return t.key.upper(), {i}
    return "", set()


def _loose_colour(index: CatalogIndex, norm: Normalized, used: set[int]) -> tuple[str, set[int]]:
    words = [(t.key, i) for i, t in enumerate(norm.tokens) if i not in used]
    for size in (2, 1):
        for k in range(0, len(words) - size + 1):
            span = words[k : k + size]
            key = " ".join(w for w, _i in span)
            value = index.colours.get(key)
            if not value:
                continue
            first = norm.tokens[span[0][1]]
            prev = norm.tokens[span[0][1] - 1].key if span[0][1] > 0 else ""
            if first.accented and first.typed != value.lower().split()[0] and size == 1:
                continue
            if (
                key in ("be", "kem", "cam", "hong", "do", "xam", "vang", "sang", "tim", "nau")
                and prev not in ("mau", "tone")
                and not first.accented
            ):
                continue
            return value, {i for _w, i in span}
    return "", set()


# Units that only count ("2 cái", "1 đôi", "3 hộp"): never product words after a number.
PURE_UNITS = {
    "cai",
    "chiec",
    "doi",
    "bo",
    "hop",
    "chai",
    "tuyp",
    "cay",
    "goi",
    "sp",
    "san pham",
    "mon",
    "cuon",
    "lo",
    "thung",
    "set",
    "cap",
    "mieng",
    "pcs",
    "bich",
    "tam",
    "cuc",
}
_TIME_WORDS = {"ngay", "hom", "tuan", "thang", "nam", "gio", "phut", "tieng", "lan", "buoi", "h"}
_QUANTITY_VERBS = {
    "lay",
    "mua",
    "chot",
    "dat",
    "order",
    "x",
    "so luong",
    "sl",
    "them",
    "gui",
    "em",
    "minh",
    "toi",
    "cho",
    "can",
}


def _unit_after(norm: Normalized, i: int) -> bool:
    """Whether the token after i is a unit ("2 cái"), not a street ("5 Lý Thường Kiệt")."""
    tokens = norm.tokens
    if i + 1 >= len(tokens):
        return False
    nxt = tokens[i + 1]
    typed = norm.nfc[nxt.start : nxt.end]
    unit = (
        nxt.key in lexicon.UNITS
        or nxt.key.split()[0] in lexicon.UNITS
        or nxt.typed in ("thỏi", "hũ", "lọ", "tuýp", "cặp")
    )
    if not unit:
        return False
    # A capitalised unit followed by more capitalised words is a street name.
    if typed[:1].isupper() and i + 2 < len(tokens):
        after = norm.nfc[tokens[i + 2].start : tokens[i + 2].end]
        if after[:1].isupper():
            return False
    return True


def _unit_tokens(norm: Normalized, used: set[int]) -> set[int]:
    """Pure unit words after a number: taken before products are looked for ("lấy 1 hộp" is
    one unit, not the "hộp đựng thực phẩm")."""
    out = set()
    for i, t in enumerate(norm.tokens):
        if i in used or number_word(t.key) is None or not _unit_after(norm, i):
            continue
        if norm.tokens[i + 1].key in PURE_UNITS and (t.key.isdigit() or t.key in ("mot", "hai")):
            out.add(i + 1)
    return out


def _quantities(norm: Normalized, used: set[int], product_ids: set[int]) -> list[tuple[int, int]]:
    """[(quantity, token index)] in the order written: "2 cái", "x2", "lấy 3", "số lượng: 2",
    "2 quần jean" (a number before the product's words), "hai hộp"."""
    tokens = norm.tokens
    n = len(tokens)
    found: list[tuple[int, int]] = []
    for i, t in enumerate(tokens):
        if i in used:
            continue
        key = t.key
        m = re.fullmatch(r"x(\d{1,3})", key)
        if m:
            found.append((int(m.group(1)), i))
            continue
        value = number_word(key)
        if value is None or value <= 0 or value > 999:
            continue
        nxt = tokens[i + 1].key if i + 1 < n else ""
        prev = tokens[i - 1].key if i else ""
        if prev in ("size", "sz", "co") or nxt in _TIME_WORDS or nxt in ("tuoi", "kg", "cm", "m"):
            continue
        if not key.isdigit() and not (nxt and _unit_after(norm, i)):
            continue  # number words count only before a unit ("hai hộp")
        if nxt and _unit_after(norm, i):
            if not key.isdigit() and nxt == "em":
                continue
            found.append((value, i))
            continue
        if key.isdigit() and (i + 1) in product_ids:
            found.append((value, i))
            continue
        if key.isdigit() and prev in _QUANTITY_VERBS:
            if nxt in ("k", "tr", "trieu", "nghin", "ngan") or nxt.startswith("_money"):
                continue
            if value <= 100:
                found.append((value, i))
                continue
        if key.isdigit() and prev == "la" and i >= 2 and tokens[i - 2].key in ("so luong", "sl"):
            found.append((value, i))
    return found


def _score(key: str) -> dict[str, float]:
    scores = dict.fromkeys(INTENTS, 0.0)
    for intent, pattern, weight in COMPILED:
        if pattern.search(key):
            scores[intent] += weight
    return scores


def analyze(text: str, *, context: dict | None = None) -> Analysis:
    """The intent and entities of one message. `context` (the conversation's state) only
    breaks ties: a bare "bao nhiêu" after a shipping question is about shipping."""
    context = context or {}
    norm = normalize(text)
    result = Analysis(text=norm)
    catalog = catalog_index()
    places = place_index()
    used: set[int] = set()
    used |= {i for i, t in enumerate(norm.tokens) if t.key.startswith("_")}
    phone_ids = _phone_tokens(norm)
    used |= phone_ids
    if norm.phones:
        result.phone = norm.phones[0]
    if norm.order_codes:
        result.order_code = norm.order_codes[0]
        used |= {i for i, t in enumerate(norm.tokens) if re.fullmatch(r"dh\d+", t.key)}
    # Money mentions ("150k") are not quantities or house numbers.
    for i, t in enumerate(norm.tokens):
        if re.fullmatch(r"\d+(?:[.,]\d+)?(k|tr\d*|trieu)", t.key) or (
            t.key.isdigit()
            and i + 1 < len(norm.tokens)
            and norm.tokens[i + 1].key in ("k", "nghin", "ngan", "trieu", "tr", "d", "dong", "vnd")
        ):
            used.add(i)
            if i + 1 < len(norm.tokens) and norm.tokens[i + 1].key in (
                "k",
                "nghin",
                "ngan",
                "trieu",
                "tr",
                "d",
                "dong",
                "vnd",
            ):
                used.add(i + 1)
    words = [(w, i) for w, i in _flat(norm.tokens)]
    name, name_ids = _name(norm, used)
    if name:
        result.name = name
        used |= name_ids
    province_code, province_ids, province_alias = _province(words, used, places, norm)
    result.place.province_written = bool(province_ids)
    used |= province_ids
    ward_code, ward_ids = _ward(words, used, places, province_code)
    used |= ward_ids
    if ward_code:
        ward_name, ward_province = places.wards[ward_code]
        result.place.ward_code, result.place.ward = ward_code, ward_name
        if not province_code:
            province_code = ward_province
    if province_code:
        result.place.province_code = province_code
        result.place.province = places.provinces[province_code]
    line, line_ids = _street(norm, used, bool(province_code or ward_code))
    if line:
        result.place.line = line
        used |= line_ids
    typed_ward, typed_ward_ids = (
        ("", set()) if ward_code else _prefixed_place(norm, used, WARD_WORDS)
    )
    if typed_ward:
        result.place.ward_typed = typed_ward
        used |= typed_ward_ids
    _district, district_ids = _prefixed_place(norm, used, DISTRICT_WORDS)
    used |= district_ids
    town_ids = province_ids if province_alias in lexicon.TOWN_ALIASES else set()
    result.place.raw = _address_span(
        norm, line_ids | ward_ids | typed_ward_ids | district_ids | town_ids, province_ids
    )
    # Products and their options ("1 hộp" is a unit, not a product).
    used |= _unit_tokens(norm, used)
    matches = catalog.search(norm.tokens, skip=used, known=KNOWN_WORDS)
    result.candidates = matches[:8]
    result.mentions_product_words = bool(matches)
    focus_id = context.get("product_id")
    chosen = None
    if matches:
        top = matches[0]
        if top.strong:
            chosen = top
            # Among near-equal matches, one with the asked options wins.
            near = [m for m in matches[:6] if m.strong and m.score >= top.score - 1.0]
            if len(near) > 1:
                best = None
                for m in near:
                    opts, _ids = _options(m.product, norm, used | set(m.matched))
                    rank = (
                        len(opts),
                        m.product.id == focus_id,
                        round(m.score * 2) / 2,
                        -m.product.id,
                    )
                    if best is None or rank > best[0]:
                        best = (rank, m)
                chosen = best[1]
    if chosen and focus_id and chosen.product.id != focus_id and not _decisive(chosen, norm):
        chosen = None  # one everyday-looking word does not change the product being discussed
    if chosen:
        result.product = chosen
        used |= set(chosen.matched)
        result.product_span = _span(norm, chosen.matched)
    elif matches and _named_alone(norm, matches[0], catalog.heads):
        result.product_span = _span(norm, matches[0].matched)
    # Other products named in the same message, before colours are read ("… với nước hoa
    # hồng": "hồng" is the toner's, not a colour).
    others = _more_products(matches, chosen, norm, used) if chosen else []
    used |= {i for m in others for i in m.matched}
    option_product = chosen.product if chosen else catalog.products.get(focus_id or -1)
    option_used = set(used)
    if option_product:
        options, option_ids = _options(option_product, norm, used)
        result.options = options
        used |= option_ids
        for position, value in options.items():
            kind = option_product.attribute_kind(position)
            if kind == "colour":
                result.colour = value
            elif kind == "size":
                result.size = value
    if not result.size:
        size, size_ids = _loose_size(norm, used)
        if size:
            result.size = size
            used |= size_ids
    if not result.colour:
        colour, colour_ids = _loose_colour(catalog, norm, used)
        if colour:
            result.colour = colour
            used |= colour_ids
    matched_ids = set(result.product.matched) if result.product else set()
    matched_ids |= {i for m in others for i in m.matched}
    result.quantities = _quantities(norm, used, matched_ids)
    if result.quantities:
        result.quantity = result.quantities[0][0]
        used |= {i for _q, i in result.quantities}
    if others:
        product_tokens = {i for m in others for i in m.matched}
        result.items = _product_items(
            norm, [chosen, *others], result.quantities, option_used - product_tokens
        )
    elif option_product is not None and len(result.quantities) >= 2:
        result.items = _variant_items(norm, option_product, result.quantities, option_used)
    result.each = bool(
        re.search(r"\b(moi loai|moi thu|moi cai|moi mau|ca 2|ca hai|moi san pham)\b", norm.key)
    )
    result.adds = bool(re.search(r"\b(them|nua|voi ca|them ca|con lay them)\b", norm.key))
    key = norm.key
    if BANK_TRANSFER.search(key):
        result.payment_method = "bank_transfer"
    elif COD_WORDS.search(key):
        result.payment_method = "cod"
    result.confirm = bool(CONFIRM.search(key))
    result.deny = bool(DENY.search(key)) and not re.search(
        r"\b(con|co|duoc|phai)\b.*\bkhong\b", key
    )
    result.order_verb = bool(ORDER_VERBS.search(key))
    result.confirm_order = bool(CONFIRM_ORDER.search(key)) and not result.deny
    _classify(result, context)
    return result


_QUESTION = re.compile(
    r"\b(khong|chua|sao|the nao|nhu the nao|bao nhieu|may|gi|nao|duoc khong|bn|nhieu|ntn)\b|\?"
)
_FEE_ASK = re.compile(
    r"\b(phi|tien|gia|cuoc|bao nhieu|bn|bao lau|may ngay|freeship|free ship|mien phi|ton|nhieu)\b"
)
_PAST_ORDER = re.compile(
    r"\b(da|vua|moi) (dat|order|mua)\b|\bdat\b.*\b(hom qua|hom kia|tuan truoc|may hom|hom truoc|"
    r"hom thu|thu \d|\d+ (ngay|hom|tuan) (roi|truoc))\b|\b(so dien thoai|sdt) dat hang\b"
)


def _cue_key(key: str) -> str:
    """The key as cues read it: "1 đôi" typed without accents is a pair ("1 doi" → "1 cai"),
    trailing forms of address dropped ("… không shop ơi" ends with "không")."""
    key = re.sub(r"\b(\d+|mot|hai|ba|bon|nam) doi\b", r"\1 cai", key)
    trailing = r"( (admin|shop|a|ah|oi|nhe|nha|vay|nhi|ha|ban|em|chi|anh|voi|ne|the|nhen|oii))+$"
    trimmed = re.sub(trailing, "", key)
    return trimmed if trimmed else key


def _classify(result: Analysis, context: dict) -> None:
    key = _cue_key(result.text.key)
    # Cues read on the whole text and on the text without its trailing "shop ơi": the higher.
    whole, trimmed = _score(result.text.key), _score(key)
    scores = {intent: max(whole[intent], trimmed[intent]) for intent in whole}
    question = bool(_QUESTION.search(key)) or "?" in result.text.nfc
    # Entities as evidence. A phone number given to be called back, or to find an order, is
    # not an order's contact.
    if result.order_code:
        scores["order_status"] += 1.5
    has_contact = bool(result.phone or result.name or result.place.line)
    if (
        has_contact
        and not result.order_code
        and scores["human"] < 3.5
        and scores["order_status"] < 4
    ):
        scores["place_order"] += 3 + (1 if result.phone else 0) + (1 if result.place.line else 0)
    if result.quantity and (result.product or context.get("product_id")):
        scores["place_order"] += 1.5
    if (result.place.province or result.place.ward) and not has_contact:
        scores["shipping_fee"] += 1.5 if scores["shipping_fee"] else 0.5
    if result.product:
        scores["product_search"] += 1.5
    elif not result.mentions_product_words:
        scores["product_search"] -= 0.5
    # "shop ơi" before a question is not a greeting.
    if re.match(r"^(chao )?(shop|admin|ad|chi|anh|em|ban)( oi)+ ", result.text.key) and (
        len(result.text.key.split()) > 4
    ):
        scores["greeting"] -= 2
    # "còn bao nhiêu" is stock; "ship … bao nhiêu / nhiêu tiền" is shipping, not price.
    if re.search(r"\bcon (lai )?bao nhieu\b", key):
        scores["price"] -= 2.5
    if (
        scores["shipping_fee"] >= 3
        and re.search(r"\b(bao nhieu|nhieu tien|bao tien|nhieu|tien)\b", key)
        and not re.search(r"\bgia\b", key)
        and not result.product
    ):
        scores["price"] = min(scores["price"], scores["shipping_fee"] - 1)
    # "ship về X" inside an order is where to deliver, not a question about the fee.
    if scores["place_order"] >= 4 and not _FEE_ASK.search(key):
        scores["shipping_fee"] -= 3
    # Buying while naming how to pay: still an order ("lấy cái này, ship cod").
    if scores["place_order"] >= 3.5 and not question:
        scores["place_order"] += 3
        scores["cod"] -= 4
        scores["payment"] -= 4
    if re.search(r"\bgia (si|buon)\b", key):
        scores["price"] += 3
    if scores["cod"] >= 4:
        scores["payment"] -= 2
        scores["shipping_fee"] -= 1.5
        if re.search(r"\bship\b", key) and re.search(r"\b(ton|phi|bao nhieu|bn|nhieu)\b", key):
            scores["shipping_fee"] = max(scores["shipping_fee"], scores["cod"] + 1)
    if re.search(r"\b(phi|tien) ship\b", key):
        scores["price"] = min(scores["price"], 2)
    if scores["return"] >= 4:
        scores["shipping_fee"] -= 2
        scores["place_order"] -= 2
        scores["order_status"] -= 2.5
    if _PAST_ORDER.search(key):
        scores["place_order"] -= 3
    if scores["order_status"] >= 4:
        scores["shipping_fee"] -= 2
        scores["place_order"] -= 2.5
        scores["stock"] -= 1
    if scores["human"] >= 4:
        for other in ("greeting", "other", "product_search", "place_order"):
            scores[other] -= 1
    # A confirmation while the bot waits for one.
    if context.get("awaiting") == "confirm" and result.confirm and not result.deny:
        scores["place_order"] += 4
    if context.get("awaiting") in ("name", "phone", "address", "quantity", "variant") and (
        has_contact or result.quantity or result.options or result.colour or result.size
    ):
        scores["place_order"] += 2
    if context.get("awaiting") == "payment" and result.payment_method:
        scores["place_order"] += 3
    ranked = sorted(scores.items(), key=lambda kv: (-kv[1], TIE_ORDER.index(kv[0])))
    best, best_score = ranked[0]
    second_score = ranked[1][1]
    if best_score < 1.5:
        if result.product or (
            result.mentions_product_words and result.candidates and result.candidates[0].strong
        ):
            best, best_score = "product_search", 2.0
        elif result.colour or result.size:
            best, best_score = "stock", 1.5
        else:
            best = "other"
    result.scores = {k: round(v, 2) for k, v in scores.items() if v}
    result.intent = best
    margin = best_score - max(second_score, 0)
    result.confidence = round(min(1.0, max(best_score, 0) / 5) * (0.5 + min(margin, 2.5) / 5), 3)


def analyze_text(text: str) -> dict:
    """For tools and tests: the intent and entities as plain data."""
    found = analyze(text)
    return {"intent": found.intent, "confidence": found.confidence, **found.entities()}
