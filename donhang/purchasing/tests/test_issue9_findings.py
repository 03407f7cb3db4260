"""Issue 9 findings in purchasing: each test failed before its fix.

Cost prices (purchase prices, receipt unit costs, order totals, suppliers' last prices) are for
roles with catalog.view_cost only: the warehouse role receives goods without seeing or setting
them. Codes typed by people are NFC and refuse hidden characters; names and notes refuse NUL.
"""

import subprocess
import unicodedata

import pytest
from django.test import Client
from django.urls import reverse

from donhang.accounts.services import api_key_create
from donhang.catalog import services as catalog
from donhang.core.errors import PermissionDenied, ValidationFailed
from donhang.purchasing import services
from donhang.purchasing.models import GoodsReceipt, GoodsReceiptLine, PurchaseOrder, Supplier

pytestmark = pytest.mark.django_db

COST = 83_170  # the variant's cost price
LAST_PRICE = 71_530  # the supplier's last price
PO_PRICE = 72_530  # the purchase order's price: 12 × 72,530 = 870,360
# Every way these amounts could show on a page, in a form field or in a PDF.
SECRETS = ("83.170", "83170", "71.530", "71530", "72.530", "72530", "870.360", "870360")


def _leaks(content: bytes | str) -> list[str]:
    text = content.decode() if isinstance(content, bytes) else content
    return [s for s in SECRETS if s in text]


def _page_client(user) -> Client:
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(user)
    client.cookies["donhang_language"] = "en"
    return client


def _api_client(role: str) -> Client:
    _key, raw = api_key_create(name=f"key-{role}", role=role)
    client = Client(headers={"Authorization": f"Bearer {raw}", "Accept-Language": "en"})
    client.cookies["donhang_language"] = "en"
    return client


@pytest.fixture
def priced(make_variant, supplier, warehouse, users):
    """A sent purchase order of 12 × AT01 at 72,530, with a supplier's last price of 71,530 and
    a receipt of 5 units posted by the warehouse."""
    variant = make_variant(sku="AT01", cost=COST)
    services.supplier_variant_set(
        supplier=supplier, variant=variant, last_purchase_price=LAST_PRICE, supplier_sku="DM-01"
    )
    po = services.purchase_order_create(
        supplier=supplier,
        warehouse=warehouse,
        lines=[services.PoLineInput(variant_id=variant.pk, quantity=12, unit_price=PO_PRICE)],
        actor=users["manager"],
    )
    services.purchase_order_send(purchase_order=po, actor=users["manager"])
    receipt = services.goods_receipt_post(
        purchase_order=po,
        warehouse=warehouse,
        lines=[services.ReceiptLineInput(variant_id=variant.pk, quantity=5)],
        actor=users["warehouse"],
    )
    # The supplier's last price moved to the receipt's cost: set it back to tell them apart.
    services.supplier_variant_set(
        supplier=supplier, variant=variant, last_purchase_price=LAST_PRICE
    )
    return {"variant": variant, "po": po, "receipt": receipt, "supplier": supplier}


# --- cost prices: pages ------------------------------------------------------------------------


def _pages(priced) -> list[str]:
    po, receipt, variant = priced["po"], priced["receipt"], priced["variant"]
    return [
        reverse("purchasing:purchase_order_list"),
        reverse("purchasing:purchase_order_detail", args=[po.pk]),
        reverse("purchasing:receipt_detail", args=[receipt.pk]),
        reverse("purchasing:receipt_create", args=[po.pk]),
        reverse("purchasing:supplier_detail", args=[priced["supplier"].pk]),
        reverse("purchasing:suggestions"),
        f"{reverse('purchasing:variant_search')}?q=AT01&mode=po&supplier={priced['supplier'].pk}",
        f"{reverse('purchasing:variant_search')}?q=AT01&mode=receipt",
        f"{reverse('purchasing:line_row')}?variant={variant.pk}&mode=receipt",
        f"{reverse('purchasing:line_row')}?variant={variant.pk}&mode=po&supplier="
        f"{priced['supplier'].pk}",
    ]


