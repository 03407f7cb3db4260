"""Request checks for the GHN emulator: envelope helpers and create/preview validation."""

from __future__ import annotations

import re

from emulators.common import json_response
from emulators.geo import Province, Ward
from emulators.ghn.model import SERVICE_TYPE_BY_ID, SERVICES, GhnGeo

REQUIRED_NOTES = ("CHOTHUHANG", "CHOXEMHANGKHONGTHU", "KHONGCHOXEMHANG")
PHONE_RE = re.compile(r"^(0|\+?84)\d{9}$")

# Limits: the 2026 reading of the reference ([U]); insurance keeps the old documented cap.
DEFAULT_LIMITS = {
    "weight": 50_000,
    "side": 200,
    "cod": 50_000_000,
    "insurance": 5_000_000,
}


class Reject(Exception):
    """Raised by checks; carries the HTTP response to send."""

    def __init__(self, response):
        super().__init__("rejected")
        self.response = response


def ok(data, message: str = "Success"):
    return json_response({"code": 200, "message": message, "data": data})


def error(message: str, code_message: str = "USER_ERR_COMMON", code: int = 400):
    return json_response(
        {
            "code": code,
            "message": message,
            "data": None,
            "code_message": code_message,
            "code_message_value": message,
        }
    )


def fail(message: str, code_message: str = "USER_ERR_COMMON"):
    raise Reject(error(message, code_message))


def lenient_int(value) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def strict_int(data: dict, key: str, *, required: bool, minimum: int = 0, maximum=None) -> int:
    value = data.get(key)
    if value is None:
        if required:
            fail(f"Thiếu thông tin bắt buộc: {key}")
        return 0
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            fail(f"json: cannot unmarshal {type(value).__name__} into field {key} of type int")
    if value < minimum:
        fail(f"Giá trị {key} không hợp lệ (tối thiểu {minimum})")
    if maximum is not None and value > maximum:
        fail(f"Giá trị {key} vượt quá giới hạn cho phép ({maximum})")
    return value


def resolve_address(geo: GhnGeo, data: dict, prefix: str, *, need_ward: bool):
    """(province, ward|None) from ``<prefix>_*`` fields, old or new model; None if absent."""
    if data.get(f"is_new_{prefix}_address"):
        v2 = data.get(f"{prefix}_ward_id_v2")
        if v2:
            ward = geo.by_ward_code.get(str(v2))
            if ward is None:
                fail(f"Mã phường/xã {prefix}_ward_id_v2 không hợp lệ", "WARD_IS_INVALID")
            return geo.province_of(ward), ward
        pname, wname = data.get(f"{prefix}_province_name"), data.get(f"{prefix}_ward_name")
        if not pname or not wname:
            fail(f"Thiếu {prefix}_ward_name hoặc {prefix}_province_name (is_new_{prefix}_address)")
        province = geo.cat.find_province(pname)
        if province is None:
            fail(f"Tỉnh/thành phố '{pname}' không hợp lệ", "PROVINCE_IS_INVALID")
        ward = geo.cat.find_ward(province, wname)
        if ward is None:
            fail(f"Phường/xã '{wname}' không thuộc {province.name}", "WARD_IS_INVALID")
        return province, ward
    district = data.get(f"{prefix}_district_id")
    wcode = data.get(f"{prefix}_ward_code")
    if district in (None, "", 0) and not wcode:
        return None
    province = geo.by_district_id.get(lenient_int(district)) if district else None
    if district and province is None:
        fail(f"Quận/huyện {prefix}_district_id không hợp lệ", "DISTRICT_IS_INVALID")
    ward: Ward | None = None
    if wcode:
        ward = geo.by_ward_code.get(str(wcode))
        if ward is None or (province and ward.province_code != province.code):
            fail(f"Mã phường/xã {prefix}_ward_code không hợp lệ", "WARD_IS_INVALID")
        province = province or geo.province_of(ward)
    elif need_ward:
        fail(f"Thiếu thông tin bắt buộc: {prefix}_ward_code", "WARD_IS_INVALID")
    if province is None:
        fail(f"Thiếu thông tin bắt buộc: {prefix}_district_id", "DISTRICT_IS_INVALID")
    return province, ward


