"""The offline engine: one customer turn → one reply, from the conversation's state.

The state (Conversation.state) remembers the product in focus, the asked options, quantity,
name, phone, address, the last shipping quote, what the bot is waiting for, and how many turns
in a row it did not understand. Replies come from templates (engine/replies.py); every number
in them comes from a tool (donhang.chatbot.engine.tools).

The order form: product → variant → quantity → name → phone → address; slots may be filled in
any order and several at once, for one line or several (a cart). An order is made when every
slot is filled and the customer's message says they order ("chốt", "đặt hàng", "lấy 2 cái",
"xác nhận"), or answers "ok"/"đúng rồi" to the order the bot read back; a message that corrects
a detail gets the order read back again instead.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone

from donhang.chatbot.engine import replies as R
from donhang.chatbot.engine import tools
from donhang.chatbot.engine.index import ProductDoc, catalog_index
from donhang.chatbot.engine.nlu import Analysis, analyze
from donhang.chatbot.models import BotSettings, Conversation
from donhang.core.errors import Conflict, DomainError
from donhang.core.phone import display_phone, normalize_phone
from donhang.customers.models import Ward

ORDER_SLOTS = ("product_id", "variant_id", "quantity", "name", "phone", "line", "ward_code")


@dataclass
class Context:
    conversation: Conversation
    settings: BotSettings
    reference: str  # unique per customer turn: the order made in it is found again by it
    channel_label: str = ""
    now: datetime | None = None


@dataclass
class Turn:
    reply: str
    intent: str
    entities: dict
    state: dict
    confidence: float = 0.0
    order: object = None  # the Order made in this turn
    attachments: list = field(default_factory=list)
    handoff: str = ""  # why staff are needed ("" when not)
    engine: str = "offline"
    tools_used: list = field(default_factory=list)


def open_now(config: BotSettings, now: datetime | None = None) -> bool:
    now = timezone.localtime(now or timezone.now())
    if now.weekday() not in (config.open_days or []):
        return False
    return config.opens_at <= now.time() < config.closes_at


def hours_text(config: BotSettings) -> str:
    return f"{config.opens_at:%H:%M}–{config.closes_at:%H:%M}"


class Engine:
    def __init__(self, ctx: Context, state: dict):
        self.ctx = ctx
        self.state = copy.deepcopy(state or {})
        self.catalog = catalog_index()
        self.tools_used: list[str] = []
        self.attachments: list = []
        self.order = None
        self.handoff = ""

    # --- state -------------------------------------------------------------------------------

    def product(self) -> ProductDoc | None:
        pid = self.state.get("product_id")
        return self.catalog.products.get(pid) if pid else None

    def options(self) -> dict[int, str]:
        return {int(k): v for k, v in (self.state.get("options") or {}).items()}

    # The order's lines: the cart (lines the customer added) and the focus line (the product
    # being discussed: product_id, options, variant_id, quantity at the top of the state).

    def _resolve(self, product: ProductDoc, options: dict[int, str]) -> int | None:
        variants = tools.variants_matching(product, options)
        if len(variants) == 1:
            return variants[0].id
        if len(product.variants) == 1:
            return product.variants[0].id
        return None

    def _focus_line(self) -> dict | None:
        s = self.state
        if not s.get("product_id"):
            return None
        return {
            "product_id": s["product_id"],
            "options": dict(s.get("options") or {}),
            "variant_id": s.get("variant_id"),
            "quantity": s.get("quantity"),
        }

    def _set_focus(self, line: dict | None) -> None:
        s = self.state
        for key in ("product_id", "options", "variant_id", "quantity"):
            s.pop(key, None)
        if line:
            s["product_id"] = line["product_id"]
            s["options"] = dict(line.get("options") or {})
            if line.get("variant_id"):
                s["variant_id"] = line["variant_id"]
            if line.get("quantity"):
                s["quantity"] = line["quantity"]

    def _push_focus(self) -> None:
        line = self._focus_line()
        if line:
            self.state.setdefault("cart", []).append(line)
        self._set_focus(None)

    def _lines(self) -> list[dict]:
        lines = list(self.state.get("cart") or [])
        focus = self._focus_line()
        if focus:
            lines.append(focus)
        return lines

    def _line_from_item(self, item: dict, base: dict[int, str] | None = None) -> dict:
        product = item["product"]
        options = {**(base or {}), **item["options"]}
        return {
            "product_id": product.id,
            "options": {str(k): v for k, v in options.items()},
            "variant_id": self._resolve(product, options),
            "quantity": item.get("quantity"),
        }

    def merge(self, a: Analysis) -> None:
        s = self.state
        if a.items:
            same = len({item["product"].id for item in a.items}) == 1
            if same:
                # "1 cái size S, 1 cái size M": the product in focus split into lines.
                base = self.options() if a.items[0]["product"].id == s.get("product_id") else {}
                lines = [self._line_from_item(item, base) for item in a.items]
                s["cart"] = [
                    line
                    for line in s.get("cart") or []
                    if line["product_id"] != a.items[0]["product"].id
                ] + lines[:-1]
            else:
                lines = [self._line_from_item(item) for item in a.items]
                if a.adds:
                    self._push_focus()
                    s["cart"] = (s.get("cart") or []) + lines[:-1]
                else:
                    s["cart"] = lines[:-1]
            self._set_focus(lines[-1])
            s.pop("wanted", None)
            if a.quantity and a.each:
                self._each_quantity(a.quantity)
            self._merge_contact(a)
            return
        if a.product and a.product.product.id != s.get("product_id"):
            if a.adds and s.get("product_id"):
                self._push_focus()
            s["product_id"] = a.product.product.id
            s["options"] = {}
            s.pop("variant_id", None)
            if not a.quantity:
                s.pop("quantity", None)
        product = self.product()
        if product is not None:
            options = self.options()
            for position, value in a.options.items():
                options[position] = value
            # Colour or size asked before the product was known.
            wanted = s.pop("wanted", None) or {}
            for position in range(len(product.attributes)):
                kind = product.attribute_kind(position)
                if position in options:
                    continue
                if kind in wanted:
                    match = [
                        v
                        for v in product.attributes[position][1]
                        if v.lower() == wanted[kind].lower()
                    ]
                    if match:
                        options[position] = match[0]
            s["options"] = {str(k): v for k, v in options.items()}
            variant_id = self._resolve(product, options)
            if variant_id:
                s["variant_id"] = variant_id
            else:
                s.pop("variant_id", None)
        else:
            wanted = s.get("wanted") or {}
            if a.colour:
                wanted["colour"] = a.colour
            if a.size:
                wanted["size"] = a.size
            if wanted:
                s["wanted"] = wanted
        # "bao nhiêu tiền 1 cái" asks a price; it does not change how many are ordered.
        counts = (
            a.intent == "place_order" or not s.get("quantity") or s.get("awaiting") == "quantity"
        )
        if a.quantity and a.each:
            self._each_quantity(a.quantity)
        elif a.quantity and counts:
            s["quantity"] = a.quantity
        self._merge_contact(a)

    def _each_quantity(self, quantity: int) -> None:
        s = self.state
        for line in s.get("cart") or []:
            line["quantity"] = quantity
        if s.get("product_id"):
            s["quantity"] = quantity

    def _merge_contact(self, a: Analysis) -> None:
        s = self.state
        if a.name:
            s["name"] = a.name
        if a.phone:
            s["phone"] = a.phone
        place = a.place
        if place.province_code and place.province_code != s.get("province_code"):
            s["province_code"] = place.province_code
            if not place.ward_code:
                ward = s.get("ward_code")
                if (
                    ward
                    and not Ward.objects.filter(code=ward, province_id=place.province_code).exists()
                ):
                    s.pop("ward_code", None)
        if place.ward_code:
            s["ward_code"] = place.ward_code
        if place.line:
            s["line"] = place.line
        elif s.get("awaiting") == "line" and not place.ward_code and not place.province_code:
            text = a.text.nfc.strip(" .,")
            if 3 <= len(text) <= 200 and any(ch.isdigit() for ch in text):
                s["line"] = text
        if a.payment_method:
            s["payment_method"] = a.payment_method

    # --- the turn ----------------------------------------------------------------------------

    def respond(self, text: str) -> Turn:
        a = analyze(text, context=self.state)
        self.merge(a)
        intent = self._intent(a)
        handler = getattr(self, f"on_{intent}")
        reply = handler(a)
        self.state["last_intent"] = intent
        return Turn(
            reply=reply,
            intent=intent,
            entities=a.entities(),
            state=self.state,
            confidence=a.confidence,
            order=self.order,
            attachments=self.attachments,
            handoff=self.handoff,
            tools_used=self.tools_used,
        )

    def _intent(self, a: Analysis) -> str:
        intent = a.intent
        s = self.state
        awaiting = s.get("awaiting")
        key = a.text.key
        if awaiting == "status_phone" and a.phone and intent in ("place_order", "other", "price"):
            return "order_status"
        if awaiting == "confirm":
            corrects = bool(
                a.phone or a.name or a.place.line or a.place.ward or a.quantity or a.options
            )
            if (a.confirm and not a.deny) or corrects:
                return "place_order"  # a correction ("sđt đúng là …") reads the order back
            if a.deny and intent in ("other", "place_order", "greeting"):
                return "cancel_draft"
        if (
            awaiting in ("variant", "quantity", "name", "phone", "line", "ward", "address")
            and (
                intent in ("other", "greeting", "stock", "product_search", "price")
                and (
                    a.options
                    or a.colour
                    or a.size
                    or a.quantity
                    or a.name
                    or a.phone
                    or a.place.line
                    or a.place.ward
                    or (awaiting == "name" and self._bare_name(a))
                    or (awaiting == "line" and s.get("line"))
                )
            )
            and (
                intent not in ("stock", "price", "product_search")
                or not re.search(r"\b(con|gia|bao nhieu)\b", key)
            )
        ):
            return "place_order"
        if intent == "other" and (a.place.ward or a.place.line or a.place.province):
            # Only an address: for the fee asked just before, or for the order being taken.
            if s.get("last_intent") == "shipping_fee" or awaiting == "address_for_quote":
                return "shipping_fee"
            return "place_order" if s.get("product_id") or s.get("cart") else "shipping_fee"
        if (
            intent == "price"
            and not a.product
            and s.get("last_intent") == "shipping_fee"
            and not re.search(r"\bgia\b", key)
        ):
            return "shipping_fee"
        return intent

    def _bare_name(self, a: Analysis) -> bool:
        words = a.text.nfc.strip(" .,!").split()
        if (
            1 <= len(words) <= 5
            and all(w.isalpha() for w in words)
            and a.intent in ("other", "greeting")
        ):
            self.state["name"] = " ".join(w[:1].upper() + w[1:] for w in words)
            return True
        return False

    # --- intents -----------------------------------------------------------------------------

    def _understood(self) -> None:
        self.state["unsure"] = 0

    def on_greeting(self, a: Analysis) -> str:
        self._understood()
        if not self.state.get("greeted"):
            self.state["greeted"] = True
            greeting = self.ctx.settings.greeting.strip()
            if "tự động" not in greeting:
                greeting = f"{greeting} {R.DISCLOSURE}"
            return greeting
        return R.GREETING_AGAIN

    def _near_alternatives(self, a: Analysis) -> list[ProductDoc]:
        if not a.product:
            return []
        top = a.product
        return [
            m.product
            for m in a.candidates
            if m.strong and m.product.id != top.product.id and m.score >= top.score - 1.0
        ][:2]

    def _describe(self, product: ProductDoc, units: dict[int, int]) -> str:
        low, high = product.prices
        price = tools.vnd(low) if low == high else f"{tools.vnd(low)} – {tools.vnd(high)}"
        text = R.PRODUCT_INTRO.format(name=product.name, price=price)
        for name, values in product.attributes:
            text += R.OPTIONS.format(attribute=name, values=", ".join(values))
        total = sum(units.get(v.id, 0) for v in product.variants)
        text += R.IN_STOCK_TOTAL.format(units=total) if total else R.OUT_OF_STOCK
        return text

    def _list(self, products: list[ProductDoc]) -> str:
        units = tools.stock_of([v.id for p in products for v in p.variants])
        self.tools_used.append("search_products")
        lines = []
        for i, p in enumerate(products, 1):
            low, high = p.prices
            price = tools.vnd(low) if low == high else f"{tools.vnd(low)} – {tools.vnd(high)}"
            total = sum(units.get(v.id, 0) for v in p.variants)
            stock = f" (còn {total})" if total else " (hết hàng)"
            lines.append(f"{i}. " + R.PRODUCT_LINE.format(name=p.name, price=price, stock=stock))
        return R.CHOOSE_FROM.format(lines="\n".join(lines))

    def on_product_search(self, a: Analysis) -> str:
        self._understood()
        product = a.product.product if a.product else None
        if product is None and not a.candidates and self.product() and not a.mentions_product_words:
            product = self.product()
        if product is not None:
            self.tools_used.append("product_details")
            units = tools.stock_of([v.id for v in product.variants])
            text = self._describe(product, units)
            others = self._near_alternatives(a)
            if others:
                text += R.ALSO.format(names=", ".join(p.name for p in others))
            return text
        weak = [m.product for m in a.candidates[:4]]
        if weak:
            return self._list(weak)
        return R.NOT_FOUND_PRODUCT

    def _need_product(self, a: Analysis) -> str | None:
        if self.product() is not None:
            return None
        weak = [m.product for m in a.candidates[:4]]
        if weak:
            return self._list(weak)
        return R.ASK_PRODUCT

    def _filter_label(self, product: ProductDoc, options: dict[int, str]) -> str:
        return " ".join(
            f"{product.attributes[p][0].lower()} {v}" for p, v in sorted(options.items())
        )

    def _missing_option(self, product: ProductDoc, a: Analysis) -> str | None:
        """The customer asked a colour/size this product does not have."""
        for kind, wanted in (("colour", a.colour), ("size", a.size)):
            if not wanted:
                continue
            for position, (name, values) in enumerate(product.attributes):
                if product.attribute_kind(position) == kind and not any(
                    v.lower() == wanted.lower() for v in values
                ):
                    return R.NO_SUCH_OPTION.format(
                        name=product.name,
                        wanted=f"{name.lower()} {wanted}",
                        attribute=name,
                        values=", ".join(values),
                    )
        return None

    @staticmethod
    def _item(product: ProductDoc, variant) -> str:
        """ "Áo thun cotton basic cổ tròn (Đen / M)", or the name alone without options."""
        return f"{product.name} ({variant.label})" if variant.label else product.name

    def _choose_text(self, product: ProductDoc, options: dict[int, str]) -> str:
        choices = []
        for position, (name, values) in enumerate(product.attributes):
            if position in options:
                continue
            allowed = {v.options[position] for v in tools.variants_matching(product, options)}
            listed = [v for v in values if v in allowed] or values
            choices.append(f"{name.lower()} ({', '.join(listed)})")
        return " và ".join(choices)

    def _each_line(self, a: Analysis, *, price: bool) -> str | None:
        """ "còn cả 2 không", "mỗi loại bao nhiêu": an answer for every line of the order."""
        lines = self._lines()
        if len(lines) < 2 or (a.product and not a.each):
            return None
        units = tools.stock_of(
            [v.id for line in lines for v in self.catalog.products[line["product_id"]].variants]
        )
        parts = []
        for line in lines:
            product = self.catalog.products[line["product_id"]]
            variant = next((v for v in product.variants if v.id == line.get("variant_id")), None)
            if variant is not None:
                item, n, cost = (
                    self._item(product, variant),
                    units.get(variant.id, 0),
                    variant.price,
                )
            else:
                item = product.name
                n = sum(units.get(v.id, 0) for v in product.variants)
                cost = product.prices[0]
            parts.append(R.LINE_FACTS.format(item=item, price=tools.vnd(cost), units=n))
        self.tools_used.append("product_details")
        return R.EACH_LINE.format(lines="\n".join(parts))

    def on_stock(self, a: Analysis) -> str:
        self._understood()
        each = self._each_line(a, price=False)
        if each:
            return each
        need = self._need_product(a)
        if need:
            return need
        product = self.product()
        missing = self._missing_option(product, a)
        if missing:
            return missing
        self.tools_used.append("product_details")
        units = tools.stock_of([v.id for v in product.variants])
        variant_id = self.state.get("variant_id")
        if variant_id:
            variant = next(v for v in product.variants if v.id == variant_id)
            n = units.get(variant_id, 0)
            item = self._item(product, variant)
            if n:
                text = R.VARIANT_STOCK.format(item=item, units=n, price=tools.vnd(variant.price))
                if self.state.get("quantity") and self.state["quantity"] > n:
                    text += " " + R.ONLY_LEFT.format(units=n)
                return text
            others = [
                f"{v.label} (còn {units.get(v.id, 0)})" for v in product.variants if units.get(v.id)
            ][:8]
            text = R.VARIANT_OUT.format(item=item)
            if others:
                text += R.OTHERS_AVAILABLE.format(options=", ".join(others))
            return text
        options = self.options()
        variants = tools.variants_matching(product, options) if options else product.variants
        if options and variants:
            listed = [
                f"{self._rest_label(product, v, options)} còn {units.get(v.id, 0)}"
                for v in variants
            ][:10]
            return R.PARTIAL_STOCK.format(
                name=product.name,
                filter=self._filter_label(product, options),
                options=", ".join(listed),
            )
        text = self._describe(product, units)
        if len(product.variants) > 1:
            text += R.CHOOSE_VARIANT.format(choices=self._choose_text(product, options))
        return text

    def _rest_label(self, product: ProductDoc, variant, options: dict[int, str]) -> str:
        parts = [
            f"{product.attributes[i][0].lower()} {value}" if i < len(product.attributes) else value
            for i, value in enumerate(variant.options)
            if i not in options
        ]
        return " ".join(parts) or variant.label

    def on_price(self, a: Analysis) -> str:
        self._understood()
        each = self._each_line(a, price=True)
        if each:
            return each
        need = self._need_product(a)
        if need:
            return need
        product = self.product()
        missing = self._missing_option(product, a)
        if missing:
            return missing
        self.tools_used.append("product_details")
        units = tools.stock_of([v.id for v in product.variants])
        variant_id = self.state.get("variant_id")
        quantity = self.state.get("quantity")
        options = self.options()
        variants = tools.variants_matching(product, options) if options else product.variants
        prices = {v.price for v in variants} or {product.prices[0]}
        if variant_id or len(prices) == 1:
            variant = next((v for v in product.variants if v.id == variant_id), None)
            price = variant.price if variant else next(iter(prices))
            item = self._item(product, variant) if variant else product.name
            n = units.get(variant.id, 0) if variant else sum(units.get(v.id, 0) for v in variants)
            stock = R.STOCK_NOTE.format(units=n) if n else ""
            text = R.PRICE_ONE.format(item=item, price=tools.vnd(price), stock=stock)
            if quantity and quantity > 1:
                text += R.PRICE_TOTAL.format(quantity=quantity, total=tools.vnd(price * quantity))
            return text
        listed = ", ".join(f"{v.label} {tools.vnd(v.price)}" for v in variants[:10])
        return R.PRICE_RANGE.format(
            name=product.name,
            low=tools.vnd(min(prices)),
            high=tools.vnd(max(prices)),
            options=listed,
        )

    def _items(self) -> list[tuple[int, int]]:
        """(variant id, quantity) of every line (a product's first variant while its options
        are not chosen yet: enough to weigh the parcel)."""
        items = []
        for line in self._lines():
            product = self.catalog.products.get(line["product_id"])
            if product is None:
                continue
            variant_id = line.get("variant_id") or product.variants[0].id
            items.append((variant_id, int(line.get("quantity") or 1)))
        return items

    def _quote(self) -> dict:
        s = self.state
        items = self._items()
        ward, province = s.get("ward_code"), s.get("province_code")
        cached = s.get("quote") or {}
        if (
            cached.get("fee")
            and cached.get("ward_code") == ward
            and cached.get("province_code") == province
            and cached.get("items") == [list(i) for i in items]
        ):
            return cached
        self.tools_used.append("shipping_quote")
        quote = tools.shipping_quote(
            ward_code=ward,
            province_code=province,
            items=items,
            phone=s.get("phone", ""),
            reference=f"chat-{self.ctx.conversation.pk or 'new'}",
        )
        if "fee" in quote:
            quote = {
                **quote,
                "ward_code": ward,
                "province_code": province,
                "items": [list(i) for i in items],
            }
            s["quote"] = quote
        return quote

    def on_shipping_fee(self, a: Analysis) -> str:
        self._understood()
        s = self.state
        faq = None
        if re.search(r"\b(freeship|mien phi|bao lau|may ngay|khi nao|don vi)\b", a.text.key):
            faq = tools.faq_answer(question=a.text.nfc, topic="shipping")
        if not s.get("ward_code") and not s.get("province_code"):
            s["awaiting"] = "address_for_quote"
            if faq and faq.get("found"):
                return R.ASK_ADDRESS_AFTER_POLICY.format(policy=faq["answer"].strip())
            return R.ASK_ADDRESS_FOR_QUOTE
        quote = self._quote()
        if "fee" not in quote:
            return R.SHIPPING_FAILED
        days = R.SHIPPING_DAYS.format(days=quote["days"]) if quote.get("days") else ""
        carrier = f" ({quote['carrier']})" if quote.get("carrier") else ""
        if quote.get("estimated"):
            text = R.SHIPPING_FEE_ESTIMATE.format(
                province=quote["province"], fee=tools.vnd(quote["fee"]), carrier=carrier, days=days
            )
        else:
            text = R.SHIPPING_FEE.format(
                ward=quote["ward"],
                province=quote["province"],
                fee=tools.vnd(quote["fee"]),
                carrier=carrier,
                days=days,
            )
        if faq and faq.get("found"):
            text += " " + faq["answer"]
        if s.get("awaiting") == "address_for_quote":
            s.pop("awaiting")
        return text

    def on_cod(self, a: Analysis) -> str:
        self._understood()
        self.tools_used.append("cod_available")
        found = tools.cod_available()
        if not found["available"]:
            return R.COD_NO
        text = R.COD_YES
        if found.get("limit"):
            text += " " + R.COD_OVER_LIMIT.format(limit=tools.vnd(found["limit"]))
        if self.state.get("awaiting") in ("payment",) or self._ordering():
            self.state["payment_method"] = "cod"
            return self.on_place_order(a, prefix=text)
        return text

    def _ordering(self) -> bool:
        return bool(self.state.get("ordering"))

    def on_payment(self, a: Analysis) -> str:
        self._understood()
        s = self.state
        code = s.get("order_code")
        if code and (a.payment_method == "bank_transfer" or not a.payment_method):
            order = tools.Order.objects.filter(code=code).first()
            if order is not None:
                qr = self._qr(order)
                if qr:
                    return qr
        methods = []
        if tools.cod_available()["available"]:
            methods.append(R.PAYMENT_COD)
        if tools.bank_transfer_available():
            methods.append(R.PAYMENT_BANK)
        text = R.PAYMENT_OPTIONS.format(methods=" hoặc ".join(methods)) if methods else R.COD_NO
        if self._ordering():
            return self.on_place_order(a, prefix=text)
        return text

    def _qr(self, order) -> str:
        self.tools_used.append("payment_qr")
        qr = tools.payment_qr(order=order)
        if "payload" not in qr:
            return ""
        self.attachments.append(
            {
                "type": "vietqr",
                "url": qr["image_url"],
                "path": qr["image_path"],
                "payload": qr["payload"],
            }
        )
        return R.PAYMENT_QR.format(
            amount=tools.vnd(qr["amount"]),
            bank=qr["bank"],
            account=qr["account_number"],
            holder=qr["account_holder"],
            note=qr["note"],
            url=qr["image_url"],
        )

    def on_order_status(self, a: Analysis) -> str:
        self._understood()
        s = self.state
        code = a.order_code or s.get("status_code") or ""
        phone = a.phone or ""
        if not phone and code and s.get("phone_verified_for") == code:
            phone = s.get("phone", "")
        self.tools_used.append("order_status")
        found = tools.order_status(code=code, phone=phone, conversation=self.ctx.conversation)
        s.pop("awaiting", None)
        s.pop("status_code", None)
        if found.get("found"):
            lines = []
            for o in found["orders"]:
                tracking = ""
                if o["tracking_code"]:
                    tracking = R.STATUS_TRACKING.format(
                        code=o["tracking_code"], words=o["shipment_words"] or o["status_words"]
                    )
                lines.append(
                    R.STATUS_ONE.format(code=o["code"], words=o["status_words"], tracking=tracking)
                )
            return "\n".join(lines)
        if found.get("need") == "phone":
            s["awaiting"] = "status_phone"
            s["status_code"] = code
            return R.STATUS_NEED_PHONE
        if found.get("need") == "code":
            return R.STATUS_NEED_CODE
        return R.STATUS_NOT_FOUND

    def _handoff(self, reason: str) -> str:
        """Call staff in; the sentence that says when they will answer."""
        self.handoff = reason
        if open_now(self.ctx.settings, self.ctx.now):
            return R.STAFF_SOON
        return R.STAFF_LATER.format(hours=hours_text(self.ctx.settings))

    def on_return(self, a: Analysis) -> str:
        # Returns and exchanges are staff's (a hand-off), with the shop's policy from its FAQ.
        self._understood()
        faq = tools.faq_answer(question=a.text.nfc, topic="returns")
        wants = re.search(
            r"\b(muon|can|xin|cho|de|giup|gium) (em |minh |toi |chi )?(doi|tra|hoan)|\bbi\b|"
            r"\b(loi|hong|rach|vo|gay|mop|sai|nham|thieu)\b|_code_|\bhoan tien\b|\bdoi (giup|gium)",
            a.text.key,
        )
        if faq.get("found") and not wants:
            return faq["answer"]  # a question about the policy: the shop's answer, no hand-off
        when = self._handoff("return")
        policy = f"{faq['answer']} " if faq.get("found") else "Dạ "
        return f"{policy}{R.RETURN_HANDOFF} {when}"

    def on_human(self, a: Analysis) -> str:
        self._understood()
        return f"{R.HANDOFF} {self._handoff('asked')}"

    def on_cancel_draft(self, a: Analysis) -> str:
        self._understood()
        self.state.pop("awaiting", None)
        self.state["ordering"] = False
        return R.ORDER_CANCELLED_DRAFT

    def on_other(self, a: Analysis) -> str:
        key = a.text.key
        if re.search(r"\b(cam on|tks)\b", key):
            self._understood()
            return R.THANKS
        if re.search(r"\b(bye|tam biet)\b", key):
            self._understood()
            return R.BYE
        faq = tools.faq_answer(question=a.text.nfc)
        if faq.get("found"):
            self._understood()
            return faq["answer"]
        if self.state.get("awaiting") == "confirm" and a.confirm:
            return self.on_place_order(a)
        unsure = int(self.state.get("unsure") or 0) + 1
        self.state["unsure"] = unsure
        if unsure >= 2:
            self.state["unsure"] = 0
            return f"{R.UNSURE_HANDOFF} {self._handoff('unsure')}"
        return R.UNSURE_ASK

    # --- the order form ----------------------------------------------------------------------

    def _address_text(self) -> str:
        s = self.state
        ward = Ward.objects.select_related("province").filter(code=s.get("ward_code")).first()
        parts = (s.get("line"), ward.name if ward else "", ward.province.name if ward else "")
        return ", ".join(x for x in parts if x)

    def _summary(self, lines: list[tuple], fee: int | None, total: int | None = None) -> str:
        """The order read back: its lines [(product, variant, quantity)], fee, total, payment,
        where it goes."""
        s = self.state
        out = [
            R.ORDER_SUMMARY_LINE.format(
                quantity=quantity,
                name=product.name,
                label=f" ({variant.label})" if variant.label else "",
                amount=tools.vnd(variant.price * quantity),
            )
            for product, variant, quantity in lines
        ]
        out.append(
            R.ORDER_SUMMARY_FEE.format(fee=tools.vnd(fee)) if fee else R.ORDER_SUMMARY_FEE_LATER
        )
        method = (
            "chuyển khoản"
            if s.get("payment_method") == "bank_transfer"
            else "thanh toán khi nhận hàng"
        )
        goods = sum(variant.price * quantity for _p, variant, quantity in lines)
        out.append(
            R.ORDER_SUMMARY_TOTAL.format(
                total=tools.vnd(total if total is not None else goods + (fee or 0)), method=method
            )
        )
        out.append(
            R.ORDER_SUMMARY_TO.format(
                name=s.get("name"),
                phone=display_phone(self._phone_e164() or s.get("phone")),
                address=self._address_text(),
            )
        )
        return "\n".join(out)

    def _phone_e164(self) -> str:
        try:
            return normalize_phone(self.state.get("phone", ""))
        except DomainError:
            return ""

    def _line_problem(self, lines: list[dict], before: str) -> str | None:
        """What a line still lacks (its options) or cannot have (stock); the line in question
        becomes the one in focus so that the answer applies to it."""
        s = self.state
        for index, line in enumerate(lines):
            product = self.catalog.products.get(line["product_id"])
            if product is None:
                continue
            if not line.get("variant_id"):
                self._focus_on(index, lines)
                s["awaiting"] = "variant"
                choices = self._choose_text(product, self.options())
                if len(lines) > 1:
                    return before + R.ASK_VARIANT_FOR.format(name=product.name, choices=choices)
                return before + R.ASK_VARIANT.format(choices=choices)
        units = tools.stock_of([line["variant_id"] for line in lines])
        for index, line in enumerate(lines):
            product = self.catalog.products[line["product_id"]]
            variant = next(v for v in product.variants if v.id == line["variant_id"])
            quantity = int(line.get("quantity") or 1)
            available = units.get(variant.id, 0)
            if available <= 0:
                self._focus_on(index, lines)
                others = [
                    f"{v.label} (còn {units_all})"
                    for v in product.variants
                    if (units_all := tools.stock_of([v.id]).get(v.id, 0))
                ]
                s.pop("variant_id", None)
                s["options"] = {}
                s["awaiting"] = "variant"
                listed = R.OTHERS_AVAILABLE.format(options=", ".join(others[:8])) if others else ""
                return before + R.SOLD_OUT.format(item=self._item(product, variant), others=listed)
            if quantity > available:
                self._focus_on(index, lines)
                s["awaiting"] = "quantity"
                return before + R.NOT_ENOUGH.format(
                    item=self._item(product, variant), units=available
                )
        return None

    def _focus_on(self, index: int, lines: list[dict]) -> None:
        """Make lines[index] the line in focus (the others go to the cart)."""
        if index == len(lines) - 1 and self.state.get("product_id"):
            return
        self.state["cart"] = [line for i, line in enumerate(lines) if i != index]
        self._set_focus(lines[index])

    def _facts(self) -> str:
        """Stock and price of the product in focus, when the customer asks them while ordering
        ("còn kem chống nắng không, em mua thêm")."""
        product = self.product()
        if product is None:
            return ""
        self.tools_used.append("product_details")
        units = tools.stock_of([v.id for v in product.variants])
        variant = next((v for v in product.variants if v.id == self.state.get("variant_id")), None)
        if variant is not None:
            return R.VARIANT_STOCK.format(
                item=self._item(product, variant),
                units=units.get(variant.id, 0),
                price=tools.vnd(variant.price),
            )
        low, high = product.prices
        price = tools.vnd(low) if low == high else f"{tools.vnd(low)} – {tools.vnd(high)}"
        total = sum(units.get(v.id, 0) for v in product.variants)
        return R.VARIANT_STOCK.format(item=product.name, units=total, price=price)

    def on_place_order(self, a: Analysis, prefix: str = "") -> str:
        self._understood()
        s = self.state
        if not prefix and re.search(
            r"\bcon\b.*\b(khong|chua|ko)\b|\b(gia|bao nhieu|het bao nhieu)\b", a.text.key
        ):
            prefix = self._facts()
        corrects = bool(
            a.phone or a.name or a.place.line or a.place.ward or a.quantity or a.options
        )
        # "địa chỉ đúng là …" corrects the order read back; it does not confirm it.
        confirming = s.get("awaiting") == "confirm" and a.confirm and not a.deny and not corrects
        confirms = confirming or (
            a.confirm_order and not (corrects and s.get("awaiting") == "confirm")
        )
        if a.intent == "place_order" or a.order_verb or confirming:
            s["ordering"] = True
        before = prefix + " " if prefix else ""
        lines = self._lines()
        if not lines and s.get("order_code") and (a.confirm or a.confirm_order):
            return before + R.ALREADY_ORDERED.format(code=s["order_code"])
        if not lines:
            need = self._need_product(a)
            s["awaiting"] = "product"
            return before + (need or R.ASK_PRODUCT)
        product = self.product()
        if product is not None:
            missing = self._missing_option(product, a)
            if missing:
                return before + missing
        problem = self._line_problem(lines, before)
        if problem:
            return problem
        lines = self._lines()
        missing_fields = []
        if not s.get("name"):
            missing_fields.append(("name", R.FIELD_NAME))
        phone = self._phone_e164()
        if s.get("phone") and not phone:
            bad = s.pop("phone")
            s["awaiting"] = "phone"
            return before + R.PHONE_INVALID.format(phone=bad)
        if not phone:
            missing_fields.append(("phone", R.FIELD_PHONE))
        if not s.get("line") and not s.get("ward_code"):
            missing_fields.append(("address", R.FIELD_ADDRESS))
        else:
            if not s.get("line"):
                missing_fields.append(("line", R.FIELD_LINE))
            if not s.get("ward_code"):
                missing_fields.append(("ward", R.FIELD_WARD))
        if missing_fields:
            s["awaiting"] = missing_fields[0][0]
            return before + R.ASK_DETAILS.format(fields=", ".join(f for _k, f in missing_fields))
        # Everything is there: the fee for these parcels, then the order (or its summary).
        resolved = []
        for line in lines:
            line_product = self.catalog.products[line["product_id"]]
            variant = next(v for v in line_product.variants if v.id == line["variant_id"])
            resolved.append((line_product, variant, int(line.get("quantity") or 1)))
        quote = self._quote()
        fee = quote.get("fee")
        goods = sum(variant.price * quantity for _p, variant, quantity in resolved)
        cod = tools.cod_available(total=goods + (fee or 0))
        if (
            s.get("payment_method") != "bank_transfer"
            and not cod["available"]
            and tools.bank_transfer_available()
        ):
            s["payment_method"] = "bank_transfer"
        summary = self._summary(resolved, fee)
        if not confirms:
            s["awaiting"] = "confirm"
            return before + R.ASK_CONFIRM.format(summary=summary)
        if not self.ctx.settings.may_create_orders:
            s["awaiting"] = ""
            s["ordering"] = False
            self.handoff = "order_details"
            return before + R.ORDER_HANDED_TO_STAFF.format(summary=summary)
        self.tools_used.append("create_order")
        try:
            placed = tools.order_place(
                conversation=self.ctx.conversation,
                reference=self.ctx.reference,
                name=s["name"],
                phone=phone,
                line=s["line"],
                ward_code=s["ward_code"],
                province_code=s.get("province_code"),
                items=[(variant.id, quantity) for _p, variant, quantity in resolved],
                shipping_fee=fee or 0,
                payment_method=s.get("payment_method") or "cod",
                channel_label=self.ctx.channel_label,
            )
        except Conflict as exc:
            if exc.code == "insufficient_stock":
                problem = self._line_problem(self._lines(), before)
                if problem:
                    return problem
            self.handoff = "order_failed"
            return before + R.ORDER_FAILED.format(reason=exc.message)
        except DomainError as exc:
            detail = "; ".join(exc.fields.values()) or exc.message
            self.handoff = "order_failed"
            return before + R.ORDER_FAILED.format(reason=detail)
        order = placed.order
        self.order = order
        s["order_code"] = order.code
        s["phone_verified_for"] = order.code
        for key in ("product_id", "variant_id", "options", "quantity", "quote", "wanted", "cart"):
            s.pop(key, None)
        s["awaiting"] = ""
        s["ordering"] = False
        text = R.ORDER_CREATED.format(
            code=order.code,
            summary=self._summary(resolved, order.shipping_fee or None, total=order.total),
        )
        if order.payment_method == "bank_transfer":
            qr = self._qr(order)
            if qr:
                text += "\n" + qr
        return before + text


def failure_turn(ctx: Context, state: dict) -> Turn:
    """What the customer reads when the engine itself failed: staff take over."""
    engine = Engine(ctx, state)
    reply = f"{R.UNSURE_HANDOFF} {engine._handoff('engine_error')}"
    return Turn(
        reply=reply, intent="other", entities={}, state=engine.state, handoff="engine_error"
    )


def respond(ctx: Context, state: dict, text: str) -> Turn:
    """The offline engine's answer to one customer message."""
    return Engine(ctx, state).respond(text)
