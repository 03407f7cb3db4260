"""Demo carrier accounts, pointing at the emulators that `make run` starts on localhost."""

from __future__ import annotations

import os

from donhang.shipping import services
from donhang.shipping.models import CarrierAccount


def load_demo_carriers(*, actor, pickup_warehouse) -> list[CarrierAccount]:
    """GHN and Viettel Post accounts on the emulators (DEMO_GHN_URL / DEMO_VTP_URL override the
    addresses). Switching to a real account is editing the account: environment and credentials."""
    created = []
    specs = [
        (
            "ghn",
            "GHN (demo)",
            os.environ.get("DEMO_GHN_URL", "http://127.0.0.1:8701"),
            {"token": "demo-ghn-token"},
            {"shop_id": 885},
        ),
        (
            "viettelpost",
            "Viettel Post (demo)",
            os.environ.get("DEMO_VTP_URL", "http://127.0.0.1:8702"),
            {"username": "demo@donhang.vn", "password": "demo-password"},
            {"default_service": "VCN"},
        ),
    ]
    for provider, name, url, credentials, options in specs:
        if CarrierAccount.objects.filter(provider=provider, name=name).exists():
            continue
        created.append(
            services.carrier_account_save(
                provider=provider,
                name=name,
                environment="emulator",
                base_url=url,
                credentials=credentials,
                options=options,
                webhook_secret="demo-secret",
                pickup_warehouse=pickup_warehouse,
                actor=actor,
            )
        )
    return created
