"""TikTok Shop Open API emulator (see ``emulators.tiktok_shop.app`` for behaviour and choices)."""

from emulators.tiktok_shop.app import TiktokShopEmulator

__all__ = ["TiktokShopEmulator"]
