"""Viettel SInvoice emulator (see ``emulators.sinvoice.app`` for paths, rules and choices)."""

from emulators.sinvoice.app import SInvoiceEmulator

__all__ = ["SInvoiceEmulator"]
