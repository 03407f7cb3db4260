"""Transfer pages: list, create with product search, send, receive with discrepancies, cancel."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from donhang.inventory import transfers
from donhang.inventory.models import Transfer, Warehouse
from donhang.inventory.tests.documents_support import make_variant, on_hand

pytestmark = pytest.mark.django_db


@pytest.fixture
def hn(db):
    return Warehouse.objects.create(code="HN", name="Kho Hà Nội", priority=1)


@pytest.fixture
def hcm(db):
    return Warehouse.objects.create(code="HCM", name="Kho TP.HCM", priority=2)


def draft(hn, hcm, *lines):
    return transfers.transfer_create(
        source=hn,
        destination=hcm,
        lines=[transfers.TransferLineInput(sku=sku, quantity=qty) for sku, qty in lines],
    )


def test_sales_may_not_see_transfers(login, hn, hcm):
    client = login("sales")
    assert client.get(reverse("inventory:transfer_list")).status_code == 403
    assert client.get(reverse("inventory:transfer_create")).status_code == 403


def test_warehouse_list_links_to_transfers_stocktakes_and_value(login, english):
    body = login("owner").get(reverse("inventory:warehouse_list")).content.decode()
    assert reverse("inventory:transfer_list") in body
    assert reverse("inventory:stocktake_list") in body
    assert reverse("inventory:inventory_value") in body
    # Warehouse staff count and move goods but do not see costs.
    english.logout()
    body = login("warehouse").get(reverse("inventory:warehouse_list")).content.decode()
    assert reverse("inventory:transfer_list") in body
    assert reverse("inventory:inventory_value") not in body


def test_warehouse_staff_create_a_transfer_from_the_page(login, english, hn, hcm):
    variant = make_variant("AO-1", stock={hn.pk: 10})
    client = login("warehouse")

    # Without JavaScript: search, then add the result, then save.
    page = client.post(
        reverse("inventory:transfer_create"),
        {"source": hn.pk, "destination": hcm.pk, "variant_q": "AO-1", "action": "search"},
    )
    assert page.status_code == 200
    assert "10 available at the source" in page.content.decode()
    page = client.post(
        reverse("inventory:transfer_create"),
        {"source": hn.pk, "destination": hcm.pk, "add_variant": variant.pk, "action": "save"},
    )
    assert f'name="line_variant" value="{variant.pk}"' in page.content.decode()
    assert not Transfer.objects.exists()
    response = client.post(
        reverse("inventory:transfer_create"),
        {
            "source": hn.pk,
            "destination": hcm.pk,
            "line_variant": [variant.pk],
            "line_quantity": ["4"],
            "note": "Xe tải 29C",
            "action": "save",
        },
    )

    transfer = Transfer.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("inventory:transfer_detail", args=[transfer.code])
    assert (transfer.status, transfer.source, transfer.destination) == ("draft", hn, hcm)
    assert [(ln.variant_id, ln.quantity) for ln in transfer.lines.all()] == [(variant.pk, 4)]
    # A draft moves nothing yet.
    assert on_hand(variant, hn) == 10


def test_the_form_refuses_the_same_warehouse_and_keeps_the_lines(login, english, hn):
    variant = make_variant("AO-1", stock={hn.pk: 10})
    client = login("warehouse")

    response = client.post(
        reverse("inventory:transfer_create"),
        {
            "source": hn.pk,
            "destination": hn.pk,
            "line_variant": [variant.pk],
            "line_quantity": ["3"],
        },
    )

    assert response.status_code == 200
    body = response.content.decode()
    assert "Choose a warehouse other than the source." in body
    assert 'name="line_quantity" min="0" step="1" value="3"' in body
    assert not Transfer.objects.exists()


def test_a_transfer_without_lines_is_refused(login, english, hn, hcm):
    response = login("manager").post(
        reverse("inventory:transfer_create"), {"source": hn.pk, "destination": hcm.pk}
    )
    assert "Add a product." in response.content.decode()
    assert not Transfer.objects.exists()


def test_htmx_search_and_row_show_what_is_available_at_the_source(login, english, hn, hcm):
    variant = make_variant("QUAN-9", stock={hn.pk: 7, hcm.pk: 2}, name="Quần jean")
    client = login("warehouse")

    results = client.get(
        reverse("inventory:transfer_variant_search"), {"variant_q": "quan jean", "source": hcm.pk}
    )
    row = client.get(
        reverse("inventory:transfer_line_row"), {"variant": variant.pk, "source": hn.pk}
    )

    assert "QUAN-9" in results.content.decode()
    assert "2 available at the source" in results.content.decode()
    assert "7 available at the source" in row.content.decode()
    assert (
        client.get(reverse("inventory:transfer_line_row"), {"variant": 999999}).status_code == 404
    )


def test_changing_the_source_refreshes_the_rows(login, english, hn, hcm):
    variant = make_variant("AO-1", stock={hn.pk: 10, hcm.pk: 3})
    response = login("warehouse").post(
        reverse("inventory:transfer_create"),
        {
            "source": hcm.pk,
            "destination": hn.pk,
            "line_variant": [variant.pk],
            "line_quantity": ["1"],
            "action": "refresh",
        },
        headers={"HX-Request": "true", "HX-Target": "transfer-lines-body"},
    )
    body = response.content.decode()
    assert body.startswith('<tbody id="transfer-lines-body">')
    assert "3 available at the source" in body


def test_send_then_receive_with_a_discrepancy_via_the_pages(login, english, hn, hcm):
    variant = make_variant("AO-1", stock={hn.pk: 10})
    transfer = draft(hn, hcm, ("AO-1", 4))
    line = transfer.lines.get()
    client = login("warehouse")

    detail = client.get(reverse("inventory:transfer_detail", args=[transfer.code]))
    assert 'id="transfer-send"' in detail.content.decode()
    client.post(reverse("inventory:transfer_send", args=[transfer.code]))
    assert (on_hand(variant, hn), on_hand(variant, hcm)) == (6, 0)

    # In transit: the receive form is prefilled with what was sent.
    detail = client.get(reverse("inventory:transfer_detail", args=[transfer.code]))
    assert f'name="received_{line.pk}" id="id_received_{line.pk}" value="4"' in (
        detail.content.decode()
    )
    # Less arrived and no note: the service's error, nothing received.
    refused = client.post(
        reverse("inventory:transfer_receive", args=[transfer.code]),
        {f"received_{line.pk}": "3", "discrepancy_note": ""},
    )
    assert refused.status_code == 200
    assert "What arrived differs from what was sent; say what happened." in refused.content.decode()
    assert "Explain the difference." in refused.content.decode()
    assert Transfer.objects.get().status == "in_transit"

    response = client.post(
        reverse("inventory:transfer_receive", args=[transfer.code]),
        {f"received_{line.pk}": "3", "discrepancy_note": "1 áo rách khi vận chuyển"},
    )
    assert response.status_code == 302
    assert (on_hand(variant, hn), on_hand(variant, hcm)) == (6, 3)
    page = client.get(response["Location"]).content.decode()
    assert "1 áo rách khi vận chuyển" in page
    assert "-1</td>" in page
    assert 'data-status="received"' in page


def test_sending_more_than_available_shows_why(login, english, hn, hcm):
    make_variant("AO-1", stock={hn.pk: 2})
    transfer = draft(hn, hcm, ("AO-1", 5))
    client = login("manager")

    response = client.post(reverse("inventory:transfer_send", args=[transfer.code]), follow=True)

    assert Transfer.objects.get().status == "draft"
    assert "Not enough stock: AO-1 in Kho Hà Nội: 2 available" in response.content.decode()


def test_cancel_a_draft_and_a_cancelled_one_cannot_be_sent(login, english, hn, hcm):
    make_variant("AO-1", stock={hn.pk: 2})
    transfer = draft(hn, hcm, ("AO-1", 1))
    client = login("warehouse")

    client.post(reverse("inventory:transfer_cancel", args=[transfer.code]))
    response = client.post(reverse("inventory:transfer_send", args=[transfer.code]), follow=True)

    assert Transfer.objects.get().status == "cancelled"
    assert "Only a draft transfer can be sent." in response.content.decode()


def test_list_filters_by_status_in_a_bounded_number_of_queries(
    login, english, hn, hcm, django_assert_max_num_queries
):
    make_variant("AO-1", stock={hn.pk: 20})
    sent = draft(hn, hcm, ("AO-1", 1))
    transfers.transfer_send(transfer=sent)
    draft(hn, hcm, ("AO-1", 2))
    client = login("accountant")
    with CaptureQueriesContext(connection) as one_draft:
        client.get(reverse("inventory:transfer_list"), {"status": "draft"})
    for _ in range(2):
        draft(hn, hcm, ("AO-1", 2))

    with django_assert_max_num_queries(len(one_draft)):
        client.get(reverse("inventory:transfer_list"), {"status": "draft"})
    response = client.get(reverse("inventory:transfer_list"), {"status": "in_transit"})

    codes = [t.code for t in response.context["page_obj"].object_list]
    assert codes == [sent.code]
    assert response.context["counts"] == {
        "draft": 3,
        "in_transit": 1,
        "received": 0,
        "cancelled": 0,
    }
    # Accountants look, but neither create nor receive.
    assert reverse("inventory:transfer_create") not in response.content.decode()
    detail = client.get(reverse("inventory:transfer_detail", args=[sent.code]))
    assert 'id="receive-form"' not in detail.content.decode()
    assert client.post(reverse("inventory:transfer_receive", args=[sent.code])).status_code == 403


def test_unknown_transfer_is_404(login):
    assert (
        login("manager").get(reverse("inventory:transfer_detail", args=["TR999999"])).status_code
        == 404
    )
