"""Platform code → adapter class. The adapter is built from a shop connection's settings."""

from __future__ import annotations

from donhang.marketplaces.http import Throttle
from donhang.marketplaces.ports import MarketplaceAdapter, RefreshCallback
from donhang.marketplaces.providers.lazada.adapter import LazadaAdapter
from donhang.marketplaces.providers.shopee.adapter import ShopeeAdapter
from donhang.marketplaces.providers.tiktok_shop.adapter import TikTokShopAdapter

ADAPTERS: dict[str, type] = {
    "shopee": ShopeeAdapter,
    "lazada": LazadaAdapter,
    "tiktok_shop": TikTokShopAdapter,
}

# What each platform asks for when a shop is connected (field name → label key).
CREDENTIAL_FIELDS = {
    "shopee": ("partner_id", "partner_key"),
    "lazada": ("app_key", "app_secret"),
    "tiktok_shop": ("app_key", "app_secret", "service_id"),
}


def build_adapter(
    *,
    platform: str,
    environment: str,
    base_url: str,
    credentials: dict,
    tokens: dict | None = None,
    shop: dict | None = None,
    options: dict | None = None,
    on_token_expired: RefreshCallback | None = None,
    throttle: Throttle | None = None,
) -> MarketplaceAdapter:
    try:
        cls = ADAPTERS[platform]
    except KeyError:
        raise ValueError(f"no adapter for marketplace {platform!r}") from None
    return cls(
        environment=environment,
        base_url=base_url,
        credentials=credentials,
        tokens=tokens or {},
        shop=shop or {},
        options=options or {},
        on_token_expired=on_token_expired,
        throttle=throttle,
    )
