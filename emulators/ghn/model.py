"""GHN emulator data: catalogue IDs, fee table, orders, statuses, webhook payloads."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from emulators.common import VN_TZ
from emulators.geo import Catalogue, Province, Ward, zone

# --------------------------------------------------------------------------- IDs
# GHN-style IDs, deterministic from the national codes (and different from Viettel Post's):
# ProvinceID = 200 + national province code (Hà Nội 201), one pseudo-district per province
# DistrictID = 3000 + national province code, WardCode = str(500000 + national ward code).


def province_id(p: Province) -> int:
    return 200 + p.code


def district_id(p: Province) -> int:
    return 3000 + p.code


def ward_code(w: Ward) -> str:
    return str(500000 + w.code)


def fold_name(name: str) -> str:
    """The name without diacritics, case kept (GHN's NameExtension has such variants)."""
    s = unicodedata.normalize("NFD", name.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in s if unicodedata.category(c) != "Mn")


def district_name(p: Province) -> str:
    return f"{p.short_name} (địa giới mới)"


class GhnGeo:
    def __init__(self, catalogue: Catalogue):
        self.cat = catalogue
        self.by_province_id = {province_id(p): p for p in catalogue.provinces}
        self.by_district_id = {district_id(p): p for p in catalogue.provinces}
        self.by_ward_code = {ward_code(w): w for w in catalogue.wards.values()}

    def province_of(self, w: Ward) -> Province:
        return self.cat.by_code[w.province_code]


# --------------------------------------------------------------------------- services, fees

SERVICES = {
    2: {"service_id": 53320, "short_name": "Hàng nhẹ", "service_type_id": 2},
    5: {"service_id": 100039, "short_name": "Hàng nặng", "service_type_id": 5},
}
SERVICE_TYPE_BY_ID = {s["service_id"]: t for t, s in SERVICES.items()}

LIGHT_BASE = {"intra": 16500, "region": 30000, "national": 35000}  # first 500 g
LIGHT_STEP = {"intra": 2500, "region": 5000, "national": 5000}  # each further 500 g
HEAVY_BASE = {"intra": 40000, "region": 60000, "national": 80000}  # first 5 kg
HEAVY_STEP = {"intra": 3000, "region": 5000, "national": 7000}  # each further kg
LEAD_DAYS = {"intra": 1, "region": 2, "national": 3}
COD_FREE_UP_TO = 3_000_000  # above: 0.5 % of the whole COD
INSURANCE_FREE_UP_TO = 1_000_000  # above: 0.5 % of the declared value
RETURN_FEE_RATIO = 0.5  # of the main service fee, charged when the parcel goes back


def converted_weight(weight: int, length: int, width: int, height: int) -> int:
    return max(int(weight or 0), int((length or 0) * (width or 0) * (height or 0) / 5))


def compute_fee(
    service_type: int,
    origin: Province,
    dest: Province,
    weight: int,
    cod: int = 0,
    insurance: int = 0,
) -> dict:
    z = zone(origin, dest)
    if service_type == 5:
        extra_kg = max(0, -(-(weight - 5000) // 1000))
        main = HEAVY_BASE[z] + HEAVY_STEP[z] * extra_kg
    else:
        extra = max(0, -(-(weight - 500) // 500))
        main = LIGHT_BASE[z] + LIGHT_STEP[z] * extra
    cod_fee = cod * 5 // 1000 if cod > COD_FREE_UP_TO else 0
    ins_fee = insurance * 5 // 1000 if insurance > INSURANCE_FREE_UP_TO else 0
    return {
        "main_service": main,
        "insurance": ins_fee,
        "cod_fee": cod_fee,
        "station_do": 0,
        "station_pu": 0,
        "return": 0,
        "r2s": 0,
        "coupon": 0,
        "cod_failed_fee": 0,
        "pick_remote_areas_fee": 0,
        "deliver_remote_areas_fee": 0,
    }


def fee_total(fee: dict) -> int:
    return sum(v for k, v in fee.items() if k != "coupon") - fee.get("coupon", 0)


def lead_date(now: datetime, service_type: int, origin: Province, dest: Province) -> datetime:
    days = LEAD_DAYS[zone(origin, dest)] + (1 if service_type == 5 else 0)
    day = (now + timedelta(days=days)).astimezone(VN_TZ)
    return day.replace(hour=23, minute=59, second=59, microsecond=0)


def iso_z(dt: datetime | None) -> str | None:
    if dt is None:
        return None
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + (f"{dt.microsecond // 1000:03d}Z")


# --------------------------------------------------------------------------- statuses

FORWARD = ["ready_to_pick", "picking", "picked", "storing", "transporting", "delivering"]
FAIL_PATH = ["delivery_fail", "waiting_to_return", "return", "returning", "returned"]
TERMINAL = {"delivered", "returned", "cancel", "lost", "damage"}
CANCELLABLE = {"ready_to_pick", "picking", "money_collect_picking"}
RETURNABLE = {"storing", "waiting_to_return", "delivery_fail"}
COD_EDITABLE = {"ready_to_pick", "picking", "picked", "storing", "transporting"}
ALL_STATUSES = {
    "ready_to_pick": "Chờ lấy hàng",
    "picking": "Đang lấy hàng",
    "money_collect_picking": "Đang thu tiền người gửi",
    "picked": "Đã lấy hàng",
    "storing": "Hàng đang nằm ở kho",
    "transporting": "Đang luân chuyển hàng",
    "sorting": "Đang phân loại hàng hóa",
    "delivering": "Nhân viên đang giao cho người nhận",
    "money_collect_delivering": "Nhân viên đang thu tiền người nhận",
    "delivered": "Giao hàng thành công",
    "delivery_fail": "Giao hàng thất bại",
    "waiting_to_return": "Đang đợi trả hàng về cho người gửi",
    "return": "Trả hàng",
    "return_transporting": "Đang luân chuyển hàng trả",
    "return_sorting": "Đang phân loại hàng trả",
    "returning": "Nhân viên đang đi trả hàng",
    "return_fail": "Trả hàng thất bại",
    "returned": "Trả hàng thành công",
    "cancel": "Hủy đơn hàng",
    "exception": "Đơn hàng ngoại lệ",
    "lost": "Hàng thất lạc",
    "damage": "Hàng hư hỏng",
}
REASONS = {
    "GHN-DFC1A7": "Khách hàng từ chối nhận hàng (không cho xem hàng)",
    "GHN-DCD0A7": "Sai tiền thu hộ (COD)",
    "GHN-DFC1A0": "Không liên lạc được người nhận",
    "GHN-PFA1A0": "Không liên lạc được người gửi",
    "GHN-RFE1A0": "Người gửi không nhận lại hàng",
}
DEFAULT_FAIL_REASON = "GHN-DFC1A0"


def next_status(order: GhnOrder) -> str | None:
    s = order.status
    if s in TERMINAL:
        return None
    if s == "delivering":
        return "delivery_fail" if order.fail_next_delivery else "delivered"
    if s in FORWARD:
        return FORWARD[FORWARD.index(s) + 1]
    if s in FAIL_PATH:
        return FAIL_PATH[FAIL_PATH.index(s) + 1]
    return None


# --------------------------------------------------------------------------- orders


@dataclass
class Shop:
    id: int
    name: str
    phone: str
    address: str
    ward_code: str
    district_id: int


@dataclass
class GhnOrder:
    order_code: str
    token: str
    shop_id: int
    client_order_code: str
    data: dict  # the create body as sent, normalised
    to_ward: Ward
    from_ward: Ward
    service_type_id: int
    weight: int
    converted_weight: int
    cod_amount: int
    insurance_value: int
    payment_type_id: int
    fee: dict
    created: datetime
    leadtime: datetime
    sort_code: str
    status: str = "ready_to_pick"
    status_time: datetime | None = None
    log: list[dict] = field(default_factory=list)
    reason_code: str = ""
    reason: str = ""
    fail_next_delivery: str = ""  # reason code of a planned failed delivery
    cod_collect_date: datetime | None = None
    cod_transfer_date: datetime | None = None

    @property
    def total_fee(self) -> int:
        return fee_total(self.fee)

    @property
    def is_cod_collected(self) -> bool:
        return self.cod_collect_date is not None

    @property
    def is_cod_transferred(self) -> bool:
        return self.cod_transfer_date is not None


def webhook_fee(fee: dict) -> dict:
    return {
        "MainService": fee["main_service"],
        "Insurance": fee["insurance"],
        "CODFee": fee["cod_fee"],
        "CODFailedFee": fee["cod_failed_fee"],
        "Return": fee["return"],
        "R2S": fee["r2s"],
        "StationDO": fee["station_do"],
        "StationPU": fee["station_pu"],
        "Coupon": fee["coupon"],
        "PickRemoteAreasFee": fee["pick_remote_areas_fee"],
        "DeliverRemoteAreasFee": fee["deliver_remote_areas_fee"],
        "DocumentReturn": 0,
        "DoubleCheck": 0,
        "Total": fee_total(fee),
    }


def webhook_payload(order: GhnOrder, type_: str, when: datetime, warehouse: str) -> dict:
    d = order.data
    return {
        "OrderCode": order.order_code,
        "ClientOrderCode": order.client_order_code,
        "ShopID": order.shop_id,
        "Status": order.status,
        "Type": type_,
        "Time": iso_z(when),
        "Description": ALL_STATUSES.get(order.status, order.status),
        "Reason": order.reason,
        "ReasonCode": order.reason_code,
        "Warehouse": warehouse,
        "Weight": order.weight,
        "ConvertedWeight": order.converted_weight,
        "Length": d.get("length", 0),
        "Width": d.get("width", 0),
        "Height": d.get("height", 0),
        "CODAmount": order.cod_amount,
        "CODTransferDate": iso_z(order.cod_transfer_date),
        "PaymentType": order.payment_type_id,
        "TotalFee": order.total_fee,
        "IsPartialReturn": False,
        "PartialReturnCode": "",
        "Fee": webhook_fee(order.fee),
    }
