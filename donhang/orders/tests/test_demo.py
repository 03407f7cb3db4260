import pytest
from django.core.management import call_command

from donhang.orders.models import Order, Payment

pytestmark = pytest.mark.django_db


def test_demo_orders_show_discounts_invoices_buyers_and_payments():
    call_command("load_demo", verbosity=0)

    orders = Order.objects.filter(external_id__startswith="DEMO-")
    company = orders.get(external_id="DEMO-004")
    assert company.wants_invoice and company.buyer_tax_code == "0100109106"
    assert company.order_discount == 20_000
    assert orders.filter(platform_discount__gt=0).count() == 2
    assert orders.filter(lines__discount_percent__isnull=False).exists()
    short = orders.get(sub_state="delivered")
    assert short.payment_status == "partly_paid" and short.outstanding > 0
    assert Payment.objects.filter(method="marketplace_settlement", fee__gt=0).count() == 2
    for order in orders:
        assert sum(r.gross for r in order.vat_lines.all()) == order.total
        assert all(ln.net + ln.vat == ln.gross for ln in order.lines.all())
