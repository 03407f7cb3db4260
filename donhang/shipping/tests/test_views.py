"""Shipping pages against the in-process carrier emulators: create from the order page, bulk
create with progress, actions on a shipment, COD import, carrier accounts, permissions."""

import io
import re

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from openpyxl import Workbook

from donhang.accounts.services import user_create
from donhang.orders.models import Status, SubState
from donhang.shipping import services
from donhang.shipping.models import CarrierAccount, CodPayout, Shipment

pytestmark = pytest.mark.django_db


def _client(role: str) -> Client:
    client = Client()
    client.cookies["donhang_language"] = "en"
    client.force_login(user_create(username=f"u-{role}", password="mat-khau-123", role=role))
    return client


@pytest.fixture
def owner():
    return _client("owner")


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _main_step(html: str):
    match = re.search(r'id="main-step" data-step="([a-z_]+)"', html)
    return match.group(1) if match else None


def _delivered(emulator, shipment, committed):
    with committed():
        emulator.advance(shipment.tracking_code, "delivered")
        emulator.pump(flush=True)
    shipment.refresh_from_db()
    return shipment


# --- create from the order page ----------------------------------------------------------------


def test_order_page_guides_to_create_shipment(owner, ghn_account, vtp_account, packed_order):
    order = packed_order()

    html = owner.get(reverse("orders:order_detail", args=[order.code])).text

    assert _main_step(html) == "shipment_create"
    assert 'data-step="order_mark_packed"' in html  # marking packed by hand stays, secondary
    assert reverse("shipping:shipment_create", args=[order.code]) in html
    assert 'id="shipments"' in html


def test_create_page_quotes_both_carriers_and_creates_one(
    owner, ghn_account, vtp_account, ghn, packed_order, committed
):
    # Given a packed COD order: 2 × 165,000 and 30,000 shipping paid by the buyer
    order = packed_order(quantity=2, price=165_000, fee=30_000)
    url = reverse("shipping:shipment_create", args=[order.code])

    page = owner.get(url)

    # Then both carriers quote side by side and COD is prefilled with goods + fee
    assert page.status_code == 200
    html = page.text
    assert 'data-carrier="ghn"' in html and 'data-carrier="viettelpost"' in html
    assert "quote-error" not in html
    choices = re.findall(r'name="choice" id="[^"]+" value="([^"]+)"', html)
    assert any(c.startswith(f"{ghn_account.pk}:") for c in choices)
    assert any(c.startswith(f"{vtp_account.pk}:") for c in choices)
    assert re.search(r'name="cod_amount" value="360000"', html)

    # When staff choose GHN and send it
    choice = next(c for c in choices if c.startswith(f"{ghn_account.pk}:"))
    with committed():
        response = owner.post(
            url,
            {
                "choice": choice,
                "cod_amount": "360.000",
                "weight_g": "600",
                "length_cm": "30",
                "width_cm": "20",
                "height_cm": "5",
                "fee_payer": "buyer",
                "inspection": "try",
                "note": "Gọi trước khi giao",
                "action": "create",
            },
        )

    # Then the order page says so and shows the tracking number with the carrier's link
    assert response.status_code == 302
    assert response.url.startswith(reverse("orders:order_detail", args=[order.code]))
    assert any("Sent to Giao Hàng Nhanh" in m for m in _messages(response))
    shipment = Shipment.objects.get(order=order)
    assert (shipment.cod_amount, shipment.weight_g, shipment.inspection) == (360_000, 600, "try")
    assert shipment.tracking_code
    order.refresh_from_db()
    assert order.sub_state == SubState.READY_TO_SHIP
    html = owner.get(reverse("orders:order_detail", args=[order.code])).text
    assert f"donhang.ghn.vn/?order_code={shipment.tracking_code}" in html
    assert 'data-action="cancel"' in html and 'data-action="carrier-label"' in html
    # an open shipment: no second "Create shipment"
    assert _main_step(html) != "shipment_create"


