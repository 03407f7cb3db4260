"""Scoring of the chatbot evaluation set (evaluation/chatbot/, see its README): intent accuracy,
entity F1, dialogue completion and p95 reply latency.

The caller provides `send(text, conversation) -> (answer, seconds)` (the API's answer: reply,
intent, entities, order, conversation) and `order_lines(code)`; `bench/chatbot_eval.py` (`make
eval-chatbot`) runs it on a fresh demo database with the carriers' emulators in-process.
"""

from __future__ import annotations

import json
import re
import statistics
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ENTITY_TYPES = (
    "product",
    "color",
    "size",
    "quantity",
    "phone",
    "address",
    "province",
    "ward",
    "order_code",
)


def norm(value) -> str:
    """NFC, lower case, diacritics removed (đ → d), spaces collapsed, outer punctuation gone."""
    text = unicodedata.normalize("NFC", str(value or "")).lower().replace("đ", "d")
    text = "".join(
        ch for ch in unicodedata.normalize("NFD", text) if unicodedata.category(ch) != "Mn"
    )
    return " ".join(text.split()).strip(" .,;:!?-–—()[]\"'")


def _tokens(text: str) -> set[str]:
    return set(re.findall(r"\w+", norm(text)))


def token_f1(a: str, b: str) -> float:
    x, y = _tokens(a), _tokens(b)
    common = len(x & y)
    if not common:
        return 0.0
    precision, recall = common / len(x), common / len(y)
    return 2 * precision * recall / (precision + recall)


def _phone(value) -> str:
    digits = re.sub(r"\D", "", str(value))
    return "0" + digits[2:] if digits.startswith("84") else digits


def _code(value) -> str:
    text = re.sub(r"\s", "", str(value)).upper()
    return text if text.startswith("DH") else "DH" + text


def entity_match(kind: str, predicted, gold, canonical: dict, catalog_names: dict) -> bool:
    if kind == "quantity":
        try:
            return int(predicted) == int(gold)
        except (TypeError, ValueError):
            return False
    if kind == "phone":
        return _phone(predicted) == _phone(gold)
    if kind == "order_code":
        return _code(predicted) == _code(gold)
    p = norm(predicted)
    if kind in ("color", "size", "province", "ward"):
        candidates = {norm(gold), norm(canonical.get(kind) or "")} - {""}
        if kind == "size":
            strip = lambda t: re.sub(r"^(size|sz)\s*", "", t)  # noqa: E731
            return strip(p) in {strip(c) for c in candidates}
        return p in candidates
    if kind == "product":
        if p == norm(gold):
            return True
        sku = canonical.get("product")
        if sku and (p == norm(sku) or p == norm(catalog_names.get(sku, ""))):
            return True
        return token_f1(p, gold) >= 0.67
    if kind == "address":
        return token_f1(p, gold) >= 0.8
    return p == norm(gold)


@dataclass
class Report:
    intent_total: int = 0
    intent_right: int = 0
    unaccented_total: int = 0
    unaccented_right: int = 0
    confusion: Counter = field(default_factory=Counter)
    per_intent: dict = field(default_factory=lambda: defaultdict(Counter))
    entity_tp: Counter = field(default_factory=Counter)
    entity_fp: Counter = field(default_factory=Counter)
    entity_fn: Counter = field(default_factory=Counter)
    dialogues: int = 0
    completed: int = 0
    strict: int = 0
    latencies: list = field(default_factory=list)
    failures: list = field(default_factory=list)

    @property
    def intent_accuracy(self) -> float:
        return self.intent_right / max(self.intent_total, 1)

    def f1(self, kind: str | None = None) -> tuple[float, float, float]:
        kinds = [kind] if kind else list(ENTITY_TYPES)
        tp = sum(self.entity_tp[k] for k in kinds)
        fp = sum(self.entity_fp[k] for k in kinds)
        fn = sum(self.entity_fn[k] for k in kinds)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return precision, recall, f1

    @property
    def completion(self) -> float:
        return self.completed / max(self.dialogues, 1)

    @property
    def p95_ms(self) -> float:
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return ordered[max(0, round(0.95 * len(ordered)) - 1)] * 1000

    def macro_f1(self) -> float:
        scores = []
        for intent, c in self.per_intent.items():
            tp, fp, fn = c["tp"], c["fp"], c["fn"]
            p = tp / (tp + fp) if tp + fp else 0.0
            r = tp / (tp + fn) if tp + fn else 0.0
            scores.append(2 * p * r / (p + r) if p + r else 0.0)
            del intent
        return statistics.mean(scores) if scores else 0.0


