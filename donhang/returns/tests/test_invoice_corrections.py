"""A return of an order with an issued e-invoice prepares the correction (an adjustment for a
partial return, a replacement for a full one) and the accountant issues it from the return's
page; the provider (the S-Invoice emulator, in-process) issues it and the original's state
follows."""

import pytest
from django.utils import timezone

from donhang.accounts.models import ShopProfile
from donhang.core import hooks
from donhang.core.integrations import register_transport
from donhang.customers.models import Ward
from donhang.invoicing import services as invoicing
from donhang.invoicing.models import Invoice, Purpose
from donhang.orders import services as orders
from donhang.returns import services
from donhang.returns.models import InvoiceAction
from donhang.returns.tests.conftest import assert_no_drift
from emulators.common import Clock, FaultyTransport
from emulators.sinvoice import SInvoiceEmulator

SINVOICE_URL = "http://sinvoice.emulator.test"
SHOP_TAX_CODE = "0107654326"  # the emulator's seller
YY = timezone.localdate().year % 100


@pytest.fixture
def template(db):
    ward = Ward.objects.select_related("province").get(name="Phường Hoàn Kiếm")
    ShopProfile.objects.create(
        id=ShopProfile.SINGLETON_ID,
        name="Công ty TNHH Thời trang Lan Nguyễn",
        tax_code=SHOP_TAX_CODE,
        address_line="18 Hàng Bài",
        ward=ward,
        province=ward.province,
        phone="+842438251234",
        email="lienhe@thoitranglan.example.vn",
    )
    emulator = SInvoiceEmulator(clock=Clock(timezone.now()), seed=1)
    register_transport(SINVOICE_URL, FaultyTransport(emulator.wsgi_app, emulator.faults))
    account = invoicing.invoice_account_save(
        provider="sinvoice",
        name="S-Invoice",
        environment="emulator",
        base_url=SINVOICE_URL,
        credentials={"username": SHOP_TAX_CODE, "password": "demo-password"},
    )
    yield invoicing.invoice_template_save(
        account=account, kind="vat", template_code="1/001", series=f"C{YY}TAA", is_default=True
    )
    register_transport(SINVOICE_URL, None)


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


COMPANY = orders.BuyerInput(
    kind="company",
    company_name="Công ty TNHH Thương mại Ánh Dương",
    tax_code="0100109106",
    address="18 Hàng Bạc, Phường Hoàn Kiếm, Thành phố Hà Nội",
    email="ketoan@anhduong.example",
    wants_invoice=True,
)


@pytest.fixture
def invoiced_order(make_variant, template, committed):
    """A completed, paid order of 3 shirts and 1 phone case to a company, its e-invoice issued."""

    def make():
        shirt = make_variant(price=165_000, vat="8")
        case = make_variant(price=99_000, vat="10")
        ward = Ward.objects.get(name="Phường Hoàn Kiếm")
        order = orders.order_create(
            channel="website",
            customer=orders.CustomerInput(
                name="Trần Thị Bích Ngọc",
                phone="0903100001",
                email="ngoc@example.vn",
                address=orders.AddressInput(line="18 Hàng Bạc", ward=ward.code),
            ),
            lines=[
                orders.LineInput(variant_id=shirt.pk, quantity=3),
                orders.LineInput(variant_id=case.pk, quantity=1),
            ],
            shipping_fee=30_000,
            buyer=COMPANY,
            confirm=True,
        )
        orders.order_mark_packed(order=order)
        orders.order_hand_over(order=order)
        order.refresh_from_db()
        orders.order_payment_record(order=order, method="bank_transfer", amount=order.total)
        orders.order_follow_shipment(order=order, shipment_status="delivered")
        with committed():
            invoice, _started = invoicing.invoice_issue(order=order, template=template)
        invoice.refresh_from_db()
        assert invoice.state == "issued", invoice.last_error
        order.refresh_from_db()
        return order, invoice

    return make