def test_create_page_shows_a_failing_carrier_and_refuses_bad_input(
    owner, ghn_account, vtp_account, vtp, packed_order
):
    order = packed_order()
    vtp.faults.fail_next(5, status=500)

    html = owner.get(reverse("shipping:shipment_create", args=[order.code])).text

    assert 'data-carrier="viettelpost"' in html and "quote-error" in html
    response = owner.post(
        reverse("shipping:shipment_create", args=[order.code]),
        {"choice": "999:x", "weight_g": "0", "length_cm": "1", "width_cm": "1", "height_cm": "1"},
    )
    assert response.status_code == 422
    assert not Shipment.objects.exists()


def test_carrier_refusal_shows_error_and_retry(owner, ghn_account, ghn, packed_order, committed):
    order = packed_order()
    ghn.faults.fail_next(10, paths=["shipping-order/create"])
    with committed():
        shipment = services.shipment_create(order=order, account=ghn_account)
    shipment.refresh_from_db()
    assert not shipment.tracking_code and shipment.last_error

    html = owner.get(reverse("orders:order_detail", args=[order.code])).text
    assert "shipment-error" in html and 'data-action="retry"' in html

    ghn.faults.clear()
    with committed():
        response = owner.post(reverse("shipping:shipment_retry", args=[shipment.pk]))
    assert response.status_code == 302
    shipment.refresh_from_db()
    assert shipment.tracking_code and not shipment.last_error


# --- actions ------------------------------------------------------------------------------------


def test_cancel_button_cancels_before_pickup(owner, ghn_account, ghn, packed_order, committed):
    order = packed_order()
    with committed():
        shipment = services.shipment_create(order=order, account=ghn_account)

    with committed():
        response = owner.post(reverse("shipping:shipment_cancel", args=[shipment.pk]))

    assert response.status_code == 302
    shipment.refresh_from_db()
    order.refresh_from_db()
    assert shipment.status == "cancelled"
    assert order.sub_state == SubState.PACKING
    # cancelled: a new shipment can be created again
    html = owner.get(reverse("orders:order_detail", args=[order.code])).text
    assert _main_step(html) == "shipment_create"


def test_redeliver_and_return_after_a_failed_delivery(
    owner, ghn_account, ghn, packed_order, committed
):
    order = packed_order()
    with committed():
        shipment = services.shipment_create(order=order, account=ghn_account)
    shipment.refresh_from_db()
    with committed():
        ghn.advance(shipment.tracking_code, "delivery_fail")
        ghn.pump(flush=True)
    shipment.refresh_from_db()
    assert shipment.status == "delivery_failed"

    # The order page and the "needs action" tab offer both buttons
    html = owner.get(reverse("orders:order_detail", args=[order.code])).text
    assert 'data-action="redeliver"' in html and 'data-action="return"' in html
    tab = owner.get(reverse("shipping:shipment_list"), {"tab": "action"}).text
    assert f'data-shipment="{shipment.pk}"' in tab and 'data-action="redeliver"' in tab

    redeliver = owner.post(
        reverse("shipping:shipment_redeliver", args=[shipment.pk]),
        {"next": reverse("shipping:shipment_list") + "?tab=action"},
    )
    assert redeliver.status_code == 302 and redeliver.url.endswith("?tab=action")
    assert any("deliver" in m for m in _messages(redeliver))
    returned = owner.post(reverse("shipping:shipment_return", args=[shipment.pk]))
    assert returned.status_code == 302
    assert any("return" in m for m in _messages(returned))


def test_redeliver_refused_when_not_failed(owner, ghn_account, ghn, packed_order, committed):
    order = packed_order()
    with committed():
        shipment = services.shipment_create(order=order, account=ghn_account)

    response = owner.post(reverse("shipping:shipment_redeliver", args=[shipment.pk]))

    assert response.status_code == 302
    assert any("Only a failed delivery" in m for m in _messages(response))


