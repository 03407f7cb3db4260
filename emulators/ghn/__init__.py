"""Giao Hàng Nhanh emulator (see ``emulators.ghn.app`` for behaviour and choices)."""

from emulators.ghn.app import GhnEmulator

__all__ = ["GhnEmulator"]
