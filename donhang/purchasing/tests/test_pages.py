import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from donhang.customers.models import Ward
from donhang.inventory.models import StockLevel
from donhang.purchasing import services
from donhang.purchasing.models import GoodsReceipt, PurchaseOrder, Supplier, SupplierVariant

pytestmark = pytest.mark.django_db

Status = PurchaseOrder.Status


@pytest.fixture
def client_for(users):
    def make(role: str) -> Client:
        client = Client(headers={"Accept-Language": "en"})
        client.force_login(users[role])
        client.cookies["donhang_language"] = "en"
        return client

    return make


@pytest.fixture
def sent_po(make_variant, supplier, warehouse, users):
    variant = make_variant(sku="AT01")
    po = services.purchase_order_create(
        supplier=supplier,
        warehouse=warehouse,
        lines=[services.PoLineInput(variant_id=variant.pk, quantity=10, unit_price=70_000)],
        actor=users["manager"],
    )
    return services.purchase_order_send(purchase_order=po, actor=users["manager"])


# --- who may open what -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "purchasing:supplier_list",
        "purchasing:purchase_order_list",
        "purchasing:receipt_list",
        "purchasing:suggestions",
        "purchasing:supplier_create",
        "purchasing:purchase_order_create",
        "purchasing:receipt_create_standalone",
    ],
)
def test_sales_gets_403_on_purchasing_pages(client_for, name):
    assert client_for("sales").get(reverse(name)).status_code == 403


def test_every_page_opens_for_a_manager(client_for, sent_po, supplier):
    client = client_for("manager")
    receipt = services.goods_receipt_post(
        purchase_order=sent_po,
        warehouse=sent_po.warehouse,
        lines=[services.ReceiptLineInput(sku="AT01", quantity=2)],
    )
    for url in [
        reverse("purchasing:supplier_list"),
        reverse("purchasing:supplier_create"),
        reverse("purchasing:supplier_detail", args=[supplier.pk]),
        reverse("purchasing:supplier_edit", args=[supplier.pk]),
        reverse("purchasing:purchase_order_list"),
        reverse("purchasing:purchase_order_list") + f"?status=sent&supplier={supplier.pk}",
        reverse("purchasing:purchase_order_create"),
        reverse("purchasing:purchase_order_detail", args=[sent_po.pk]),
        reverse("purchasing:suggestions"),
        reverse("purchasing:receipt_list"),
        reverse("purchasing:receipt_detail", args=[receipt.pk]),
        reverse("purchasing:receipt_create", args=[sent_po.pk]),
        reverse("purchasing:receipt_create_standalone"),
        reverse("purchasing:variant_search") + "?q=at01&mode=po",
    ]:
        response = client.get(url)
        assert response.status_code == 200, url


def test_warehouse_cannot_send_a_purchase_order(client_for, make_variant, supplier, warehouse):
    # Given a draft
    variant = make_variant()
    po = services.purchase_order_create(
        supplier=supplier,
        warehouse=warehouse,
        lines=[services.PoLineInput(variant_id=variant.pk, quantity=3)],
    )
    client = client_for("warehouse")

    # Then the page hides Send from warehouse staff…
    page = client.get(reverse("purchasing:purchase_order_detail", args=[po.pk]))
    assert page.status_code == 200
    assert 'id="po-send"' not in page.content.decode()

    # …and posting it anyway is refused, leaving the draft as it was
    response = client.post(reverse("purchasing:purchase_order_send", args=[po.pk]), follow=True)
    assert "not allowed" in response.content.decode()
    po.refresh_from_db()
    assert po.status == Status.DRAFT

    # while a manager sees the button and sends it
    manager = client_for("manager")
    page = manager.get(reverse("purchasing:purchase_order_detail", args=[po.pk]))
    assert 'id="po-send"' in page.content.decode()
    manager.post(reverse("purchasing:purchase_order_send", args=[po.pk]))
    po.refresh_from_db()
    assert po.status == Status.SENT


