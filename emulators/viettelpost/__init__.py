"""Viettel Post emulator (see ``emulators.viettelpost.app`` for behaviour and choices)."""

from emulators.viettelpost.app import ViettelPostEmulator

__all__ = ["ViettelPostEmulator"]
