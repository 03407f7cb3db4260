"""Issue 17: the chat channels' webhooks (Messenger, Zalo OA) and the web widget's calls refuse a
bad signature, answer malformed, oversized, NUL-laden and wrongly typed input without a 500, store
nothing a database cannot keep, and a seeded fuzz run over both webhooks gets no 500."""

from __future__ import annotations

import copy
import io
import json
import random
import time

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client

from donhang.chatbot import services
from donhang.chatbot.models import ChannelWebhook, Message
from emulators.messenger.app import signature_headers
from emulators.zalo_oa.model import zalo_mac

pytestmark = pytest.mark.django_db

MESSENGER = "/chatbot/webhooks/messenger/"
ZALO = "/chatbot/webhooks/zalo/"


def post(path, body: bytes, headers=None, content_type="application/json"):
    return Client(raise_request_exception=True).generic(
        "POST", path, data=body, content_type=content_type, headers=headers or {}
    )


def messenger_body(page_id, text="giá áo thun", **item) -> dict:
    messaging = {
        "sender": {"id": "PSID-1"},
        "recipient": {"id": page_id},
        "timestamp": int(time.time() * 1000),
        "message": {"mid": "m.1", "text": text},
    }
    messaging.update(item)
    return {"object": "page", "entry": [{"id": page_id, "time": 1, "messaging": [messaging]}]}


def zalo_body(zalo, text="giá áo thun", **fields) -> dict:
    body = {
        "app_id": zalo.app_id,
        "oa_id": zalo.oa_id,
        "event_name": "user_send_text",
        "timestamp": str(int(time.time() * 1000)),
        "sender": {"id": "ZU-1"},
        "recipient": {"id": zalo.oa_id},
        "message": {"msg_id": "zm-1", "text": text},
    }
    body.update(fields)
    return body


def raw(body) -> bytes:
    if isinstance(body, bytes):
        return body
    return json.dumps(body, ensure_ascii=False).encode("utf-8", "surrogatepass")


def messenger_signed(messenger, body) -> tuple[bytes, dict]:
    data = raw(body)
    return data, signature_headers(messenger.app_secret, data)


def zalo_signed(zalo, body) -> tuple[bytes, dict]:
    data = raw(body)
    parsed = body if isinstance(body, dict) else {}
    app_id = str(parsed.get("app_id", ""))
    try:
        mac = zalo_mac(app_id, data, str(parsed.get("timestamp", "")), zalo.oa_secret)
    except UnicodeEncodeError:  # a lone surrogate in the fuzzed app id or time: unsignable
        mac = "0" * 64
    return data, {"X-ZEvent-Signature": "mac=" + mac}


# --- signatures ---------------------------------------------------------------------------------

BAD_SIGNATURES = [None, "", "sha256=", "sha256=" + "0" * 64, "sha256=é", "é", "sha256=\ud800"]


@pytest.mark.parametrize("sent", BAD_SIGNATURES, ids=repr)
def test_a_bad_messenger_signature_is_refused_with_403(messenger_page, messenger, sent):
    headers = {} if sent is None else {"X-Hub-Signature-256": sent}
    response = post(MESSENGER, raw(messenger_body(messenger.page_id)), headers)
    assert response.status_code == 403
    assert not ChannelWebhook.objects.exists()


@pytest.mark.parametrize("sent", [None, "", "mac=", "mac=" + "0" * 64, "mac=é", "é"], ids=repr)
def test_a_bad_zalo_mac_is_refused_with_401(zalo_oa, zalo, sent):
    headers = {} if sent is None else {"X-ZEvent-Signature": sent}
    assert post(ZALO, raw(zalo_body(zalo)), headers).status_code == 401
    assert not ChannelWebhook.objects.exists()


def test_a_zalo_mac_of_a_stale_or_absurd_timestamp_is_refused(zalo_oa, zalo):
    for timestamp in ["1000", "9" * 40, "-5", "x", "1e3"]:
        body, headers = zalo_signed(zalo, zalo_body(zalo, timestamp=timestamp))
        assert post(ZALO, body, headers).status_code == 401, timestamp


def test_the_messenger_handshake_with_odd_query_values_is_refused_not_a_500(messenger_page):
    for token in ["é", "\x00", "a" * 3000, ""]:
        response = Client().get(
            MESSENGER, {"hub.mode": "subscribe", "hub.verify_token": token, "hub.challenge": "1"}
        )
        assert response.status_code == 403


# --- signed but malformed: stored raw, answered 2xx (the platforms want it), never a 500 --------

MALFORMED = [
    b"",
    b"not json",
    b"\xff\xfe\x00",
    b"[]",
    b"null",
    b'"text"',
    b"{}",
    b"[" * 50_000 + b"]" * 50_000,
]


@pytest.mark.parametrize("body", MALFORMED, ids=lambda b: repr(b[:20]))
def test_a_signed_messenger_body_that_is_not_an_event_is_no_500(
    messenger_page, messenger, committed, body
):
    data, headers = messenger_signed(messenger, body)
    with committed():
        response = post(MESSENGER, data, headers)
    assert response.status_code == 200
    webhook = ChannelWebhook.objects.get()
    webhook.refresh_from_db()
    assert webhook.processed_at is not None and webhook.messages_taken == 0
    assert not Message.objects.exists()


