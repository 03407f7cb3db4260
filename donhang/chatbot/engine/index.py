"""In-memory indexes the offline engine searches: the catalog (products, variants, their
attribute values), the FAQ, and Vietnam's provinces and wards.

Built from the database on first use and rebuilt when the data changes (one cheap aggregate
query per message tells). Matching is on folded words; a word the customer typed with accents
only matches the same accented word ("đèn" is not "đen"), and typos within one or two letters
still match (`_close_words`).
"""

from __future__ import annotations

import itertools
import math
import threading
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Max

from donhang.catalog.models import Product, ProductAttribute, Variant
from donhang.chatbot.engine import lexicon
from donhang.chatbot.engine.text import Token
from donhang.chatbot.models import FaqEntry
from donhang.core.text import fold
from donhang.customers.models import Province, Ward

_lock = threading.Lock()
_cache: dict[str, tuple[object, object]] = {}


def _typed_words(text: str) -> list[str]:
    return [w for w in (text or "").lower().replace("/", " ").replace("-", " ").split() if w]


def _folded_words(text: str) -> list[str]:
    return [w for w in fold(text).replace("/", " ").replace("-", " ").replace("'", "").split()]


def edit_distance(a: str, b: str, limit: int) -> int:
    """Levenshtein distance, or limit + 1 once it is certainly larger."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        best = i
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            # Swapped neighbours ("thnu" for "thun") count as one edit.
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                value = min(value, previous[j - 2] + 1 if j >= 2 else value)
            current.append(value)
            best = min(best, value)
        if best > limit:
            return limit + 1
        previous = current
    return previous[-1]


# --- catalog -----------------------------------------------------------------------------------


@dataclass
class VariantDoc:
    id: int
    sku: str
    options: list[str]
    price: int

    @property
    def label(self) -> str:
        return " / ".join(self.options)


@dataclass
class ProductDoc:
    id: int
    name: str
    sku: str
    category: str
    brand: str
    attributes: list[tuple[str, list[str]]]
    variants: list[VariantDoc]
    name_words: list[str] = field(default_factory=list)  # folded
    name_typed: list[str] = field(default_factory=list)  # lower case, accents kept
    other_words: list[str] = field(default_factory=list)  # category, brand (folded)

    @property
    def prices(self) -> tuple[int, int]:
        values = [v.price for v in self.variants] or [0]
        return min(values), max(values)

    def option_values(self) -> list[tuple[int, str, str]]:
        """(attribute position 0-2, value, folded value), longest value first."""
        out = []
        for position, (_name, values) in enumerate(self.attributes):
            for value in values:
                out.append((position, value, fold(value)))
        return sorted(out, key=lambda x: -len(x[2]))

    def attribute_kind(self, position: int) -> str:
        """ "colour", "size" or "other" for the attribute at `position`."""
        if position >= len(self.attributes):
            return "other"
        name = fold(self.attributes[position][0])
        if name in lexicon.COLOUR_ATTRIBUTES:
            return "colour"
        if name in lexicon.SIZE_ATTRIBUTES:
            return "size"
        return "other"


@dataclass
class ProductMatch:
    product: ProductDoc
    score: float
    strong: bool
    matched: list[int]  # indexes of the query tokens that matched the name
    option_tokens: list[int] = field(default_factory=list)
    bigrams: int = 0
    name_matched: list[int] = field(default_factory=list)  # tokens that matched its name


class CatalogIndex:
    def __init__(self, products: list[ProductDoc]):
        self.products = {p.id: p for p in products}
        self.by_sku = {p.sku.lower(): p for p in products}
        self.variant_by_sku = {}
        self.df: dict[str, int] = defaultdict(int)
        self.accented: dict[str, set[str]] = defaultdict(set)  # folded → typed forms
        for p in products:
            for v in p.variants:
                self.variant_by_sku[v.sku.lower()] = (p, v)
            for word in set(p.name_words) | set(p.other_words):
                self.df[word] += 1
            for typed, folded in zip(p.name_typed, p.name_words, strict=False):
                self.accented[folded].add(typed)
        self.n = max(len(products), 1)
        self.vocab = set(self.df)
        # First words of names ("áo", "quần", "đèn"): what customers call goods by.
        self.heads = {p.name_words[0] for p in products if p.name_words}
        self.colours: dict[str, str] = {fold(c): c for c in lexicon.COLOURS}
        self.sizes: dict[str, str] = {}
        for p in products:
            for position, (_name, values) in enumerate(p.attributes):
                kind = p.attribute_kind(position)
                for value in values:
                    if kind == "colour":
                        self.colours.setdefault(fold(value), value)
                    elif kind == "size":
                        self.sizes.setdefault(fold(value), value)

    def idf(self, word: str) -> float:
        return math.log(1 + self.n / (1 + self.df.get(word, 0)))

    def _close_words(self, word: str, known: set[str] = frozenset()) -> list[str]:
        if word in self.vocab:
            return [word]
        # Everyday words ("khoan", "ngay", "chac") are never typos of a product word; short
        # words only when two neighbouring letters were swapped ("thnu" for "thun").
        if len(word) < 4 or not word.isalpha() or word in known:
            return []
        if len(word) == 4:
            return [
                w
                for w in self.vocab
                if len(w) == 4
                and w != word
                and sorted(w) == sorted(word)
                and sum(a != b for a, b in zip(w, word, strict=True)) == 2
            ]
        limit = 2 if len(word) >= 7 else 1
        return [
            w for w in self.vocab if w[:2] == word[:2] and edit_distance(word, w, limit) <= limit
        ]

    def _word_matches(self, token: Token, word: str) -> bool:
        """Whether the query token names this folded catalog word, accents considered."""
        if token.key != word:
            return True  # a typo or synonym match: no accents to compare
        forms = self.accented.get(word)
        if not token.accented or not forms:
            return True
        return token.typed in forms or not any(f != word for f in forms)

    def search(
        self, tokens: list[Token], *, skip: set[int] = frozenset(), known: set[str] = frozenset()
    ) -> list[ProductMatch]:
        """Products named by the query tokens (not those in `skip`: phone, address…), best
        first. `strong` says the product is clearly meant (two neighbouring words of its name,
        or one rare word that is not also an everyday word)."""
        query: list[tuple[int, Token, list[str]]] = []
        weak: set[int] = set()
        for i, token in enumerate(tokens):
            if i in skip:
                continue
            key = token.key
            if " " in key or key.startswith("_") or not key.isalpha():
                continue
            # An everyday word ("con", "tra", "gio") never names a product, unless typed with
            # the accents of a product word ("đứng" in "quạt đứng", "túi").
            exact = token.accented and token.typed in self.accented.get(key, ())
            everyday = key in known and not token.accented and key not in self.heads
            if (key in lexicon.STOPWORDS or everyday) and key not in self.heads:
                # An everyday word ("so", "không") counts only right next to the product's
                # other words ("áo sơ mi", "không cồn"), and only as written.
                if key in self.vocab and (exact or not token.accented):
                    query.append((i, token, [key]))
                    weak.add(i)
                continue
            # Names of people ("Hùng", "Hoàng") are not typos of product words.
            short_accented = token.accented and len(key) < 6
            candidates = (
                [key] if key in self.vocab else [] if token.capital or short_accented else None
            )
            if candidates is None:
                candidates = self._close_words(key, known)
            if candidates:
                query.append((i, token, candidates))
        if not query:
            return []
        matches = []
        for product in self.products.values():
            name_positions: dict[str, list[int]] = defaultdict(list)
            for pos, word in enumerate(product.name_words):
                name_positions[word].append(pos)
            other = set(product.other_words)
            # Each query token names at most one word of the product; a word written twice
            # ("dầu gội bưởi, xịt dưỡng tóc bưởi") counts where its neighbours matched too.
            hits: dict[str, list[int]] = defaultdict(list)
            exactness: dict[tuple[str, int], float] = {}
            for i, token, candidates in query:
                for word in candidates:
                    if not (word in name_positions or word in other):
                        continue
                    if not self._word_matches(token, word):
                        continue
                    hits[word].append(i)
                    exactness[(word, i)] = 1.0 if word == token.key else 0.7
                    break
            chosen = {word: found[0] for word, found in hits.items()}
            for word, found in hits.items():
                if len(found) > 1:
                    taken = {i for w, i in chosen.items() if w != word}
                    chosen[word] = max(found, key=lambda i: ((i - 1) in taken) + ((i + 1) in taken))
            strong_ids = {i for i in chosen.values() if i not in weak}
            chosen = {
                w: i
                for w, i in chosen.items()
                if i not in weak or (i - 1) in strong_ids or (i + 1) in strong_ids
            }
            score = 0.0
            matched: list[int] = []
            hit_positions: dict[int, int] = {}
            for word, i in chosen.items():
                in_name = word in name_positions
                weight = 2.0 if in_name else 1.0
                score += self.idf(word) * weight * exactness[(word, i)]
                matched.append(i)
                if in_name:
                    hit_positions[i] = name_positions[word][0]
            if not matched:
                continue
            # Neighbouring query words matching neighbouring name words ("ao thun").
            bigrams = 0
            ordered = sorted(hit_positions)
            for a, b in itertools.pairwise(ordered):
                if b == a + 1 and hit_positions[b] == hit_positions[a] + 1:
                    bigrams += 1
            score += bigrams * 1.5
            # A short name matched mostly is a better match than a long one matched a little.
            coverage = len(hit_positions) / max(len(product.name_words), 1)
            score += coverage
            rare = [
                tokens[i].key
                for i in matched
                if tokens[i].key not in lexicon.AMBIGUOUS or tokens[i].accented
            ]
            strong = bigrams > 0 or any(self.idf(w) >= 1.6 and len(w) >= 3 for w in rare)
            matches.append(
                ProductMatch(
                    product,
                    score,
                    strong,
                    sorted(set(matched)),
                    bigrams=bigrams,
                    name_matched=sorted(hit_positions),
                )
            )
        # Near-equal scores: the older product (the shop's long-standing one) first.
        matches.sort(key=lambda m: (-round(m.score * 2) / 2, m.product.id))
        return matches

    def by_code(self, code: str) -> ProductDoc | None:
        code = code.lower()
        if code in self.by_sku:
            return self.by_sku[code]
        found = self.variant_by_sku.get(code)
        return found[0] if found else None


def _catalog_version() -> tuple:
    product = Product.objects.aggregate(n=Count("id"), at=Max("updated_at"))
    variant = Variant.objects.aggregate(n=Count("id"), at=Max("updated_at"))
    return (product["n"], product["at"], variant["n"], variant["at"])


def _build_catalog() -> CatalogIndex:
    products = (
        Product.objects.filter(is_active=True)
        .select_related("category", "brand")
        .prefetch_related("variants")
        .order_by("id")
    )
    attributes = defaultdict(list)
    for attribute in ProductAttribute.objects.order_by("product_id", "position"):
        attributes[attribute.product_id].append((attribute.name, list(attribute.values)))
    docs = []
    for p in products:
        variants = [
            VariantDoc(v.pk, v.sku, v.options, v.sale_price)
            for v in sorted(p.variants.all(), key=lambda v: (v.position, v.pk))
            if v.is_active
        ]
        if not variants:
            continue
        category = p.category.name if p.category else ""
        brand = p.brand.name if p.brand else ""
        docs.append(
            ProductDoc(
                id=p.pk,
                name=p.name,
                sku=p.sku,
                category=category,
                brand=brand,
                attributes=attributes.get(p.pk, []),
                variants=variants,
                name_words=_folded_words(p.name),
                name_typed=_typed_words(p.name),
                other_words=_folded_words(f"{category} {brand} {p.sku}"),
            )
        )
    return CatalogIndex(docs)


def _cached(name: str, version_fn, build_fn):
    version = version_fn()
    found = _cache.get(name)
    if found and found[0] == version:
        return found[1]
    with _lock:
        found = _cache.get(name)
        if found and found[0] == version:
            return found[1]
        built = build_fn()
        _cache[name] = (version, built)
        return built


def catalog_index() -> CatalogIndex:
    return _cached("catalog", _catalog_version, _build_catalog)


# --- FAQ ---------------------------------------------------------------------------------------


@dataclass
class FaqDoc:
    id: int
    topic: str
    question: str
    answer: str
    words: list[str]


class FaqIndex:
    def __init__(self, docs: list[FaqDoc]):
        self.docs = docs
        self.df: dict[str, int] = defaultdict(int)
        for d in docs:
            for w in set(d.words):
                self.df[w] += 1
        self.n = max(len(docs), 1)

    def search(self, words: list[str], *, topic: str = "") -> list[tuple[FaqDoc, float]]:
        query = [w for w in words if w not in ("khong", "a", "shop", "admin", "em", "minh")]
        out = []
        for doc in self.docs:
            if topic and doc.topic != topic:
                continue
            present = set(doc.words)
            hits = [w for w in set(query) if w in present]
            if not hits:
                continue
            score = sum(math.log(1 + self.n / (1 + self.df[w])) for w in hits)
            bigrams = sum(
                1 for a, b in itertools.pairwise(query) if f"{a} {b}" in " ".join(doc.words)
            )
            out.append((doc, score + bigrams))
        out.sort(key=lambda x: -x[1])
        return out

    def by_topic(self, topic: str) -> FaqDoc | None:
        return next((d for d in self.docs if d.topic == topic), None)


def _faq_version() -> tuple:
    row = FaqEntry.objects.aggregate(n=Count("id"), at=Max("updated_at"))
    return (row["n"], row["at"])


def _build_faq() -> FaqIndex:
    docs = [
        FaqDoc(
            e.pk,
            e.topic,
            e.question,
            e.answer,
            _folded_words(f"{e.question} {e.keywords.replace(',', ' ')}"),
        )
        for e in FaqEntry.objects.filter(is_active=True).order_by("topic", "position", "id")
    ]
    return FaqIndex(docs)


def faq_index() -> FaqIndex:
    return _cached("faq", _faq_version, _build_faq)


# --- places ------------------------------------------------------------------------------------


@dataclass
class PlaceIndex:
    provinces: dict[int, str]  # code → name
    province_by_key: dict[str, int]  # folded alias → code
    wards: dict[int, tuple[str, int]]  # code → (name, province code)
    ward_by_key: dict[str, list[int]]  # folded name without "phường/xã" → codes
    ward_full_key: dict[str, list[int]]  # folded full name → codes
    max_alias_words: int = 4


def _strip_unit(folded: str) -> str:
    for prefix in ("phuong ", "xa ", "dac khu ", "thi tran "):
        if folded.startswith(prefix):
            return folded[len(prefix) :]
    return folded


def _build_places() -> PlaceIndex:
    provinces = dict(Province.objects.values_list("code", "name"))
    by_name = {fold(name): code for code, name in provinces.items()}
    province_by_key: dict[str, int] = {}
    for code, name in provinces.items():
        key = fold(name)
        province_by_key[key] = code
        for prefix in ("thanh pho ", "tinh "):
            if key.startswith(prefix):
                province_by_key[key[len(prefix) :]] = code
                province_by_key["tp " + key[len(prefix) :]] = code
    for alias, official in lexicon.PROVINCE_ALIASES.items():
        code = by_name.get(fold(official))
        if code:
            province_by_key.setdefault(alias, code)
    wards = {}
    ward_by_key: dict[str, list[int]] = defaultdict(list)
    ward_full_key: dict[str, list[int]] = defaultdict(list)
    for code, name, province_code in Ward.objects.values_list("code", "name", "province_id"):
        wards[code] = (name, province_code)
        ward_full_key[fold(name)].append(code)
        ward_by_key[_strip_unit(fold(name))].append(code)
    return PlaceIndex(provinces, province_by_key, wards, dict(ward_by_key), dict(ward_full_key))


def place_index() -> PlaceIndex:
    return _cached(
        "places",
        lambda: Ward.objects.count(),
        _build_places,
    )
