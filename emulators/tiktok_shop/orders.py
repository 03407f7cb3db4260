"""Orders, cancellations and returns of the TikTok Shop emulator."""

from __future__ import annotations

from datetime import timedelta

from emulators.marketplace import (
    Order,
    allocate,
    as_int,
    list_param,
)
from emulators.tiktok_shop.base import (
    bad,
    conflict,
    decode_token,
    encode_token,
    endpoint,
    money,
    not_found,
)


class TiktokOrders:
    """Mixed into the emulator through its API class."""

    # ------------------------------------------------------------------ orders

    def shop_order(self, shop: dict, order_id: str) -> Order:
        order = self.orders.get(str(order_id))
        if order is None or order.shop_id != shop["shop_id"]:
            raise not_found(f"Order {order_id} not found")
        return order

    def order_dict(self, order: Order) -> dict:
        status = self.status_of(order)
        hidden = status in ("UNPAID", "ON_HOLD")
        a = order.address
        address = {
            "name": "" if hidden else a.get("name", ""),
            "phone_number": "" if hidden else a.get("phone", ""),
            "full_address": ""
            if hidden
            else ", ".join(
                x for x in (a.get("street"), a.get("ward"), a.get("province"), "Vietnam") if x
            ),
            "address_line1": "" if hidden else a.get("street", ""),
            "address_line2": "",
            "address_line3": "",
            "address_line4": "",
            "address_detail": "" if hidden else a.get("street", ""),
            "postal_code": "",
            "region_code": "VN",
            "district_info": []
            if hidden
            else [
                {"address_level_name": "Country", "address_name": "Vietnam", "address_level": "L0"},
                {
                    "address_level_name": "Province",
                    "address_name": a.get("province", ""),
                    "address_level": "L1",
                },
                {
                    "address_level_name": "Ward",
                    "address_name": a.get("ward", ""),
                    "address_level": "L2",
                },
            ],
        }
        units = self.units(order)
        seller_voucher = self._split(order.seller_voucher, order, units)
        platform_voucher = self._split(order.platform_voucher, order, units)
        line_items, i = [], 0
        package_status = self.package_status(order)
        for line, ids in zip(order.lines, units, strict=True):
            for uid in ids:
                seller_discount = line.seller_discount + seller_voucher[i]
                platform_discount = line.platform_discount + platform_voucher[i]
                line_items.append(
                    {
                        "id": uid,
                        "sku_id": line.variant_id,
                        "product_id": line.product_id,
                        "seller_sku": line.sku,
                        "product_name": line.name,
                        "sku_name": line.variant_name,
                        "sku_image": "",
                        "original_price": money(line.original_price),
                        "sale_price": money(
                            line.original_price - seller_discount - platform_discount
                        ),
                        "seller_discount": money(seller_discount),
                        "platform_discount": money(platform_discount),
                        "currency": "VND",
                        "display_status": status,
                        "package_id": order.package_id,
                        "package_status": package_status,
                        "tracking_number": order.tracking_number,
                        "shipping_provider_id": "7129736293356480315"
                        if order.tracking_number
                        else "",
                        "shipping_provider_name": order.carrier if order.tracking_number else "",
                        "is_gift": False,
                        "rts_time": self.ts(order.history_time("arranged"))
                        if order.history_time("arranged")
                        else 0,
                        "cancel_reason": order.cancel_reason if status == "CANCELLED" else "",
                        "cancel_user": order.cancelled_by.upper() if status == "CANCELLED" else "",
                    }
                )
                i += 1
        subtotal = order.original_subtotal - order.seller_discount - order.seller_voucher
        subtotal -= order.platform_item_discount + order.platform_voucher
        return {
            "id": order.id,
            "status": status,
            "create_time": self.ts(order.created),
            "update_time": self.ts(order.updated),
            "paid_time": self.ts(order.paid_time) if order.paid_time else 0,
            "rts_sla_time": self.ts(order.created + timedelta(days=2)),
            "tts_sla_time": self.ts(order.created + timedelta(days=5)),
            "user_id": order.buyer.get("user_id", ""),
            "buyer_email": "",
            "buyer_message": order.message,
            "is_cod": order.cod,
            "payment_method_name": "Thanh toán khi nhận hàng" if order.cod else "Ví điện tử",
            "payment": {
                "currency": "VND",
                "sub_total": money(subtotal),
                "shipping_fee": money(order.shipping_fee),
                "seller_discount": money(order.seller_discount + order.seller_voucher),
                "platform_discount": money(order.platform_item_discount + order.platform_voucher),
                "total_amount": money(order.buyer_total),
                "original_total_product_price": money(order.original_subtotal),
                "original_shipping_fee": money(order.shipping_fee + order.shipping_fee_rebate),
                "shipping_fee_seller_discount": "0",
                "shipping_fee_platform_discount": money(order.shipping_fee_rebate),
                "tax": "0",
            },
            "recipient_address": address,
            "delivery_option_id": "7091146663229638401",
            "delivery_option_name": "Standard shipping",
            "delivery_type": "HOME_DELIVERY",
            "fulfillment_type": "FULFILLMENT_BY_SELLER",
            "shipping_type": "TIKTOK",
            "shipping_provider": order.carrier if order.tracking_number else "",
            "shipping_provider_id": "7129736293356480315" if order.tracking_number else "",
            "tracking_number": order.tracking_number,
            "warehouse_id": self.shops[order.shop_id]["warehouse_id"],
            "packages": [{"id": order.package_id}],
            "line_items": line_items,
            "cancel_reason": order.cancel_reason if status == "CANCELLED" else "",
            "cancellation_initiator": order.cancelled_by.upper() if status == "CANCELLED" else "",
            "is_on_hold_order": status == "ON_HOLD",
            "is_sample_order": False,
            "has_updated_recipient_address": False,
        }

    @staticmethod
    def _split(total: int, order: Order, units) -> list[int]:
        weights = [line.price for line, ids in zip(order.lines, units, strict=True) for _ in ids]
        return allocate(total, weights)

    @endpoint()
    def h_order_search(self, request, body, shop, version):
        args = request.args
        page_size = as_int(args.get("page_size"))
        if page_size is None or not 1 <= page_size <= 100:
            raise bad("page_size should be between 1 and 100")
        field = args.get("sort_field", "create_time")
        if field not in ("create_time", "update_time"):
            raise bad("sort_field should be create_time or update_time")
        descending = args.get("sort_order", "DESC").upper() != "ASC"
        wanted = body.get("order_status")
        bounds = {
            k: as_int(body.get(k))
            for k in ("create_time_ge", "create_time_lt", "update_time_ge", "update_time_lt")
        }

        def when(o: Order) -> int:
            return self.ts(o.created if field == "create_time" else o.updated)

        def keep(o: Order) -> bool:
            if o.shop_id != shop["shop_id"]:
                return False
            if wanted and self.status_of(o) != wanted:
                return False
            c, u = self.ts(o.created), self.ts(o.updated)
            return (
                (bounds["create_time_ge"] is None or c >= bounds["create_time_ge"])
                and (bounds["create_time_lt"] is None or c < bounds["create_time_lt"])
                and (bounds["update_time_ge"] is None or u >= bounds["update_time_ge"])
                and (bounds["update_time_lt"] is None or u < bounds["update_time_lt"])
            )

        matched = sorted(
            ((when(o), o.id, o) for o in self.orders.values() if keep(o)),
            key=lambda r: (r[0], r[1]),
            reverse=descending,
        )
        token = args.get("page_token")
        rest = matched
        if token:
            after = decode_token(token)
            if descending:
                rest = [r for r in matched if (r[0], r[1]) < (after[0], after[1])]
            else:
                rest = [r for r in matched if (r[0], r[1]) > (after[0], after[1])]
        page = rest[:page_size]
        more = len(rest) > page_size
        return self.ok(
            {
                "total_count": len(matched),
                "next_page_token": encode_token((page[-1][0], page[-1][1])) if more else "",
                "orders": [self.order_dict(o) for _, _, o in page],
            }
        )

    @endpoint()
    def h_order_detail(self, request, body, shop, version):
        ids = list_param(request.args.getlist("ids"))
        if not ids or len(ids) > 50:
            raise bad("ids: 1 to 50 order ids")
        return self.ok({"orders": [self.order_dict(self.shop_order(shop, i)) for i in ids]})

    @endpoint()
    def h_cancel(self, request, body, shop, version):
        order = self.shop_order(shop, body.get("order_id", ""))
        if not body.get("cancel_reason"):
            raise bad("cancel_reason is required")
        if self.status_of(order) not in ("UNPAID", "ON_HOLD", "AWAITING_SHIPMENT"):
            raise conflict(f"Order is {self.status_of(order)}: the seller can't cancel it")
        order.return_id = order.return_id or self.new_return_id()
        self.seller_cancel(order, str(body["cancel_reason"]))
        return self.ok(
            {"cancel_id": order.return_id, "cancel_status": "CANCELLATION_REQUEST_COMPLETE"}
        )

    def return_dict(self, order: Order) -> dict:
        units = self.units(order)
        items = []
        for line, ids in zip(order.lines, units, strict=True):
            for uid in ids:
                items.append(
                    {
                        "return_line_item_id": "R" + uid,
                        "order_line_item_id": uid,
                        "sku_id": line.variant_id,
                        "seller_sku": line.sku,
                        "product_name": line.name,
                        "sku_name": line.variant_name,
                        "refund_amount": {"currency": "VND", "refund_total": money(line.price)},
                    }
                )
        return {
            "return_id": order.return_id,
            "order_id": order.id,
            "return_type": "RETURN_AND_REFUND",
            "return_status": order.return_status,
            "role": "BUYER",
            "return_reason": "Hàng không đúng mô tả",
            "create_time": self.ts(order.return_time),
            "update_time": order.extra.get("return_updated", self.ts(order.return_time)),
            "return_line_items": items,
        }

    @endpoint()
    def h_returns(self, request, body, shop, version):
        page_size = as_int(request.args.get("page_size"), 50) or 50
        if not 1 <= page_size <= 100:
            raise bad("page_size should be between 1 and 100")
        ids = set(map(str, body.get("order_ids") or []))
        returns = set(map(str, body.get("return_ids") or []))
        ge, lt = as_int(body.get("update_time_ge")), as_int(body.get("update_time_lt"))
        rows = [
            self.return_dict(o)
            for o in sorted(self.orders.values(), key=lambda o: o.id)
            if o.shop_id == shop["shop_id"]
            and o.return_status
            and (not ids or o.id in ids)
            and (not returns or o.return_id in returns)
        ]
        rows = [
            r
            for r in rows
            if (ge is None or r["update_time"] >= ge) and (lt is None or r["update_time"] < lt)
        ]
        token = request.args.get("page_token")
        if token:
            (after,) = decode_token(token)
            rows_after = [r for r in rows if r["return_id"] > after]
        else:
            rows_after = rows
        page = rows_after[:page_size]
        more = len(rows_after) > page_size
        return self.ok(
            {
                "return_orders": page,
                "next_page_token": encode_token((page[-1]["return_id"],)) if more else "",
                "total_count": len(rows),
            }
        )