def service_type(data: dict) -> int:
    sid, stype = data.get("service_id"), data.get("service_type_id")
    if sid:
        if lenient_int(sid) not in SERVICE_TYPE_BY_ID:
            fail("Dịch vụ (service_id) không hợp lệ cho tuyến này", "SERVICE_IS_INVALID")
        return SERVICE_TYPE_BY_ID[lenient_int(sid)]
    if stype:
        if lenient_int(stype) not in SERVICES:
            fail("Loại dịch vụ (service_type_id) không hợp lệ", "SERVICE_IS_INVALID")
        return lenient_int(stype)
    fail("Thiếu thông tin bắt buộc: service_id hoặc service_type_id")
    raise AssertionError  # unreachable


def validate_order(geo: GhnGeo, data: dict, shop_ward: Ward, limits: dict) -> dict:
    """The normalised create body, or ``Reject`` with a GHN envelope."""
    for key in ("to_name", "to_phone", "to_address"):
        if not str(data.get(key) or "").strip():
            fail(f"Thiếu thông tin bắt buộc: {key}")
    phone = re.sub(r"[\s.\-]", "", str(data["to_phone"]))
    if not PHONE_RE.match(phone):
        fail("Số điện thoại người nhận không hợp lệ", "PHONE_IS_INVALID")
    to = resolve_address(geo, data, "to", need_ward=True)
    if to is None:
        fail(
            "Thiếu địa chỉ người nhận: to_ward_code + to_district_id, hoặc is_new_to_address"
            " + to_ward_name + to_province_name",
            "WARD_IS_INVALID",
        )
    to_province, to_ward = to
    origin = resolve_address(geo, data, "from", need_ward=True)
    from_ward = origin[1] if origin else shop_ward
    weight = strict_int(data, "weight", required=True, minimum=1, maximum=limits["weight"])
    dims = {
        k: strict_int(data, k, required=True, minimum=1, maximum=limits["side"])
        for k in ("length", "width", "height")
    }
    stype = service_type(data)
    payment = data.get("payment_type_id")
    if isinstance(payment, bool) or payment not in (1, 2):
        fail("payment_type_id không hợp lệ (1: người gửi trả phí, 2: người nhận trả phí)")
    if data.get("required_note") not in REQUIRED_NOTES:
        fail("required_note không hợp lệ: CHOTHUHANG, CHOXEMHANGKHONGTHU hoặc KHONGCHOXEMHANG")
    cod = strict_int(data, "cod_amount", required=False, maximum=limits["cod"])
    insurance = strict_int(data, "insurance_value", required=False, maximum=limits["insurance"])
    strict_int(data, "cod_failed_amount", required=False)
    items = data.get("items") or []
    if not isinstance(items, list):
        fail("items phải là một danh sách")
    if stype == 5:
        if not items:
            fail("Dịch vụ hàng nặng yêu cầu danh sách items")
        for item in items:
            if not isinstance(item, dict) or not item.get("name"):
                fail("Thiếu tên sản phẩm (items.name)")
            for k in ("quantity", "weight", "length", "width", "height"):
                strict_int(item, k, required=True, minimum=1)
    return {
        **data,
        "to_phone": phone,
        "to_province": to_province,
        "to_ward": to_ward,
        "from_ward": from_ward,
        "weight": weight,
        **dims,
        "service_type_id": stype,
        "service_id": SERVICES[stype]["service_id"],
        "cod_amount": cod,
        "insurance_value": insurance,
        "items": items,
    }


def province_of(geo: GhnGeo, ward: Ward) -> Province:
    return geo.province_of(ward)
