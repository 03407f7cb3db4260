"""Provider code → adapter class. The adapter is built from a carrier account's settings."""

from __future__ import annotations

from collections.abc import Callable

from donhang.shipping.carriers.ports import CarrierAdapter
from donhang.shipping.carriers.providers.ghn.adapter import GhnAdapter
from donhang.shipping.carriers.providers.viettelpost.adapter import ViettelPostAdapter

ADAPTERS: dict[str, type] = {
    "ghn": GhnAdapter,
    "viettelpost": ViettelPostAdapter,
}


def build_adapter(
    *,
    provider: str,
    environment: str,
    base_url: str,
    credentials: dict,
    options: dict,
    webhook_secret: str = "",
    on_token: Callable[[str], None] | None = None,
) -> CarrierAdapter:
    try:
        cls = ADAPTERS[provider]
    except KeyError:
        raise ValueError(f"no adapter for carrier {provider!r}") from None
    return cls(
        environment=environment,
        base_url=base_url,
        credentials=credentials,
        options=options,
        webhook_secret=webhook_secret,
        on_token=on_token,
    )
