"""Issue 17: the limits every spreadsheet import shares (core.spreadsheet): bytes, rows, and .xlsx
files that unpack to too much (zip bombs), each refused before the file is parsed in full. The
imports themselves are tested through their pages in catalog, inventory and shipping."""

import io
import itertools
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from donhang.core import spreadsheet
from donhang.core.spreadsheet import SpreadsheetRefused
from donhang.core.tests.spreadsheet_files import NOT_SPREADSHEETS, xlsx, zip_bomb


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def test_the_documented_limits():
    assert spreadsheet.IMPORT_MAX_BYTES == 10 * 1024 * 1024
    assert spreadsheet.IMPORT_MAX_ROWS == 20_000
    assert spreadsheet.IMPORT_MAX_UNPACKED_BYTES == 100 * 1024 * 1024


class Counting(io.BytesIO):
    def __init__(self, data):
        super().__init__(data)
        self.taken = 0

    def read(self, n=-1):
        data = super().read(n)
        self.taken += len(data)
        return data


def test_an_upload_is_read_no_further_than_one_byte_past_the_limit(settings):
    settings.SPREADSHEET_IMPORT_MAX_BYTES = 1000
    stream = Counting(b"x" * 10_000)  # no size known: read, but not all of it
    with pytest.raises(SpreadsheetRefused):
        spreadsheet.read_upload(stream)
    assert stream.taken == 1001
    assert spreadsheet.read_upload(SimpleUploadedFile("a.csv", b"x" * 1000)) == b"x" * 1000


def test_an_upload_declaring_a_size_over_the_limit_is_not_read(settings):
    settings.SPREADSHEET_IMPORT_MAX_BYTES = 1000
    upload = SimpleUploadedFile("a.csv", b"x" * 5000)
    with pytest.raises(SpreadsheetRefused) as refused:
        spreadsheet.read_upload(upload)
    assert "larger than" in refused.value.message


def test_rows_are_taken_no_further_than_one_past_the_limit(settings):
    settings.SPREADSHEET_IMPORT_MAX_ROWS = 10
    endless = itertools.count()
    with pytest.raises(SpreadsheetRefused):
        spreadsheet.limited_rows(endless)
    assert next(endless) == 12  # header + 10 rows + the one that told
    assert len(spreadsheet.limited_rows(range(11))) == 11


def test_a_zip_bomb_is_refused_by_its_directory_alone():
    bomb = zip_bomb(101 * 1024 * 1024)
    assert len(bomb) < 1024 * 1024
    with pytest.raises(SpreadsheetRefused) as refused:
        spreadsheet.check_xlsx(bomb)
    assert "unpacks to more than 100 MB" in refused.value.message


def test_a_workbook_of_too_many_parts_is_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for n in range(spreadsheet.XLSX_MAX_MEMBERS + 1):
            archive.writestr(f"part{n}.xml", "")
    with pytest.raises(SpreadsheetRefused):
        spreadsheet.check_xlsx(out.getvalue())


def test_a_real_workbook_passes():
    spreadsheet.check_xlsx(xlsx([("sku", "qty"), ("A", 1)]))


@pytest.mark.parametrize(
    "name", [n for n in sorted(NOT_SPREADSHEETS) if n.endswith(".xlsx") and "zip-" not in n]
)
def test_what_is_not_a_zip_is_refused_as_unreadable(name):
    with pytest.raises(SpreadsheetRefused) as refused:
        spreadsheet.check_xlsx(NOT_SPREADSHEETS[name])
    assert "not a readable .xlsx" in refused.value.message
