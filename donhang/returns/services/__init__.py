"""Return writes: every step locks the return, checks its state and the caller's permission,
writes the order's timeline and an audit entry, and moves stock and money only through the
inventory's and the orders' services."""

from donhang.returns.services.exchanges import exchange_create, exchange_difference
from donhang.returns.services.inspection import InspectionInput, return_inspect, return_receive
from donhang.returns.services.invoices import (
    live_invoice,
    prepare_invoice_correction,
    return_invoice_issue,
)
from donhang.returns.services.refunds import (
    refund_cancel,
    refund_create,
    refund_default,
    refund_mark_paid,
    refund_qr_payload,
    refundable,
    returned_value,
    shipping_refundable,
)
from donhang.returns.services.requests import (
    RETURNABLE_STATUSES,
    ReturnLineInput,
    return_cancel,
    return_close,
    return_create,
    return_open_for_parcel,
    returnable_quantities,
)

__all__ = [
    "RETURNABLE_STATUSES",
    "InspectionInput",
    "ReturnLineInput",
    "exchange_create",
    "exchange_difference",
    "live_invoice",
    "prepare_invoice_correction",
    "refund_cancel",
    "refund_create",
    "refund_default",
    "refund_mark_paid",
    "refund_qr_payload",
    "refundable",
    "return_cancel",
    "return_close",
    "return_create",
    "return_inspect",
    "return_invoice_issue",
    "return_open_for_parcel",
    "return_receive",
    "returnable_quantities",
    "returned_value",
    "shipping_refundable",
]