def _return(order, quantities, actor, warehouse):
    lines = {ln.sku: ln for ln in order.lines.all()}
    goods_return = services.return_create(
        order=order,
        lines=[
            services.ReturnLineInput(order_line_id=lines[sku].pk, quantity=q)
            for sku, q in quantities.items()
        ],
        reason="defective",
        actor=actor,
    )
    services.return_receive(goods_return=goods_return, warehouse=warehouse, actor=actor)
    services.return_inspect(
        goods_return=goods_return,
        lines=[
            services.InspectionInput(line_id=ln.pk, good=ln.quantity)
            for ln in goods_return.lines.all()
        ],
        actor=actor,
    )
    goods_return.refresh_from_db()
    return goods_return


def test_partial_return_prepares_an_adjustment_the_accountant_issues_from_the_return_page(
    invoiced_order, users, login, warehouse, committed
):
    order, invoice = invoiced_order()
    shirt_sku = order.lines.get(quantity=3).sku
    goods_return = _return(order, {shirt_sku: 2}, users["manager"], warehouse)
    assert goods_return.invoice_action == InvoiceAction.ADJUSTMENT
    assert goods_return.invoice == invoice and goods_return.invoice_correction is None

    # The return page shows it prepared; the warehouse may not issue it, the accountant does
    page = login("accountant").get(f"/returns/{goods_return.pk}/")
    assert b'id="issue-correction"' in page.content and b"Adjustment invoice" in page.content
    warehouse_page = login("warehouse").get(f"/returns/{goods_return.pk}/")
    assert b'id="issue-correction"' not in warehouse_page.content
    assert login("warehouse").post(f"/returns/{goods_return.pk}/invoice/").status_code == 403
    with committed():
        response = login("accountant").post(f"/returns/{goods_return.pk}/invoice/")
    assert response.status_code == 302

    goods_return.refresh_from_db()
    adjustment = goods_return.invoice_correction
    adjustment.refresh_from_db()
    assert adjustment.purpose == Purpose.ADJUSTMENT and adjustment.original == invoice
    assert adjustment.state == "issued", adjustment.last_error
    (line,) = adjustment.lines.all()
    shirt_line = invoice.lines.get(sku=shirt_sku)
    assert (line.original_line_id, line.quantity, line.gross) == (
        shirt_line.pk,
        2,
        -(shirt_line.gross * 2 // 3),
    )
    assert "TH" in adjustment.reason and order.code in adjustment.reason
    invoice.refresh_from_db()
    assert invoice.state == "adjusted"
    # issued once: the page shows the correction, not the button
    again = login("accountant").get(f"/returns/{goods_return.pk}/")
    assert b'id="invoice-correction"' in again.content
    assert b'id="issue-correction"' not in again.content
    assert_no_drift()


def test_full_return_prepares_a_replacement(invoiced_order, users, login, warehouse, committed):
    order, invoice = invoiced_order()
    goods_return = _return(
        order, {ln.sku: ln.quantity for ln in order.lines.all()}, users["manager"], warehouse
    )
    assert goods_return.invoice_action == InvoiceAction.REPLACEMENT
    # what invoicing reads to leave the returned units out of the replacement
    assert hooks.first("order.returned_units", order=order) == {
        ln.pk: ln.quantity for ln in order.lines.all()
    }
    with committed():
        response = login("accountant").post(
            f"/returns/{goods_return.pk}/invoice/", {"reason": "Khách trả lại toàn bộ hàng"}
        )
    assert response.status_code == 302
    goods_return.refresh_from_db()
    replacement = Invoice.objects.get(pk=goods_return.invoice_correction_id)
    assert replacement.purpose == Purpose.REPLACEMENT and replacement.original == invoice
    assert replacement.reason == "Khách trả lại toàn bộ hàng"
    assert replacement.state == "issued", replacement.last_error
    # the goods came back: the replacement invoices only what was kept (the shipping fee)
    assert not replacement.lines.filter(kind="goods").exists()
    assert invoice.lines.filter(kind="goods").exists()
    invoice.refresh_from_db()
    assert invoice.state == "replaced"
    assert_no_drift()


def test_an_order_without_an_invoice_prepares_nothing(make_order, users, warehouse):
    order = make_order()
    goods_return = _return(order, {order.lines.get().sku: 1}, users["manager"], warehouse)
    assert goods_return.invoice_action == "" and goods_return.invoice is None