def test_warehouse_opens_the_receipt_form_and_posts_a_receipt(
    client_for, sent_po, warehouse, place_order
):
    # Given two orders waiting for the product
    place_order("AT01", 2, phone="0912000001")
    place_order("AT01", 1, phone="0912000002")
    client = client_for("warehouse")
    line = sent_po.lines.get()

    # When warehouse staff open the form, remaining quantities are prefilled
    form = client.get(reverse("purchasing:receipt_create", args=[sent_po.pk]))
    assert form.status_code == 200
    html = form.content.decode()
    assert re.search(r'name="line_quantity"[^>]*value="10"', html)

    # and they post 4 of the 10
    response = client.post(
        reverse("purchasing:receipt_create", args=[sent_po.pk]),
        {
            "action": "save",
            "warehouse": warehouse.pk,
            "line_po_line": [line.pk],
            "line_quantity": ["4"],
            "line_unit_cost": ["70000"],
        },
        follow=True,
    )

    # Then the receipt exists, the order is partially received, both orders were served
    assert response.status_code == 200
    receipt = GoodsReceipt.objects.get()
    assert response.redirect_chain[-1][0] == reverse("purchasing:receipt_detail", args=[receipt.pk])
    text = response.content.decode()
    assert f"Goods receipt {receipt.code} posted." in text
    assert "2 waiting orders got their stock" in text
    sent_po.refresh_from_db()
    assert sent_po.status == Status.PARTIALLY_RECEIVED
    assert StockLevel.objects.get(warehouse=warehouse).on_hand == 4


def test_over_receipt_is_refused_then_accepted_with_the_checkbox(client_for, sent_po, warehouse):
    client = client_for("warehouse")
    line = sent_po.lines.get()
    data = {
        "action": "save",
        "warehouse": warehouse.pk,
        "line_po_line": [line.pk],
        "line_quantity": ["12"],
        "line_unit_cost": ["70000"],
    }
    url = reverse("purchasing:receipt_create", args=[sent_po.pk])

    # When 12 arrive for 10 ordered, without ticking the box
    refused = client.post(url, data)

    # Then the form comes back with the message, the typed quantity and the box highlighted
    assert refused.status_code == 409
    html = refused.content.decode()
    assert "More than ordered: AT01 (+2)" in html
    assert re.search(r'class="[^"]*border-warning[^"]*" id="over-receipt-box"', html)
    assert re.search(r'name="line_quantity"[^>]*value="12"', html)
    assert not GoodsReceipt.objects.exists()

    # When the box is ticked
    accepted = client.post(url, {**data, "allow_over_receipt": "on"})

    # Then the receipt is posted and the order is received
    assert accepted.status_code == 302
    line.refresh_from_db()
    assert line.received_quantity == 12
    sent_po.refresh_from_db()
    assert sent_po.status == Status.RECEIVED


def test_a_draft_cannot_be_received_from_the_page(client_for, make_variant, supplier, warehouse):
    variant = make_variant()
    po = services.purchase_order_create(
        supplier=supplier,
        warehouse=warehouse,
        lines=[services.PoLineInput(variant_id=variant.pk, quantity=3)],
    )
    response = client_for("warehouse").get(reverse("purchasing:receipt_create", args=[po.pk]))
    assert response.status_code == 302
    assert response.url == reverse("purchasing:purchase_order_detail", args=[po.pk])


def test_standalone_receipt_by_product_search(client_for, make_variant, supplier, warehouse):
    variant = make_variant(sku="QJ02", cost=50_000)
    client = client_for("manager")  # sees and sets unit costs (the warehouse does not)

    # The search finds the product without diacritics
    results = client.get(
        reverse("purchasing:variant_search"), {"q": "san pham qj", "mode": "receipt"}
    )
    assert 'data-variant-sku="QJ02"' in results.content.decode()
    row = client.get(reverse("purchasing:line_row"), {"variant": variant.pk, "mode": "receipt"})
    assert 'value="50000"' in row.content.decode()

    response = client.post(
        reverse("purchasing:receipt_create_standalone"),
        {
            "action": "save",
            "supplier": supplier.pk,
            "warehouse": warehouse.pk,
            "line_variant": [variant.pk],
            "line_quantity": ["5"],
            "line_unit_cost": ["48000"],
        },
    )

    assert response.status_code == 302
    receipt = GoodsReceipt.objects.get()
    assert receipt.purchase_order is None and receipt.supplier == supplier
    assert StockLevel.objects.get(variant=variant, warehouse=warehouse).on_hand == 5
    assert SupplierVariant.objects.get(supplier=supplier, variant=variant).last_purchase_price == (
        48_000
    )


# --- suppliers -------------------------------------------------------------------------------