MESSENGER_WRONG = [
    {"sender": "PSID"},
    {"sender": ["x"]},
    {"sender": {"id": {"a": 1}}},
    {"sender": {"id": "a\x00b"}},
    {"recipient": 5},
    {"timestamp": 1e300},
    {"timestamp": "x"},
    {"timestamp": [1]},
    {"message": {"mid": ["m"], "text": "hi"}},
    {"message": {"mid": "m.2", "text": {"a": 1}}},
    {"message": {"mid": "m.3", "text": "a\x00b\ud800c"}},
    {"message": {"mid": "m.4", "quick_reply": "x"}},
    {"message": {"mid": "m.5", "attachments": "x"}},
    {"message": {"mid": "m.6", "attachments": [{"type": "image", "payload": ["u"]}]}},
    {"message": {"mid": "m.7", "text": "A" * 100_000}},
    {"postback": {"title": ["x"], "payload": None}},
    {"message": "text"},
]


@pytest.mark.parametrize("item", MESSENGER_WRONG, ids=lambda d: repr(d)[:60])
def test_signed_messenger_fields_of_the_wrong_kind_are_no_500(
    messenger_page, messenger, committed, item
):
    data, headers = messenger_signed(messenger, messenger_body(messenger.page_id, **item))
    with committed():
        assert post(MESSENGER, data, headers).status_code == 200
    for text, external in Message.objects.values_list("text", "external_id"):
        assert "\x00" not in text and "\x00" not in external


def test_messenger_entries_of_the_wrong_kind_are_no_500(messenger_page, messenger, committed):
    for body in [
        {"object": "page", "entry": "x"},
        {"object": "page", "entry": 5},
        {"object": "page", "entry": [{"messaging": "x"}]},
        {"object": "page", "entry": [{"messaging": 7}]},
        {"object": "page", "entry": [5, None, {"messaging": [None, 1, "x"]}]},
    ]:
        data, headers = messenger_signed(messenger, body)
        with committed():
            assert post(MESSENGER, data, headers).status_code == 200


ZALO_WRONG = [
    {"sender": "ZU"},
    {"sender": {"id": ["x"]}},
    {"sender": {"id": "a\x00b"}},
    {"recipient": 5},
    {"message": "text"},
    {"message": {"msg_id": {"a": 1}, "text": "hi"}},
    {"message": {"msg_id": "zm-2", "text": "a\x00b\ud800c"}},
    {"message": {"msg_id": "zm-3", "text": ["x"]}},
    {"event_name": ["user_send_text"]},
    {"event_name": "user_send_image", "message": {"msg_id": "zm-4", "attachments": "x"}},
    {"event_name": "follow", "follower": "x"},
    {"oa_id": {"a": 1}},
]


@pytest.mark.parametrize("fields", ZALO_WRONG, ids=lambda d: repr(d)[:60])
def test_signed_zalo_fields_of_the_wrong_kind_are_no_500(zalo_oa, zalo, committed, fields):
    data, headers = zalo_signed(zalo, zalo_body(zalo, **fields))
    with committed():
        assert post(ZALO, data, headers).status_code == 200
    for text, external in Message.objects.values_list("text", "external_id"):
        assert "\x00" not in text and "\x00" not in external


def test_nul_in_headers_is_not_stored(messenger_page, messenger):
    data, headers = messenger_signed(messenger, messenger_body(messenger.page_id))
    headers["User-Agent"] = "x\x00y"
    assert post(MESSENGER, data, headers).status_code == 200
    assert "\x00" not in json.dumps(ChannelWebhook.objects.get().headers)


# --- size ---------------------------------------------------------------------------------------


class CountingStream(io.BytesIO):
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


@pytest.mark.parametrize("path", [MESSENGER, ZALO])
def test_a_webhook_over_the_shared_limit_is_refused_with_413_before_it_is_read(db, path):
    limit = settings.WEBHOOK_MAX_BODY_BYTES
    stream = CountingStream(5 * limit)
    response = Client().generic(
        "POST",
        path,
        **{
            "wsgi.input": stream,
            "CONTENT_LENGTH": str(5 * limit),
            "CONTENT_TYPE": "application/json",
        },
    )
    assert response.status_code == 413
    assert stream.taken <= limit + 1


@pytest.mark.parametrize("length", ["lots", "-1"])
def test_a_content_length_that_is_not_a_number_answers_400(db, length):
    response = Client().generic(
        "POST",
        ZALO,
        **{
            "wsgi.input": io.BytesIO(b"{}"),
            "CONTENT_LENGTH": length,
            "CONTENT_TYPE": "application/json",
        },
    )
    assert response.status_code == 400


# --- the web widget -----------------------------------------------------------------------------


@pytest.fixture
def widget(bot):
    cache.clear()
    return services.connection_save(kind="web", name="Website", actor=None)


