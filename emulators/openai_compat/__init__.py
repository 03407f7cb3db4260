"""Scripted OpenAI-compatible chat completions emulator (see ``emulators.openai_compat.app``)."""

from emulators.openai_compat.app import DEMO_API_KEY, OpenAICompatEmulator
from emulators.openai_compat.validation import InvalidRequest, schema_problem, validate_request

__all__ = [
    "DEMO_API_KEY",
    "InvalidRequest",
    "OpenAICompatEmulator",
    "schema_problem",
    "validate_request",
]
