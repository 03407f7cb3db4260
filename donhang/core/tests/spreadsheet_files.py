"""Bad spreadsheet files for the import tests of every app (issue 17): broken workbooks, zip
bombs, files that are not spreadsheets at all."""

from __future__ import annotations

import io
import zipfile

from openpyxl import Workbook


def xlsx(rows, *, formulas: dict[str, str] | None = None) -> bytes:
    """A real workbook of `rows`; `formulas` puts formulas into cells ({"B2": "=1+1"})."""
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(list(row))
    for cell, formula in (formulas or {}).items():
        sheet[cell] = formula
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(rows) -> bytes:
    return "\n".join(",".join(str(c) for c in row) for row in rows).encode("utf-8") + b"\n"


def zip_bomb(unpacked_bytes: int, rows=(("sku", "qty"),)) -> bytes:
    """A valid workbook whose sheet XML is padded with whitespace to `unpacked_bytes`: a few KB
    on disk, `unpacked_bytes` once unpacked."""
    base = zipfile.ZipFile(io.BytesIO(xlsx(rows)))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bomb:
        for item in base.infolist():
            data = base.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                head, tail = data.split(b"</sheetData>", 1)
                with bomb.open(item.filename, "w", force_zip64=True) as member:
                    member.write(head)
                    chunk = b" " * (1024 * 1024)
                    left = unpacked_bytes
                    while left > 0:
                        member.write(chunk[: min(left, len(chunk))])
                        left -= len(chunk)
                    member.write(b"</sheetData>" + tail)
            else:
                bomb.writestr(item, data)
    return out.getvalue()


def not_a_workbook_zip() -> bytes:
    """A zip file (starts with PK) that holds no workbook."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("readme.txt", "hello")
    return out.getvalue()


def truncated_xlsx() -> bytes:
    data = xlsx([("a", "b"), (1, 2)])
    return data[: len(data) // 2]


# Files that are not spreadsheets at all, or broken ones: each must get a clear error, never a 500.
NOT_SPREADSHEETS = {
    "random.xlsx": bytes(range(256)) * 4,
    "pdf.xlsx": b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n",
    "empty.xlsx": b"",
    "pk-garbage.xlsx": b"PK\x03\x04" + b"\x00" * 200,
    "zip-without-workbook.xlsx": not_a_workbook_zip(),
    "truncated.xlsx": truncated_xlsx(),
    "latin1.csv": "mã,số lượng\nA,1\n".encode("cp1258", errors="replace") + b"\xff\xfe",
    "binary.csv": b"\x00\x01\x02\xff" * 100,
    "empty.csv": b"",
    "huge-field.csv": b'sku,qty\n"' + b"x" * 200_000 + b'",1\n',
}
