"""Viettel Post emulator data: catalogue IDs, services and prices, orders, statuses, webhooks."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import datetime

from emulators.common import VN_TZ
from emulators.geo import Catalogue, Province, Ward, zone

# --------------------------------------------------------------------------- IDs
# VTP-style IDs, deterministic and different from GHN's: PROVINCE_ID = 1-based rank of the
# province by national code (Hà Nội 1 … Cà Mau 34); one pseudo-district per province,
# DISTRICT_ID = 900 + PROVINCE_ID with DISTRICT_VALUE "NEW"; WARDS_ID = 100000 + national code.


def ascii_upper(name: str) -> str:
    s = unicodedata.normalize("NFD", name.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in s if unicodedata.category(c) != "Mn").upper()


class VtpGeo:
    def __init__(self, catalogue: Catalogue):
        self.cat = catalogue
        self.province_ids = {p.code: i for i, p in enumerate(catalogue.provinces, start=1)}
        self.by_province_id = {i: self.cat.by_code[c] for c, i in self.province_ids.items()}
        self.by_ward_id = {self.ward_id(w): w for w in catalogue.wards.values()}
        self.codes: dict[int, str] = {}
        for p in catalogue.provinces:
            words = ascii_upper(p.short_name).split()
            code = "".join(w[0] for w in words)[:3]
            code = (code + words[-1][1:])[:3] if len(code) < 3 else code
            while code in self.codes.values():
                code = code[:2] + chr(ord(code[2]) + 1 if code[2] < "Z" else 65)
            self.codes[p.code] = code

    def province_id(self, p: Province) -> int:
        return self.province_ids[p.code]

    def district_id(self, p: Province) -> int:
        return 900 + self.province_id(p)

    @staticmethod
    def ward_id(w: Ward) -> int:
        return 100000 + w.code

    def province_of(self, w: Ward) -> Province:
        return self.cat.by_code[w.province_code]

    def province_dict(self, p: Province) -> dict:
        return {
            "PROVINCE_ID": self.province_id(p),
            "PROVINCE_CODE": self.codes[p.code],
            "PROVINCE_NAME": p.name,
        }

    def district_dict(self, p: Province) -> dict:
        return {
            "DISTRICT_ID": self.district_id(p),
            "DISTRICT_VALUE": "NEW",
            "DISTRICT_NAME": f"{p.short_name} (địa giới mới)",
            "PROVINCE_ID": self.province_id(p),
        }


# --------------------------------------------------------------------------- services, prices

# code: (name, price multiplier vs VCN, extra hours vs VCN, zones where it applies)
SERVICES = {
    "VCN": ("Chuyển phát nhanh", 1.0, 0, {"intra", "region", "national"}),
    "VTK": ("Chuyển phát tiết kiệm", 0.8, 24, {"intra", "region", "national"}),
    "VHT": ("Phát hỏa tốc", 1.8, -12, {"intra", "region"}),
    "PHS": ("Phát hôm sau nội vùng", 1.1, 0, {"intra", "region"}),
    "PTN": ("Phát trong ngày nội tỉnh", 1.3, -16, {"intra"}),
}
VCN_BASE = {"intra": 18000, "region": 28000, "national": 35000}  # first 500 g, before VAT
VCN_STEP = {"intra": 2500, "region": 5000, "national": 5000}  # each further 500 g
VCN_HOURS = {"intra": 24, "region": 48, "national": 72}
VAT = 0.08
MAX_WEIGHT = 50_000
MAX_COD = 50_000_000
COD_FREE_UP_TO = 3_000_000  # above: 0.5 % of the whole COD
INSURANCE_RATE = 0.005  # add-on GBH, on PRODUCT_PRICE


def applies(service: str, origin: Province, dest: Province) -> bool:
    return zone(origin, dest) in SERVICES[service][3]


def base_price(service: str, origin: Province, dest: Province, weight: int) -> int:
    z = zone(origin, dest)
    extra = max(0, -(-(weight - 500) // 500))
    return int((VCN_BASE[z] + VCN_STEP[z] * extra) * SERVICES[service][1])


def hours(service: str, origin: Province, dest: Province) -> int:
    return max(6, VCN_HOURS[zone(origin, dest)] + SERVICES[service][2])


def exchange_weight(weight: int, length: int, width: int, height: int) -> int:
    return max(weight, int(length * width * height / 6))


def price(service, origin, dest, weight, cod=0, product_price=0, add_ons="") -> dict:
    main = base_price(service, origin, dest, weight)
    cod_fee = int(cod * 0.005) if cod > COD_FREE_UP_TO else 0
    other = int(product_price * INSURANCE_RATE) if "GBH" in str(add_ons).split(",") else 0
    vat = int((main + cod_fee + other) * VAT)
    return {
        "MONEY_TOTAL_FEE": main,
        "MONEY_FEE": 0,
        "MONEY_COLLECTION_FEE": cod_fee,
        "MONEY_OTHER_FEE": other,
        "MONEY_VAS": 0,
        "MONEY_VAT": vat,
        "MONEY_TOTAL": main + cod_fee + other + vat,
        "KPI_HT": hours(service, origin, dest),
    }


# --------------------------------------------------------------------------- statuses

STATUS_NAMES = {
    -100: "Đơn hàng mới tạo, chưa duyệt",
    100: "Tiếp nhận đơn hàng từ đối tác",
    101: "ViettelPost yêu cầu hủy đơn hàng",
    102: "Đơn hàng chờ xử lý",
    103: "Giao cho bưu cục",
    104: "Giao cho bưu tá đi nhận",
    105: "Bưu tá đã nhận hàng",
    106: "Đối tác yêu cầu lấy lại hàng",
    107: "Đối tác yêu cầu hủy qua API",
    200: "Nhận từ bưu tá - Bưu cục gốc",
    201: "Hủy nhập phiếu gửi",
    202: "Sửa phiếu gửi",
    300: "Đóng bảng kê đi",
    400: "Nhận bảng kê đến",
    500: "Giao bưu tá đi phát",
    501: "Phát thành công",
    502: "Chuyển hoàn bưu cục gốc",
    503: "Hủy - Theo yêu cầu khách hàng",
    504: "Hoàn thành công - Chuyển trả người gửi",
    505: "Tồn - Thông báo chuyển hoàn bưu cục gốc",
    506: "Tồn - Khách hàng nghỉ, không có nhà",
    507: "Tồn - Khách hàng đến bưu cục nhận",
    508: "Phát tiếp",
    515: "Bưu cục phát duyệt hoàn",
}
FORWARD = [-100, 100, 102, 103, 105, 200, 300, 400, 500]
NEXT = {506: 505, 505: 502, 508: 500, 502: 504}
TERMINAL = {101, 107, 201, 501, 503, 504}
RETURNING = {502, 504, 515}
REASONS = {
    "35": "Khách hàng hẹn lại ngày giao",
    "36": "Không liên lạc được người nhận",
    "20": "Khách hàng từ chối nhận hàng",
    "43": "Khách hàng không đồng ý thanh toán cước",
}
DEFAULT_FAIL_REASON = "36"


@dataclass
class VtpOrder:
    waybill: str
    username: str
    reference: str
    data: dict  # the create body, normalised
    sender_ward: Ward
    receiver_ward: Ward
    service: str
    weight: int
    exchange_weight: int
    cod: int
    payment: int
    money: dict
    created: datetime
    status: int = -100
    status_time: datetime | None = None
    note: str = ""
    reason_code: str = ""
    fail_next_delivery: str = ""
    history: list[tuple[int, datetime]] = field(default_factory=list)
    cod_transferred_at: datetime | None = None
    deleted: bool = False


def next_status(order: VtpOrder) -> int | None:
    s = order.status
    if s in TERMINAL:
        return None
    if s == 500:
        return 506 if order.fail_next_delivery else 501
    if s in FORWARD:
        return FORWARD[FORWARD.index(s) + 1]
    return NEXT.get(s)


def vn_date(dt: datetime) -> str:
    return dt.astimezone(VN_TZ).strftime("%d/%m/%Y %H:%M:%S")


def webhook_payload(order: VtpOrder, when: datetime, location: str, secret: str) -> dict:
    m = order.money
    return {
        "DATA": {
            "ORDER_NUMBER": order.waybill,
            "ORDER_REFERENCE": order.reference,
            "ORDER_STATUSDATE": vn_date(when),
            "ORDER_STATUS": order.status,
            "STATUS_NAME": STATUS_NAMES.get(order.status, str(order.status)),
            "LOCALION_CURRENTLY": location,
            "NOTE": order.note,
            "MONEY_COLLECTION": order.cod,
            "MONEY_FEECOD": m["MONEY_COLLECTION_FEE"],
            "MONEY_TOTALFEE": m["MONEY_TOTAL"] - m["MONEY_COLLECTION_FEE"],
            "MONEY_TOTAL": m["MONEY_TOTAL"],
            "EXPECTED_DELIVERY": f"Khoảng {m['KPI_HT']} giờ",
            "PRODUCT_WEIGHT": order.weight,
            "ORDER_SERVICE": order.service,
            "ORDER_PAYMENT": order.payment,
            "EMPLOYEE_NAME": "Nguyễn Văn Bưu" if order.status in (105, 500, 501) else "",
            "EMPLOYEE_PHONE": "0987000111" if order.status in (105, 500, 501) else "",
            "IS_RETURNING": order.status in RETURNING,
            "REASON_CODE": order.reason_code,
        },
        "TOKEN": secret,
    }
