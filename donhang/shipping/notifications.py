"""Tell the buyer how the parcel is doing. Email now; chat channels plug in here later."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from donhang.shipping.models import Shipment

MESSAGES = {
    "created": lambda s: _(
        "Your order %(order)s is packed and handed to %(carrier)s, tracking number %(code)s."
    ),
    "delivering": lambda s: _("Your order %(order)s is out for delivery today with %(carrier)s."),
    "delivered": lambda s: _("Your order %(order)s was delivered. Thank you for shopping with us!"),
    "delivery_failed": lambda s: _(
        "%(carrier)s could not deliver your order %(order)s. We will contact you to arrange it."
    ),
}


def notify_customer(*, shipment_id: int, kind: str) -> bool:
    shipment = Shipment.objects.select_related("order", "account").get(pk=shipment_id)
    order = shipment.order
    if kind not in MESSAGES or not order.customer_email:
        return False
    with translation.override(settings.LANGUAGE_CODE):
        text = MESSAGES[kind](shipment) % {
            "order": order.code,
            "carrier": shipment.account.get_provider_display(),
            "code": shipment.tracking_code,
        }
        base = getattr(settings, "PUBLIC_BASE_URL", "").rstrip("/")
        link = f"{base}{reverse('shipping:public_tracking')}?code={order.code}" if base else ""
        body = text + (f"\n\n{_('Follow your parcel:')} {link}" if link else "")
        send_mail(
            subject=_("Order %(order)s") % {"order": order.code},
            message=body,
            from_email=None,
            recipient_list=[order.customer_email],
            fail_silently=False,
        )
    return True
