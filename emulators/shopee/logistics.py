"""Logistics (shipping, tracking, documents) and payments of the Shopee emulator."""

from __future__ import annotations

from datetime import timedelta

from werkzeug.wrappers import Response

from emulators.marketplace import (
    Order,
    as_int,
)
from emulators.shopee.base import (
    DOCUMENT_TYPES,
    ShopeeError,
    endpoint,
    need,
    need_int,
)


class ShopeeLogistics:
    """Mixed into the emulator through its API class."""

    # ------------------------------------------------------------------ logistics

    def pickup_slots(self) -> list[dict]:
        day = self.clock.now().replace(hour=0, minute=0, second=0, microsecond=0)
        slots = []
        for n in range(1, 4):
            date = day + timedelta(days=n)
            slots.append(
                {
                    "date": self.ts(date),
                    "time_text": date.strftime("%d/%m/%Y") + " 08:00-12:00",
                    "pickup_time_id": str(self.ts(date + timedelta(hours=8))),
                    "flags": ["recommended"] if n == 1 else [],
                }
            )
        return slots

    @endpoint()
    def h_shipping_parameter(self, request, data, shop_id):
        order = self.shop_order(shop_id, need(request.args, "order_sn"))
        if order.stage != "to_ship":
            raise ShopeeError(
                "error_param", f"The order is {self.status_of(order)}: nothing to arrange."
            )
        shop = self.shops[shop_id]
        return self.ok(
            {
                "info_needed": {
                    "pickup": ["address_id", "pickup_time_id"],
                    "dropoff": [],
                    "non_integrated": [],
                },
                "pickup": {
                    "address_list": [
                        {
                            "address_id": shop["address_id"],
                            "region": "VN",
                            "state": "Thành phố Hồ Chí Minh",
                            "city": "",
                            "district": "",
                            "town": "Phường Sài Gòn",
                            "address": shop["address"],
                            "zipcode": "",
                            "address_flag": ["default_address", "pickup_address"],
                            "time_slot_list": self.pickup_slots(),
                        }
                    ]
                },
                "dropoff": {
                    "branch_list": [
                        {
                            "branch_id": 7001,
                            "region": "VN",
                            "state": "Thành phố Hồ Chí Minh",
                            "city": "",
                            "address": "SPX Express – bưu cục Sài Gòn, 3 Lê Lợi",
                            "zipcode": "",
                            "district": "",
                            "town": "Phường Sài Gòn",
                        }
                    ]
                },
            }
        )

    @endpoint()
    def h_ship_order(self, request, data, shop_id):
        order = self.shop_order(shop_id, need(data, "order_sn"))
        if data.get("package_number") and data["package_number"] != order.package_id:
            raise ShopeeError("error_param", "package_number not found.")
        modes = [k for k in ("pickup", "dropoff", "non_integrated") if k in data]
        if len(modes) != 1:
            raise ShopeeError("error_param", "Send exactly one of pickup, dropoff, non_integrated.")
        if order.stage != "to_ship":
            raise ShopeeError(
                "error_param", f"The order is {self.status_of(order)}: it can't be shipped now."
            )
        mode = modes[0]
        info = data[mode] or {}
        if mode == "pickup":
            if as_int(info.get("address_id")) != self.shops[shop_id]["address_id"]:
                raise ShopeeError("error_param", "pickup.address_id is not valid.")
            if not info.get("pickup_time_id"):
                raise ShopeeError("error_param", "pickup.pickup_time_id is required.")
        if mode == "non_integrated":
            if not info.get("tracking_number"):
                raise ShopeeError("error_param", "non_integrated.tracking_number is required.")
            order.tracking_number = str(info["tracking_number"])
        order.extra["ship_mode"] = mode
        self.arrange(order)
        return self.ok({})

    @endpoint()
    def h_tracking_number(self, request, data, shop_id):
        order = self.shop_order(shop_id, need(request.args, "order_sn"))
        number = order.tracking_number if self.tracking_ready(order) else ""
        return self.ok(
            {
                "tracking_number": number,
                "plp_number": "",
                "first_mile_tracking_number": "",
                "last_mile_tracking_number": "",
                "hint": "" if number else "Tracking number is not ready yet.",
            }
        )

    @endpoint()
    def h_tracking_info(self, request, data, shop_id):
        order = self.shop_order(shop_id, need(request.args, "order_sn"))
        words = {
            "arranged": ("LOGISTICS_REQUEST_CREATED", "Người bán đã chuẩn bị hàng"),
            "shipped": ("LOGISTICS_PICKUP_DONE", "Đơn vị vận chuyển đã lấy hàng"),
            "delivered": ("LOGISTICS_DELIVERY_DONE", "Giao hàng thành công"),
            "failed_delivery": ("LOGISTICS_DELIVERY_FAILED", "Giao hàng không thành công"),
        }
        events = [
            {
                "update_time": self.ts(when),
                "description": words[s][1],
                "logistics_status": words[s][0],
            }
            for s, when in order.history
            if s in words
        ]
        return self.ok(
            {
                "order_sn": order.id,
                "package_number": order.package_id,
                "logistics_status": self.logistics_status(order),
                "tracking_info": list(reversed(events)),
            }
        )

    def _doc_orders(self, data, shop_id) -> list[tuple[dict, Order | None, str]]:
        entries = need(data, "order_list")
        if not isinstance(entries, list) or len(entries) > 50:
            raise ShopeeError("error_param", "order_list should have 1 to 50 orders.")
        out = []
        for entry in entries:
            order = self.orders.get(str(entry.get("order_sn", "")))
            problem = ""
            if order is None or order.shop_id != shop_id:
                order, problem = None, "logistics.order_not_found"
            elif not self.tracking_ready(order) or order.stage in (
                "unpaid",
                "to_ship",
                "cancelled",
            ):
                problem = "logistics.package_can_not_print"
            out.append((entry, order, problem))
        return out

    @endpoint()
    def h_doc_parameter(self, request, data, shop_id):
        result = []
        for entry, order, problem in self._doc_orders(data, shop_id):
            row = {
                "order_sn": entry.get("order_sn"),
                "package_number": order.package_id if order else "",
            }
            if problem:
                row.update(fail_error=problem, fail_message="The package can't print now.")
            else:
                row.update(
                    suggest_shipping_document_type="THERMAL_AIR_WAYBILL",
                    selectable_shipping_document_type=list(DOCUMENT_TYPES),
                )
            result.append(row)
        return self.ok({"result_list": result})

    @endpoint()
    def h_doc_create(self, request, data, shop_id):
        result = []
        for entry, order, problem in self._doc_orders(data, shop_id):
            kind = entry.get("shipping_document_type") or data.get("shipping_document_type")
            kind = kind or "THERMAL_AIR_WAYBILL"
            if not problem and kind not in DOCUMENT_TYPES:
                problem = "logistics.shipping_document_type_invalid"
            if (
                not problem
                and entry.get("tracking_number")
                and entry["tracking_number"] != order.tracking_number
            ):
                problem = "logistics.tracking_number_invalid"
            row = {
                "order_sn": entry.get("order_sn"),
                "package_number": order.package_id if order else "",
            }
            if problem:
                row.update(fail_error=problem, fail_message="The document can't be created.")
            else:
                order.extra["document"] = kind
                row.update(fail_error="", fail_message="")
            result.append(row)
        return self.ok({"result_list": result})

    @endpoint()
    def h_doc_result(self, request, data, shop_id):
        result = []
        for entry, order, problem in self._doc_orders(data, shop_id):
            row = {
                "order_sn": entry.get("order_sn"),
                "package_number": order.package_id if order else "",
            }
            if problem:
                row.update(status="FAILED", fail_error=problem, fail_message="")
            elif not order.extra.get("document"):
                row.update(
                    status="FAILED",
                    fail_error="logistics.shipping_document_not_created",
                    fail_message="Call create_shipping_document first.",
                )
            else:
                row.update(status="READY", fail_error="", fail_message="")
            result.append(row)
        return self.ok({"result_list": result})

    @endpoint()
    def h_doc_download(self, request, data, shop_id):
        orders = []
        for entry, order, problem in self._doc_orders(data, shop_id):
            if problem or not order.extra.get("document"):
                raise ShopeeError(
                    "logistics.shipping_document_should_print_first",
                    f"Document of {entry.get('order_sn')} is not ready.",
                )
            orders.append(order)
        pdf = self.label_pdf(orders)
        return Response(pdf, 200, content_type="application/pdf")

    # ------------------------------------------------------------------ payments

    @endpoint()
    def h_escrow_detail(self, request, data, shop_id):
        order = self.shop_order(shop_id, need(request.args, "order_sn"))
        income = {
            "escrow_amount": order.settlement_amount,
            "buyer_total_amount": order.buyer_total,
            "original_price": order.original_subtotal,
            "order_original_price": order.original_subtotal,
            "order_discounted_price": order.subtotal,
            "order_selling_price": order.subtotal,
            "seller_discount": order.seller_discount,
            "shopee_discount": order.platform_item_discount,
            "voucher_from_seller": order.seller_voucher,
            "voucher_from_shopee": order.platform_voucher,
            "coins": 0,
            "buyer_paid_shipping_fee": order.shipping_fee,
            "buyer_transaction_fee": 0,
            "cross_border_tax": 0,
            "payment_promotion": 0,
            "commission_fee": order.commission_fee,
            "service_fee": order.service_fee,
            "seller_transaction_fee": order.transaction_fee,
            "seller_lost_compensation": 0,
            "seller_coin_cash_back": 0,
            "escrow_tax": 0,
            "final_shipping_fee": 0,
            "actual_shipping_fee": order.shipping_fee,
            "estimated_shipping_fee": order.shipping_fee,
            "shopee_shipping_rebate": order.shipping_fee_rebate,
            "shipping_fee_discount_from_3pl": 0,
            "seller_shipping_discount": 0,
            "drc_adjustable_refund": 0,
            "cost_of_goods_sold": order.subtotal,
            "original_cost_of_goods_sold": order.original_subtotal,
            "seller_return_refund": 0,
            "escrow_amount_pri": order.settlement_amount,
            "items": [
                {
                    "item_id": int(line.product_id),
                    "item_name": line.name,
                    "item_sku": line.sku,
                    "model_id": int(line.variant_id)
                    if self.products.get(line.product_id)
                    and self.products[line.product_id].has_model
                    else 0,
                    "model_name": line.variant_name,
                    "model_sku": line.sku,
                    "original_price": line.original_price * line.quantity,
                    "selling_price": line.price * line.quantity,
                    "discounted_price": line.price * line.quantity,
                    "seller_discount": line.seller_discount * line.quantity,
                    "shopee_discount": line.platform_discount * line.quantity,
                    "discount_from_coin": 0,
                    "discount_from_voucher_shopee": 0,
                    "discount_from_voucher_seller": 0,
                    "activity_type": "",
                    "activity_id": 0,
                    "is_main_item": False,
                    "quantity_purchased": line.quantity,
                    "is_b2c_shop_item": False,
                }
                for line in order.lines
            ],
        }
        return self.ok(
            {
                "order_sn": order.id,
                "buyer_user_name": order.buyer.get("username", ""),
                "return_order_sn_list": [order.return_id] if order.return_id else [],
                "order_income": income,
                "buyer_payment_info": {
                    "buyer_payment_method": "Cash on Delivery" if order.cod else "ShopeePay",
                    "buyer_total_amount": order.buyer_total,
                    "merchant_subtotal": order.subtotal,
                    "shipping_fee": order.shipping_fee,
                    "seller_voucher": order.seller_voucher,
                    "shopee_voucher": order.platform_voucher,
                },
            }
        )

    @endpoint()
    def h_wallet(self, request, data, shop_id):
        args = request.args
        page_no = as_int(args.get("page_no"), 1) or 1
        page_size = need_int(args, "page_size", minimum=1, maximum=100)
        start = as_int(args.get("create_time_from"))
        end = as_int(args.get("create_time_to"))
        rows = [
            {k: v for k, v in t.items() if not k.startswith("_")}
            for t in reversed(self.wallet)
            if t["_shop_id"] == shop_id
            and (start is None or t["create_time"] >= start)
            and (end is None or t["create_time"] <= end)
        ]
        first = (page_no - 1) * page_size
        page = rows[first : first + page_size]
        return self.ok({"transaction_list": page, "more": first + len(page) < len(rows)})