def test_supplier_create_edit_and_search_without_diacritics(client_for):
    client = client_for("manager")
    ward = Ward.objects.select_related("province").get(name="Phường Hoàn Kiếm")

    response = client.post(
        reverse("purchasing:supplier_create"),
        {
            "name": "Công ty Cổ phần Giày Đông Hưng",
            "tax_code": "0101234567",
            "phone": "024 3826 1234",
            "province": ward.province_id,
            "ward": ward.code,
            "address_line": "5 Hàng Đào",
            "payment_terms": "30 ngày",
            "is_active": "on",
        },
    )
    supplier = Supplier.objects.get()
    assert response.status_code == 302
    assert supplier.phone == "+842438261234" and supplier.ward == ward

    listing = client.get(reverse("purchasing:supplier_list"), {"q": "giay dong hung"})
    assert "Công ty Cổ phần Giày Đông Hưng" in listing.content.decode()
    by_phone = client.get(reverse("purchasing:supplier_list"), {"q": "0243826"})
    assert "Giày Đông Hưng" in by_phone.content.decode()
    by_tax = client.get(reverse("purchasing:supplier_list"), {"q": "0101234567"})
    assert "Giày Đông Hưng" in by_tax.content.decode()
    assert (
        "Giày Đông Hưng"
        not in client.get(reverse("purchasing:supplier_list"), {"q": "may mac"}).content.decode()
    )

    # An invalid tax code comes back on its field, not as a 500
    bad = client.post(
        reverse("purchasing:supplier_edit", args=[supplier.pk]),
        {"name": "Giày Đông Hưng", "tax_code": "123", "is_active": "on"},
    )
    assert bad.status_code == 422
    assert "A tax code has 10 digits" in bad.content.decode()


def test_supplier_products_are_added_and_edited(client_for, supplier, make_variant):
    variant = make_variant(sku="AT01", cost=80_000)
    other = services.supplier_create(name="Xưởng May Bình Dương")
    services.supplier_variant_set(supplier=other, variant=variant, is_preferred=True)
    client = client_for("manager")

    client.post(
        reverse("purchasing:supplier_variant_add", args=[supplier.pk]), {"variant": variant.pk}
    )
    link = SupplierVariant.objects.get(supplier=supplier, variant=variant)
    assert link.last_purchase_price == 80_000

    client.post(
        reverse("purchasing:supplier_variants_update", args=[supplier.pk]),
        {
            "link_variant": [variant.pk],
            "link_supplier_sku": ["DM-AT-01"],
            "link_price": ["75000"],
            "link_preferred": [variant.pk],
        },
    )

    link.refresh_from_db()
    assert (link.supplier_sku, link.last_purchase_price, link.is_preferred) == (
        "DM-AT-01",
        75_000,
        True,
    )
    assert not SupplierVariant.objects.get(supplier=other).is_preferred
    page = client.get(reverse("purchasing:supplier_detail", args=[supplier.pk]))
    assert "DM-AT-01" in page.content.decode()


def test_warehouse_cannot_change_supplier_products(client_for, supplier, make_variant):
    variant = make_variant()
    response = client_for("warehouse").post(
        reverse("purchasing:supplier_variant_add", args=[supplier.pk]), {"variant": variant.pk}
    )
    assert response.status_code == 403
    assert not SupplierVariant.objects.exists()


# --- purchase orders -------------------------------------------------------------------------


def test_create_a_purchase_order_with_default_and_typed_prices(
    client_for, supplier, warehouse, make_variant
):
    first = make_variant(sku="AT01", cost=80_000)
    second = make_variant(sku="AT02", cost=90_000)
    services.supplier_variant_set(supplier=supplier, variant=first, last_purchase_price=72_000)
    client = client_for("manager")

    # The row added by search carries the supplier's last price
    row = client.get(reverse("purchasing:line_row"), {"variant": first.pk, "supplier": supplier.pk})
    assert 'name="line_unit_price" min="0" step="1" value="72000"' in row.content.decode()

    response = client.post(
        reverse("purchasing:purchase_order_create"),
        {
            "action": "save",
            "supplier": supplier.pk,
            "warehouse": warehouse.pk,
            "expected_date": "2025-09-15",
            "line_variant": [first.pk, second.pk],
            "line_quantity": ["10", "5"],
            "line_unit_price": ["", "85000"],
            "line_vat_rate": ["10", "8"],
        },
    )

    po = PurchaseOrder.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("purchasing:purchase_order_detail", args=[po.pk])
    lines = {ln.variant.sku: ln for ln in po.lines.select_related("variant")}
    assert (lines["AT01"].unit_price, lines["AT01"].vat_rate) == (72_000, "10")
    assert (lines["AT02"].unit_price, lines["AT02"].vat_rate) == (85_000, "8")
    assert po.goods_total == 10 * 72_000 + 5 * 85_000
    assert po.vat_total == 72_000 + 34_000
    assert po.status == Status.DRAFT and str(po.expected_date) == "2025-09-15"


