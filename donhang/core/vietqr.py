"""VietQR (NAPAS247) transfer payloads, built to the published format: NAPAS "Quy định định dạng
mã VietQR" v1.0 on EMVCo merchant-presented QR. Objects are ID (2 digits) + LEN (2 digits) +
VALUE, in ascending IDs, 00 first and 63 last; 63 is the CRC-16/CCITT-FALSE of the whole string
including "6304", as 4 uppercase hex digits. See shared/reference/vietqr.md (its test vectors are
in donhang/core/tests/test_vietqr.py).

Shared by every app that shows a transfer code: a payment request (the shop's account) or a
refund (the customer's account). The image is drawn as SVG from the QR matrix of reportlab's
encoder (the shipping labels use the same library): no network, no other dependency.
"""

from __future__ import annotations

import re
import unicodedata

from reportlab.graphics.barcode import qrencoder

NAPAS_GUID = "A000000727"
SERVICE_ACCOUNT = "QRIBFTTA"  # transfer to an account ("QRIBFTTC": to a card)
CURRENCY_VND = "704"
COUNTRY = "VN"
MAX_NOTE = 25


class VietQRError(ValueError):
    """The bank, account or amount cannot make a valid payload."""


def crc16_ccitt_false(data: bytes) -> int:
    """CRC-16/CCITT-FALSE: polynomial 0x1021, initial 0xFFFF, MSB first, no reflection, no final
    XOR (CRC("123456789") = 0x29B1)."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _bit in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


def _tlv(tag: str, value: str) -> str:
    """One object; an empty value is left out."""
    if not value:
        return ""
    if len(value) > 99:
        raise VietQRError(f"object {tag} is longer than 99 characters")
    return f"{tag}{len(value):02d}{value}"


def transfer_note(text: str) -> str:
    """A note every bank accepts (EMV's printable set, as vietqr.io asks): no diacritics (đ/Đ
    mapped by hand, NFD keeps them), letters, digits and spaces only, at most 25 characters."""
    text = (text or "").replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    plain = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    plain = re.sub(r"[^A-Za-z0-9 ]", " ", plain)
    return " ".join(plain.split())[:MAX_NOTE].strip()


def payload(
    *,
    bank_bin: str,
    account_number: str,
    amount: int | None = None,
    note: str = "",
    bill_number: str = "",
) -> str:
    """The payload of a transfer to `account_number` at the bank with BIN `bank_bin`. With an
    amount the code is dynamic (01 = "12", single use), without one static ("11")."""
    bank_bin = (bank_bin or "").strip()
    account_number = (account_number or "").strip()
    if not re.fullmatch(r"\d{6}", bank_bin):
        raise VietQRError("the bank BIN is 6 digits")
    if not re.fullmatch(r"[0-9A-Za-z]{1,19}", account_number):
        raise VietQRError("the account number is 1 to 19 letters or digits")
    if amount is not None and (int(amount) <= 0 or len(str(int(amount))) > 13):
        raise VietQRError("the amount is a positive whole number of đồng, at most 13 digits")
    beneficiary = _tlv("00", bank_bin) + _tlv("01", account_number)
    merchant = _tlv("00", NAPAS_GUID) + _tlv("01", beneficiary) + _tlv("02", SERVICE_ACCOUNT)
    additional = _tlv("01", transfer_note(bill_number)) + _tlv("08", transfer_note(note))
    body = (
        _tlv("00", "01")
        + _tlv("01", "12" if amount else "11")
        + _tlv("38", merchant)
        + _tlv("53", CURRENCY_VND)
        + (_tlv("54", str(int(amount))) if amount else "")
        + _tlv("58", COUNTRY)
        + _tlv("62", additional)
        + "6304"
    )
    return body + f"{crc16_ccitt_false(body.encode('ascii')):04X}"


def parse(text: str) -> dict[str, str]:
    """The top-level objects of a payload, {ID: VALUE} (templates stay as their raw value;
    parse them again)."""
    out: dict[str, str] = {}
    i = 0
    while i < len(text):
        tag, length = text[i : i + 2], text[i + 2 : i + 4]
        if len(tag) < 2 or not length.isdigit():
            raise VietQRError(f"malformed object at position {i}")
        value = text[i + 4 : i + 4 + int(length)]
        if len(value) != int(length):
            raise VietQRError(f"object {tag} is shorter than its length")
        out[tag] = value
        i += 4 + int(length)
    return out


def crc_ok(text: str) -> bool:
    """Whether the payload ends with "6304" and the right CRC."""
    return (
        len(text) > 8
        and text[-8:-4] == "6304"
        and f"{crc16_ccitt_false(text[:-4].encode('ascii')):04X}" == text[-4:]
    )


def qr_matrix(data: str) -> list[list[bool]]:
    """The QR code's modules (error correction M), row by row; True is dark."""
    code = qrencoder.QRCode(None, qrencoder.QRErrorCorrectLevel.M)
    code.addData(data)
    code.make()
    return [[bool(cell) for cell in row] for row in code.modules]


def svg(data: str, *, module: int = 6, border: int = 4) -> str:
    """The QR code of `data` as an SVG element (dark modules on white, `border` modules of
    quiet zone), to put in a page as it is: no script, no external reference."""
    matrix = qr_matrix(data)
    size = (len(matrix) + 2 * border) * module
    runs = []
    for r, row in enumerate(matrix):
        c = 0
        while c < len(row):
            if not row[c]:
                c += 1
                continue
            start = c
            while c < len(row) and row[c]:
                c += 1
            width = (c - start) * module
            runs.append(
                f"M{(start + border) * module} {(r + border) * module}h{width}v{module}h-{width}z"
            )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" '
        f'viewBox="0 0 {size} {size}" shape-rendering="crispEdges" role="img">'
        f'<rect width="{size}" height="{size}" fill="#fff"/>'
        f'<path fill="#000" d="{"".join(runs)}"/></svg>'
    )
