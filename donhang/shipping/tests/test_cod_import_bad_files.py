"""Issue 17: the COD statement import (.xlsx/.csv) through the real page. Broken rows are reported
per row and no payout is recorded; formulas are read as their text, never their cached result;
a huge file (rows, bytes, zip bomb) is refused with a clear error before it is parsed in full; a
file that is not a spreadsheet (a corrupt .xlsx answered 500 before) gets a clear error."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from donhang.accounts.services import user_create
from donhang.core.tests.spreadsheet_files import NOT_SPREADSHEETS, csv_bytes, xlsx, zip_bomb
from donhang.shipping.models import CodPayout, CodPayoutLine

pytestmark = pytest.mark.django_db

HEADER = ("Mã vận đơn", "Tiền thu hộ", "Phí")


@pytest.fixture
def accountant():
    client = Client(raise_request_exception=True)
    client.cookies["donhang_language"] = "en"
    client.force_login(user_create(username="ke-toan", password="mat-khau-123", role="accountant"))
    return client


def post(client, account, name, content, reference=""):
    return client.post(
        reverse("shipping:payout_import"),
        {
            "account": account.pk,
            "paid_at": "2026-03-02",
            "reference": reference,
            "file": SimpleUploadedFile(name, content),
        },
    )


def nothing_recorded() -> bool:
    return not CodPayout.objects.exists() and not CodPayoutLine.objects.exists()


BAD_AMOUNTS = ["abc", "1.5", "1e400", "nan", "inf", "-5", "9" * 40, "1e30", "12.34"]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("amount", BAD_AMOUNTS, ids=repr)
def test_a_bad_row_is_reported_and_nothing_is_recorded(accountant, ghn_account, fmt, amount):
    rows = [HEADER, ("GHN1", "360000", "30000"), ("GHN2", amount, "0"), ("GHN3", "1000", "0")]
    content = xlsx(rows) if fmt == "xlsx" else csv_bytes(rows)
    response = post(accountant, ghn_account, f"statement.{fmt}", content)
    assert response.status_code == 422, response.content[:1000]
    text = response.content.decode()
    assert "nothing was recorded" in text or "not valid" in text
    assert nothing_recorded()


@pytest.mark.parametrize("code", ["GHN\x00X", "GHN\u200bX", "X" * 41], ids=repr)
def test_a_tracking_number_a_database_cannot_store_is_a_row_error(accountant, ghn_account, code):
    content = f"{','.join(HEADER)}\nGHN1,360000,0\n{code},1000,0\n".encode("utf-8", "surrogatepass")
    response = post(accountant, ghn_account, "statement.csv", content)
    assert response.status_code == 422, response.content[:1000]
    assert "lines.2.tracking_code" in response.content.decode()
    assert nothing_recorded()


def test_a_formula_amount_is_read_as_its_text_never_its_cached_result(accountant, ghn_account):
    content = xlsx([HEADER, ("GHN1", 0, 0)], formulas={"B2": "=180000*2"})
    response = post(accountant, ghn_account, "statement.xlsx", content)
    assert response.status_code == 422
    assert "row 2" in response.content.decode()
    assert nothing_recorded()


def test_a_formula_tracking_number_is_kept_as_text(accountant, ghn_account):
    formula = '=HYPERLINK("http://e.vil","GHN1")'
    content = xlsx([HEADER, ("x", 1000, 0)], formulas={"A2": formula})
    response = post(accountant, ghn_account, "statement.xlsx", content)
    assert response.status_code == 302
    line = CodPayoutLine.objects.get()
    assert line.tracking_code == formula and line.shipment is None and line.problem


def test_undecodable_bytes_in_a_csv_are_stored_as_replacement_characters(accountant, ghn_account):
    content = f"{','.join(HEADER)}\nGHN1,1000,0\n".encode() + b"\xed\xa0\x80,1000,0\n"
    response = post(accountant, ghn_account, "statement.csv", content)
    assert response.status_code == 302
    codes = set(CodPayoutLine.objects.values_list("tracking_code", flat=True))
    assert codes == {"GHN1", "\ufffd\ufffd\ufffd"}


def test_too_many_rows_are_refused_before_the_file_is_read_in_full(
    accountant, ghn_account, settings
):
    settings.SPREADSHEET_IMPORT_MAX_ROWS = 100
    for fmt in ("csv", "xlsx"):
        rows = [HEADER, *((f"GHN{n}", 1000, 0) for n in range(101))]
        content = xlsx(rows) if fmt == "xlsx" else csv_bytes(rows)
        response = post(accountant, ghn_account, f"statement.{fmt}", content)
        assert response.status_code == 422
        assert "more than 100 rows" in response.content.decode()
        assert nothing_recorded()


def test_a_file_over_the_byte_limit_is_refused(accountant, ghn_account, settings):
    settings.SPREADSHEET_IMPORT_MAX_BYTES = 1024 * 1024
    content = csv_bytes([HEADER, ("GHN1", 1000, 0)]) + b"#" * (1024 * 1024)
    response = post(accountant, ghn_account, "statement.csv", content)
    assert response.status_code == 422
    assert "larger than 1 MB" in response.content.decode()
    assert nothing_recorded()


def test_a_zip_bomb_is_refused_before_it_is_unpacked(accountant, ghn_account):
    bomb = zip_bomb(101 * 1024 * 1024, rows=[HEADER, ("GHN1", 1000, 0)])
    response = post(accountant, ghn_account, "statement.xlsx", bomb)
    assert response.status_code == 422
    assert "unpacks to more than 100 MB" in response.content.decode()
    assert nothing_recorded()


@pytest.mark.parametrize("name", sorted(NOT_SPREADSHEETS))
def test_a_file_that_is_not_a_spreadsheet_gets_a_clear_error(accountant, ghn_account, name):
    response = post(accountant, ghn_account, name, NOT_SPREADSHEETS[name])
    assert response.status_code in (200, 422)  # an empty upload: the form asks for a file
    assert nothing_recorded()
