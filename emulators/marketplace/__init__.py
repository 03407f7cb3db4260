"""Shared machinery of the marketplace emulators (Shopee, Lazada, TikTok Shop).

Each platform package keeps its own paths, signing, ids, field names and statuses; this module
holds what they share:

* ``RouterApp``: ``JsonApp`` plus regex routes (TikTok puts ids and API versions in paths).
* ``RateLimiter``: a sliding window of ``limit`` calls per ``period`` seconds per key, on a time
  source of its own (real monotonic time by default: the emulator clock only moves when told, and
  a rate limit is about real calls per second; tests pass a fake one).
* ``SignedWebhooks``: ``WebhookDispatcher`` whose events carry a signature computed over the
  exact body bytes, plus ``replay`` (send already delivered events again, signature unchanged).
* ``TokenStore``: one-use authorization codes, access tokens that expire, refresh tokens that
  rotate (per platform: single use or not, grace period of the old access token).
* ``Product``/``Variant``, ``Order``/``OrderLine``: the platform-neutral state. An order has a
  *stage* (``unpaid``, ``to_ship``, ``packed``, ``arranged``, ``shipped``, ``delivered``,
  ``completed``, ``in_cancel``, ``cancelled``, ``failed_delivery``, ``returned``); each platform
  maps stages to its own status words.
* ``MarketplaceEmulator``: shops, catalogue, simulated buyers, the timeline (``tick``), the
  control API (``add_marketplace_control_routes``) and the state dump.

Money is integer VND throughout.
"""

from emulators.marketplace.actions import MarketplaceActions
from emulators.marketplace.catalog import MarketplaceCatalog
from emulators.marketplace.control import add_marketplace_control_routes
from emulators.marketplace.emulator import MarketplaceEmulator
from emulators.marketplace.infra import RateLimiter, RouterApp, SignedWebhooks, timestamp_fresh
from emulators.marketplace.model import (
    BEFORE_SHIPPING,
    DEMO_PRODUCTS,
    STAGES,
    TERMINAL_STAGES,
    ControlError,
    Order,
    OrderLine,
    Product,
    Variant,
    add_query,
    allocate,
    as_int,
    digits,
    full_address,
    list_param,
    random_buyer,
)
from emulators.marketplace.tokens import AuthCode, TokenError, TokenPair, TokenStore

__all__ = [
    "BEFORE_SHIPPING",
    "DEMO_PRODUCTS",
    "STAGES",
    "TERMINAL_STAGES",
    "AuthCode",
    "ControlError",
    "MarketplaceActions",
    "MarketplaceCatalog",
    "MarketplaceEmulator",
    "Order",
    "OrderLine",
    "Product",
    "RateLimiter",
    "RouterApp",
    "SignedWebhooks",
    "TokenError",
    "TokenPair",
    "TokenStore",
    "Variant",
    "add_marketplace_control_routes",
    "add_query",
    "allocate",
    "as_int",
    "digits",
    "full_address",
    "list_param",
    "random_buyer",
    "timestamp_fresh",
]
