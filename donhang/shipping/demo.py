"""Demo carrier accounts, pointing at the emulators that `make run` starts on localhost."""

from __future__ import annotations

import os

from django.conf import settings

from donhang.shipping import services
from donhang.shipping.models import CarrierAccount


def load_demo_carriers(*, actor, pickup_warehouse) -> list[CarrierAccount]:
    """GHN and Viettel Post accounts on the emulators, on the ports of the setting
    CARRIER_EMULATOR_PORTS (GHN_EMULATOR_PORT, VTP_EMULATOR_PORT; DEMO_GHN_URL / DEMO_VTP_URL
    override the whole address). Switching to a real account is editing the account: environment
    and credentials."""
    ports = {"ghn": 8701, "viettelpost": 8702, **getattr(settings, "CARRIER_EMULATOR_PORTS", {})}
    created = []
    specs = [
        (
            "ghn",
            "GHN (demo)",
            os.environ.get("DEMO_GHN_URL", f"http://127.0.0.1:{ports['ghn']}"),
            {"token": "demo-ghn-token"},
            {"shop_id": 885},
        ),
        (
            "viettelpost",
            "Viettel Post (demo)",
            os.environ.get("DEMO_VTP_URL", f"http://127.0.0.1:{ports['viettelpost']}"),
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
