"""Facebook Messenger Platform emulator (see ``emulators.messenger.app`` for behaviour)."""

from emulators.messenger.app import (
    DEMO_APP_ID,
    DEMO_APP_SECRET,
    DEMO_PAGE_ACCESS_TOKEN,
    DEMO_PAGE_ID,
    DEMO_VERIFY_TOKEN,
    WEBHOOK_PATH,
    MessengerEmulator,
    meta_json,
    signature_headers,
)

__all__ = [
    "DEMO_APP_ID",
    "DEMO_APP_SECRET",
    "DEMO_PAGE_ACCESS_TOKEN",
    "DEMO_PAGE_ID",
    "DEMO_VERIFY_TOKEN",
    "WEBHOOK_PATH",
    "MessengerEmulator",
    "meta_json",
    "signature_headers",
]
