"""Zalo Official Account emulator (see ``emulators.zalo_oa.app`` for behaviour)."""

from emulators.zalo_oa.api import pkce_challenge
from emulators.zalo_oa.app import (
    DEMO_ACCESS_TOKEN,
    DEMO_APP_ID,
    DEMO_APP_SECRET,
    DEMO_OA_ID,
    DEMO_OA_SECRET,
    DEMO_REFRESH_TOKEN,
    WEBHOOK_PATH,
    ZaloOaEmulator,
)
from emulators.zalo_oa.model import zalo_mac

__all__ = [
    "DEMO_ACCESS_TOKEN",
    "DEMO_APP_ID",
    "DEMO_APP_SECRET",
    "DEMO_OA_ID",
    "DEMO_OA_SECRET",
    "DEMO_REFRESH_TOKEN",
    "WEBHOOK_PATH",
    "ZaloOaEmulator",
    "pkce_challenge",
    "zalo_mac",
]
