"""Packages, documents, tracking, webhook settings and finance of the TikTok Shop emulator."""

from __future__ import annotations

from datetime import timedelta

from werkzeug.wrappers import Request, Response

from emulators.marketplace import (
    Order,
    allocate,
    as_int,
)
from emulators.tiktok_shop.base import (
    DOCUMENT_TYPES,
    EVENT_TYPES,
    bad,
    conflict,
    endpoint,
    money,
    not_found,
)


class TiktokFulfilment:
    """Mixed into the emulator through its API class."""

    # ------------------------------------------------------------------ fulfilment

    def shop_package(self, shop: dict, package_id: str) -> Order:
        order = self.order_by_package(package_id, shop["shop_id"])
        if order is None:
            raise not_found(f"Package {package_id} not found")
        return order

    def package_status(self, order: Order) -> str:
        if order.stage == "cancelled":
            return "CANCELLED"
        if order.stage in ("delivered", "completed", "returned"):
            return "COMPLETED"
        if order.stage in ("arranged", "shipped", "failed_delivery"):
            return "FULFILLING"
        return "PROCESSING"

    def slots(self) -> list[dict]:
        day = self.clock.now().replace(hour=0, minute=0, second=0, microsecond=0)
        out = []
        for n in range(1, 4):
            start = day + timedelta(days=n, hours=8)
            out.append(
                {
                    "start_time": self.ts(start),
                    "end_time": self.ts(start + timedelta(hours=4)),
                    "avaliable": True,
                }
            )
        return out

    @endpoint()
    def h_slots(self, request, body, shop, version, package_id):
        order = self.shop_package(shop, package_id)
        if self.status_of(order) != "AWAITING_SHIPMENT":
            raise conflict(f"Package order is {self.status_of(order)}")
        return self.ok(
            {
                "can_pickup": True,
                "can_drop_off": True,
                "pickup_slots": self.slots(),
                "drop_off_point_url": "",
            }
        )

    @endpoint()
    def h_ship(self, request, body, shop, version, package_id):
        order = self.shop_package(shop, package_id)
        if self.status_of(order) != "AWAITING_SHIPMENT":
            raise conflict(f"Order is {self.status_of(order)}: the package can't be shipped now")
        self_shipment = body.get("self_shipment")
        method = str(body.get("handover_method") or "").upper()
        if self_shipment:
            if not self_shipment.get("tracking_number") or not self_shipment.get(
                "shipping_provider_id"
            ):
                raise bad("self_shipment needs tracking_number and shipping_provider_id")
            order.tracking_number = str(self_shipment["tracking_number"])
        elif method == "PICKUP":
            slot = body.get("pickup_slot") or {}
            valid = {(s["start_time"], s["end_time"]) for s in self.slots()}
            if (as_int(slot.get("start_time")), as_int(slot.get("end_time"))) not in valid:
                raise bad("pickup_slot is not one of the handover time slots")
        elif method != "DROP_OFF":
            raise bad("handover_method should be PICKUP or DROP_OFF (or self_shipment)")
        order.extra["handover_method"] = method or "SELF_SHIPMENT"
        self.arrange(order)
        return self.ok({})

    @endpoint()
    def h_document(self, request, body, shop, version, package_id):
        order = self.shop_package(shop, package_id)
        kind = request.args.get("document_type", "")
        if kind not in DOCUMENT_TYPES:
            raise bad(f"document_type should be one of {sorted(DOCUMENT_TYPES)}")
        if not order.tracking_number or order.stage in ("unpaid", "to_ship", "cancelled"):
            raise conflict("The package has not been shipped yet")
        token = self.document_token([order.id], ttl=86400)
        return self.ok(
            {
                "doc_url": f"{request.host_url}documents/{token}.pdf",
                "tracking_number": order.tracking_number,
            }
        )

    def h_document_file(self, request: Request, token: str) -> Response:
        with self.lock:
            entry = self.documents.get(token)
            if entry is None or entry[1] < self.clock.timestamp():
                return Response("document expired or unknown", 404, content_type="text/plain")
            orders = [self.orders[i] for i in entry[0] if i in self.orders]
            return Response(self.label_pdf(orders), 200, content_type="application/pdf")

    @endpoint()
    def h_package(self, request, body, shop, version, package_id):
        order = self.shop_package(shop, package_id)
        units = self.units(order)
        return self.ok(
            {
                "package_id": order.package_id,
                "package_status": self.package_status(order),
                "tracking_number": order.tracking_number,
                "shipping_provider_id": "7129736293356480315" if order.tracking_number else "",
                "shipping_provider_name": order.carrier if order.tracking_number else "",
                "handover_method": order.extra.get("handover_method", ""),
                "orders": [
                    {
                        "id": order.id,
                        "skus": [
                            {
                                "id": line.variant_id,
                                "name": line.name,
                                "quantity": len(ids),
                                "image_url": "",
                            }
                            for line, ids in zip(order.lines, units, strict=True)
                        ],
                    }
                ],
                "create_time": self.ts(order.created),
                "update_time": self.ts(order.updated),
            }
        )

    @endpoint()
    def h_tracking(self, request, body, shop, version, order_id):
        order = self.shop_order(shop, order_id)
        words = {
            "arranged": "Người bán đã bàn giao đơn cho đơn vị vận chuyển",
            "shipped": "Đơn hàng đang được vận chuyển",
            "delivered": "Giao hàng thành công",
            "failed_delivery": "Giao hàng không thành công",
        }
        events = [
            {"description": words[s], "update_time_millis": int(when.timestamp() * 1000)}
            for s, when in order.history
            if s in words
        ]
        return self.ok({"tracking": list(reversed(events))})

    # ------------------------------------------------------------------ webhooks

    @endpoint()
    def h_webhooks(self, request, body, shop, version):
        names = {v: k for k, v in EVENT_TYPES.items()}
        if request.method == "GET":
            hooks = [
                {
                    "event_type": names[t],
                    "address": self.push_url,
                    "create_time": 0,
                    "update_time": 0,
                }
                for t in sorted(self.push_events)
                if self.push_url
            ]
            return self.ok({"webhooks": hooks, "total_count": len(hooks)})
        event = str(body.get("event_type") or "")
        if event not in EVENT_TYPES:
            raise bad(f"Unknown event_type {event}")
        if request.method == "DELETE":
            self.push_events.discard(EVENT_TYPES[event])
            return self.ok({})
        address = str(body.get("address") or "")
        if not address.startswith(("http://", "https://")):
            raise bad("address must be an http(s) URL")
        self.set_push_url(address)
        self.push_events.add(EVENT_TYPES[event])
        return self.ok({})

    # ------------------------------------------------------------------ finance

    @endpoint()
    def h_statement(self, request, body, shop, version, order_id):
        order = self.shop_order(shop, order_id)
        if order.settled_time is None:
            return self.ok(
                {
                    "order_id": order.id,
                    "order_create_time": self.ts(order.created),
                    "currency": "VND",
                    "revenue_amount": "0",
                    "fee_and_tax_amount": "0",
                    "shipping_cost_amount": "0",
                    "settlement_amount": "0",
                    "sku_transactions": [],
                    "total_count": 0,
                }
            )
        weights = [line.price * line.quantity for line in order.lines]
        revenue = order.subtotal - order.seller_voucher
        parts = {
            "revenue": allocate(revenue, weights),
            "fees": allocate(order.fees, weights),
        }
        statement_id = "7" + order.id[-17:]
        rows = []
        for i, line in enumerate(order.lines):
            rows.append(
                {
                    "sku_id": line.variant_id,
                    "sku_name": line.variant_name,
                    "product_name": line.name,
                    "quantity": str(line.quantity),
                    "statement_id": statement_id,
                    "revenue_amount": money(parts["revenue"][i]),
                    "fee_tax_amount": money(-parts["fees"][i]),
                    "shipping_cost_amount": "0",
                    "settlement_amount": money(parts["revenue"][i] - parts["fees"][i]),
                }
            )
        return self.ok(
            {
                "order_id": order.id,
                "order_create_time": self.ts(order.created),
                "currency": "VND",
                "revenue_amount": money(revenue),
                "fee_and_tax_amount": money(-order.fees),
                "shipping_cost_amount": "0",
                "settlement_amount": money(order.settlement_amount),
                "sku_transactions": rows,
                "total_count": len(rows),
            }
        )
