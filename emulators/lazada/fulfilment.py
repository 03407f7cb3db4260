"""Fulfilment (pack, RTS, documents, trace) and finance of the Lazada emulator."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta

from werkzeug.wrappers import Request, Response

from emulators import labels
from emulators.common import VN_TZ
from emulators.lazada.base import (
    PROVIDERS,
    LazadaError,
    as_list,
    endpoint,
    json_param,
)
from emulators.marketplace import Order, allocate, as_int


class LazadaFulfilment:
    """Mixed into the emulator through its API class."""

    # ------------------------------------------------------------------ fulfilment

    def _req(self, p: dict, name: str) -> dict:
        value = json_param(p, name)
        if not isinstance(value, dict):
            raise LazadaError("InvalidParameter", f"{name} must be a JSON object")
        return value

    @endpoint()
    def h_providers(self, request, p, seller_id):
        req = self._req(p, "getShipmentProvidersReq")
        for entry in as_list(req.get("orders")):
            self.seller_order(seller_id, entry.get("order_id"))
        return self.ok_result({"shipment_providers": PROVIDERS, "shipping_allocate_type": "TFS"})

    @endpoint()
    def h_pack(self, request, p, seller_id):
        req = self._req(p, "packReq")
        entries = as_list(req.get("pack_order_list"))
        if not entries or len(entries) > 20:
            raise LazadaError("InvalidParameter", "pack_order_list: 1 to 20 orders")
        code = req.get("shipment_provider_code")
        if code and code not in {x["provider_code"] for x in PROVIDERS}:
            raise LazadaError("InvalidParameter", f"Unknown shipment_provider_code {code}")
        results, all_ok = [], True
        for entry in entries:
            order = self.seller_order(seller_id, entry.get("order_id"))
            items = [str(i) for i in as_list(entry.get("order_item_list"))]
            units = self.unit_ids(order)
            rows = []
            problem = ""
            if not items or not set(items) <= set(units):
                problem = "order_item_list does not match the order"
            elif order.stage != "to_ship":
                problem = f"Order item status is {self.status_of(order)}, not pending"
            if not problem:
                self.arrange(order, stage="packed")
            for item in items or units:
                rows.append(
                    {
                        "order_item_id": as_int(item, 0),
                        "package_id": order.package_id if not problem else "",
                        "tracking_number": order.tracking_number if not problem else "",
                        "shipment_provider": order.carrier if not problem else "",
                        "item_err_code": "1" if problem else "0",
                        "msg": problem or "success",
                        "retry": False,
                    }
                )
            all_ok = all_ok and not problem
            results.append({"order_id": int(order.id), "order_item_list": rows})
        return self.ok_result(
            {"pack_order_list": results},
            success=all_ok,
            error_code="" if all_ok else "PACK_PARTIAL_FAILED",
        )

    def _packages(self, req: dict, seller_id: str) -> list[tuple[str, Order | None]]:
        out = []
        for entry in as_list(req.get("packages")):
            pid = str(entry.get("package_id") or "")
            order = self.order_by_package(pid, seller_id)
            out.append((pid, order))
        if not out:
            raise LazadaError("InvalidParameter", "packages is required")
        return out

    @endpoint()
    def h_rts(self, request, p, seller_id):
        rows, all_ok = [], True
        for pid, order in self._packages(self._req(p, "readyToShipReq"), seller_id):
            problem = ""
            if order is None:
                problem = "package not found"
            elif order.stage != "packed":
                problem = f"package is {self.status_of(order)}, not packed"
            else:
                self.set_stage(order, "arranged")
            all_ok = all_ok and not problem
            rows.append(
                {
                    "package_id": pid,
                    "item_err_code": "1" if problem else "0",
                    "msg": problem or "success",
                    "retry": False,
                }
            )
        return self.ok_result({"packages": rows}, success=all_ok)

    @endpoint()
    def h_repack(self, request, p, seller_id):
        rows, all_ok = [], True
        for pid, order in self._packages(self._req(p, "repackReq"), seller_id):
            problem = ""
            if order is None:
                problem = "package not found"
            elif order.stage != "packed":
                problem = "only packed packages can be repacked"
            else:
                order.tracking_number = ""
                order.package_id = self.new_package_id()
                self.packages[order.package_id] = order.id
                self.set_stage(order, "to_ship")
            all_ok = all_ok and not problem
            rows.append(
                {
                    "package_id": pid,
                    "item_err_code": "1" if problem else "0",
                    "msg": problem or "success",
                }
            )
        return self.ok_result({"packages": rows}, success=all_ok)

    @endpoint()
    def h_document_get(self, request, p, seller_id):
        req = self._req(p, "getDocumentReq")
        doc_type = str(req.get("doc_type", "PDF")).upper()
        if doc_type not in ("PDF", "HTML"):
            raise LazadaError("InvalidParameter", "doc_type should be PDF or HTML")
        orders = []
        for pid, order in self._packages(req, seller_id):
            if order is None or order.stage in ("to_ship", "unpaid", "cancelled"):
                return self.ok_result(
                    None,
                    success=False,
                    error_code="DOC_NOT_AVAILABLE",
                    error_msg=f"package {pid} is not packed",
                )
            orders.append(order)
        pdf = self.label_pdf(orders)
        token = self.document_token([o.id for o in orders])
        if doc_type == "HTML":
            html = labels.render_html([self.label_dict(o) for o in orders], "A6")
            return self.ok_result(
                {"doc_type": "HTML", "file": base64.b64encode(html.encode()).decode()}
            )
        return self.ok_result(
            {
                "doc_type": "PDF",
                "file": base64.b64encode(pdf).decode(),
                "pdf_url": f"{request.host_url}documents/{token}.pdf",
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
    def h_trace(self, request, p, seller_id):
        order = self.seller_order(seller_id, p.get("order_id"))
        words = {
            "packed": ("PACKED", "Người bán đã đóng gói"),
            "arranged": ("READY_TO_SHIP", "Sẵn sàng giao cho đơn vị vận chuyển"),
            "shipped": ("SHIPPED", "Đơn vị vận chuyển đã lấy hàng"),
            "delivered": ("DELIVERED", "Giao hàng thành công"),
            "failed_delivery": ("FAILED_DELIVERY", "Giao hàng không thành công"),
        }
        events = [
            {
                "title": words[s][0],
                "detail_type": words[s][0],
                "event_time": int(when.timestamp() * 1000),
                "description": words[s][1],
            }
            for s, when in order.history
            if s in words
        ]
        return self.ok_result(
            [
                {
                    "ofc_order_id": order.id,
                    "package_detail_info_list": [
                        {
                            "tracking_number": order.tracking_number,
                            "package_id": order.package_id,
                            "logistic_detail_info_list": events,
                        }
                    ],
                }
            ]
        )

    # ------------------------------------------------------------------ finance

    def transaction_rows(self, order: Order) -> list[dict]:
        if order.delivered_time is None or order.stage in ("cancelled", "returned"):
            return []
        shop = self.shops[order.shop_id]
        units = self.units(order)
        weights = [line.price for line, ids in zip(order.lines, units, strict=True) for _ in ids]
        shares = {
            (4, "Promotional Charges Vouchers"): allocate(order.seller_voucher, weights),
            (16, "Commission"): allocate(order.commission_fee, weights),
            (13, "Payment Fee"): allocate(order.transaction_fee, weights),
            (28, "Service Fee"): allocate(order.service_fee, weights),
        }
        day = order.delivered_time.astimezone(VN_TZ)
        monday = day - timedelta(days=day.weekday())
        statement = f"{monday:%d %b %Y} - {monday + timedelta(days=6):%d %b %Y}"
        rows, i = [], 0
        for line, ids in zip(order.lines, units, strict=True):
            for uid in ids:
                entries = [((3, "Item Price Credit"), line.price)] + [
                    (key, -values[i]) for key, values in shares.items() if values[i]
                ]
                for (fee_type, name), amount in entries:
                    rows.append(
                        {
                            "order_no": order.id,
                            "orderItem_no": uid,
                            "orderItem_status": self.status_of(order),
                            "transaction_date": f"{day:%d %b %Y}",
                            "amount": f"{amount}.00" if amount >= 0 else f"-{-amount}.00",
                            "paid_status": "Paid" if order.settled_time else "Not paid",
                            "shipping_provider": order.carrier,
                            "WHT_included_in_amount": "No",
                            "WHT_amount": "0.00",
                            "VAT_in_amount": "0.00",
                            "payment_ref_id": f"PAY{order.id}" if order.settled_time else "",
                            "lazada_sku": f"{line.product_id}_VNAMZ-{line.variant_id}",
                            "seller_sku": line.sku,
                            "fee_type": str(fee_type),
                            "fee_name": name,
                            "transaction_type": name,
                            "reference": uid,
                            "shipping_speed": "Standard",
                            "shipment_type": "Dropshipping",
                            "transaction_number": f"{shop['short_code']}-{order.id[-6:]}{uid[-4:]}{fee_type}",
                            "statement": statement,
                            "details": f"Order {order.id}",
                            "comment": "",
                            "_date": day.date(),
                        }
                    )
                i += 1
        return rows

    @endpoint()
    def h_transactions(self, request, p, seller_id):
        for name in ("start_time", "end_time"):
            if not p.get(name):
                raise LazadaError(
                    "MissingParameter", f'The input parameter "{name}" is not supplied'
                )
        try:
            start = datetime.strptime(p["start_time"], "%Y-%m-%d").date()
            end = datetime.strptime(p["end_time"], "%Y-%m-%d").date()
        except ValueError:
            raise LazadaError("InvalidParameter", "start_time/end_time: YYYY-MM-DD") from None
        if (end - start).days > 180 or end < start:
            raise LazadaError("1000012", "endTime - startTime must should be less than 180 days")
        limit = as_int(p.get("limit"), 500) or 500
        offset = as_int(p.get("offset"), 0) or 0
        if not 1 <= limit <= 500:
            raise LazadaError("InvalidParameter", "limit: 1..500")
        trans_type = p.get("trans_type", "-1")
        rows = [
            r
            for o in sorted(self.orders.values(), key=lambda o: o.created)
            if o.shop_id == seller_id
            and (not p.get("trade_order_id") or o.id == str(p["trade_order_id"]))
            for r in self.transaction_rows(o)
            if start <= r["_date"] <= end
            and (trans_type in ("-1", "") or r["fee_type"] == str(trans_type))
            and (
                not p.get("trade_order_line_id")
                or r["orderItem_no"] == str(p["trade_order_line_id"])
            )
        ]
        page = [
            {k: v for k, v in r.items() if not k.startswith("_")}
            for r in rows[offset : offset + limit]
        ]
        return self.ok(page)
