"""Orders, order items and seller cancellation of the Lazada emulator."""

from __future__ import annotations

import json
from datetime import timedelta

from emulators.lazada.base import (
    CANCEL_REASONS,
    ORDER_FILTER_ALIASES,
    ORDER_STATUSES,
    LazadaError,
    endpoint,
    json_param,
    lz_time,
    money,
    parse_iso,
)
from emulators.marketplace import Order, allocate, as_int


class LazadaOrders:
    """Mixed into the emulator through its API class."""

    # GetOrders pages by offset up to 5,000 (E014 above); tests may lower it.
    max_order_offset = 5000

    # ------------------------------------------------------------------ orders

    def seller_order(self, seller_id: str, order_id) -> Order:
        order = self.orders.get(str(as_int(order_id) or order_id or ""))
        if order is None or order.shop_id != seller_id:
            raise LazadaError("E016", f"E016: Invalid Order ID {order_id}")
        return order

    def order_dict(self, order: Order) -> dict:
        address = order.address
        name = address.get("name", "")
        first, _, last = name.partition(" ")
        shipping = {
            "first_name": first,
            "last_name": last,
            "phone": address.get("phone", ""),
            "phone2": "",
            "address1": address.get("street", ""),
            "address2": "",
            "address3": address.get("province", ""),
            "address4": "",
            "address5": address.get("ward", ""),
            "city": address.get("province", ""),
            "post_code": "",
            "country": "Vietnam",
        }
        buyer_first, _, buyer_last = order.buyer.get("name", "").partition(" ")
        return {
            "order_id": int(order.id),
            "order_number": int(order.id),
            "created_at": lz_time(order.created),
            "updated_at": lz_time(order.updated),
            "statuses": [self.status_of(order)],
            "price": money(order.subtotal),
            "shipping_fee": float(order.shipping_fee),
            "shipping_fee_original": float(order.shipping_fee + order.shipping_fee_rebate),
            "shipping_fee_discount_seller": 0.0,
            "shipping_fee_discount_platform": float(order.shipping_fee_rebate),
            "voucher": float(order.seller_voucher + order.platform_voucher),
            "voucher_seller": float(order.seller_voucher),
            "voucher_platform": float(order.platform_voucher + order.platform_item_discount),
            "voucher_code": "",
            "payment_method": "COD" if order.cod else "MIXEDCARD",
            "items_count": order.quantity,
            "customer_first_name": buyer_first,
            "customer_last_name": buyer_last,
            "address_shipping": shipping,
            "address_billing": dict(shipping),
            "remarks": order.message,
            "delivery_info": "",
            "gift_option": False,
            "gift_message": "",
            "promised_shipping_times": lz_time(order.created + timedelta(days=2)),
            "extra_attributes": json.dumps({"TaxInvoiceRequested": False}),
            "warehouse_code": "dropshipping",
            "national_registration_number": "",
            "branch_number": "",
            "tax_code": "",
        }

    def item_rows(self, order: Order) -> list[dict]:
        units = self.units(order)
        weights = [line.price for line, ids in zip(order.lines, units, strict=True) for _ in ids]
        seller_v = allocate(order.seller_voucher, weights)
        platform_v = allocate(order.platform_voucher, weights)
        shipping = allocate(order.shipping_fee, [1] * len(weights))
        status = self.status_of(order)
        rows, i = [], 0
        for line, ids in zip(order.lines, units, strict=True):
            product = self.products.get(line.product_id)
            for uid in ids:
                platform_unit = platform_v[i] + line.platform_discount
                rows.append(
                    {
                        "order_item_id": int(uid),
                        "order_id": int(order.id),
                        "purchase_order_id": "",
                        "purchase_order_number": "",
                        "name": line.name,
                        "sku": line.sku,
                        "shop_sku": f"{line.product_id}_VNAMZ-{line.variant_id}",
                        "sku_id": int(line.variant_id),
                        "product_id": int(line.product_id),
                        "variation": ", ".join(
                            f"{n}:{v}"
                            for (n, _), v in zip(
                                product.tiers if product else [],
                                line.variant_name.split(","),
                                strict=False,
                            )
                        ),
                        "status": status,
                        "item_price": float(line.price),
                        "paid_price": float(line.price - seller_v[i] - platform_unit),
                        "currency": "VND",
                        "voucher_seller": float(seller_v[i]),
                        "voucher_platform": float(platform_unit),
                        "voucher_amount": float(seller_v[i] + platform_unit),
                        "voucher_code": "",
                        "shipping_amount": float(shipping[i]),
                        "shipping_fee_original": float(shipping[i]),
                        "shipping_type": "Dropshipping",
                        "shipment_provider": order.carrier if order.tracking_number else "",
                        "tracking_code": order.tracking_number,
                        "tracking_code_pre": "",
                        "package_id": order.package_id if order.tracking_number else "",
                        "is_digital": 0,
                        "is_fbl": 0,
                        "is_reroute": 0,
                        "reason": order.cancel_reason if order.stage == "cancelled" else "",
                        "reason_detail": "",
                        "cancel_return_initiator": f"{order.cancelled_by}-cancel"
                        if order.cancelled_by
                        else "",
                        "return_status": "returned" if order.stage == "returned" else "",
                        "buyer_id": as_int(order.buyer.get("user_id"), 0),
                        "warehouse_code": "dropshipping",
                        "order_type": "Normal",
                        "promised_shipping_time": lz_time(order.created + timedelta(days=2)),
                        "sla_time_stamp": lz_time(order.created + timedelta(days=2)),
                        "product_main_image": "",
                        "product_detail_url": f"https://www.lazada.vn/products/i{line.product_id}.html",
                        "created_at": lz_time(order.created),
                        "updated_at": lz_time(order.updated),
                        "invoice_number": "",
                    }
                )
                i += 1
        return rows

    @endpoint()
    def h_orders_get(self, request, p, seller_id):
        if not p.get("created_after") and not p.get("update_after"):
            raise LazadaError(
                "MissingParameter", 'One of "created_after" or "update_after" is mandatory'
            )
        bounds = {
            name: parse_iso(p[name], name)
            for name in ("created_after", "created_before", "update_after", "update_before")
            if p.get(name)
        }
        limit = as_int(p.get("limit"), 100)
        offset = as_int(p.get("offset"), 0)
        if limit is None or not 1 <= limit <= 100:
            raise LazadaError("E019", "E019: Invalid Limit (1..100)")
        if offset is None or not 0 <= offset <= self.max_order_offset:
            raise LazadaError("E014", f"E014: Invalid Offset (0..{self.max_order_offset})")
        status = p.get("status", "all")
        if status != "all" and status not in ORDER_STATUSES and status not in ORDER_FILTER_ALIASES:
            raise LazadaError("E036", f"E036: Invalid status filter {status}")
        wanted = ORDER_FILTER_ALIASES.get(status, {status})
        sort_by = p.get("sort_by", "created_at")
        if sort_by not in ("created_at", "updated_at"):
            raise LazadaError("InvalidParameter", "sort_by should be created_at or updated_at")
        descending = p.get("sort_direction", "DESC").upper() != "ASC"

        def keep(o: Order) -> bool:
            if o.shop_id != seller_id:
                return False
            if status != "all" and self.status_of(o) not in wanted:
                return False
            tests = [
                ("created_after", o.created, lambda v, b: v >= b),
                ("created_before", o.created, lambda v, b: v <= b),
                ("update_after", o.updated, lambda v, b: v >= b),
                ("update_before", o.updated, lambda v, b: v <= b),
            ]
            return all(name not in bounds or cmp(v, bounds[name]) for name, v, cmp in tests)

        matched = sorted(
            (o for o in self.orders.values() if keep(o)),
            key=lambda o: ((o.created if sort_by == "created_at" else o.updated), o.id),
            reverse=descending,
        )
        page = matched[offset : offset + limit]
        return self.ok(
            {
                "count": len(page),
                "countTotal": len(matched),
                "orders": [self.order_dict(o) for o in page],
            }
        )

    @endpoint()
    def h_order_get(self, request, p, seller_id):
        return self.ok(self.order_dict(self.seller_order(seller_id, p.get("order_id"))))

    @endpoint()
    def h_order_items(self, request, p, seller_id):
        return self.ok(self.item_rows(self.seller_order(seller_id, p.get("order_id"))))

    @endpoint()
    def h_orders_items(self, request, p, seller_id):
        ids = json_param(p, "order_ids")
        if not isinstance(ids, list) or not 1 <= len(ids) <= 50:
            raise LazadaError("InvalidParameter", "order_ids: 1 to 50 ids")
        orders = [self.seller_order(seller_id, i) for i in ids]
        return self.ok(
            [
                {
                    "order_id": int(o.id),
                    "order_number": int(o.id),
                    "order_items": self.item_rows(o),
                }
                for o in orders
            ]
        )

    def _cancel_target(self, p: dict, seller_id: str) -> Order:
        order = self.seller_order(seller_id, p.get("order_id"))
        items = [str(i) for i in json_param(p, "order_item_id_list")]
        if not items or not set(items) <= set(self.unit_ids(order)):
            raise LazadaError("InvalidParameter", "order_item_id_list does not match the order")
        if order.stage not in ("to_ship", "packed", "arranged"):
            raise LazadaError(
                "CancelNotAllowed",
                f"Order items in status {self.status_of(order)} can't be cancelled by the seller",
            )
        return order

    @endpoint()
    def h_cancel_validate(self, request, p, seller_id):
        self._cancel_target(p, seller_id)
        return self.ok({"reason_options": CANCEL_REASONS, "tip_content": "", "tip_type": ""})

    @endpoint()
    def h_cancel_create(self, request, p, seller_id):
        order = self._cancel_target(p, seller_id)
        reason = next(
            (r for r in CANCEL_REASONS if r["reason_id"] == as_int(p.get("reason_id"))), None
        )
        if reason is None:
            raise LazadaError("InvalidParameter", "reason_id is not one of the reason_options")
        order.return_id = order.return_id or self.new_return_id()
        self.seller_cancel(order, reason["reason_name"])
        return self.ok({"reverse_order_id": int(order.return_id)})