def test_carrier_label_and_a_carrier_that_does_not_answer(
    owner, ghn_account, ghn, packed_order, committed
):
    order = packed_order()
    with committed():
        shipment = services.shipment_create(order=order, account=ghn_account)
    url = reverse("shipping:shipment_carrier_label", args=[shipment.pk])

    ok = owner.get(url)
    assert ok.status_code == 200 and ok.content.startswith(b"%PDF")

    ghn.faults.fail_next(3, status=503)
    failed = owner.get(url)
    assert failed.status_code == 302
    assert any("did not give the label" in m for m in _messages(failed))


def test_shipment_list_detail_and_late_tab(owner, ghn_account, ghn, packed_order, committed):
    from django.utils import timezone

    orders = [packed_order() for _ in range(2)]
    with committed():
        shipments = [services.shipment_create(order=o, account=ghn_account) for o in orders]
    Shipment.objects.filter(pk=shipments[0].pk).update(
        expected_delivery_at=timezone.now() - timezone.timedelta(days=2)
    )
    Shipment.objects.filter(pk=shipments[1].pk).update(
        expected_delivery_at=timezone.now() + timezone.timedelta(days=2)
    )

    listing = owner.get(reverse("shipping:shipment_list")).text
    late = owner.get(reverse("shipping:shipment_list"), {"tab": "late"}).text
    filtered = owner.get(
        reverse("shipping:shipment_list"), {"account": ghn_account.pk, "status": "delivered"}
    ).text
    detail = owner.get(reverse("shipping:shipment_detail", args=[shipments[0].pk])).text

    assert all(f'data-shipment="{s.pk}"' in listing for s in shipments)
    assert f'data-shipment="{shipments[0].pk}"' in late
    assert f'data-shipment="{shipments[1].pk}"' not in late
    assert "data-shipment=" not in filtered
    assert 'id="calls"' in detail and "create" in detail  # the integration call log


# --- bulk create --------------------------------------------------------------------------------


def test_bulk_create_with_progress_and_one_failure(
    owner, ghn_account, ghn, packed_order, committed, warehouse
):
    # Given three packed orders and one confirmed order without a delivery address… and a
    # carrier that fails every attempt for the first order sent
    orders = [packed_order(quantity=1) for _ in range(3)]
    ghn.faults.fail_next(services.MAX_ATTEMPTS, paths=["shipping-order/create"])

    with committed():
        response = owner.post(
            reverse("shipping:bulk_create"),
            {"account": ghn_account.pk, "codes": [o.code for o in orders] + ["DH999999"]},
        )

    assert response.status_code == 302
    assert response.url.startswith(reverse("shipping:bulk_progress"))
    page = owner.get(response.url)
    html = page.text
    assert Shipment.objects.count() == 3
    assert Shipment.objects.exclude(tracking_code="").count() == 2
    states = re.findall(r'<tr data-order="DH\d+" data-state="(\w+)"', html)
    assert sorted(states) == ["created", "created", "failed"]
    assert "2 created, 1 failed" in html
    assert 'id="retry-failed"' in html
    assert 'hx-trigger="every 2s"' not in html  # all settled: stop polling

    # htmx refresh answers the partial only
    partial = owner.get(response.url, headers={"HX-Request": "true"})
    assert "<html" not in partial.text and 'id="bulk-progress"' in partial.text

    # When the failed one is retried (the carrier is fine again)
    failed_ids = re.search(r'name="failed_ids" value="([\d,]+)"', html).group(1)
    ids = re.search(r'name="ids" value="([\d,]+)"', html).group(1)
    with committed():
        retry = owner.post(reverse("shipping:bulk_retry"), {"ids": ids, "failed_ids": failed_ids})
    assert Shipment.objects.exclude(tracking_code="").count() == 3
    assert "3 created, 0 failed" in owner.get(retry.url).text


def test_bulk_create_reports_refused_orders_and_polls_while_sending(
    owner, ghn_account, ghn, packed_order, committed
):
    sent = packed_order()
    done = packed_order()
    with committed():
        services.shipment_create(order=done, account=ghn_account)

    # on-commit callbacks not run: the shipment stays "sending"
    response = owner.post(
        reverse("shipping:bulk_create"),
        {"account": ghn_account.pk, "codes": [sent.code, done.code]},
    )
    html = owner.get(response.url).text

    assert 'hx-trigger="every 2s"' in html
    assert 'data-state="sending"' in html
    assert f'data-order="{done.code}" data-state="refused"' in html
    assert "already has a shipment" in html


