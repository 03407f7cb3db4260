"""Shopee Open Platform v2 emulator (see ``emulators.shopee.app`` for behaviour and choices)."""

from emulators.shopee.app import ShopeeEmulator

__all__ = ["ShopeeEmulator"]
