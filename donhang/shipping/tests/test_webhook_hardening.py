"""Issue 9: carrier webhooks answer 400/401 to bad input (never 500), refuse bodies over the limit
before reading them whole, and keep a secret given in the URL out of logs and stored bodies."""

import io
import json
import logging
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client, RequestFactory
from django.utils import timezone
from gunicorn.config import Config
from gunicorn.glogging import Logger

from donhang.core.integrations import register_transport
from donhang.shipping import services, views_public
from donhang.shipping.models import WebhookDelivery
from donhang.shipping.tests.conftest import GHN_URL, SECRET
from emulators.common import Clock, FaultyTransport
from emulators.ghn import GhnEmulator

pytestmark = pytest.mark.django_db

GHN = "/shipping/webhooks/ghn/"
VTP = "/shipping/webhooks/viettelpost/"


def ghn_body(**fields) -> bytes:
    body = {
        "OrderCode": "GABC1234",
        "ClientOrderCode": "",
        "Status": "delivering",
        "Type": "switch_status",
        "Time": "2030-01-01T10:00:00Z",
        "Description": "Đang giao hàng",
    }
    body.update(fields)
    return json.dumps(body).encode()


def vtp_body(token=SECRET, **fields) -> bytes:
    data = {
        "ORDER_NUMBER": "1700000001",
        "ORDER_REFERENCE": "",
        "ORDER_STATUSDATE": "01/01/2030 10:00:00",
        "ORDER_STATUS": 500,
        "STATUS_NAME": "Giao bưu tá đi phát",
    }
    data.update(fields)
    return json.dumps({"DATA": data, "TOKEN": token}).encode()


def post(path, body: bytes, headers=None):
    return Client().post(path, data=body, content_type="application/json", headers=headers or {})


# --- the inputs that answered 500 ---------------------------------------------------------------


def test_a_non_ascii_secret_header_is_refused_with_401(ghn_account):
    response = post(GHN, ghn_body(), {"X-Webhook-Secret": "é"})
    assert response.status_code == 401


def test_a_non_ascii_secret_in_the_query_string_is_refused_with_401(ghn_account):
    response = post(GHN + "?secret=%C3%A9", ghn_body())
    assert response.status_code == 401


def test_a_non_ascii_viettel_post_token_is_refused_with_401(vtp_account):
    assert post(VTP, vtp_body(token="é")).status_code == 401
    assert post(VTP, vtp_body(token=""), {"Authorization": "Bearer é"}).status_code == 401


@pytest.mark.parametrize(
    "fields",
    [
        {"Time": 1e20},
        {"Time": -1e20},
        {"Time": float("nan")},
        {"Time": True},
        {"Time": ["2030-01-01"]},
        {"Status": ["delivered"]},
        {"Status": {"a": 1}},
        {"Status": 5},
        {"Type": ["switch_status"]},
        {"OrderCode": ["G1"]},
        {"OrderCode": "G" * 500},
        {"Description": {"x": "y"}},
        {"TotalFee": "nhiều"},
        {"TotalFee": 1e300},
        {"CODAmount": [1]},
    ],
    ids=repr,
)
def test_ghn_fields_of_the_wrong_kind_answer_400(ghn_account, fields):
    response = post(GHN, ghn_body(**fields), {"X-Webhook-Secret": SECRET})
    assert response.status_code == 400, response.content


@pytest.mark.parametrize(
    "fields",
    [
        {"ORDER_STATUS": [501]},
        {"ORDER_STATUS": 1e20},
        {"ORDER_STATUS": "x"},
        {"ORDER_STATUSDATE": 12345},
        {"ORDER_STATUSDATE": ["01/01/2030 10:00:00"]},
        {"ORDER_NUMBER": {"a": 1}},
        {"ORDER_NUMBER": "9" * 500},
        {"MONEY_TOTAL": "abc"},
        {"MONEY_TOTAL": 1e300},
    ],
    ids=repr,
)
def test_viettel_post_fields_of_the_wrong_kind_answer_400(vtp_account, fields):
    assert post(VTP, vtp_body(**fields)).status_code == 400


def test_text_a_database_cannot_store_is_refused_or_cleaned(ghn_account):
    # NUL and lone surrogates: PostgreSQL refuses them in text columns.
    body = ghn_body(Description="a\u0000b\ud800c")
    response = post(GHN, body, {"X-Webhook-Secret": SECRET, "User-Agent": "x\x00y"})
    assert response.status_code in (200, 400)
    for delivery in WebhookDelivery.objects.all():
        assert "\x00" not in delivery.body and "\x00" not in json.dumps(delivery.headers)


# --- size ---------------------------------------------------------------------------------------


class CountingStream(io.BytesIO):
    """The request body as a stream that counts what the view read of it."""

    def __init__(self, size: int):
        super().__init__(b"{" + b" " * (size - 2) + b"}")
        self.taken = 0

    def read(self, n=-1):
        data = super().read(n)
        self.taken += len(data)
        return data

    def readline(self, n=-1):
        data = super().readline(n)
        self.taken += len(data)
        return data


def test_a_body_over_the_limit_is_refused_with_413_before_it_is_read(ghn_account):
    # Through every middleware: none may read the body before the view refuses it.
    limit = settings.WEBHOOK_MAX_BODY_BYTES
    assert limit == 1024 * 1024
    stream = CountingStream(5 * limit)

    response = Client().generic(
        "POST",
        GHN,
        headers={"X-Webhook-Secret": SECRET},
        **{
            "wsgi.input": stream,
            "CONTENT_LENGTH": str(5 * limit),
            "CONTENT_TYPE": "application/json",
        },
    )

    assert response.status_code == 413
    assert stream.taken <= limit + 1


