"""Platform-neutral catalogue and order state, demo data and small helpers."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from random import Random
from urllib.parse import urlencode, urlsplit, urlunsplit


class ControlError(ValueError):
    """A control call that can't be carried out (unknown SKU, no stock…)."""


# --------------------------------------------------------------------------- catalogue


@dataclass
class Variant:
    id: str
    sku: str
    price: int  # current selling price
    original_price: int
    stock: int  # available to buyers
    options: list[str] = field(default_factory=list)  # one value per tier/attribute
    status: str = "active"
    reserved: int = 0  # units in orders not shipped yet
    warehouse_id: str = ""


@dataclass
class Product:
    id: str
    shop_id: str
    name: str
    sku: str = ""  # parent SKU
    description: str = ""
    category_id: str = "100001"
    brand: str = ""
    weight_grams: int = 500
    images: list[str] = field(default_factory=list)
    tiers: list[tuple[str, list[str]]] = field(default_factory=list)  # (name, options)
    variants: list[Variant] = field(default_factory=list)
    has_model: bool = False  # False: one implicit variant (Shopee model_id 0)
    status: str = "active"  # active | inactive | deleted | pending
    created: float = 0
    updated: float = 0
    extra: dict = field(default_factory=dict)

    @property
    def total_stock(self) -> int:
        return sum(v.stock for v in self.variants)


# --------------------------------------------------------------------------- orders

STAGES = (
    "unpaid",
    "to_ship",
    "packed",
    "arranged",
    "shipped",
    "delivered",
    "completed",
    "in_cancel",
    "cancelled",
    "failed_delivery",
    "returned",
)
TERMINAL_STAGES = {"completed", "cancelled", "returned"}
BEFORE_SHIPPING = {"unpaid", "to_ship", "packed", "arranged", "in_cancel"}


@dataclass
class OrderLine:
    id: str
    product_id: str
    variant_id: str
    sku: str
    name: str
    variant_name: str
    quantity: int
    original_price: int  # per unit, before any discount
    price: int  # per unit after the seller's item discount
    platform_discount: int = 0  # per unit, paid by the platform
    status: str = ""  # Lazada/TikTok per-item status words are derived from the order stage

    @property
    def seller_discount(self) -> int:
        return self.original_price - self.price


@dataclass
class Order:
    id: str
    shop_id: str
    lines: list[OrderLine]
    buyer: dict
    address: dict
    cod: bool
    payment_method: str
    seller_voucher: int
    platform_voucher: int
    shipping_fee: int  # paid by the buyer
    shipping_fee_rebate: int  # platform's shipping subsidy
    commission_fee: int
    service_fee: int
    transaction_fee: int
    created: datetime
    stage: str = "unpaid"
    stage_time: datetime | None = None
    updated: datetime | None = None
    paid_time: datetime | None = None
    message: str = ""
    package_id: str = ""
    tracking_number: str = ""
    carrier: str = ""
    shipped_time: datetime | None = None
    delivered_time: datetime | None = None
    cancel_reason: str = ""
    cancelled_by: str = ""
    previous_stage: str = ""  # before in_cancel
    fail_next_delivery: bool = False
    settled_time: datetime | None = None
    return_id: str = ""
    return_status: str = ""
    return_time: datetime | None = None
    history: list[tuple[str, datetime]] = field(default_factory=list)
    extra: dict = field(default_factory=dict)

    @property
    def subtotal(self) -> int:
        """Items at their selling price (after the seller's item discounts)."""
        return sum(line.price * line.quantity for line in self.lines)

    @property
    def original_subtotal(self) -> int:
        return sum(line.original_price * line.quantity for line in self.lines)

    @property
    def seller_discount(self) -> int:
        return self.original_subtotal - self.subtotal

    @property
    def platform_item_discount(self) -> int:
        return sum(line.platform_discount * line.quantity for line in self.lines)

    @property
    def buyer_total(self) -> int:
        return max(
            0,
            self.subtotal
            - self.platform_item_discount
            - self.seller_voucher
            - self.platform_voucher
            + self.shipping_fee,
        )

    @property
    def fees(self) -> int:
        return self.commission_fee + self.service_fee + self.transaction_fee

    @property
    def settlement_amount(self) -> int:
        """What the seller receives: items after the seller's own discounts and vouchers, minus
        fees (platform vouchers/discounts are paid by the platform; shipping passes through)."""
        return self.subtotal - self.seller_voucher - self.fees

    @property
    def quantity(self) -> int:
        return sum(line.quantity for line in self.lines)

    def history_time(self, stage: str) -> datetime | None:
        """When the order first reached ``stage`` (None: never)."""
        return next((when for s, when in self.history if s == stage), None)


