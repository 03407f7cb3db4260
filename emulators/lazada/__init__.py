"""Lazada Open Platform emulator (see ``emulators.lazada.app`` for behaviour and choices)."""

from emulators.lazada.app import LazadaEmulator

__all__ = ["LazadaEmulator"]