def test_purchase_order_form_shows_line_errors(client_for, supplier, warehouse, make_variant):
    variant = make_variant()
    response = client_for("manager").post(
        reverse("purchasing:purchase_order_create"),
        {
            "action": "save",
            "supplier": supplier.pk,
            "warehouse": warehouse.pk,
            "line_variant": [variant.pk],
            "line_quantity": ["-2"],
            "line_unit_price": ["1000"],
            "line_vat_rate": ["10"],
        },
    )
    assert response.status_code == 422
    assert "Enter a whole number of 0 or more." in response.content.decode()
    assert not PurchaseOrder.objects.exists()


def test_edit_lines_of_a_draft_then_cancel(client_for, supplier, warehouse, make_variant):
    variant = make_variant()
    po = services.purchase_order_create(
        supplier=supplier,
        warehouse=warehouse,
        lines=[services.PoLineInput(variant_id=variant.pk, quantity=3, unit_price=1000)],
    )
    client = client_for("manager")
    assert client.get(reverse("purchasing:purchase_order_edit", args=[po.pk])).status_code == 200

    client.post(
        reverse("purchasing:purchase_order_edit", args=[po.pk]),
        {
            "action": "save",
            "line_variant": [variant.pk],
            "line_quantity": ["7"],
            "line_unit_price": ["2000"],
            "line_vat_rate": ["5"],
        },
    )
    line = po.lines.get()
    assert (line.quantity, line.unit_price, line.vat_rate) == (7, 2000, "5")

    client.post(reverse("purchasing:purchase_order_cancel", args=[po.pk]))
    po.refresh_from_db()
    assert po.status == Status.CANCELLED


def test_purchase_order_list_tabs_filter_and_bounded_queries(
    client_for, supplier, warehouse, make_variant
):
    variant = make_variant()
    other = services.supplier_create(name="Xưởng May Bình Dương")

    def make(n, who):
        for _ in range(n):
            services.purchase_order_create(
                supplier=who,
                warehouse=warehouse,
                lines=[services.PoLineInput(variant_id=variant.pk, quantity=1)],
            )

    make(3, supplier)
    client = client_for("manager")
    url = reverse("purchasing:purchase_order_list")
    client.get(url)  # warm the session and permission caches
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    make(20, other)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert len(many) == len(few) <= 14, "\n".join(q["sql"] for q in many.captured_queries)
    assert response.content.decode().count("data-po=") == 23

    drafts_of_other = client.get(url, {"status": "draft", "supplier": other.pk})
    assert drafts_of_other.content.decode().count("data-po=") == 20
    assert client.get(url, {"status": "sent"}).content.decode().count("data-po=") == 0


def test_supplier_and_receipt_lists_have_bounded_queries(
    client_for, supplier, warehouse, make_variant
):
    variant = make_variant()
    client = client_for("manager")

    def receive(n):
        for _ in range(n):
            services.goods_receipt_post(
                warehouse=warehouse,
                supplier=supplier,
                lines=[services.ReceiptLineInput(variant_id=variant.pk, quantity=1)],
            )
            services.supplier_create(name=f"Nhà cung cấp {GoodsReceipt.objects.count()}")

    receive(2)
    for url in (reverse("purchasing:supplier_list"), reverse("purchasing:receipt_list")):
        client.get(url)
        with CaptureQueriesContext(connection) as few:
            client.get(url)
        receive(10)
        with CaptureQueriesContext(connection) as many:
            client.get(url)
        assert len(many) == len(few) <= 14, url


# --- shortages → purchase orders -------------------------------------------------------------


