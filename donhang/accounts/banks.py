"""Banks a shop is likely to use, by their NAPAS BIN (the 6-digit code a VietQR payload carries).

Each BIN checked against SBV letter 1589/NHNN-TT (BINs to 31/12/2023); see
shared/reference/vietqr.md. Other banks are accepted too: the owner types the BIN.
"""

from __future__ import annotations

KNOWN_BANKS: dict[str, str] = {
    "970436": "Vietcombank",
    "970415": "VietinBank",
    "970418": "BIDV",
    "970407": "Techcombank",
    "970422": "MB",
    "970416": "ACB",
    "970432": "VPBank",
    "970423": "TPBank",
    "970403": "Sacombank",
    "970405": "Agribank",
}


def bank_name_for(bin_code: str) -> str:
    """The short name of the bank with this BIN, or "" when it is not in the list."""
    return KNOWN_BANKS.get(bin_code, "")
