"""Issue 9: a fuzz run of every webhook endpoint gets no 500, and what it accepts is processed
without a crash. Random bytes, wrong types, huge numbers, non-ASCII and NUL in every header and
field; a fixed seed, a few hundred cases."""

import json
import random
from urllib.parse import quote

import pytest
from django.test import Client

from donhang.shipping import services
from donhang.shipping.models import Provider, WebhookDelivery
from donhang.shipping.tests.conftest import SECRET

pytestmark = pytest.mark.django_db

CASES = 400
ANSWERS = {200, 400, 401, 413}

NASTY = [
    None,
    True,
    False,
    0,
    -1,
    1.5,
    1e20,
    -1e20,
    1e308,
    10**30,
    float("nan"),
    float("inf"),
    "",
    " ",
    "é",
    "Đã giao hàng",
    "\x00",
    "a\x00b",
    "\ud800",
    "\u202e\u200b",
    "💥" * 50,
    "A" * 5000,
    [],
    [1, "x"],
    ["delivered"],
    {},
    {"a": {"b": [None]}},
    "2030-01-01T10:00:00Z",
    "2030-01-01T10:00:00",
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59Z",
    "2030-13-45T99:99:99Z",
    "01/01/2030 10:00:00",
    "31/02/2030 25:61:61",
    "delivered",
    "delivery_fail",
    "returned",
    "cancel",
    "501",
    501,
    -100,
    504,
    "-100",
    "SECRET",
]

HEADER_VALUES = ["é", "Đơn hàng", "\x00", "a" * 2000, "Bearer é", "", "💥", "ä\u00ff", "\r"]


def _value(rng, shipment_codes):
    roll = rng.random()
    if roll < 0.1:
        return rng.choice(shipment_codes)
    if roll < 0.15:
        return [rng.choice(NASTY) for _ in range(rng.randint(0, 4))]
    if roll < 0.2:
        return {"nested": rng.choice(NASTY), "deeper": {"x": rng.choice(NASTY)}}
    value = rng.choice(NASTY)
    return SECRET if value == "SECRET" else value


def _ghn_payload(rng, codes) -> dict:
    payload = {
        "OrderCode": rng.choice(codes),
        "ClientOrderCode": "",
        "Status": rng.choice(["picked", "delivering", "delivered", "delivery_fail", "return"]),
        "Type": "switch_status",
        "Time": "2030-01-01T10:00:00Z",
        "Description": "",
        "TotalFee": 33_000,
        "CODAmount": 360_000,
        "Fee": {"Total": 33_000},
    }
    for key in rng.sample(
        [*payload, "Reason", "ReasonCode", "Fee", "Weight", "É"], rng.randint(1, 3)
    ):
        payload[key] = _value(rng, codes)
    return payload


def _vtp_payload(rng, codes) -> dict:
    data = {
        "ORDER_NUMBER": rng.choice(codes),
        "ORDER_REFERENCE": "",
        "ORDER_STATUSDATE": "01/01/2030 10:00:00",
        "ORDER_STATUS": rng.choice([105, 500, 501, 505, 504]),
        "STATUS_NAME": "",
        "MONEY_TOTAL": 33_000,
        "MONEY_COLLECTION": 360_000,
    }
    for key in rng.sample([*data, "NOTE", "REASON_CODE", "Ư"], rng.randint(1, 3)):
        data[key] = _value(rng, codes)
    payload = {"DATA": data, "TOKEN": SECRET}
    if rng.random() < 0.2:
        payload[rng.choice(["DATA", "TOKEN"])] = _value(rng, codes)
    return payload


def _body(rng, provider, codes) -> bytes:
    roll = rng.random()
    if roll < 0.15:
        return bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 300)))
    if roll < 0.25:
        return json.dumps(_value(rng, codes)).encode()
    payload = _ghn_payload(rng, codes) if provider == "ghn" else _vtp_payload(rng, codes)
    text = json.dumps(payload, ensure_ascii=rng.random() < 0.5)
    return text.encode("utf-8", "surrogatepass")


def _headers(rng, provider) -> dict:
    headers = {}
    if provider == "ghn":
        roll = rng.random()
        if roll < 0.75:
            headers["X-Webhook-Secret"] = SECRET
        elif roll < 0.9:
            headers["X-Webhook-Secret"] = rng.choice(HEADER_VALUES)
    elif rng.random() < 0.2:
        headers["Authorization"] = rng.choice([f"Bearer {SECRET}", *HEADER_VALUES])
    for _ in range(rng.randint(0, 3)):
        name = rng.choice(["User-Agent", "X-Request-Id", "Referer", "X-Forwarded-For", "X-É"])
        headers[name] = rng.choice(HEADER_VALUES)
    return headers


def _query(rng) -> str:
    roll = rng.random()
    if roll < 0.8:
        return ""
    value = rng.choice([SECRET, "é", "%FF%FE", "\x00", "💥", "a" * 3000])
    return "?secret=" + (value if value.startswith("%") else quote(value, safe=""))


@pytest.fixture
def shipped(ghn_account, vtp_account, packed_order, committed):
    """A live parcel at each carrier: fuzzed callbacks sometimes name it."""
    codes = {}
    for account in (ghn_account, vtp_account):
        with committed():
            shipment = services.shipment_create(order=packed_order(), account=account)
        shipment.refresh_from_db()
        assert shipment.tracking_code
        codes[account.provider] = [shipment.tracking_code, "UNKNOWN1", "1700000001"]
    return codes


def test_fuzzed_webhooks_never_answer_500(shipped):
    rng = random.Random(20260909)
    client = Client(raise_request_exception=True)
    seen = {}
    for case in range(CASES):
        provider = rng.choice(Provider.values)
        body = _body(rng, provider, shipped[provider])
        headers = _headers(rng, provider)
        content_type = rng.choice(["application/json", "text/plain", "application/json; é"])
        path = f"/shipping/webhooks/{provider}/" + _query(rng)
        before = WebhookDelivery.objects.order_by("-id").values_list("id", flat=True).first() or 0

        response = client.generic(
            "POST", path, data=body, content_type=content_type, headers=headers
        )

        assert response.status_code in ANSWERS, (case, provider, body[:300], headers)
        seen[response.status_code] = seen.get(response.status_code, 0) + 1
        # What was accepted is processed as the task would, without a crash.
        for delivery in WebhookDelivery.objects.filter(id__gt=before, is_duplicate=False, error=""):
            services.webhook_process(delivery_id=delivery.pk)
    # The run reached every branch: accepted, refused as bad input, and refused for the secret.
    assert seen.get(200, 0) > 20 and seen.get(400, 0) > 20 and seen.get(401, 0) > 20, seen


def test_a_body_over_the_limit_in_the_fuzz_set_answers_413(shipped, settings):
    settings.WEBHOOK_MAX_BODY_BYTES = 1000
    for provider in Provider.values:
        response = Client().post(
            f"/shipping/webhooks/{provider}/",
            data=b"[" + b"1," * 600 + b"1]",
            content_type="application/json",
            headers={"X-Webhook-Secret": SECRET},
        )
        assert response.status_code == 413
