"""Issue 17: the stocktake count import (scanner .xlsx/.csv) through the real page. Broken rows are
reported per row and no count is saved; formulas are kept as text (so they are not quantities);
a huge file (bytes, rows, zip bomb) is refused with a clear error before it is parsed in full; a
file that is not a spreadsheet gets a clear error, never a 500."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from donhang.core.tests.spreadsheet_files import NOT_SPREADSHEETS, csv_bytes, xlsx, zip_bomb
from donhang.inventory import stocktakes
from donhang.inventory.models import Warehouse
from donhang.inventory.tests.documents_support import make_variant

pytestmark = pytest.mark.django_db


@pytest.fixture
def sheet(db):
    hn = Warehouse.objects.create(code="HN", name="Kho Hà Nội", priority=1)
    for sku in ("A", "B"):
        make_variant(sku, stock={hn.pk: 5}, cost=1000)
    return stocktakes.stocktake_create(warehouse=hn)


@pytest.fixture
def staff(login, english):
    client = login("warehouse")
    client.raise_request_exception = True
    return client


def post(client, sheet, name, content):
    return client.post(
        reverse("inventory:stocktake_import", args=[sheet.code]),
        {"file": SimpleUploadedFile(name, content)},
    )


def nothing_counted(sheet) -> bool:
    return not sheet.lines.filter(counted__isnull=False).exists()


BAD_QUANTITIES = ["abc", "-1", "1.5", "1e400", "nan", "inf", "9" * 40, "1e30", "", "²"]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("qty", BAD_QUANTITIES, ids=repr)
def test_a_bad_row_is_reported_and_no_count_is_saved(staff, sheet, fmt, qty):
    rows = [("sku", "qty"), ("A", 4), ("B", qty)]
    content = xlsx(rows) if fmt == "xlsx" else csv_bytes(rows)
    response = post(staff, sheet, f"scan.{fmt}", content)
    assert response.status_code == 422, response.content[:1000]
    assert "row 3" in response.content.decode()
    assert nothing_counted(sheet)


@pytest.mark.parametrize("code", ["A\x00", "\ud800", "X" * 5000, "=A1"], ids=repr)
def test_an_unknown_or_unstorable_code_is_a_row_error(staff, sheet, code):
    content = f"sku,qty\nA,4\n{code},1\n".encode("utf-8", "surrogatepass")
    response = post(staff, sheet, "scan.csv", content)
    assert response.status_code == 422
    assert nothing_counted(sheet)


def test_a_formula_is_read_as_its_text_never_its_result(staff, sheet):
    # =2+2 would be a quantity if it were run: as text it is not one.
    response = post(
        staff,
        sheet,
        "scan.xlsx",
        xlsx([("sku", "qty"), ("A", 1), ("B", 1)], formulas={"B3": "=2+2"}),
    )
    assert response.status_code == 422
    assert "“=2+2” is not a quantity." in response.content.decode()
    assert nothing_counted(sheet)


def test_a_formula_code_is_not_looked_up_as_its_result(staff, sheet):
    response = post(
        staff, sheet, "scan.xlsx", xlsx([("sku", "qty"), ("x", 1)], formulas={"A2": '="A"'})
    )
    assert response.status_code == 422
    assert nothing_counted(sheet)


def test_too_many_rows_are_refused_before_the_file_is_read_in_full(staff, sheet, settings):
    settings.SPREADSHEET_IMPORT_MAX_ROWS = 100
    for fmt in ("csv", "xlsx"):
        rows = [("sku", "qty"), *(("A", 1) for _ in range(101))]
        content = xlsx(rows) if fmt == "xlsx" else csv_bytes(rows)
        response = post(staff, sheet, f"scan.{fmt}", content)
        assert response.status_code == 422
        assert "more than 100 rows" in response.content.decode()
        assert nothing_counted(sheet)
    rows = [("sku", "qty"), *(("A", 1) for _ in range(100))]
    assert post(staff, sheet, "scan.csv", csv_bytes(rows)).status_code == 302
    assert sheet.lines.get(variant__sku="A").counted == 100


def test_a_file_over_the_byte_limit_is_refused(staff, sheet):
    # The page's own limit (5 MB) comes first.
    content = csv_bytes([("sku", "qty"), ("A", 1)]) + b"#" * (5 * 1024 * 1024)
    response = post(staff, sheet, "scan.csv", content)
    assert response.status_code == 422
    assert "larger than 5 MB" in response.content.decode()
    assert nothing_counted(sheet)


def test_the_service_refuses_bytes_over_the_spreadsheet_limit(sheet, settings):
    settings.SPREADSHEET_IMPORT_MAX_BYTES = 1024 * 1024
    content = csv_bytes([("sku", "qty"), ("A", 1)]) + b"#" * (1024 * 1024)
    with translation.override("en"), pytest.raises(stocktakes.ValidationFailed) as refused:
        stocktakes.stocktake_import(stocktake=sheet, filename="scan.csv", content=content)
    assert "larger than 1 MB" in refused.value.message
    assert nothing_counted(sheet)


def test_a_zip_bomb_is_refused_before_it_is_unpacked(staff, sheet):
    bomb = zip_bomb(101 * 1024 * 1024, rows=[("sku", "qty"), ("A", 1)])
    response = post(staff, sheet, "scan.xlsx", bomb)
    assert response.status_code == 422
    assert "unpacks to more than 100 MB" in response.content.decode()
    assert nothing_counted(sheet)


@pytest.mark.parametrize("name", sorted(NOT_SPREADSHEETS))
def test_a_file_that_is_not_a_spreadsheet_gets_a_clear_error(staff, sheet, name):
    response = post(staff, sheet, name, NOT_SPREADSHEETS[name])
    assert response.status_code in (200, 422)  # an empty upload: the form asks for a file
    assert nothing_counted(sheet)