def load(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


Send = Callable[[str, int | None], tuple[dict, float]]


def score_messages(messages: list[dict], send: Send, report: Report, catalog_names: dict):
    for item in messages:
        answer, seconds = send(item["text"], None)
        report.latencies.append(seconds)
        intent = answer.get("intent") or ""
        gold_intent = item["intent"]
        report.intent_total += 1
        right = intent == gold_intent
        report.intent_right += right
        if not item.get("diacritics", True):
            report.unaccented_total += 1
            report.unaccented_right += right
        if right:
            report.per_intent[gold_intent]["tp"] += 1
        else:
            report.per_intent[gold_intent]["fn"] += 1
            report.per_intent[intent]["fp"] += 1
            report.confusion[(gold_intent, intent)] += 1
            report.failures.append(
                ("intent", item["id"], gold_intent, intent, item["text"], answer.get("reply"))
            )
        got = answer.get("entities") or {}
        gold = item.get("entities") or {}
        canonical = item.get("canonical") or {}
        for kind in ENTITY_TYPES:
            g = gold.get(kind)
            p = got.get(kind)
            golds = [] if g in (None, "") else (g if isinstance(g, list) else [g])
            preds = [] if p in (None, "") else (p if isinstance(p, list) else [p])
            unused = list(preds)
            for value in golds:
                hit = next(
                    (x for x in unused if entity_match(kind, x, value, canonical, catalog_names)),
                    None,
                )
                if hit is None:
                    report.entity_fn[kind] += 1
                    report.failures.append(
                        ("entity", item["id"], f"{kind}={value}", p, item["text"], "")
                    )
                else:
                    unused.remove(hit)
                    report.entity_tp[kind] += 1
            for value in unused:
                report.entity_fp[kind] += 1
                report.failures.append(("entity+", item["id"], f"{kind}≠", value, item["text"], ""))


def _quoted(replies: list[str], number: int) -> bool:
    forms = {
        f"{number:,}".replace(",", "."),
        f"{number:,}",
        str(number),
    }
    if number % 1000 == 0 and number >= 1000:
        forms.add(f"{number // 1000}k")
    text = " ".join(replies)
    return any(re.search(rf"(?<![\d.,]){re.escape(f)}(?![\d])", text) for f in forms)


def score_dialogues(
    dialogues: list[dict],
    send: Send,
    report: Report,
    order_of: Callable[[str], dict | None],
    facts: Callable[[dict, dict], dict],
):
    """`order_of(code)` → {"lines": [(sku, qty)], "phone", "name", "address", "channel"};
    `facts(item, state)` → {"price", "stock", "fee"} the bot should have quoted for an item."""
    for dialogue in dialogues:
        report.dialogues += 1
        conversation = None
        replies: list[str] = []
        orders: list[str] = []
        snapshots = []
        for turn in dialogue["turns"]:
            answer, seconds = send(turn, conversation)
            report.latencies.append(seconds)
            conversation = answer.get("conversation")
            replies.append(answer.get("reply") or "")
            snapshots.append(answer)
            if answer.get("order"):
                orders.append(answer["order"]["code"])
        expect = dialogue["expect"]
        wanted = expect["order"]
        problem = ""
        made = [order_of(code) for code in dict.fromkeys(orders)]
        made = [o for o in made if o and o["channel"] == "chatbot"]
        if len(made) != 1:
            problem = f"{len(made)} orders"
        else:
            order = made[0]
            want_lines = Counter()
            allowed = []
            for item in wanted["items"]:
                allowed.append(({item["sku"], *item.get("alternatives", [])}, item["quantity"]))
            got_lines = list(order["lines"])
            matched = True
            for skus, quantity in allowed:
                hit = next((ln for ln in got_lines if ln[0] in skus and ln[1] == quantity), None)
                if hit is None:
                    matched = False
                    break
                got_lines.remove(hit)
            if not matched or got_lines:
                problem = f"lines {order['lines']} ≠ {[(sorted(s), q) for s, q in allowed]}"
            elif _phone(order["phone"]) != _phone(wanted["phone"]):
                problem = f"phone {order['phone']} ≠ {wanted['phone']}"
            del want_lines
        if problem:
            report.failures.append(
                (
                    "dialogue",
                    dialogue["id"],
                    problem,
                    "",
                    " | ".join(dialogue["turns"]),
                    "\n".join(replies),
                )
            )
            continue
        report.completed += 1
        order = made[0]
        strict_problems = []
        if wanted.get("name") and norm(wanted["name"]) not in norm(order["name"]):
            strict_problems.append(f"name {order['name']!r}")
        if wanted.get("address_contains") and norm(wanted["address_contains"]) not in norm(
            order["address"]
        ):
            strict_problems.append(f"address {order['address']!r}")
        if wanted.get("address_not_contains") and norm(wanted["address_not_contains"]) in norm(
            order["address"]
        ):
            strict_problems.append("address kept the corrected part")
        if wanted.get("phone_not") and _phone(order["phone"]) == _phone(wanted["phone_not"]):
            strict_problems.append("phone kept the corrected number")
        known = facts(wanted, order)
        for flag, key in (
            ("quotes_price", "price"),
            ("quotes_stock", "stock"),
            ("quotes_shipping_fee", "fee"),
        ):
            if expect.get(flag):
                values = known.get(key) or []
                if not any(_quoted(replies, v) for v in values):
                    strict_problems.append(f"{key} {values} not quoted")
        if strict_problems:
            report.failures.append(
                ("strict", dialogue["id"], "; ".join(strict_problems), "", "", "")
            )
        else:
            report.strict += 1


def print_report(report: Report, *, sizes: tuple[int, int], out=print) -> None:
    out(f"messages: {sizes[0]}  dialogues: {sizes[1]}")
    out(
        f"intent accuracy: {report.intent_accuracy:.1%}  (macro-F1 {report.macro_f1():.3f}; "
        f"without diacritics {report.unaccented_right}/{report.unaccented_total})"
    )
    p, r, f1 = report.f1()
    out(f"entity F1 (micro): {f1:.3f}  (P {p:.3f}, R {r:.3f})")
    for kind in ENTITY_TYPES:
        kp, kr, kf = report.f1(kind)
        out(f"  {kind:11s} F1 {kf:.3f}  (P {kp:.3f}, R {kr:.3f})")
    out(
        f"dialogue completion: {report.completion:.1%} ({report.completed}/{report.dialogues}); "
        f"strict {report.strict}/{report.dialogues}"
    )
    out(f"p95 reply latency: {report.p95_ms:.0f} ms over {len(report.latencies)} replies")
    for intent, c in sorted(report.per_intent.items()):
        tp, fp, fn = c["tp"], c["fp"], c["fn"]
        out(
            f"  {intent:15s} P {tp / (tp + fp) if tp + fp else 0:.2f}  "
            f"R {tp / (tp + fn) if tp + fn else 0:.2f}  (n={tp + fn})"
        )
    if report.confusion:
        out(
            "confusions (expected → got): "
            + ", ".join(f"{a}→{b} ×{n}" for (a, b), n in report.confusion.most_common(12))
        )