def _widget_post(widget, what, body: bytes, token=""):
    return Client(raise_request_exception=True).generic(
        "POST",
        f"/chatbot/w/{widget.external_id}/{what}",
        data=body,
        content_type="application/json",
        headers={"X-Visitor-Token": token} if token else {},
    )


def test_a_widget_body_over_its_limit_is_refused_with_413(widget):
    big = json.dumps({"text": "a" * 100_000}).encode()
    assert _widget_post(widget, "session", big).status_code == 413
    token = _widget_post(widget, "session", b"{}").json()["token"]
    assert _widget_post(widget, "messages", big, token).status_code == 413


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[" * 20_000 + b"]" * 20_000,  # within the widget's limit, deeper than the parser
        b'{"token": ["x"], "identifier": {"a": 1}, "identifier_hash": 5}',
        b'{"identifier": "a\\u0000b", "identifier_hash": "\\u00e9"}',
        b'{"identifier": "\\ud800", "identifier_hash": "\\ud800"}',
        '{"token": "é"}'.encode(),
    ],
    ids=lambda b: repr(b[:30]),
)
def test_a_malformed_widget_session_is_no_500(widget, body):
    response = _widget_post(widget, "session", body)
    assert response.status_code in (200, 400)


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[" * 20_000 + b"]" * 20_000,
        b'{"text": ["x"]}',
        b'{"text": {"a": 1}}',
        b'{"text": 12345}',
        b'{"text": "gi\\u0000a \\ud800 ao thun"}',
        json.dumps({"text": "a" * 5000}).encode(),
    ],
    ids=lambda b: repr(b[:30]),
)
def test_malformed_widget_messages_are_no_500(widget, body):
    token = _widget_post(widget, "session", b"{}").json()["token"]
    response = _widget_post(widget, "messages", body, token)
    assert response.status_code in (200, 422), response.content
    for text in Message.objects.values_list("text", flat=True):
        assert "\x00" not in text


def test_polling_with_an_absurd_after_is_no_500(widget):
    token = _widget_post(widget, "session", b"{}").json()["token"]
    for after in ["9" * 40, "-1", "x", "1e9", "²"]:
        response = Client().get(
            f"/chatbot/w/{widget.external_id}/messages",
            {"after": after},
            headers={"X-Visitor-Token": token},
        )
        assert response.status_code == 200


# --- fuzz ---------------------------------------------------------------------------------------

NASTY = [
    None, True, 0, -1, 1.5, 1e20, 1e308, 10**30, float("nan"), float("inf"), "", "é", "\x00",
    "a\x00b", "\ud800", "\u202e\u200b", "💥" * 50, "A" * 5000, [], [1, "x"], {}, {"id": None},
    {"id": ["x"]}, "user_send_text", "follow", "page", "giá áo thun",
]  # fmt: skip


def _value(rng):
    roll = rng.random()
    if roll < 0.1:
        value = [rng.choice(NASTY) for _ in range(rng.randint(0, 3))]
    elif roll < 0.2:
        value = {"id": rng.choice(NASTY), "text": rng.choice(NASTY)}
    else:
        value = rng.choice(NASTY)
    return copy.deepcopy(value)


def _mutate(rng, body: dict) -> dict:
    for _ in range(rng.randint(0, 3)):
        target = body
        try:
            item = body["entry"][0]["messaging"][0]
        except (KeyError, IndexError, TypeError):
            item = None
        if isinstance(item, dict) and rng.random() < 0.7:
            target = item
        keys = [*target, "extra"]
        key = rng.choice(keys)
        if isinstance(target.get(key), dict) and rng.random() < 0.5:
            inner = target[key]
            inner[rng.choice([*inner, "x"])] = _value(rng)
        else:
            target[key] = _value(rng)
    return body


def test_fuzzed_chat_webhooks_never_answer_500(messenger_page, messenger, zalo_oa, zalo, committed):
    rng = random.Random(20261129)
    seen: dict[int, int] = {}
    for case in range(200):
        channel = rng.choice(["messenger", "zalo"])
        roll = rng.random()
        if roll < 0.1:
            body: bytes | dict = bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 200)))
        elif channel == "messenger":
            body = _mutate(rng, messenger_body(messenger.page_id, text=f"giá áo thun {case}"))
        else:
            body = _mutate(rng, zalo_body(zalo, text=f"giá áo thun {case}"))
        if channel == "messenger":
            data, headers = messenger_signed(messenger, body)
        else:
            data, headers = zalo_signed(zalo, body)
        if rng.random() < 0.15:
            headers = {k: rng.choice(["é", "", "mac=é", "sha256=é", "\x00"]) for k in headers}
        if rng.random() < 0.2:
            headers["User-Agent"] = rng.choice(["é", "\x00", "a" * 2000])
        with committed():
            response = post(MESSENGER if channel == "messenger" else ZALO, data, headers)
        assert response.status_code in {200, 401, 403}, (case, channel, data[:300])
        seen[response.status_code] = seen.get(response.status_code, 0) + 1
    assert seen.get(200, 0) > 50 and (seen.get(401, 0) + seen.get(403, 0)) > 10, seen
    for text, external in Message.objects.values_list("text", "external_id"):
        assert "\x00" not in text and "\x00" not in external
