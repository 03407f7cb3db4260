"""MISA meInvoice emulator (see ``emulators.misa.app`` for paths, rules and choices)."""

from emulators.misa.app import MisaEmulator

__all__ = ["MisaEmulator"]
