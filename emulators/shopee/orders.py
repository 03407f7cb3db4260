"""Orders and buyer cancellations of the Shopee emulator."""

from __future__ import annotations

from emulators.marketplace import (
    Order,
    as_int,
    full_address,
    list_param,
)
from emulators.shopee.base import (
    CANCEL_REASONS,
    CHANNEL,
    MAX_WINDOW,
    ShopeeError,
    endpoint,
    need,
    need_int,
)


class ShopeeOrders:
    """Mixed into the emulator through its API class."""

    # ------------------------------------------------------------------ orders

    def shop_order(self, shop_id: str, order_sn) -> Order:
        order = self.orders.get(str(order_sn or ""))
        if order is None or order.shop_id != shop_id:
            raise ShopeeError("error_param", f"order_sn {order_sn} not found.")
        return order

    @endpoint()
    def h_order_list(self, request, data, shop_id):
        args = request.args
        field = args.get("time_range_field", "")
        if field not in ("create_time", "update_time"):
            raise ShopeeError(
                "error_param", "time_range_field should be create_time or update_time."
            )
        start = need_int(args, "time_from")
        end = need_int(args, "time_to")
        if end < start or end - start > MAX_WINDOW:
            raise ShopeeError(
                "order.order_list_invalid_time",
                "The time range should not exceed 15 days.",
            )
        page_size = need_int(args, "page_size", minimum=1, maximum=100)
        wanted = args.get("order_status", "")
        after = args.get("cursor", "")
        key_after = None
        if after:
            t, _, sn = after.partition(":")
            if as_int(t) is None or not sn:
                raise ShopeeError("error_param", "Invalid cursor.")
            key_after = (int(t), sn)

        def when(o: Order) -> int:
            return self.ts(o.created if field == "create_time" else o.updated)

        rows = sorted(
            (
                (when(o), o.id, o)
                for o in self.orders.values()
                if o.shop_id == shop_id
                and start <= when(o) <= end
                and (not wanted or self.status_of(o) == wanted)
            ),
            key=lambda r: (r[0], r[1]),
        )
        if key_after is not None:
            rows = [r for r in rows if (r[0], r[1]) > key_after]
        page, more = rows[:page_size], len(rows) > page_size
        with_status = "order_status" in list_param(args.getlist("response_optional_fields"))
        orders = []
        for _t, sn, o in page:
            row = {"order_sn": sn}
            if with_status:
                row["order_status"] = self.status_of(o)
            orders.append(row)
        return self.ok(
            {
                "more": more,
                "next_cursor": f"{page[-1][0]}:{page[-1][1]}" if more else "",
                "order_list": orders,
            }
        )

    def order_detail(self, order: Order, fields: set[str]) -> dict:
        created = self.ts(order.created)
        detail = {
            "order_sn": order.id,
            "region": "VN",
            "currency": "VND",
            "cod": order.cod,
            "order_status": self.status_of(order),
            "create_time": created,
            "update_time": self.ts(order.updated),
            "days_to_ship": 2,
            "ship_by_date": created + 2 * 86400,
            "message_to_seller": order.message,
            "booking_sn": "",
        }
        optional = {
            "buyer_user_id": lambda: as_int(order.buyer.get("user_id"), 0),
            "buyer_username": lambda: order.buyer.get("username", ""),
            "estimated_shipping_fee": lambda: order.shipping_fee,
            "actual_shipping_fee": lambda: order.shipping_fee if order.shipped_time else 0,
            "actual_shipping_fee_confirmed": lambda: order.shipped_time is not None,
            "recipient_address": lambda: {
                "name": order.address.get("name", ""),
                "phone": order.address.get("phone", ""),
                "town": order.address.get("ward", ""),
                "district": "",
                "city": "",
                "state": order.address.get("province", ""),
                "region": "VN",
                "zipcode": "",
                "full_address": full_address(order.address),
            },
            "note": lambda: "",
            "note_update_time": lambda: 0,
            "item_list": lambda: [
                {
                    "item_id": int(line.product_id),
                    "item_name": line.name,
                    "item_sku": self.products[line.product_id].sku
                    if line.product_id in self.products and self.products[line.product_id].has_model
                    else line.sku,
                    "model_id": int(line.variant_id)
                    if self.products.get(line.product_id)
                    and self.products[line.product_id].has_model
                    else 0,
                    "model_name": line.variant_name,
                    "model_sku": line.sku,
                    "model_quantity_purchased": line.quantity,
                    "model_original_price": line.original_price,
                    "model_discounted_price": line.price,
                    "wholesale": False,
                    "weight": 0.5,
                    "add_on_deal": False,
                    "main_item": False,
                    "add_on_deal_id": 0,
                    "promotion_type": "",
                    "promotion_id": 0,
                    "order_item_id": int(line.id),
                    "promotion_group_id": 0,
                    "image_info": {"image_url": ""},
                    "is_prescription_item": False,
                    "is_b2c_owned_item": False,
                }
                for line in order.lines
            ],
            "pay_time": lambda: self.ts(order.paid_time) if order.paid_time else 0,
            "dropshipper": lambda: "",
            "dropshipper_phone": lambda: "",
            "split_up": lambda: False,
            "buyer_cancel_reason": lambda: (
                order.cancel_reason if order.cancelled_by == "buyer" else ""
            ),
            "cancel_by": lambda: order.cancelled_by,
            "cancel_reason": lambda: order.cancel_reason,
            "actual_shipping_fee_confirmed_time": lambda: 0,
            "fulfillment_flag": lambda: "fulfilled_by_local_seller",
            "pickup_done_time": lambda: self.ts(order.shipped_time) if order.shipped_time else 0,
            "package_list": lambda: [
                {
                    "package_number": order.package_id,
                    "logistics_status": self.logistics_status(order),
                    "shipping_carrier": order.carrier,
                    "logistics_channel_id": CHANNEL["logistics_channel_id"],
                    "item_list": [
                        {
                            "item_id": int(line.product_id),
                            "model_id": int(line.variant_id)
                            if self.products.get(line.product_id)
                            and self.products[line.product_id].has_model
                            else 0,
                            "model_quantity": line.quantity,
                            "order_item_id": int(line.id),
                        }
                        for line in order.lines
                    ],
                    "parcel_chargeable_weight_gram": 500,
                }
            ],
            "invoice_data": lambda: None,
            "checkout_shipping_carrier": lambda: order.carrier,
            "reverse_shipping_fee": lambda: 0,
            "order_chargeable_weight_gram": lambda: 500,
            "total_amount": lambda: order.buyer_total,
            "shipping_carrier": lambda: order.carrier,
            "payment_method": lambda: "Cash on Delivery" if order.cod else "ShopeePay",
            "goods_to_declare": lambda: False,
            "edt_from": lambda: 0,
            "edt_to": lambda: 0,
        }
        for name in fields:
            if name in optional:
                detail[name] = optional[name]()
        return detail

    @endpoint()
    def h_order_detail(self, request, data, shop_id):
        sns = list_param(request.args.getlist("order_sn_list"))
        if not sns or len(sns) > 50:
            raise ShopeeError("error_param", "order_sn_list should have 1 to 50 order_sn.")
        fields = set(list_param(request.args.getlist("response_optional_fields")))
        orders = [self.shop_order(shop_id, sn) for sn in sns]
        return self.ok({"order_list": [self.order_detail(o, fields) for o in orders]})

    @endpoint()
    def h_shipment_list(self, request, data, shop_id):
        args = request.args
        page_size = need_int(args, "page_size", minimum=1, maximum=100)
        cursor = args.get("cursor", "")
        rows = sorted(
            (
                (self.ts(o.created), o.id, o)
                for o in self.orders.values()
                if o.shop_id == shop_id and o.stage == "to_ship"
            ),
            key=lambda r: (r[0], r[1]),
        )
        if cursor:
            t, _, sn = cursor.partition(":")
            rows = [r for r in rows if (r[0], r[1]) > (as_int(t, 0), sn)]
        page, more = rows[:page_size], len(rows) > page_size
        return self.ok(
            {
                "order_list": [
                    {"order_sn": sn, "package_number": o.package_id} for _, sn, o in page
                ],
                "more": more,
                "next_cursor": f"{page[-1][0]}:{page[-1][1]}" if more else "",
            }
        )

    @endpoint()
    def h_cancel_order(self, request, data, shop_id):
        order = self.shop_order(shop_id, need(data, "order_sn"))
        reason = need(data, "cancel_reason")
        if reason not in CANCEL_REASONS:
            raise ShopeeError("error_param", f"cancel_reason {reason} is not valid.")
        if reason == "OUT_OF_STOCK" and not data.get("item_list"):
            raise ShopeeError("error_param", "item_list is required for OUT_OF_STOCK.")
        if order.stage not in ("unpaid", "to_ship", "arranged"):
            raise ShopeeError(
                "error_param", f"Cannot cancel an order in status {self.status_of(order)}."
            )
        self.seller_cancel(order, reason)
        return self.ok({"update_time": self.ts(order.updated)})

    @endpoint()
    def h_buyer_cancellation(self, request, data, shop_id):
        order = self.shop_order(shop_id, need(data, "order_sn"))
        operation = need(data, "operation")
        if operation not in ("ACCEPT", "REJECT"):
            raise ShopeeError("error_param", "operation should be ACCEPT or REJECT.")
        if order.stage != "in_cancel":
            raise ShopeeError(
                "error_param", f"The order is {self.status_of(order)}, not IN_CANCEL."
            )
        if operation == "ACCEPT":
            self.set_stage(order, "cancelled")
        else:
            order.cancel_reason = ""
            order.cancelled_by = ""
            self.set_stage(order, order.previous_stage or "to_ship")
        return self.ok({"update_time": self.ts(order.updated)})