# --------------------------------------------------------------------------- buyers

DEMO_PRODUCTS = [
    {"name": "Bình giữ nhiệt inox 500ml", "sku": "MKT-BINH-500", "price": 189000, "stock": 40},
    {"name": "Túi tote canvas in chữ", "sku": "MKT-TOTE", "price": 129000, "stock": 25},
    {
        "name": "Áo thun cotton unisex",
        "tiers": [{"name": "Size", "options": ["M", "L"]}],
        "variants": [
            {"sku": "MKT-AO-M", "price": 159000, "stock": 15, "options": ["M"]},
            {"sku": "MKT-AO-L", "price": 159000, "stock": 12, "options": ["L"]},
        ],
    },
]

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ"]
MIDDLE = ["Thị", "Văn", "Minh", "Ngọc", "Thu", "Quốc", "Thanh", "Gia"]
GIVEN = ["An", "Bình", "Chi", "Dũng", "Hà", "Hùng", "Lan", "Linh", "Mai", "Nam", "Phúc", "Trang"]
ADDRESSES = [
    ("12 Lê Lợi", "Phường Sài Gòn", "Thành phố Hồ Chí Minh"),
    ("45 Hàng Bài", "Phường Hoàn Kiếm", "Thành phố Hà Nội"),
    ("8 Trần Phú", "Phường Hải Châu", "Thành phố Đà Nẵng"),
    ("101 Nguyễn Văn Cừ", "Phường Ninh Kiều", "Thành phố Cần Thơ"),
]


def random_buyer(rng: Random) -> tuple[dict, dict]:
    name = f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"
    phone = "09" + "".join(rng.choice("0123456789") for _ in range(8))
    street, ward, province = rng.choice(ADDRESSES)
    buyer = {
        "name": name,
        "phone": phone,
        "username": "buyer" + "".join(rng.choice("0123456789") for _ in range(6)),
        "user_id": str(rng.randint(10_000_000, 99_999_999)),
        "email": "",
    }
    address = {"name": name, "phone": phone, "street": street, "ward": ward, "province": province}
    return buyer, address


def full_address(address: dict) -> str:
    parts = [address.get("street"), address.get("ward"), address.get("province")]
    return ", ".join(p for p in parts if p)


def as_int(value, default: int | None = None) -> int | None:
    if value is None or value == "" or isinstance(value, bool):
        return default
    try:
        return int(str(value).strip())
    except ValueError:
        try:
            f = float(str(value).strip())
        except ValueError:
            return default
        return int(f) if f == int(f) else default


def list_param(values: Iterable[str] | str | None) -> list[str]:
    """Lenient list: repeated keys, ``a,b``, ``[1,2]``, ``["a", 'b']`` all give ['1','2']."""
    if values is None:
        return []
    if isinstance(values, str):
        values = [values]
    out: list[str] = []
    for value in values:
        if isinstance(value, list | tuple):
            out += [str(v) for v in value]
            continue
        text = str(value).strip()
        if text.startswith("[") and text.endswith("]"):
            text = text[1:-1]
        for part in text.split(","):
            part = part.strip().strip("'\"").strip()
            if part:
                out.append(part)
    return out


def allocate(total: int, weights: list[int]) -> list[int]:
    """Split ``total`` over ``weights`` (largest remainder: the parts add up exactly)."""
    if not weights:
        return []
    whole = sum(weights)
    if whole <= 0:
        return [total] + [0] * (len(weights) - 1)
    raw = [total * w / whole for w in weights]
    parts = [int(r) for r in raw]
    rest = total - sum(parts)
    for i in sorted(range(len(raw)), key=lambda i: raw[i] - parts[i], reverse=True)[:rest]:
        parts[i] += 1
    return parts


def add_query(url: str, params: dict) -> str:
    """``url`` with ``params`` appended to its query string."""
    parts = urlsplit(url)
    query = parts.query + ("&" if parts.query else "") + urlencode(params)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def digits(rng: Random, n: int) -> str:
    return str(rng.randint(1, 9)) + "".join(rng.choice("0123456789") for _ in range(n - 1))