def test_suggestions_page_saves_one_po_per_supplier_with_edited_quantities(
    client_for, make_variant, supplier, warehouse, place_order
):
    # Given shortages for three products: two with preferred suppliers, one without
    shirt = make_variant(sku="AT01")
    trousers = make_variant(sku="QJ01")
    hat = make_variant(sku="MU01", threshold=5)  # low-stock reorder only
    other = services.supplier_create(name="Xưởng May Bình Dương")
    services.supplier_variant_set(supplier=supplier, variant=shirt, is_preferred=True)
    services.supplier_variant_set(supplier=other, variant=trousers, is_preferred=True)
    place_order("AT01", 3, phone="0912000001")
    place_order("QJ01", 2, phone="0912000002")
    client = client_for("manager")

    page = client.get(reverse("purchasing:suggestions"))
    html = page.content.decode()
    assert "No preferred supplier" in html
    assert html.index("Công ty TNHH Dệt May Sài Gòn") < html.index("No preferred supplier")
    assert 'data-suggestion-sku="MU01"' in html and "Low stock" in html
    assert "Orders waiting" in html

    # When saving with edited quantities and the hat assigned to the first supplier
    response = client.post(
        reverse("purchasing:suggestions"),
        {
            "warehouse": warehouse.pk,
            "variant": [shirt.pk, trousers.pk, hat.pk],
            f"supplier_{shirt.pk}": supplier.pk,
            f"quantity_{shirt.pk}": "8",
            f"price_{shirt.pk}": "71000",
            f"supplier_{trousers.pk}": other.pk,
            f"quantity_{trousers.pk}": "2",
            f"price_{trousers.pk}": "",
            f"supplier_{hat.pk}": supplier.pk,
            f"quantity_{hat.pk}": "4",
            f"price_{hat.pk}": "20000",
        },
        follow=True,
    )

    # Then one draft per supplier, with the typed quantities, and a message naming them
    orders = {po.supplier: po for po in PurchaseOrder.objects.all()}
    assert set(orders) == {supplier, other}
    first = {ln.variant.sku: (ln.quantity, ln.unit_price) for ln in orders[supplier].lines.all()}
    assert first == {"AT01": (8, 71_000), "MU01": (4, 20_000)}
    assert [(ln.variant.sku, ln.quantity) for ln in orders[other].lines.all()] == [("QJ01", 2)]
    assert response.redirect_chain[-1][0].startswith(reverse("purchasing:purchase_order_list"))
    text = response.content.decode()
    assert "Created 2 draft purchase orders" in text
    assert orders[supplier].code in text and orders[other].code in text


def test_suggestions_without_a_supplier_come_back_with_the_typed_values(
    client_for, make_variant, warehouse, place_order
):
    hat = make_variant(sku="MU01")
    place_order("MU01", 2)

    response = client_for("manager").post(
        reverse("purchasing:suggestions"),
        {
            "warehouse": warehouse.pk,
            "variant": [hat.pk],
            f"supplier_{hat.pk}": "",
            f"quantity_{hat.pk}": "6",
            f"price_{hat.pk}": "",
        },
    )

    assert response.status_code == 422
    html = response.content.decode()
    assert "Choose a supplier for every product to order." in html
    assert f'name="quantity_{hat.pk}" value="6"' in html
    assert not PurchaseOrder.objects.exists()


def test_receipt_message_when_no_order_waits(client_for, sent_po, warehouse):
    response = client_for("manager").post(
        reverse("purchasing:receipt_create", args=[sent_po.pk]),
        {
            "action": "save",
            "warehouse": warehouse.pk,
            "line_po_line": [sent_po.lines.get().pk],
            "line_quantity": ["10"],
            "line_unit_cost": ["70000"],
        },
        follow=True,
    )
    text = response.content.decode()
    assert "posted." in text and "waiting order" not in text


def test_purchase_order_form_works_without_javascript(
    client_for, supplier, warehouse, make_variant
):
    variant = make_variant(sku="AT01", cost=80_000)
    client = client_for("manager")
    url = reverse("purchasing:purchase_order_create")
    header = {"supplier": supplier.pk, "warehouse": warehouse.pk}

    # Searching re-renders the form with results; "Add" adds a row at the default price
    found = client.post(url, {**header, "action": "search", "variant_q": "san pham at01"})
    assert 'data-variant-sku="AT01"' in found.content.decode()
    added = client.post(url, {**header, "add_variant": variant.pk})
    html = added.content.decode()
    assert 'data-line-sku="AT01"' in html
    assert 'name="line_unit_price" min="0" step="1" value="80000"' in html

    saved = client.post(
        url,
        {
            **header,
            "action": "save",
            "line_variant": [variant.pk],
            "line_quantity": ["3"],
            "line_unit_price": ["80000"],
            "line_vat_rate": ["10"],
        },
    )
    assert saved.status_code == 302
    assert PurchaseOrder.objects.get().total == 264_000


def test_nothing_to_order_shows_the_empty_state(client_for):
    response = client_for("manager").get(reverse("purchasing:suggestions"))
    assert response.status_code == 200
    assert "Nothing to order." in response.content.decode()