def test_order_list_offers_bulk_shipping_and_labels(owner, ghn_account, packed_order):
    packed_order()
    html = owner.get(reverse("orders:order_list")).text
    assert 'data-bulk-ship="ghn"' in html and 'id="bulk-labels"' in html


def test_bulk_labels_from_the_order_list(owner, ghn_account, ghn, packed_order, committed):
    orders = [packed_order() for _ in range(2)]
    with committed():
        for order in orders:
            services.shipment_create(order=order, account=ghn_account)

    response = owner.post(reverse("shipping:labels_pdf"), {"codes": [o.code for o in orders]})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.count(b"/Type /Page\n") + response.content.count(b"/Type /Page ") >= 2


# --- COD reconciliation ----------------------------------------------------------------------


def _statement(rows) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(["Mã vận đơn", "Tiền thu hộ", "Phí"])
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_cod_import_flags_unknown_tracking_number_and_completes_the_order(
    ghn_account, ghn, packed_order, committed
):
    accountant = _client("accountant")
    order = packed_order(quantity=2, price=165_000, fee=30_000)
    with committed():
        shipment = services.shipment_create(order=order, account=ghn_account)
    shipment.refresh_from_db()
    _delivered(ghn, shipment, committed)
    order.refresh_from_db()
    assert order.sub_state == SubState.DELIVERED

    overview = accountant.get(reverse("shipping:cod"))
    assert overview.status_code == 200
    assert "360.000" in overview.text

    upload = io.BytesIO(
        _statement([(shipment.tracking_code, 360_000, shipment.fee), ("GHNUNKNOWN1", 50_000, 0)])
    )
    upload.name = "doi-soat-ghn.xlsx"
    response = accountant.post(
        reverse("shipping:payout_import"),
        {"account": ghn_account.pk, "paid_at": "2026-03-02", "reference": "BK-01", "file": upload},
    )

    assert response.status_code == 302, response.content
    payout = CodPayout.objects.get()
    detail = accountant.get(response.url).text
    assert 'data-tracking="GHNUNKNOWN1" class="table-warning" data-problem="1"' in detail
    assert f'data-tracking="{shipment.tracking_code}" class' not in detail
    assert payout.lines.filter(shipment__isnull=True).count() == 1
    order.refresh_from_db()
    assert order.status == Status.COMPLETED
    assert "Nothing outstanding" in accountant.get(reverse("shipping:cod")).text


def test_cod_manual_payout_flags_a_cod_difference(ghn_account, ghn, packed_order, committed):
    accountant = _client("accountant")
    order = packed_order(quantity=2, price=165_000, fee=30_000)
    with committed():
        shipment = services.shipment_create(order=order, account=ghn_account)
    shipment.refresh_from_db()
    _delivered(ghn, shipment, committed)

    response = accountant.post(
        reverse("shipping:payout_create"),
        {
            "account": ghn_account.pk,
            "paid_at": "2026-03-02",
            "lines": f"{shipment.tracking_code}, 350.000, 0\n",
        },
    )

    assert response.status_code == 302
    line = CodPayout.objects.get().lines.get()
    assert line.cod_difference == -10_000
    detail = accountant.get(response.url).text
    assert "\u221210.000" in detail and "table-warning" in detail


def test_cod_import_rejects_a_bad_statement(ghn_account, owner):
    upload = io.BytesIO(b"foo,bar\n1,2\n")
    upload.name = "statement.csv"

    response = owner.post(
        reverse("shipping:payout_import"),
        {"account": ghn_account.pk, "paid_at": "2026-03-02", "file": upload},
    )

    assert response.status_code == 422
    assert "tracking-number column" in response.text
    assert not CodPayout.objects.exists()


# --- carrier accounts ---------------------------------------------------------------------------


