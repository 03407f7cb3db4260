"""Invoicing writes. Calls to providers never run inside a database transaction: a service
saves what we know (and what it is about to ask), a task calls the provider, another short
transaction records the answer."""

from donhang.invoicing.services._common import adapter_for
from donhang.invoicing.services.accounts import (
    CREDENTIALS,
    auto_rule_get,
    auto_rule_save,
    invoice_account_save,
    invoice_template_save,
)
from donhang.invoicing.services.auto import (
    invoice_auto_issue,
    on_order_completed,
    on_order_handed_over,
    order_matches_rule,
)
from donhang.invoicing.services.corrections import (
    AdjustmentInput,
    adjustment_lines,
    invoice_adjust,
    invoice_can_be_adjusted_again,
    invoice_replace,
)
from donhang.invoicing.services.issuing import (
    build_request,
    default_template,
    invoice_check_code,
    invoice_discard,
    invoice_email,
    invoice_fetch_pdf,
    invoice_finish,
    invoice_issue,
    invoice_mark_issued,
    invoice_preview,
    invoice_retry,
    invoice_retry_email,
    invoice_submit,
    invoice_submit_draft,
    invoices_to_follow_up,
    template_get,
)

__all__ = [
    "CREDENTIALS",
    "AdjustmentInput",
    "adapter_for",
    "adjustment_lines",
    "auto_rule_get",
    "auto_rule_save",
    "build_request",
    "default_template",
    "invoice_account_save",
    "invoice_adjust",
    "invoice_auto_issue",
    "invoice_can_be_adjusted_again",
    "invoice_check_code",
    "invoice_discard",
    "invoice_email",
    "invoice_fetch_pdf",
    "invoice_finish",
    "invoice_issue",
    "invoice_mark_issued",
    "invoice_preview",
    "invoice_replace",
    "invoice_retry",
    "invoice_retry_email",
    "invoice_submit",
    "invoice_submit_draft",
    "invoice_template_save",
    "invoices_to_follow_up",
    "on_order_completed",
    "on_order_handed_over",
    "order_matches_rule",
    "template_get",
]
