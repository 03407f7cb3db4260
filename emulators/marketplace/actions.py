"""Control actions, documents and the state dump of ``MarketplaceEmulator``."""

from __future__ import annotations

from emulators import labels
from emulators.marketplace.model import BEFORE_SHIPPING, Order, full_address


class MarketplaceActions:
    """What the control API and tests do to orders (mixed into ``MarketplaceEmulator``)."""

    # control actions -----------------------------------------------------

    def advance(self, code: str, to_status=None, reason_code=None) -> dict:
        """Move an order to its next automatic stage, or to ``to_status`` (a platform status word
        or a stage name)."""
        with self.lock:
            order = self.order(code)
            if to_status is None:
                target = self.next_stage(order)
                if target is None:
                    raise ValueError(
                        f"order {code} waits for the seller or is final ({order.stage})"
                    )
            else:
                target = self.parse_status(str(to_status))
            if target == "cancelled":
                order.cancel_reason = order.cancel_reason or (reason_code or "")
                order.cancelled_by = order.cancelled_by or "system"
            if target == "arranged" and not order.tracking_number:
                order.tracking_number = self.new_tracking_number()
            if target == "returned":
                self.start_return(order)
            self.set_stage(order, target)
            return self.describe_order(order)

    def pay(self, code: str) -> dict:
        with self.lock:
            order = self.order(code)
            if order.stage != "unpaid":
                raise ValueError(f"order {code} is not unpaid ({self.status_of(order)})")
            self.set_stage(order, "to_ship")
            return self.describe_order(order)

    def buyer_cancel(self, code: str, reason: str = "Thay đổi ý định") -> dict:
        """Unpaid orders cancel at once; paid ones not yet shipped cancel at once too, except on
        platforms with a seller decision (``buyer_cancel_needs_seller``: Shopee IN_CANCEL)."""
        with self.lock:
            order = self.order(code)
            if order.stage not in BEFORE_SHIPPING or order.stage == "in_cancel":
                raise ValueError(f"order {code} can't be cancelled now ({self.status_of(order)})")
            order.cancel_reason = reason
            order.cancelled_by = "buyer"
            if order.stage != "unpaid" and self.buyer_cancel_needs_seller:
                order.previous_stage = order.stage
                self.set_stage(order, "in_cancel")
            else:
                self.set_stage(order, "cancelled")
            return self.describe_order(order)

    buyer_cancel_needs_seller = False

    def seller_cancel(self, order: Order, reason: str) -> None:
        order.cancel_reason = reason
        order.cancelled_by = "seller"
        self.set_stage(order, "cancelled")

    def request_return(self, code: str) -> dict:
        with self.lock:
            order = self.order(code)
            if order.stage not in ("delivered", "completed"):
                raise ValueError(f"order {code} was not delivered ({self.status_of(order)})")
            self.start_return(order)
            self.set_stage(order, "returned")
            return self.describe_order(order)

    def start_return(self, order: Order) -> None:
        order.return_id = order.return_id or self.new_return_id()
        order.return_time = self.clock.now()

    def new_return_id(self) -> str:
        return str(self.rng.randint(10**17, 10**18 - 1))

    def fail_next_delivery(self, code: str, reason_code: str | None = None) -> None:
        with self.lock:
            self.order(code).fail_next_delivery = True

    def mark_cod_transferred(self, code: str) -> None:
        """Control: release the order's payout now (normally ``settle_seconds`` after
        completion)."""
        with self.lock:
            order = self.order(code)
            if order.stage != "completed":
                raise ValueError(f"order {code} is not completed ({self.status_of(order)})")
            if order.settled_time is None:
                self.settle(order)

    def units(self, order: Order) -> list[list[str]]:
        """Lazada and TikTok list one order item per unit: the unit ids of each line."""
        units = order.extra.get("units")
        if units is None:
            units = [[self.new_line_id() for _ in range(line.quantity)] for line in order.lines]
            order.extra["units"] = units
        return units

    def unit_ids(self, order: Order) -> list[str]:
        return [uid for ids in self.units(order) for uid in ids]

    def arrange(self, order: Order, *, stage: str = "arranged") -> None:
        if not order.tracking_number:
            order.tracking_number = self.new_tracking_number()
        self.set_stage(order, stage)

    def pump(self, flush: bool = False) -> int:
        return self.webhooks.pump(flush=flush)

    # documents -------------------------------------------------------------

    def document_token(self, order_ids: list[str], ttl: float = 86400) -> str:
        token = "".join(self.rng.choice("0123456789abcdef") for _ in range(32))
        self.documents[token] = (list(order_ids), self.clock.timestamp() + ttl)
        return token

    def label_pdf(self, orders: list[Order]) -> bytes:
        return labels.render_pdf([self.label_dict(o) for o in orders], "A6")

    def label_dict(self, order: Order) -> dict:
        shop = self.shops.get(order.shop_id, {})
        return {
            "carrier": f"{self.platform_title} · {order.carrier}",
            "code": order.tracking_number or order.package_id,
            "reference": order.id,
            "sender_name": shop.get("name", ""),
            "sender_phone": shop.get("phone", ""),
            "sender_address": shop.get("address", ""),
            "receiver_name": order.address.get("name", ""),
            "receiver_phone": order.address.get("phone", ""),
            "receiver_address": full_address(order.address),
            "content": "; ".join(f"{ln.sku} x{ln.quantity}" for ln in order.lines),
            "weight": sum(
                (self.products[ln.product_id].weight_grams if ln.product_id in self.products else 0)
                * ln.quantity
                for ln in order.lines
            ),
            "cod": order.buyer_total if order.cod else 0,
        }

    platform_title = "Marketplace"

    # state ---------------------------------------------------------------

    def state(self) -> dict:
        with self.lock:
            return {
                "platform": self.platform,
                "now": self.clock.now().isoformat(),
                "shops": list(self.shops.values()),
                "login_shop_id": self.login_shop_id,
                "products": [
                    {
                        "id": p.id,
                        "shop_id": p.shop_id,
                        "name": p.name,
                        "status": p.status,
                        "variants": [
                            {"id": v.id, "sku": v.sku, "price": v.price, "stock": v.stock}
                            for v in p.variants
                        ],
                    }
                    for p in self.products.values()
                ],
                "orders": [
                    {
                        "id": o.id,
                        "shop_id": o.shop_id,
                        "status": self.status_of(o),
                        "stage": o.stage,
                        "cod": o.cod,
                        "buyer_total": o.buyer_total,
                        "settlement_amount": o.settlement_amount,
                        "settled": o.settled_time is not None,
                        "tracking_number": o.tracking_number,
                        "lines": [{"sku": ln.sku, "quantity": ln.quantity} for ln in o.lines],
                    }
                    for o in self.orders.values()
                ],
                "webhooks": self.webhooks.describe(),
                "rate_limit": self.limiter.describe(),
                "faults": self.faults.to_dict(),
            }

    def stock_of(self, sku: str, shop_id: str | None = None) -> int | None:
        """Convenience for tests and the demo: the available stock of a seller SKU."""
        with self.lock:
            found = self.find_variant(str(shop_id or self.default_shop_id()), sku)
            return found[1].stock if found else None