def test_carrier_account_page_hides_secrets(owner, ghn_account, vtp_account):
    listing = owner.get(reverse("shipping:carrier_account_list")).text
    edit = owner.get(reverse("shipping:carrier_account_edit", args=[vtp_account.pk])).text

    for html in (listing, edit):
        assert "demo-password" not in html and "s3cret-webhook" not in html
        assert "demo-ghn-token" not in html
    assert "/shipping/webhooks/ghn/" in listing
    assert 'data-secret="vtp_password">set' in edit
    assert 'data-secret="ghn_token">not set' in edit


def test_carrier_account_create_and_edit_keep_secrets(owner, warehouse):
    response = owner.post(
        reverse("shipping:carrier_account_create"),
        {
            "provider": "ghn",
            "name": "GHN chính",
            "environment": "test",
            "ghn_token": "tok-123",
            "ghn_shop_id": "885",
            "webhook_secret": "whs-1",
            "pickup_warehouse": warehouse.pk,
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    account = CarrierAccount.objects.get()
    assert account.credentials == {"token": "tok-123"}
    assert account.options == {"shop_id": 885}

    # Saving again with empty secret fields keeps them
    owner.post(
        reverse("shipping:carrier_account_edit", args=[account.pk]),
        {
            "provider": "ghn",
            "name": "GHN Hà Nội",
            "environment": "test",
            "ghn_shop_id": "885",
            "pickup_warehouse": warehouse.pk,
        },
    )
    account.refresh_from_db()
    assert account.name == "GHN Hà Nội" and not account.is_active
    assert account.credentials["token"] == "tok-123" and account.webhook_secret == "whs-1"


# --- permissions --------------------------------------------------------------------------------


def test_sales_cannot_create_shipments(ghn_account, packed_order):
    sales = _client("sales")
    order = packed_order()

    assert sales.get(reverse("shipping:shipment_create", args=[order.code])).status_code == 403
    assert (
        sales.post(
            reverse("shipping:bulk_create"), {"account": ghn_account.pk, "codes": [order.code]}
        ).status_code
        == 403
    )
    assert sales.get(reverse("shipping:shipment_list")).status_code == 200
    assert sales.get(reverse("shipping:cod")).status_code == 403
    assert sales.get(reverse("shipping:carrier_account_list")).status_code == 403
    html = sales.get(reverse("orders:order_detail", args=[order.code])).text
    assert 'id="main-step" data-step="shipment_create" disabled' in html
    assert not Shipment.objects.exists()


def test_accountant_reconciles_but_does_not_ship_or_manage_carriers(ghn_account, packed_order):
    accountant = _client("accountant")
    order = packed_order()

    assert accountant.get(reverse("shipping:cod")).status_code == 200
    assert accountant.get(reverse("shipping:payout_create")).status_code == 200
    assert accountant.get(reverse("shipping:payout_import")).status_code == 200
    assert accountant.get(reverse("shipping:shipment_create", args=[order.code])).status_code == 403
    assert accountant.get(reverse("shipping:carrier_account_create")).status_code == 403


def test_manager_sees_carriers_but_only_owners_edit_them(staff, ghn_account):
    client = Client()
    client.force_login(staff)
    assert client.get(reverse("shipping:carrier_account_list")).status_code == 200
    assert (
        client.get(reverse("shipping:carrier_account_edit", args=[ghn_account.pk])).status_code
        == 403
    )


def test_navigation_has_shipping(owner):
    html = owner.get(reverse("web:dashboard")).text
    assert f'href="{reverse("shipping:shipment_list")}"' in html


def test_shipment_list_query_count_does_not_grow_with_rows(
    owner, ghn_account, ghn, packed_order, committed, django_assert_max_num_queries
):
    with committed():
        for _ in range(6):
            services.shipment_create(order=packed_order(), account=ghn_account)
    url = reverse("shipping:shipment_list")
    owner.get(url)  # warm the session and content types

    with django_assert_max_num_queries(14):
        response = owner.get(url)

    assert response.text.count("data-shipment=") == 6