def test_warehouse_staff_see_no_cost_prices_on_purchasing_pages(priced, users, place_order):
    # Given an order short of the product, so that the shortages page lists it with a price
    place_order("AT01", 20)
    warehouse_staff = _page_client(users["warehouse"])
    manager = _page_client(users["manager"])

    for url in _pages(priced):
        response = warehouse_staff.get(url)
        # Then the warehouse sees each page, without any cost in it…
        assert response.status_code == 200, url
        assert _leaks(response.content) == [], url
    # …while a manager sees them
    detail = manager.get(reverse("purchasing:purchase_order_detail", args=[priced["po"].pk]))
    assert "72.530" in detail.content.decode() and "870.360" in detail.content.decode()
    receipt = manager.get(reverse("purchasing:receipt_detail", args=[priced["receipt"].pk]))
    assert "72.530" in receipt.content.decode()
    search = manager.get(
        reverse("purchasing:variant_search"), {"q": "AT01", "supplier": priced["supplier"].pk}
    )
    assert "71.530" in search.content.decode()


def test_warehouse_receives_goods_at_the_purchase_orders_price_without_seeing_it(priced, users):
    # Given the receipt page of the warehouse, which has no unit cost field
    client = _page_client(users["warehouse"])
    po = priced["po"]
    form = client.get(reverse("purchasing:receipt_create", args=[po.pk]))
    assert 'name="line_unit_cost"' not in form.content.decode()

    # When the warehouse posts the rest (even with a unit cost slipped into the form)
    line = po.lines.get()
    response = client.post(
        reverse("purchasing:receipt_create", args=[po.pk]),
        {
            "action": "save",
            "warehouse": po.warehouse_id,
            "line_po_line": [line.pk],
            "line_quantity": ["7"],
            "line_unit_cost": ["1"],
        },
    )

    # Then the receipt is posted at the purchase order's price
    assert response.status_code == 302
    receipt = GoodsReceipt.objects.exclude(pk=priced["receipt"].pk).get()
    assert receipt.lines.get().unit_cost == PO_PRICE
    po.refresh_from_db()
    assert po.status == PurchaseOrder.Status.RECEIVED


def test_warehouse_standalone_receipt_keeps_the_cost_price(priced, users, warehouse):
    client = _page_client(users["warehouse"])
    variant = priced["variant"]
    variant.refresh_from_db()
    cost_before = variant.cost_price

    response = client.post(
        reverse("purchasing:receipt_create_standalone"),
        {
            "action": "save",
            "warehouse": warehouse.pk,
            "line_variant": [variant.pk],
            "line_quantity": ["3"],
        },
    )

    assert response.status_code == 302
    line = GoodsReceiptLine.objects.get(receipt__purchase_order=None)
    assert line.unit_cost == cost_before
    variant.refresh_from_db()
    assert variant.cost_price == cost_before


