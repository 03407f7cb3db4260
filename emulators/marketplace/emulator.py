"""``MarketplaceEmulator``: shops, simulated buyers, the order timeline and platform hooks."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from random import Random

from emulators.common import (
    Clock,
    Faults,
)
from emulators.marketplace.actions import MarketplaceActions
from emulators.marketplace.catalog import MarketplaceCatalog
from emulators.marketplace.infra import RateLimiter, RouterApp, timestamp_fresh
from emulators.marketplace.model import (
    BEFORE_SHIPPING,
    STAGES,
    ControlError,
    Order,
    OrderLine,
    Product,
    Variant,
    as_int,
    random_buyer,
)

# --------------------------------------------------------------------------- emulator


class MarketplaceEmulator(MarketplaceCatalog, MarketplaceActions):
    """Platform-neutral state and timeline; a platform subclass adds its API and words.

    A subclass sets ``platform`` and implements ``new_order_id``, ``new_product_id``,
    ``new_variant_id``, ``new_line_id``, ``new_package_id``, ``new_tracking_number``,
    ``status_of(order)``, ``parse_status(word) -> stage``, ``on_stage(order, old_stage)`` (pushes)
    and ``describe_order(order)``. Optionally ``next_stage(order)``.
    """

    platform = "marketplace"
    carrier_name = "Đối tác vận chuyển"

    def _init_common(
        self,
        *,
        clock: Clock | None,
        seed: int,
        step_seconds: float,
        pay_seconds: float,
        complete_seconds: float,
        settle_seconds: float,
        rate_limit: int | None,
        rate_period: float,
        rate_time: Callable[[], float] | None,
        accept_wall_time: bool,
        fees: dict | None,
    ) -> None:
        self.clock = clock or Clock()
        self.faults = Faults(seed)
        self.rng = Random(seed)
        self.lock = threading.RLock()
        self.step_seconds = step_seconds
        self.pay_seconds = pay_seconds
        self.complete_seconds = complete_seconds
        self.settle_seconds = settle_seconds
        self.accept_wall_time = accept_wall_time
        self.limiter = RateLimiter(rate_limit, rate_period, rate_time or time.monotonic)
        self.daily_limit: int | None = None
        self.daily_calls: dict[tuple[str, str], int] = {}
        self.fees = {"commission_rate": 0.04, "service_rate": 0.03, "transaction_rate": 0.02}
        self.fees.update(fees or {})
        self.products: dict[str, Product] = {}
        self._by_sku: dict[tuple[str, str], tuple[Product, Variant]] = {}
        self._by_variant_id: dict[str, tuple[Product, Variant]] = {}
        self.packages: dict[str, str] = {}  # package id -> order id
        self.orders: dict[str, Order] = {}
        self.shops: dict[str, dict] = {}
        self.login_shop_id: str | None = None
        self.documents: dict[str, tuple[list[str], float]] = {}  # token -> (order ids, expiry)
        self._seq = itertools.count(1)
        self.app = RouterApp(self.faults)
        self.wsgi_app = self.app

    # ------------------------------------------------------------------ time

    def now(self) -> datetime:
        return self.clock.now()

    def ts(self, when: datetime | None = None) -> int:
        return int((when or self.clock.now()).timestamp())

    def fresh(self, ts: float, past: float, future: float) -> bool:
        return timestamp_fresh(
            ts, self.clock.timestamp(), past=past, future=future, wall=self.accept_wall_time
        )

    def count_daily(self, key: str) -> bool:
        """Daily quota per app (``daily_limit``; off by default). False when exhausted."""
        if not self.daily_limit:
            return True
        day = self.clock.now().strftime("%Y-%m-%d")
        n = self.daily_calls.get((key, day), 0)
        if n >= self.daily_limit:
            return False
        self.daily_calls[(key, day)] = n + 1
        return True

    # ------------------------------------------------------------------ orders

    def create_order(
        self,
        *,
        lines: list[dict],
        shop_id: str | None = None,
        payment: str = "cod",
        seller_voucher: int = 0,
        platform_voucher: int = 0,
        shipping_fee: int = 30000,
        shipping_fee_rebate: int = 0,
        commission_fee: int | None = None,
        service_fee: int | None = None,
        transaction_fee: int | None = None,
        buyer: dict | None = None,
        address: dict | None = None,
        message: str = "",
        paid: bool | None = None,
    ) -> Order:
        """A simulated buyer checks out. ``lines``: ``[{sku, quantity, price?, platform_discount?}]``
        (``price`` below the listed price is a seller discount on that line). COD orders skip
        ``unpaid``; prepaid ones wait ``pay_seconds`` (or ``pay``) unless ``paid=True``."""
        with self.lock:
            shop_id = str(shop_id or self.default_shop_id())
            if shop_id not in self.shops:
                raise ControlError(f"unknown shop {shop_id}")
            if not lines:
                raise ControlError("an order needs lines")
            wanted: list[tuple[Product, Variant, dict, int]] = []
            for line in lines:
                sku = str(line.get("sku") or "")
                found = self.find_variant(shop_id, sku)
                if found is None:
                    raise ControlError(f"unknown SKU {sku!r} in shop {shop_id}")
                qty = as_int(line.get("quantity"), 1) or 0
                if qty < 1:
                    raise ControlError(f"quantity of {sku} must be ≥ 1")
                product, variant = found
                if product.status != "active" or variant.status != "active":
                    raise ControlError(f"{sku} is not for sale ({product.status})")
                already = sum(q for _, v, _, q in wanted if v is variant)
                if variant.stock < qty + already:
                    raise ControlError(f"{sku}: only {variant.stock} in stock")
                wanted.append((product, variant, line, qty))
            now = self.clock.now()
            default_buyer, default_address = random_buyer(self.rng)
            buyer = {**default_buyer, **(buyer or {})}
            address = {**default_address, **(address or {})}
            if buyer.get("name") and not (address or {}).get("name"):
                address["name"] = buyer["name"]
            cod = str(payment).lower() == "cod"
            order_lines = []
            for product, variant, line, qty in wanted:
                variant.stock -= qty
                variant.reserved += qty
                self.touch(product)
                price = as_int(line.get("price"), variant.price)
                original = max(variant.original_price, price)
                order_lines.append(
                    OrderLine(
                        id="",
                        product_id=product.id,
                        variant_id=variant.id,
                        sku=variant.sku,
                        name=product.name,
                        variant_name=",".join(variant.options),
                        quantity=qty,
                        original_price=original,
                        price=price,
                        platform_discount=as_int(line.get("platform_discount"), 0) or 0,
                    )
                )
            base = sum(ln.price * ln.quantity for ln in order_lines) - int(seller_voucher)
            order = Order(
                id=self.new_order_id(),
                shop_id=shop_id,
                lines=order_lines,
                buyer=buyer,
                address=address,
                cod=cod,
                payment_method="COD" if cod else "ONLINE",
                seller_voucher=int(seller_voucher),
                platform_voucher=int(platform_voucher),
                shipping_fee=int(shipping_fee),
                shipping_fee_rebate=int(shipping_fee_rebate),
                commission_fee=self._fee(commission_fee, base, "commission_rate"),
                service_fee=self._fee(service_fee, base, "service_rate"),
                transaction_fee=self._fee(
                    transaction_fee, base + int(shipping_fee), "transaction_rate"
                ),
                created=now,
                message=message,
            )
            for line in order.lines:
                line.id = self.new_line_id()
            order.package_id = self.new_package_id()
            order.carrier = self.carrier_name
            self.orders[order.id] = order
            self.packages[order.package_id] = order.id
            order.stage = ""
            start = "to_ship" if (cod or paid) else "unpaid"
            if start == "to_ship":
                order.paid_time = now if not cod else None
            self.set_stage(order, start, now)
            return order

    def simulate_buyer(self) -> Order | None:
        """A random buyer orders one or two units of a random SKU in stock (None: nothing left)."""
        with self.lock:
            choices = [
                (p, v)
                for p in self.products.values()
                if p.status == "active" and p.shop_id in self.shops
                for v in p.variants
                if v.status == "active" and v.stock > 0 and v.sku
            ]
            if not choices:
                return None
            product, variant = self.rng.choice(choices)
            return self.create_order(
                shop_id=product.shop_id,
                lines=[
                    {"sku": variant.sku, "quantity": min(variant.stock, self.rng.randint(1, 2))}
                ],
                payment=self.rng.choice(["cod", "cod", "prepaid"]),
                seller_voucher=self.rng.choice([0, 0, 10000]),
                platform_voucher=self.rng.choice([0, 15000]),
            )

    def _fee(self, explicit: int | None, base: int, rate_key: str) -> int:
        if explicit is not None:
            return int(explicit)
        return max(0, round(base * float(self.fees.get(rate_key, 0))))

    def order_by_package(self, package_id: str, shop_id: str) -> Order | None:
        order = self.orders.get(self.packages.get(str(package_id), ""))
        if order is None or order.package_id != str(package_id) or order.shop_id != shop_id:
            return None
        return order

    def order(self, code: str) -> Order:
        try:
            return self.orders[str(code)]
        except KeyError:
            raise KeyError(f"unknown order {code!r}") from None

    def set_stage(self, order: Order, stage: str, when: datetime | None = None) -> None:
        if stage not in STAGES:
            raise ControlError(f"unknown stage {stage!r}")
        when = when or self.clock.now()
        old = order.stage
        if stage == old:
            return
        order.stage = stage
        order.stage_time = when
        order.updated = when
        order.history.append((stage, when))
        if stage == "to_ship" and not order.cod and order.paid_time is None:
            order.paid_time = when
        if stage == "shipped":
            order.shipped_time = when
            self._release_reserved(order)
        if stage == "delivered":
            order.delivered_time = when
        if stage == "cancelled" and old in BEFORE_SHIPPING:
            self._restock(order)
        self.on_stage(order, old)

    def _release_reserved(self, order: Order) -> None:
        for line in order.lines:
            found = self.variant_by_id(line.variant_id)
            if found:
                found[1].reserved = max(0, found[1].reserved - line.quantity)

    def _restock(self, order: Order) -> None:
        for line in order.lines:
            found = self.variant_by_id(line.variant_id)
            if found:
                product, variant = found
                variant.stock += line.quantity
                variant.reserved = max(0, variant.reserved - line.quantity)
                self.touch(product)

    # the timeline ---------------------------------------------------------

    def next_stage(self, order: Order) -> str | None:
        """The next automatic stage (None: waits for someone)."""
        return {
            "unpaid": "to_ship",
            "arranged": "shipped",
            "shipped": "failed_delivery" if order.fail_next_delivery else "delivered",
            "delivered": "completed",
            "failed_delivery": "cancelled",
        }.get(order.stage)

    def wait_for(self, order: Order) -> float:
        return {
            "unpaid": self.pay_seconds,
            "delivered": self.complete_seconds,
        }.get(order.stage, self.step_seconds)

    def tick(self, seconds: float) -> int:
        """Advance the clock; move orders along (buyers pay, carriers pick up and deliver, buyers
        confirm), settle completed orders after ``settle_seconds``. Returns steps made."""
        with self.lock:
            target = self.clock.advance(seconds)
            moved = 0
            for order in sorted(self.orders.values(), key=lambda o: o.created):
                while (nxt := self.next_stage(order)) is not None:
                    due = order.stage_time + timedelta(seconds=self.wait_for(order))
                    if due > target:
                        break
                    if order.stage == "shipped":
                        order.fail_next_delivery = False
                    self.set_stage(order, nxt, due)
                    moved += 1
                moved += self.tick_extra(order, target)
            return moved

    def tick_extra(self, order: Order, target: datetime) -> int:
        """Settlements (and a platform's own side timelines)."""
        if (
            order.stage == "completed"
            and order.settled_time is None
            and order.stage_time + timedelta(seconds=self.settle_seconds) <= target
        ):
            self.settle(order, order.stage_time + timedelta(seconds=self.settle_seconds))
            return 1
        return 0

    def settle(self, order: Order, when: datetime | None = None) -> None:
        order.settled_time = when or self.clock.now()
        self.on_settled(order)

    def on_settled(self, order: Order) -> None:
        pass

    # hooks a platform implements --------------------------------------------

    def new_order_id(self) -> str:
        raise NotImplementedError

    def new_product_id(self) -> str:
        raise NotImplementedError

    def new_variant_id(self) -> str:
        raise NotImplementedError

    def new_line_id(self) -> str:
        return str(next(self._seq))

    def new_package_id(self) -> str:
        raise NotImplementedError

    def new_tracking_number(self) -> str:
        raise NotImplementedError

    def status_of(self, order: Order) -> str:
        raise NotImplementedError

    def parse_status(self, word: str) -> str:
        raise NotImplementedError

    def on_stage(self, order: Order, old_stage: str) -> None:
        pass

    def describe_order(self, order: Order) -> dict:
        return {"id": order.id, "status": self.status_of(order), "stage": order.stage}