def test_a_body_longer_than_it_declared_is_read_no_further_than_the_limit(ghn_account):
    limit = settings.WEBHOOK_MAX_BODY_BYTES
    stream = CountingStream(5 * limit)
    request = RequestFactory().generic(
        "POST", GHN, content_type="application/json", headers={"X-Webhook-Secret": SECRET}
    )
    request.META["CONTENT_LENGTH"] = str(limit)  # says 1 MB, sends 5
    request._stream = stream

    response = views_public.webhook(request, "ghn")

    assert response.status_code == 413  # one byte past the limit was enough to know
    assert stream.taken == limit + 1


def test_a_body_just_over_the_limit_answers_413_and_at_the_limit_is_read(ghn_account):
    limit = settings.WEBHOOK_MAX_BODY_BYTES
    over = Client().post(
        GHN,
        data=b"{" + b" " * (limit - 1) + b"}",
        content_type="application/json",
        headers={"X-Webhook-Secret": SECRET},
    )
    assert over.status_code == 413
    padded = ghn_body()[:-1] + b" " * (limit - len(ghn_body())) + b"}"
    assert len(padded) == limit
    assert post(GHN, padded, {"X-Webhook-Secret": SECRET}).status_code == 200


def test_a_content_length_that_is_not_a_number_answers_400(ghn_account):
    request = RequestFactory().post(GHN, data=ghn_body(), content_type="application/json")
    request.META["CONTENT_LENGTH"] = "lots"
    assert views_public.webhook(request, "ghn").status_code == 400


# --- the secret in the URL ----------------------------------------------------------------------


def test_a_secret_in_the_query_string_is_not_stored(ghn_account):
    # GHN lets a shop give only a URL: the secret rides in its query string.
    body = ghn_body(Description=f"echo {SECRET}", Note={"url": f"{GHN}?secret={SECRET}"})
    response = post(GHN + f"?secret={SECRET}", body, {"Referer": f"{GHN}?secret={SECRET}"})
    assert response.status_code == 200
    delivery = WebhookDelivery.objects.get()
    assert SECRET not in delivery.body
    assert SECRET not in json.dumps(delivery.headers)


def test_django_logs_no_secret_from_the_query_string(ghn_account, caplog):
    caplog.set_level(logging.DEBUG)
    post(GHN + "?secret=wrong-but-private", ghn_body())
    post(GHN + "?secret=wrong-but-private", b"\xff not json")
    Client().get(GHN + "?secret=wrong-but-private")
    text = "\n".join(r.getMessage() + str(r.args) for r in caplog.records)
    assert "wrong-but-private" not in text


def _access_log_format() -> str:
    script = (Path(settings.BASE_DIR) / "scripts" / "serve.sh").read_text()
    match = re.search(r"^ACCESS_LOG_FORMAT='([^']*)'$", script, re.M)
    assert match, "scripts/serve.sh sets ACCESS_LOG_FORMAT for gunicorn"
    assert '--access-logformat "$ACCESS_LOG_FORMAT"' in script
    return match.group(1)


class _Response:
    status = "401 Unauthorized"
    sent = 12
    headers = [("Content-Type", "application/json")]


def test_the_access_log_of_serve_sh_has_no_query_string(tmp_path):
    # gunicorn's own logger, with the format scripts/serve.sh gives it
    config = Config()
    config.set("accesslog", str(tmp_path / "access.log"))
    config.set("access_log_format", _access_log_format())
    logger = Logger(config)
    environ = {
        "REQUEST_METHOD": "POST",
        "RAW_URI": f"{GHN}?secret=very-private",
        "PATH_INFO": GHN,
        "QUERY_STRING": "secret=very-private",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "203.0.113.9",
        "HTTP_REFERER": "https://shop.example/shipping/track/?code=DH1&phone=0903111222",
        "HTTP_USER_AGENT": "GHN-Webhook/1.0",
    }

    logger.access(_Response(), [("User-Agent", "GHN-Webhook/1.0")], environ, timedelta(0, 0, 1500))
    for handler in logger.access_log.handlers:
        handler.flush()

    line = (tmp_path / "access.log").read_text()
    assert GHN in line and "401" in line and "203.0.113.9" in line
    assert "very-private" not in line and "0903111222" not in line


def test_a_carrier_that_puts_the_secret_in_the_url_works_and_the_secret_is_kept_nowhere(
    ghn_account, deliver, packed_order, committed
):
    # GHN as a shop configures it: a callback URL carrying ?secret=… (no custom header)
    emulator = GhnEmulator(
        webhook_target=deliver,
        webhook_secret=SECRET,
        secret_header="X-Unchecked",
        webhook_path=f"{GHN}?secret={SECRET}",
        seed=3,
        clock=Clock(timezone.now()),
    )
    register_transport(GHN_URL, FaultyTransport(emulator.wsgi_app, emulator.faults))
    try:
        order = packed_order()
        with committed():
            shipment = services.shipment_create(order=order, account=ghn_account)
        shipment.refresh_from_db()
        with committed():
            emulator.advance(shipment.tracking_code, "delivered")
            emulator.pump(flush=True)
    finally:
        register_transport(GHN_URL, None)

    shipment.refresh_from_db()
    assert shipment.status == "delivered"
    assert all(path.endswith(f"?secret={SECRET}") for _m, path, _h, _b in deliver.calls)
    stored = list(WebhookDelivery.objects.values_list("body", "headers"))
    assert stored
    for body, headers in stored:
        assert SECRET not in body and SECRET not in json.dumps(headers)