def test_purchase_order_pdf_of_the_warehouse_has_no_prices(priced, users, tmp_path):
    def pdf_text(user) -> str:
        response = _page_client(user).get(
            reverse("purchasing:purchase_order_pdf", args=[priced["po"].pk])
        )
        assert response.status_code == 200
        path = tmp_path / f"{user.username}.pdf"
        path.write_bytes(response.content)
        return subprocess.run(
            ["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True
        ).stdout

    warehouse_copy = pdf_text(users["warehouse"])
    assert "AT01" in warehouse_copy and "12" in warehouse_copy
    assert _leaks(warehouse_copy) == []
    assert "Total" not in warehouse_copy
    assert "870.360" in pdf_text(users["manager"])


# --- cost prices: services ---------------------------------------------------------------------


def test_services_refuse_prices_from_a_role_that_may_not_see_them(priced, users, warehouse):
    variant, po = priced["variant"], priced["po"]

    with pytest.raises(PermissionDenied) as receipt_error:
        services.goods_receipt_post(
            purchase_order=po,
            warehouse=warehouse,
            lines=[services.ReceiptLineInput(variant_id=variant.pk, quantity=1, unit_cost=1)],
            actor=users["warehouse"],
        )
    assert "lines.0.unit_cost" in receipt_error.value.fields
    with pytest.raises(PermissionDenied):
        services.supplier_variant_set(
            supplier=priced["supplier"],
            variant=variant,
            last_purchase_price=LAST_PRICE,
            actor=users["warehouse"],
        )
    assert GoodsReceipt.objects.count() == 1


# --- cost prices: API --------------------------------------------------------------------------


def test_api_gives_no_cost_prices_to_the_warehouse(priced, place_order):
    place_order("AT01", 20)
    warehouse_api, manager_api = _api_client("warehouse"), _api_client("manager")
    code = priced["po"].code

    one = warehouse_api.get(f"/api/v1/purchase-orders/{code}").json()
    assert (one["goods_total"], one["vat_total"], one["total"]) == (None, None, None)
    assert [(ln["unit_price"], ln["amount"]) for ln in one["lines"]] == [(None, None)]
    listed = warehouse_api.get("/api/v1/purchase-orders").json()["items"]
    assert [po["total"] for po in listed] == [None]
    suggestions = warehouse_api.get("/api/v1/purchase-orders/suggestions").json()
    assert suggestions and all(s["unit_price"] is None for s in suggestions)
    assert _leaks(str(one) + str(listed) + str(suggestions)) == []

    managed = manager_api.get(f"/api/v1/purchase-orders/{code}").json()
    assert managed["lines"][0]["unit_price"] == PO_PRICE
    assert managed["goods_total"] == 12 * PO_PRICE


def test_api_receipt_by_the_warehouse_hides_and_refuses_unit_costs(priced):
    warehouse_api = _api_client("warehouse")
    url = f"/api/v1/purchase-orders/{priced['po'].code}/receipts"

    refused = warehouse_api.post(
        url, {"lines": [{"sku": "AT01", "quantity": 1, "unit_cost": 1}]}, "application/json"
    )
    assert refused.status_code == 403
    assert "lines.0.unit_cost" in refused.json()["error"]["fields"]
    assert GoodsReceipt.objects.count() == 1

    posted = warehouse_api.post(
        url, {"lines": [{"sku": "AT01", "quantity": 2}]}, "application/json"
    )
    assert posted.status_code == 201
    assert posted.json()["receipt"]["lines"] == [{"sku": "AT01", "quantity": 2, "unit_cost": None}]
    assert GoodsReceiptLine.objects.order_by("-pk").first().unit_cost == PO_PRICE


def test_openapi_documents_the_hidden_costs():
    schema = _api_client("owner").get("/api/v1/openapi.json").json()["components"]["schemas"]
    line = schema["PurchaseOrderLineOut"]["properties"]["unit_price"]
    assert "view_cost" in line["description"]
    assert "view_cost" in schema["ReceiptLineOut"]["properties"]["unit_cost"]["description"]
    assert "view_cost" in schema["ReceiptLineIn"]["properties"]["unit_cost"]["description"]


# --- codes and names ---------------------------------------------------------------------------

COMPOSED = unicodedata.normalize("NFC", "ÁO-A51B")
DECOMPOSED = unicodedata.normalize("NFD", "ÁO-A51B")


@pytest.fixture
def accented(db, warehouse):
    product = catalog.product_create(
        name="Áo sơ mi", sku=COMPOSED, defaults={"cost_price": 50_000, "sale_price": 90_000}
    )
    return product.variants.get()


def test_a_decomposed_sku_on_a_purchase_order_is_the_same_product(accented, supplier):
    assert COMPOSED != DECOMPOSED
    manager_api = _api_client("manager")

    created = manager_api.post(
        "/api/v1/purchase-orders",
        {
            "supplier_id": supplier.pk,
            "warehouse": "HN",
            "lines": [{"sku": DECOMPOSED, "quantity": 2}],
        },
        "application/json",
    )

    assert created.status_code == 201, created.content
    assert created.json()["lines"][0]["sku"] == COMPOSED


def test_a_sku_with_a_zero_width_space_is_refused_as_such(accented, supplier):
    manager_api = _api_client("manager")

    refused = manager_api.post(
        "/api/v1/purchase-orders",
        {
            "supplier_id": supplier.pk,
            "warehouse": "HN",
            "lines": [{"sku": "AO\u200b-A51B", "quantity": 2}],
        },
        "application/json",
    )

    assert refused.status_code == 422
    assert "hidden characters" in refused.json()["error"]["fields"]["lines.0.sku"]
    assert not PurchaseOrder.objects.exists()


def test_receipt_lines_by_decomposed_sku(accented, supplier, warehouse, users):
    po = services.purchase_order_create(
        supplier=supplier,
        warehouse=warehouse,
        lines=[services.PoLineInput(variant_id=accented.pk, quantity=3)],
        actor=users["manager"],
    )
    services.purchase_order_send(purchase_order=po, actor=users["manager"])

    posted = _api_client("warehouse").post(
        f"/api/v1/purchase-orders/{po.code}/receipts",
        {"lines": [{"sku": DECOMPOSED, "quantity": 3}]},
        "application/json",
    )

    assert posted.status_code == 201, posted.content
    assert posted.json()["purchase_order_status"] == "received"


@pytest.mark.parametrize(
    "field, value",
    [
        ("name", "\u200b\u200b"),  # only invisible characters
        ("name", "Công ty\x00"),  # NUL
        ("contact_name", "Chị\x00Lan"),
        ("note", "ghi chú\x00"),
        ("payment_terms", "\u200b"),
        ("tax_code", "０３０１２３４５６７"),  # full-width digits
        ("tax_code", "0301234567\u200b"),
        ("phone", "0283\u200b822 1234"),
    ],
)
def test_supplier_text_with_hidden_characters_is_refused(field, value):
    payload = {"name": "Công ty TNHH May Việt", field: value}
    response = _api_client("manager").post("/api/v1/suppliers", payload, "application/json")
    assert response.status_code == 422, (field, response.content)
    assert field in response.json()["error"]["fields"]
    assert not Supplier.objects.exists()


def test_suppliers_code_of_a_product_refuses_hidden_characters(supplier, make_variant):
    variant = make_variant(sku="AT01")

    with pytest.raises(ValidationFailed) as error:
        services.supplier_variant_set(supplier=supplier, variant=variant, supplier_sku="DM\u200b01")
    assert "supplier_sku" in error.value.fields

    link = services.supplier_variant_set(
        supplier=supplier, variant=variant, supplier_sku=DECOMPOSED
    )
    assert link.supplier_sku == COMPOSED


@pytest.mark.parametrize("note", ["a\x00b", "\x07"])
def test_purchase_order_note_with_control_characters_is_a_422(supplier, make_variant, note):
    make_variant(sku="AT01")
    response = _api_client("manager").post(
        "/api/v1/purchase-orders",
        {
            "supplier_id": supplier.pk,
            "warehouse": "HN",
            "note": note,
            "lines": [{"sku": "AT01", "quantity": 1}],
        },
        "application/json",
    )
    assert response.status_code == 422
    assert "note" in response.json()["error"]["fields"]
    assert not PurchaseOrder.objects.exists()


def test_lookups_by_a_code_with_hidden_characters_are_404(priced):
    manager_api = _api_client("manager")
    assert manager_api.get("/api/v1/purchase-orders/PO000001%00").status_code == 404
    assert manager_api.get("/api/v1/purchase-orders/PO000001%E2%80%8B").status_code == 404
    assert manager_api.get("/api/v1/suppliers", {"q": "a\x00"}).status_code == 200


# --- numbers no column holds (found while fuzzing: a 500 each) --------------------------------


def test_page_filters_with_numbers_no_column_holds_find_nothing(users):
    client = _page_client(users["manager"])
    huge = "9" * 30
    for url in (
        f"{reverse('purchasing:purchase_order_list')}?supplier={huge}",
        f"{reverse('purchasing:receipt_list')}?supplier={huge}",
        f"{reverse('purchasing:purchase_order_create')}?supplier={huge}",
        f"{reverse('purchasing:variant_search')}?q=AT&supplier={huge}",
    ):
        assert client.get(url).status_code == 200, url
    assert client.get(f"{reverse('purchasing:line_row')}?variant={huge}").status_code == 400


def test_a_superscript_price_on_the_supplier_page_is_no_price(priced, users):
    client = _page_client(users["manager"])
    supplier, variant = priced["supplier"], priced["variant"]

    response = client.post(
        reverse("purchasing:supplier_variants_update", args=[supplier.pk]),
        {"link_variant": [variant.pk], "link_supplier_sku": ["DM-01"], "link_price": ["²"]},
    )

    assert response.status_code == 302
    assert supplier.variants.get(variant=variant).last_purchase_price == LAST_PRICE


def test_a_price_of_more_than_a_trillion_is_a_422(supplier, make_variant, users, warehouse):
    variant = make_variant(sku="AT01")
    response = _api_client("manager").post(
        "/api/v1/purchase-orders",
        {
            "supplier_id": supplier.pk,
            "warehouse": "HN",
            "lines": [{"sku": "AT01", "quantity": 1, "unit_price": 10**13}],
        },
        "application/json",
    )
    assert response.status_code == 422
    assert "lines.0.unit_price" in response.json()["error"]["fields"]

    # On the page: a row of an id no column holds is dropped, a price no column holds is a
    # mistake on its row
    form = _page_client(users["manager"]).post(
        reverse("purchasing:purchase_order_create"),
        {
            "action": "save",
            "supplier": supplier.pk,
            "warehouse": warehouse.pk,
            "line_variant": ["9" * 30, str(variant.pk)],
            "line_quantity": ["1", "1"],
            "line_unit_price": ["1", "9" * 30],
        },
    )
    assert form.status_code == 422
    assert not PurchaseOrder.objects.exists()
