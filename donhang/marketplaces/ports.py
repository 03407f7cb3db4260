"""The marketplace port: what every marketplace adapter offers, in our own types.

Adapters translate between these types and a platform's API; they never touch models and never
decide outcomes. Errors: RetryableError, PermanentError, Unsupported (donhang.core.integrations);
two refinements of them say what the caller can do about it: TokenExpired (refresh the access
token and call again) and ReauthorizationNeeded (the seller must authorize the shop again).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from donhang.core.integrations import PermanentError, RetryableError, Unsupported

__all__ = [
    "PROGRESS",
    "Capabilities",
    "Document",
    "ImageFile",
    "MarketplaceAdapter",
    "OrderPage",
    "OrderRef",
    "OrderStatus",
    "PermanentError",
    "Platform",
    "ProductDraft",
    "ProductPage",
    "PushEvent",
    "ReauthorizationNeeded",
    "RemoteAddress",
    "RemoteLine",
    "RemoteOrder",
    "RemoteProduct",
    "RemoteVariation",
    "RetryableError",
    "Settlement",
    "ShipmentArranged",
    "ShopInfo",
    "StockResult",
    "StockUpdate",
    "TokenExpired",
    "Tokens",
    "Unsupported",
    "VariationDraft",
]


class Platform(StrEnum):
    SHOPEE = "shopee"
    LAZADA = "lazada"
    TIKTOK_SHOP = "tiktok_shop"


class TokenExpired(RetryableError):
    """The access token is invalid or expired: refresh it and call again."""


class ReauthorizationNeeded(PermanentError):
    """The refresh token is spent or expired, or the seller withdrew the authorization: only
    the seller authorizing the shop again helps."""


class OrderStatus(StrEnum):
    """Our words for where a marketplace order is. Every platform status maps to exactly one."""

    UNPAID = "unpaid"  # placed, not paid (or held by the platform)
    TO_SHIP = "to_ship"  # paid: the seller packs and arranges shipment
    READY_TO_SHIP = "ready_to_ship"  # shipment arranged, waiting for the carrier's pickup
    SHIPPED = "shipped"  # the carrier has the parcel
    DELIVERY_FAILED = "delivery_failed"
    DELIVERED = "delivered"  # delivered, the buyer may still complain
    COMPLETED = "completed"  # closed: the platform settles with the seller
    CANCEL_REQUESTED = "cancel_requested"  # a cancellation is under way
    CANCELLED = "cancelled"
    RETURNED = "returned"  # the parcel (or the buyer's return) comes back to the seller

    @property
    def is_final(self) -> bool:
        return self in (OrderStatus.COMPLETED, OrderStatus.CANCELLED, OrderStatus.RETURNED)


# How far along a status is, to never move an order backwards when two updates carry the same
# time (platforms stamp updates to the second).
PROGRESS = {
    OrderStatus.UNPAID: 0,
    OrderStatus.TO_SHIP: 1,
    OrderStatus.CANCEL_REQUESTED: 2,
    OrderStatus.READY_TO_SHIP: 3,
    OrderStatus.SHIPPED: 4,
    OrderStatus.DELIVERY_FAILED: 5,
    OrderStatus.DELIVERED: 6,
    OrderStatus.COMPLETED: 7,
    OrderStatus.CANCELLED: 8,
    OrderStatus.RETURNED: 8,
}


@dataclass(frozen=True)
class Capabilities:
    webhooks: bool = True
    create_product: bool = True
    arrange_shipment: bool = True
    shipping_document: bool = True
    settlements: bool = True
    # Stock updates per API call, and whether one call may only touch one item (product).
    stock_batch_size: int = 50
    stock_one_item_per_call: bool = False
    # Longest window of one "orders updated between" query (None: no limit).
    order_window_days: int | None = None


@dataclass
class Tokens:
    access_token: str
    refresh_token: str
    access_expires_at: datetime | None = None
    refresh_expires_at: datetime | None = None
    shop_id: str = ""  # the shop (seller) the tokens are for, where the platform says
    extra: dict = field(default_factory=dict)


@dataclass
class ShopInfo:
    shop_id: str
    name: str
    region: str = ""
    cipher: str = ""  # TikTok Shop: the shop_cipher sent with every shop call


@dataclass
class RemoteVariation:
    model_id: str  # "" when the item has no variations
    seller_sku: str
    name: str = ""
    price: int | None = None
    stock: int | None = None
    status: str = ""
    extra: dict = field(default_factory=dict)  # ids some platforms need to update stock


@dataclass
class RemoteProduct:
    item_id: str
    name: str
    status: str
    variations: list[RemoteVariation]
    updated_at: datetime | None = None


@dataclass
class ProductPage:
    products: list[RemoteProduct]
    next_cursor: str = ""  # "" when this was the last page


@dataclass
class VariationDraft:
    seller_sku: str
    options: dict[str, str]  # attribute name → value ("Màu": "Đỏ")
    price: int
    stock: int


@dataclass
class ImageFile:
    name: str
    content: bytes
    content_type: str
    url: str = ""  # where the platform can fetch it (our public address), when it can


@dataclass
class ProductDraft:
    reference: str  # our idempotency key
    name: str
    description: str
    price: int
    stock: int
    seller_sku: str
    weight_g: int
    category_id: str = ""
    images: list[ImageFile] = field(default_factory=list)
    variations: list[VariationDraft] = field(default_factory=list)


@dataclass
class StockUpdate:
    item_id: str
    model_id: str
    seller_sku: str
    quantity: int
    extra: dict = field(default_factory=dict)


@dataclass
class StockResult:
    item_id: str
    model_id: str
    ok: bool
    error: str = ""


@dataclass
class OrderRef:
    order_id: str
    platform_status: str = ""
    updated_at: datetime | None = None


@dataclass
class OrderPage:
    orders: list[OrderRef]
    next_cursor: str = ""
    # A platform that pages by offset up to a limit (Lazada: 5,000) cannot page further through
    # a busy window: it ends the pages there and says from which update time (its list is sorted
    # by update time) the caller asks again.
    restart_from: datetime | None = None


@dataclass
class RemoteAddress:
    name: str = ""
    phone: str = ""
    full_address: str = ""
    province: str = ""
    district: str = ""
    ward: str = ""


@dataclass
class RemoteLine:
    item_id: str
    model_id: str
    seller_sku: str
    name: str
    quantity: int
    unit_price: int  # before discounts
    seller_discount: int = 0  # for the whole line
    platform_discount: int = 0  # for the whole line


@dataclass
class RemoteOrder:
    order_id: str
    platform_status: str
    status: OrderStatus
    created_at: datetime
    updated_at: datetime
    buyer_name: str
    address: RemoteAddress
    lines: list[RemoteLine]
    is_cod: bool = False
    shipping_fee: int = 0  # what the buyer pays for shipping
    seller_voucher: int = 0  # order-level, funded by the seller
    platform_voucher: int = 0  # order-level, funded by the platform
    total: int = 0  # what the buyer pays
    platform_fees: int | None = None  # commission, service, payment fees (where known)
    expected_settlement: int | None = None  # what the platform will pay the seller
    tracking_number: str = ""
    package_ids: list[str] = field(default_factory=list)
    note: str = ""
    raw: dict = field(default_factory=dict)


@dataclass
class Settlement:
    order_id: str
    payout: int  # what the platform pays the seller
    fees: int  # what it kept (commission, service, payment fees)
    reference: str = ""
    settled_at: datetime | None = None


@dataclass
class ShipmentArranged:
    tracking_number: str  # may be "" at first: ask again with tracking_number()
    package_id: str = ""


@dataclass
class Document:
    content: bytes
    content_type: str
    url: str = ""


@dataclass
class PushEvent:
    """One push from the platform: a hint to re-read the order (pushes repeat and reorder)."""

    kind: str  # "order", "token", "product", "other"
    shop_id: str
    order_id: str = ""
    platform_status: str = ""
    updated_at: datetime | None = None
    dedupe_key: str = ""


RefreshCallback = Callable[[str], Tokens]


class MarketplaceAdapter(Protocol):
    platform: str
    capabilities: Capabilities

    # --- authorization ---------------------------------------------------------------------
    def authorize_url(self, *, redirect_uri: str, state: str) -> str: ...

    def exchange_code(self, *, code: str, shop_id: str = "") -> Tokens: ...

    def refresh(self, *, refresh_token: str) -> Tokens: ...

    def shop_info(self) -> ShopInfo: ...

    # --- products and stock ----------------------------------------------------------------
    def list_products(self, *, cursor: str = "") -> ProductPage: ...

    def get_product(self, item_id: str) -> RemoteProduct: ...

    def find_product_by_sku(self, seller_sku: str) -> RemoteProduct | None: ...

    def create_product(self, draft: ProductDraft) -> RemoteProduct: ...

    def update_stock(self, updates: list[StockUpdate]) -> list[StockResult]: ...

    # --- orders ----------------------------------------------------------------------------
    def list_orders(
        self, *, updated_from: datetime, updated_to: datetime, cursor: str = ""
    ) -> OrderPage: ...

    def get_orders(self, order_ids: list[str]) -> list[RemoteOrder]: ...

    def map_status(self, platform_status: str) -> OrderStatus: ...

    def settlement(self, order_id: str) -> Settlement | None: ...

    # --- logistics -------------------------------------------------------------------------
    def arrange_shipment(self, order: RemoteOrder) -> ShipmentArranged: ...

    def tracking_number(self, order: RemoteOrder) -> str: ...

    def shipping_document(self, order: RemoteOrder) -> Document: ...

    # --- pushes ----------------------------------------------------------------------------
    def verify_push(self, *, headers: dict[str, str], body: bytes, url: str) -> bool: ...

    def parse_push(self, body: bytes) -> list[PushEvent]: ...
