"""What the order pages share: status tabs, query strings, the order by its code."""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from donhang.orders import selectors
from donhang.orders.models import (
    Order,
    Status,
)

STATUS_TABS = [
    ("", gettext_lazy("All"), "all"),
    (Status.NEW, Status.NEW.label, Status.NEW),
    (Status.PROCESSING, Status.PROCESSING.label, Status.PROCESSING),
    (Status.SHIPPING, Status.SHIPPING.label, Status.SHIPPING),
    (Status.COMPLETED, Status.COMPLETED.label, Status.COMPLETED),
    (Status.CANCELLED, Status.CANCELLED.label, Status.CANCELLED),
    (Status.RETURNED, Status.RETURNED.label, Status.RETURNED),
]
CURSOR_PARAMS = ("after", "before")
PAGE_SIZE = selectors.PAGE_SIZE


def _int_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _query(params, **changes) -> str:
    query = params.copy()
    for key in CURSOR_PARAMS:
        query.pop(key, None)
    for key, value in changes.items():
        if value in (None, ""):
            query.pop(key, None)
        else:
            query[key] = value
    encoded = query.urlencode()
    return "?" + encoded if encoded else "?"


def _order_or_404(code: str) -> Order:
    orders = selectors.order_list_by_codes(codes=[code.upper()])
    if not orders:
        raise Http404(_("There is no order %(code)s.") % {"code": code})
    return orders[0]
