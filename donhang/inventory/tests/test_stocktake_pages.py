"""Stocktake pages: create, count sheet (form and htmx), import, review, post, cancel."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from donhang.inventory import stocktakes
from donhang.inventory.models import StockMovement, Stocktake, Warehouse
from donhang.inventory.tests.documents_support import make_variant, on_hand

pytestmark = pytest.mark.django_db


@pytest.fixture
def hn(db):
    return Warehouse.objects.create(code="HN", name="Kho Hà Nội", priority=1)


@pytest.fixture
def stock(hn):
    """Three variants in HN: A (10 at 1.000 ₫), B (5 at 20.000 ₫), C (0, barcode 893...)."""
    variants = {
        "A": make_variant("A", stock={hn.pk: 10}, cost=1000),
        "B": make_variant("B", stock={hn.pk: 5}, cost=20000),
        "C": make_variant("C", cost=500),
    }
    variants["C"].barcode = "8930000000017"
    variants["C"].save(update_fields=["barcode"])
    return variants


def lines_of(sheet) -> dict[str, int]:
    return {ln.variant.sku: ln.pk for ln in sheet.lines.select_related("variant")}


def test_sales_may_not_see_stocktakes(login, hn):
    client = login("sales")
    assert client.get(reverse("inventory:stocktake_list")).status_code == 403
    assert client.get(reverse("inventory:stocktake_create")).status_code == 403


def test_warehouse_staff_start_a_count_and_see_the_frozen_sheet(login, english, hn, stock):
    client = login("warehouse")
    form = client.get(reverse("inventory:stocktake_create"), {"warehouse": hn.pk})
    assert form.status_code == 200

    response = client.post(reverse("inventory:stocktake_create"), {"warehouse": hn.pk})

    sheet = Stocktake.objects.get()
    assert response["Location"] == reverse("inventory:stocktake_sheet", args=[sheet.code])
    page = client.get(response["Location"])
    body = page.content.decode()
    assert [ln.variant.sku for ln in page.context["page_obj"].object_list] == ["A", "B", "C"]
    assert [ln.expected for ln in page.context["page_obj"].object_list] == [10, 5, 0]
    assert "8930000000017" in body
    assert 'id="save-counts"' in body
    # A second count of the same warehouse while this one runs: the service says no.
    again = client.post(reverse("inventory:stocktake_create"), {"warehouse": hn.pk})
    assert "already in progress" in again.content.decode()
    assert Stocktake.objects.count() == 1


def test_save_counts_with_the_plain_form_and_filter_the_sheet(login, english, hn, stock):
    sheet = stocktakes.stocktake_create(warehouse=hn)
    ids = lines_of(sheet)
    client = login("warehouse")
    url = reverse("inventory:stocktake_sheet", args=[sheet.code])

    response = client.post(
        url,
        {
            "line": [ids["A"], ids["B"], ids["C"]],
            f"count_{ids['A']}": "8",
            f"count_{ids['B']}": "5",
            f"count_{ids['C']}": "",
        },
    )

    assert response.status_code == 302
    counted = {ln.variant.sku: ln.counted for ln in sheet.lines.select_related("variant")}
    assert counted == {"A": 8, "B": 5, "C": None}
    variances = client.get(url, {"show": "variances"})
    assert [ln.variant.sku for ln in variances.context["page_obj"].object_list] == ["A"]
    assert "\u22122</td>" in variances.content.decode()  # one minus sign
    assert 'class="table-warning"' in variances.content.decode()
    uncounted = client.get(url, {"show": "uncounted"})
    assert [ln.variant.sku for ln in uncounted.context["page_obj"].object_list] == ["C"]
    assert uncounted.context["stocktake"].counted_count == 2


def test_a_count_that_is_not_a_number_saves_nothing(login, english, hn, stock):
    sheet = stocktakes.stocktake_create(warehouse=hn)
    ids = lines_of(sheet)

    response = login("warehouse").post(
        reverse("inventory:stocktake_sheet", args=[sheet.code]),
        {"line": [ids["A"], ids["B"]], f"count_{ids['A']}": "7", f"count_{ids['B']}": "năm"},
    )

    assert response.status_code == 422
    body = response.content.decode()
    assert "Enter a whole number, 0 or more." in body
    assert 'value="năm"' in body
    assert not sheet.lines.filter(counted__isnull=False).exists()


def test_htmx_saves_one_row(login, english, hn, stock):
    sheet = stocktakes.stocktake_create(warehouse=hn)
    ids = lines_of(sheet)
    client = login("warehouse")
    url = reverse("inventory:stocktake_count_line", args=[sheet.code, ids["B"]])

    row = client.post(url, {f"count_{ids['B']}": "7"}, headers={"HX-Request": "true"})
    bad = client.post(url, {f"count_{ids['B']}": "-1"}, headers={"HX-Request": "true"})

    assert row.status_code == 200
    assert row.content.decode().startswith(f'<tr id="line-{ids["B"]}"')
    assert "+2</td>" in row.content.decode()
    assert "is-valid" in row.content.decode()
    assert "Enter a whole number, 0 or more." in bad.content.decode()
    assert sheet.lines.get(pk=ids["B"]).counted == 7


def test_import_with_a_bad_row_imports_nothing_and_lists_the_row(login, english, hn, stock):
    sheet = stocktakes.stocktake_create(warehouse=hn)
    client = login("warehouse")
    url = reverse("inventory:stocktake_import", args=[sheet.code])
    assert client.get(url).status_code == 200

    response = client.post(
        url,
        {"file": SimpleUploadedFile("scan.csv", b"sku,qty\nA,4\nKHONG-CO,1\nB,abc\n")},
    )

    assert response.status_code == 422
    body = response.content.decode()
    assert "nothing was imported" in body
    assert "row 3" in body and "KHONG-CO" in body
    assert "row 4" in body and "“abc” is not a quantity." in body
    assert not sheet.lines.filter(counted__isnull=False).exists()


def test_import_a_scanner_xlsx_by_barcode(login, english, hn, stock):
    from openpyxl import Workbook

    sheet = stocktakes.stocktake_create(warehouse=hn)
    workbook = Workbook()
    workbook.active.append(["Mã vạch", "Số lượng"])
    for code, qty in (("8930000000017", 1), ("A", 6), ("a", 3), ("8930000000017", 1)):
        workbook.active.append([code, qty])
    content = io.BytesIO()
    workbook.save(content)

    response = login("warehouse").post(
        reverse("inventory:stocktake_import", args=[sheet.code]),
        {"file": SimpleUploadedFile("scan.xlsx", content.getvalue())},
    )

    assert response.status_code == 302
    counted = {ln.variant.sku: ln.counted for ln in sheet.lines.select_related("variant")}
    assert counted == {"A": 9, "B": None, "C": 2}


def test_import_of_a_file_that_is_not_a_spreadsheet_is_explained(login, english, hn, stock):
    sheet = stocktakes.stocktake_create(warehouse=hn)
    client = login("warehouse")
    url = reverse("inventory:stocktake_import", args=[sheet.code])

    broken = client.post(url, {"file": SimpleUploadedFile("scan.xlsx", b"not a zip")})
    no_columns = client.post(
        url, {"file": SimpleUploadedFile("scan.csv", b"ma hang,ghi chu\nA,x\n")}
    )
    wrong_type = client.post(url, {"file": SimpleUploadedFile("scan.pdf", b"%PDF")})

    assert "cannot be read" in broken.content.decode()
    assert "Columns not found." in no_columns.content.decode()
    assert "Upload an .xlsx or .csv file." in wrong_type.content.decode()


def count(sheet, **quantities):
    ids = lines_of(sheet)
    stocktakes.stocktake_count(
        stocktake=sheet, counts={ids[sku]: qty for sku, qty in quantities.items()}
    )


def test_warehouse_staff_review_but_may_not_post(login, english, hn, stock):
    sheet = stocktakes.stocktake_create(warehouse=hn)
    count(sheet, A=8, B=6)
    client = login("warehouse")

    review = client.get(reverse("inventory:stocktake_review", args=[sheet.code]))
    posted = client.post(reverse("inventory:stocktake_post", args=[sheet.code]))

    body = review.content.decode()
    assert review.status_code == 200
    assert 'id="stocktake-post"' not in body
    assert 'id="post-needs-manager"' in body
    # No view_cost: no values.
    assert 'id="net-value"' not in body
    assert posted.status_code == 403
    assert Stocktake.objects.get().status == "counting"
    assert not StockMovement.objects.filter(kind="stocktake").exists()


def test_manager_reviews_values_posts_once_and_the_second_post_is_refused(
    login, english, hn, stock
):
    sheet = stocktakes.stocktake_create(warehouse=hn)
    count(sheet, A=8, B=6)  # A: −2 × 1.000 ₫, B: +1 × 20.000 ₫; C not counted
    client = login("manager")

    review = client.get(reverse("inventory:stocktake_review", args=[sheet.code]))

    data = review.context["review"]
    assert [(ln.variant.sku, ln.variance, ln.value) for ln in data.lines] == [
        ("B", 1, 20000),
        ("A", -2, -2000),
    ]
    assert (data.value_gained, data.value_lost, data.net_value, data.uncounted) == (
        20000,
        2000,
        18000,
        1,
    )
    body = review.content.decode()
    assert 'id="stocktake-post"' in body
    assert 'id="uncounted-warning"' in body
    assert "18.000" in body

    first = client.post(reverse("inventory:stocktake_post", args=[sheet.code]), follow=True)
    assert "2 stock corrections written" in first.content.decode()
    assert (on_hand(stock["A"], hn), on_hand(stock["B"], hn), on_hand(stock["C"], hn)) == (8, 6, 0)

    second = client.post(reverse("inventory:stocktake_post", args=[sheet.code]), follow=True)
    assert "This stocktake was already posted or cancelled." in second.content.decode()
    assert StockMovement.objects.filter(kind="stocktake").count() == 2
    # Posted: the sheet is read-only.
    page = client.get(reverse("inventory:stocktake_sheet", args=[sheet.code])).content.decode()
    assert 'id="save-counts"' not in page
    assert 'data-status="posted"' in page


def test_cancel_and_print(login, english, hn, stock):
    sheet = stocktakes.stocktake_create(warehouse=hn)
    client = login("warehouse")

    printed = client.get(reverse("inventory:stocktake_print", args=[sheet.code]))
    client.post(reverse("inventory:stocktake_cancel", args=[sheet.code]))
    listing = client.get(reverse("inventory:stocktake_list"), {"status": "cancelled"})

    assert printed.status_code == 200
    assert "8930000000017" in printed.content.decode()
    assert [s.code for s in listing.context["page_obj"].object_list] == [sheet.code]
    assert Stocktake.objects.get().status == "cancelled"


def test_a_category_count_lists_only_that_category(login, english, hn):
    from donhang.catalog.models import Category

    shirts = Category.objects.create(name="Áo", path="")
    shirts.path = f"/{shirts.pk}/"
    shirts.save()
    make_variant("AO-1", stock={hn.pk: 3}, category=shirts)
    make_variant("QUAN-1", stock={hn.pk: 4})
    client = login("manager")

    response = client.post(
        reverse("inventory:stocktake_create"), {"warehouse": hn.pk, "category": shirts.pk}
    )

    sheet = Stocktake.objects.get()
    assert response.status_code == 302
    assert (sheet.category, [ln.variant.sku for ln in sheet.lines.all()]) == (shirts, ["AO-1"])


def test_list_and_sheet_take_a_bounded_number_of_queries(
    login, english, hn, stock, django_assert_max_num_queries
):
    sheet = stocktakes.stocktake_create(warehouse=hn)
    client = login("manager")
    with CaptureQueriesContext(connection) as three_lines:
        client.get(reverse("inventory:stocktake_sheet", args=[sheet.code]))
    with CaptureQueriesContext(connection) as one_stocktake:
        client.get(reverse("inventory:stocktake_list"))
    for n in range(5):
        make_variant(f"D{n}", stock={hn.pk: n + 1})
    stocktakes.stocktake_cancel(stocktake=sheet)
    bigger = stocktakes.stocktake_create(warehouse=hn)

    with django_assert_max_num_queries(len(three_lines)):
        client.get(reverse("inventory:stocktake_sheet", args=[bigger.code]))
    with django_assert_max_num_queries(len(one_stocktake)):
        response = client.get(reverse("inventory:stocktake_list"))
    rows = {s.code: s for s in response.context["page_obj"].object_list}
    assert (rows[bigger.code].line_count, rows[bigger.code].counted_count) == (8, 0)
