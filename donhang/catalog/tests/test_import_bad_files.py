"""Issue 17: the product import (.xlsx/.csv, with its dry run) through the real page. Broken rows
are reported per row and nothing is written; formulas are kept as text; a huge file (too many
bytes, too many rows, a zip bomb) is refused with a clear error before it is parsed in full;
a file that is not a spreadsheet gets a clear error, never a 500."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from donhang.accounts.services import user_create
from donhang.catalog import importexport
from donhang.catalog.models import Product, Variant
from donhang.core.tests.spreadsheet_files import NOT_SPREADSHEETS, csv_bytes, xlsx, zip_bomb

pytestmark = pytest.mark.django_db

URL = "/catalog/products/import/"


@pytest.fixture
def manager():
    client = Client(raise_request_exception=True)
    client.cookies["donhang_language"] = "en"
    client.force_login(user_create(username="quanly", password="mat-khau-123", role="manager"))
    return client


def row(**cells) -> list:
    values = dict.fromkeys(importexport.COLUMNS, "")
    values.update(cost_price="50000", sale_price="100000", vat_rate="10")
    values.update(cells)
    return [values[c] for c in importexport.COLUMNS]


def good(n: int) -> list:
    return row(product_sku=f"P{n}", product_name=f"Áo thun {n}", variant_sku=f"P{n}-V")


def upload(client, name: str, content: bytes, dry_run=False):
    data = {"file": SimpleUploadedFile(name, content)}
    if dry_run:
        data["dry_run"] = "on"
    return client.post(URL, data)


def nothing_written():
    return not Product.objects.exists() and not Variant.objects.exists()


# --- broken rows: each reported, nothing imported ------------------------------------------------

BROKEN = [
    {"sale_price": "abc"},
    {"sale_price": "-5"},
    {"sale_price": "1e400"},
    {"sale_price": "NaN"},
    {"sale_price": "9" * 40},
    {"cost_price": "inf"},
    {"weight_g": "1e30"},
    {"vat_rate": "33"},
    {"product_name": ""},
    {"product_name": "a\x00b"},
    {"product_name": "\u200b\u200b"},
    {"variant_sku": ""},
    {"variant_sku": "A\x00B"},
    {"variant_sku": "A\u200bB"},
    {"variant_sku": "X" * 500},
    {"product_name": "N" * 5000},
    {"barcode": "\x01\x02"},
    {"barcode": "89\x00"},
    {"product_sku": "P\x00"},
    {"category": "Áo\x00"},
    {"category": "Áo > \x00"},
    {"brand": "x\x00"},
    {"description": "a\x00b"},
    {"attribute_1_name": "Màu\x00", "attribute_1_value": "Đỏ"},
    {"attribute_1_name": "Màu", "attribute_1_value": "Đỏ\x00"},
    {"low_stock_threshold": "-1"},
]


def _writable_in_xlsx(cells: dict) -> bool:
    # A workbook cannot hold control characters (openpyxl and Excel refuse to write them).
    return not any(ch < " " for value in cells.values() for ch in value)


CASES = [("csv", b) for b in BROKEN] + [("xlsx", b) for b in BROKEN if _writable_in_xlsx(b)]


@pytest.mark.parametrize("dry_run", [True, False], ids=["dry-run", "real"])
@pytest.mark.parametrize(("fmt", "broken"), CASES, ids=lambda v: repr(v)[:50])
def test_a_broken_row_is_reported_and_nothing_is_imported(manager, fmt, dry_run, broken):
    bad = row(product_sku="BAD", product_name="Quần jean", variant_sku="BAD-V")
    bad = [*bad]
    for key, value in broken.items():
        bad[importexport.COLUMNS.index(key)] = value
    rows = [importexport.COLUMNS, good(1), bad, good(2)]
    content = xlsx(rows) if fmt == "xlsx" else csv_bytes(rows)

    response = upload(manager, f"p.{fmt}", content, dry_run=dry_run)

    assert response.status_code == 422, response.content[:2000]
    report = response.context["report"]
    assert [e.row for e in report.errors] == [3], report.as_dict()
    assert nothing_written()


def test_a_row_that_fails_while_applied_rolls_back_the_rows_before_it(manager):
    # Two rows that pass the per-row checks and clash with each other only once applied.
    rows = [
        importexport.COLUMNS,
        good(1),
        row(product_sku="P2", product_name="Áo 2", variant_sku="P2-V"),
        row(product_sku="P3", product_name="Áo 3", variant_sku="p2-v"),  # same SKU, other case
    ]
    response = upload(manager, "p.csv", csv_bytes(rows))
    assert response.status_code == 422
    assert response.context["report"].errors
    assert nothing_written()


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_good_file_imports_and_its_dry_run_writes_nothing(manager, fmt):
    rows = [importexport.COLUMNS, good(1), good(2)]
    content = xlsx(rows) if fmt == "xlsx" else csv_bytes(rows)
    dry = upload(manager, f"p.{fmt}", content, dry_run=True)
    assert dry.status_code == 200 and dry.context["report"].ok
    assert nothing_written()
    real = upload(manager, f"p.{fmt}", content)
    assert real.status_code == 200 and real.context["report"].imported
    assert Product.objects.count() == 2


# --- formulas: kept as their text ---------------------------------------------------------------


def test_formulas_in_an_xlsx_are_stored_as_their_text_never_their_result(manager):
    rows = [importexport.COLUMNS, good(1)]
    name_cell = f"{chr(ord('A') + importexport.COLUMNS.index('product_name'))}2"
    desc_cell = f"{chr(ord('A') + importexport.COLUMNS.index('description'))}2"
    content = xlsx(
        rows,
        formulas={
            name_cell: '=HYPERLINK("http://evil.example","Bấm vào")',
            desc_cell: "=1+1",
        },
    )
    response = upload(manager, "p.xlsx", content)
    assert response.status_code == 200, response.context["report"].as_dict()
    product = Product.objects.get()
    assert product.name == '=HYPERLINK("http://evil.example","Bấm vào")'
    assert product.description == "=1+1"


def test_formula_text_in_a_csv_is_stored_as_text(manager):
    rows = [
        importexport.COLUMNS,
        row(product_sku="F1", product_name="=cmd|' /C calc'!A0", variant_sku="F1-V"),
        row(product_sku="F2", product_name="'=SUM(1;2)", variant_sku="F2-V"),  # our own export
    ]
    response = upload(manager, "p.csv", csv_bytes(rows))
    assert response.status_code == 200, response.context["report"].as_dict()
    names = set(Product.objects.values_list("name", flat=True))
    assert names == {"=cmd|' /C calc'!A0", "=SUM(1;2)"}


def test_a_formula_where_a_number_belongs_is_a_row_error(manager):
    rows = [importexport.COLUMNS, good(1)]
    price = f"{chr(ord('A') + importexport.COLUMNS.index('sale_price'))}2"
    response = upload(manager, "p.xlsx", xlsx(rows, formulas={price: "=100000*2"}))
    assert response.status_code == 422
    assert [e.row for e in response.context["report"].errors] == [2]
    assert nothing_written()


# --- huge files ---------------------------------------------------------------------------------


def _message(response) -> str:
    report = response.context["report"]
    return " ".join(e.message for e in report.errors)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_file_with_too_many_rows_is_refused_before_it_is_read_in_full(manager, settings, fmt):
    settings.SPREADSHEET_IMPORT_MAX_ROWS = 50
    rows = [importexport.COLUMNS, *(good(n) for n in range(51))]
    content = xlsx(rows) if fmt == "xlsx" else csv_bytes(rows)
    response = upload(manager, f"p.{fmt}", content)
    assert response.status_code == 422
    assert "more than 50 rows" in _message(response)
    assert nothing_written()
    # at the limit it is read
    ok = [importexport.COLUMNS, *(good(n) for n in range(50))]
    response = upload(manager, f"p.{fmt}", xlsx(ok) if fmt == "xlsx" else csv_bytes(ok))
    assert response.status_code == 200, _message(response)
    assert Product.objects.count() == 50


def test_the_default_row_limit_is_20000(manager):
    rows = [importexport.COLUMNS, *([f"P{n}", "x", *[""] * 9, f"V{n}"] for n in range(20_001))]
    response = upload(manager, "p.csv", csv_bytes(rows))
    assert response.status_code == 422
    assert "more than 20,000 rows" in _message(response)
    assert nothing_written()


def test_a_file_over_the_byte_limit_is_refused(manager, settings):
    settings.SPREADSHEET_IMPORT_MAX_BYTES = 2 * 1024 * 1024
    content = csv_bytes([importexport.COLUMNS, good(1)]) + b"#" * (2 * 1024 * 1024)
    response = upload(manager, "p.csv", content)
    assert response.status_code == 422
    assert "larger than 2 MB" in _message(response)
    assert nothing_written()


def test_a_zip_bomb_is_refused_before_it_is_unpacked(manager):
    bomb = zip_bomb(101 * 1024 * 1024, rows=[importexport.COLUMNS, good(1)])
    assert len(bomb) < 1024 * 1024  # small on disk
    response = upload(manager, "p.xlsx", bomb)
    assert response.status_code == 422
    assert "unpacks to more than 100 MB" in _message(response)
    assert nothing_written()


# --- not a spreadsheet --------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(NOT_SPREADSHEETS))
@pytest.mark.parametrize("dry_run", [True, False], ids=["dry-run", "real"])
def test_a_file_that_is_not_a_spreadsheet_gets_a_clear_error(manager, name, dry_run):
    response = upload(manager, name, NOT_SPREADSHEETS[name], dry_run=dry_run)
    assert response.status_code in (200, 422)
    if response.status_code == 200:  # an empty upload is refused by the form itself
        assert response.context["form"].errors
    else:
        assert _message(response)
    assert nothing_written()
