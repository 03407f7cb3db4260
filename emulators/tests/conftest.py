import httpx
import pytest

from emulators.ghn import GhnEmulator
from emulators.tests.helpers import Recorder, vtp_login
from emulators.viettelpost import ViettelPostEmulator


@pytest.fixture
def recorder():
    return Recorder()


@pytest.fixture
def ghn(recorder):
    return GhnEmulator(webhook_target=recorder, webhook_secret="s3cret")


@pytest.fixture
def ghn_client(ghn):
    with httpx.Client(
        transport=httpx.WSGITransport(app=ghn.wsgi_app),
        base_url="https://online-gateway.ghn.vn/shiip/public-api/",
        headers={"Token": "demo-ghn-token", "ShopId": "885"},
    ) as client:
        yield client


@pytest.fixture
def vtp(recorder):
    return ViettelPostEmulator(webhook_target=recorder, webhook_secret="s3cret")


@pytest.fixture
def vtp_client(vtp):
    with httpx.Client(
        transport=httpx.WSGITransport(app=vtp.wsgi_app),
        base_url="https://partner.viettelpost.vn",
    ) as client:
        client.headers["Token"] = vtp_login(client)
        yield client
