"""Channel kind → adapter class. The adapter is built from a connection's settings."""

from __future__ import annotations

from donhang.chatbot.channels.providers.messenger.adapter import MessengerAdapter
from donhang.chatbot.channels.providers.zalo.adapter import ZaloAdapter

ADAPTERS: dict[str, type] = {
    "messenger": MessengerAdapter,
    "zalo": ZaloAdapter,
}


def build_adapter(*, kind: str, **kwargs):
    try:
        cls = ADAPTERS[kind]
    except KeyError:
        raise ValueError(f"no adapter for chat channel {kind!r}") from None
    return cls(**kwargs)
