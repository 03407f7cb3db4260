"""Shipping writes. Calls to carriers never run inside a database transaction: a service saves
what we know (and what it is about to ask), a task calls the carrier, another short transaction
records the answer."""

from donhang.shipping.services._common import MAX_ATTEMPTS
from donhang.shipping.services.accounts import adapter_for, carrier_account_save
from donhang.shipping.services.cod import (
    PayoutLineInput,
    cod_payout_record,
    cod_payout_rows_from_file,
)
from donhang.shipping.services.labels import (
    label_batch_create,
    label_batch_fail,
    label_batch_finish,
    label_batch_progress,
    label_batch_started,
)
from donhang.shipping.services.requests import (
    Parcel,
    ShipmentDraft,
    _build_request,
    order_cod_owed,
    shipment_draft,
    shipment_plan,
)
from donhang.shipping.services.sending import (
    CarrierQuotes,
    ParcelSpec,
    parcel_specs,
    shipment_cancel,
    shipment_cancel_resolve,
    shipment_cancel_stray,
    shipment_create,
    shipment_create_parcels,
    shipment_mark_created,
    shipment_quotes,
    shipment_redeliver,
    shipment_retry,
    shipment_return,
    shipment_submit,
)
from donhang.shipping.services.tracking import (
    shipment_apply_event,
    shipment_get_for_tracking,
    shipment_poll,
    shipments_due_for_polling,
    webhook_process,
    webhook_receive,
)

__all__ = [
    "MAX_ATTEMPTS",
    "CarrierQuotes",
    "Parcel",
    "ParcelSpec",
    "PayoutLineInput",
    "ShipmentDraft",
    "_build_request",
    "adapter_for",
    "carrier_account_save",
    "cod_payout_record",
    "cod_payout_rows_from_file",
    "label_batch_create",
    "label_batch_fail",
    "label_batch_finish",
    "label_batch_progress",
    "label_batch_started",
    "order_cod_owed",
    "parcel_specs",
    "shipment_apply_event",
    "shipment_cancel",
    "shipment_cancel_resolve",
    "shipment_cancel_stray",
    "shipment_create",
    "shipment_create_parcels",
    "shipment_draft",
    "shipment_get_for_tracking",
    "shipment_mark_created",
    "shipment_plan",
    "shipment_poll",
    "shipment_quotes",
    "shipment_redeliver",
    "shipment_retry",
    "shipment_return",
    "shipment_submit",
    "shipments_due_for_polling",
    "webhook_process",
    "webhook_receive",
]
