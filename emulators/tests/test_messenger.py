"""Messenger emulator: signed deliveries, the handshake, the Send API's refusals, the 24-hour
window, echoes and the delivery faults (duplicate, out of order, replay, forgery)."""

import hashlib
import hmac
import json
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from emulators.messenger import (
    DEMO_APP_ID,
    DEMO_APP_SECRET,
    DEMO_PAGE_ACCESS_TOKEN,
    DEMO_PAGE_ID,
    DEMO_VERIFY_TOKEN,
    MessengerEmulator,
    meta_json,
    signature_headers,
)
from emulators.tests.helpers import Recorder

TOKEN = DEMO_PAGE_ACCESS_TOKEN
HOUR = 3600


@pytest.fixture
def hook():
    return Recorder()


@pytest.fixture
def emu(hook):
    return MessengerEmulator(webhook_target=hook)


@pytest.fixture
def graph(emu):
    with httpx.Client(
        transport=httpx.WSGITransport(app=emu.wsgi_app), base_url="https://graph.facebook.com"
    ) as client:
        yield client


def send(graph, psid, text="Dạ shop còn ạ", token=TOKEN, **extra):
    body = {"recipient": {"id": psid}, "messaging_type": "RESPONSE", "message": {"text": text}}
    body.update(extra)
    return graph.post("/v25.0/me/messages", params={"access_token": token}, json=body)


def verify_signature(secret, headers, body):
    """Our side's check, written from the reference: HMAC-SHA256 of the raw bytes."""
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, headers.get("X-Hub-Signature-256", ""))


# --------------------------------------------------------------------------- signatures


def test_signature_is_hmac_sha256_of_the_raw_body_with_the_app_secret():
    # computed outside Python: printf '%s' '{"object":"page","entry":[]}' |
    #   openssl dgst -sha256 -hmac 3f9c2a7d5e8b41c6a0d9e7f2b4c81a5d
    headers = signature_headers(DEMO_APP_SECRET, b'{"object":"page","entry":[]}')
    assert headers["X-Hub-Signature-256"] == (
        "sha256=8f6476a2b535573657d759fcd87005f5d521e394adb4fd2492b5c462d0e58306"
    )
    assert headers["X-Hub-Signature"].startswith("sha1=")


def test_user_message_is_delivered_signed_with_meta_escaping(emu, hook):
    msg = emu.user_sends(text="Áo thun đen size M còn ko ạ? https://shop.vn/sp/1", deliver=True)

    (call,) = hook.calls
    body = call["body"]
    assert call["path"] == "/chatbot/webhooks/messenger/"
    assert verify_signature(DEMO_APP_SECRET, call["headers"], body)
    assert not verify_signature("another-secret", call["headers"], body)
    assert body.isascii() and b"\\u0111en" in body and b"https:\\/\\/shop.vn" in body
    # re-serialising the parsed JSON gives other bytes: verify the raw body, never a re-dump
    payload = json.loads(body)
    assert json.dumps(payload).encode() != body
    assert not verify_signature(DEMO_APP_SECRET, call["headers"], json.dumps(payload).encode())
    (entry,) = payload["entry"]
    assert payload["object"] == "page" and entry["id"] == DEMO_PAGE_ID
    (item,) = entry["messaging"]
    assert item["sender"]["id"] == msg.psid and item["recipient"]["id"] == DEMO_PAGE_ID
    assert item["message"]["mid"] == msg.mid and item["message"]["mid"].startswith("m_")
    assert item["message"]["text"] == "Áo thun đen size M còn ko ạ? https://shop.vn/sp/1"
    assert item["timestamp"] == int(emu.clock.now().timestamp() * 1000)


def test_forged_deliveries_fail_verification(emu, hook):
    psid = emu.add_user().psid
    for forge in ("bad_signature", "no_signature", "tampered_body"):
        emu.user_sends(psid, "chốt đơn", forge=forge)
    emu.user_sends(psid, "thật")
    emu.pump()

    results = [verify_signature(DEMO_APP_SECRET, c["headers"], c["body"]) for c in hook.calls]
    assert results == [False, False, False, True]
    assert "X-Hub-Signature-256" not in hook.calls[1]["headers"]
    assert json.loads(hook.calls[2]["body"])["entry"][0]["messaging"][0]["message"]["text"] == (
        "chốt đơn"
    )


# --------------------------------------------------------------------------- handshake


class Endpoint:
    """Our webhook's GET side as the reference describes it."""

    def __init__(self, token):
        self.token = token
        self.seen = []

    def __call__(self, method, path, headers, body):
        query = parse_qs(urlsplit(path).query)
        self.seen.append((method, urlsplit(path).path, query))
        if query.get("hub.mode") == ["subscribe"] and query.get("hub.verify_token") == [self.token]:
            return 200, query["hub.challenge"][0].encode()
        return 403, b"forbidden"


def test_verification_handshake_against_the_callback():
    endpoint = Endpoint(DEMO_VERIFY_TOKEN)
    emu = MessengerEmulator(webhook_target=endpoint)

    result = emu.verify_callback()

    assert result["verified"] and emu.verified
    method, path, query = endpoint.seen[0]
    assert (method, path) == ("GET", "/chatbot/webhooks/messenger/")
    assert query["hub.challenge"] == [result["challenge"]] and result["challenge"].isdigit()

    wrong = MessengerEmulator(webhook_target=Endpoint("other-token"))
    result = wrong.verify_callback()
    assert not result["verified"] and result["status"] == 403
    assert "HTTP code: 403" in result["reason"]


def test_handshake_refuses_an_echo_of_something_else():
    emu = MessengerEmulator(webhook_target=lambda m, p, h, b: (200, b"ok"))
    result = emu.verify_callback()
    assert not result["verified"] and "does not match challenge" in result["reason"]


def test_app_subscription_runs_the_handshake_and_sets_the_callback(graph, emu):
    endpoint = Endpoint("my-token")

    def our_site(request: httpx.Request) -> httpx.Response:
        status, body = endpoint(request.method, str(request.url.raw_path.decode()), {}, b"")
        return httpx.Response(status, content=body)

    emu.webhooks.transport = httpx.MockTransport(our_site)
    url = "https://shop.example/chatbot/webhooks/messenger/"

    def subscribe(token, app_token=f"{DEMO_APP_ID}|{DEMO_APP_SECRET}"):
        return graph.post(
            f"/v25.0/{DEMO_APP_ID}/subscriptions",
            data={
                "object": "page",
                "callback_url": url,
                "verify_token": token,
                "fields": "messages,messaging_postbacks",
                "access_token": app_token,
            },
        )

    assert subscribe("my-token", app_token="1|2").json()["error"]["code"] == 190
    refused = subscribe("wrong")
    assert refused.status_code == 400 and refused.json()["error"]["code"] == 2200
    assert not emu.verified and emu.callback_url is None
    accepted = subscribe("my-token")
    assert accepted.json() == {"success": True} and emu.verified
    assert emu.callback_url == url and emu.webhooks.path == "/chatbot/webhooks/messenger/"
    assert emu.subscribed_fields == {"messages", "messaging_postbacks"}
    assert endpoint.seen[-1][1] == "/chatbot/webhooks/messenger/"


# --------------------------------------------------------------------------- Send API


def test_send_api_accepts_the_page_token_and_records_the_reply(graph, emu):
    psid = emu.user_sends(text="giá bn vậy shop").psid

    r = send(graph, psid, "Dạ áo giá 159.000đ ạ")

    assert r.status_code == 200
    answer = r.json()
    assert answer["recipient_id"] == psid and answer["message_id"].startswith("m_")
    assert emu.replies_to(psid) == ["Dạ áo giá 159.000đ ạ"]
    kinds = [(m["direction"], m["text"]) for m in emu.transcript(psid)]
    assert kinds == [("in", "giá bn vậy shop"), ("out", "Dạ áo giá 159.000đ ạ")]


@pytest.mark.parametrize(
    ("token", "code", "subcode"),
    [("", 104, None), ("EAAwrong", 190, None)],
)
def test_send_api_refuses_a_missing_or_wrong_token(graph, emu, token, code, subcode):
    psid = emu.user_sends(text="alo").psid
    r = send(graph, psid, token=token)
    assert r.status_code == 400
    error = r.json()["error"]
    assert error["code"] == code and error["type"] == "OAuthException"
    assert error.get("error_subcode") == subcode and error["fbtrace_id"]
    assert emu.replies_to(psid) == []


def test_revoked_token_is_refused_with_subcode_460(graph, emu):
    psid = emu.user_sends(text="alo").psid
    emu.control_fault("revoke_token", {"new_token": "EAAnew"})
    error = send(graph, psid).json()["error"]
    assert (error["code"], error["error_subcode"]) == (190, 460)
    assert send(graph, psid, token="EAAnew").status_code == 200


def test_send_api_refuses_unknown_users_and_bad_messages(graph, emu):
    psid = emu.user_sends(text="alo").psid
    unknown = send(graph, "9999999999999999").json()["error"]
    assert (unknown["code"], unknown["error_subcode"]) == (100, 2018001)
    too_long = send(graph, psid, "a" * 2001).json()["error"]
    assert too_long["code"] == 100 and "2000" in too_long["message"]
    no_type = graph.post(
        "/v25.0/me/messages",
        params={"access_token": TOKEN},
        json={"recipient": {"id": psid}, "message": {"text": "x"}},
    )
    assert "messaging_type" in no_type.json()["error"]["message"]
    both = send(graph, psid, sender_action="typing_on").json()["error"]
    assert (both["code"], both["error_subcode"]) == (100, 2018015)
    replies = [
        {"content_type": "text", "title": f"Lựa chọn {i}", "payload": str(i)} for i in range(14)
    ]
    many = graph.post(
        "/v25.0/me/messages",
        params={"access_token": TOKEN},
        json={
            "recipient": {"id": psid},
            "messaging_type": "RESPONSE",
            "message": {"text": "Chọn size", "quick_replies": replies},
        },
    )
    assert many.json()["error"]["code"] == 100 and "13" in many.json()["error"]["message"]
    other_page = graph.post(
        "/v25.0/123456789/messages",
        params={"access_token": TOKEN},
        json={"recipient": {"id": psid}, "messaging_type": "RESPONSE", "message": {"text": "x"}},
    )
    assert (other_page.json()["error"]["code"], other_page.json()["error"]["error_subcode"]) == (
        100,
        33,
    )
    assert emu.replies_to(psid) == []


def test_form_encoded_send_as_in_the_docs_curl_example(graph, emu):
    psid = emu.user_sends(text="hi").psid
    r = graph.post(
        f"/v25.0/{DEMO_PAGE_ID}/messages",
        data={
            "recipient": "{'id':'" + psid + "'}",
            "messaging_type": "RESPONSE",
            "message": "{'text':'hello, world'}",
            "access_token": TOKEN,
        },
    )
    assert r.status_code == 200 and emu.replies_to(psid) == ["hello, world"]


def test_bearer_header_and_unversioned_path_work(graph, emu):
    psid = emu.user_sends(text="hi").psid
    r = graph.post(
        "/me/messages",
        headers={"Authorization": f"Bearer {TOKEN}"},
        json={"recipient": {"id": psid}, "messaging_type": "UPDATE", "message": {"text": "ok"}},
    )
    assert r.status_code == 200


# --------------------------------------------------------------------------- 24-hour window


def test_reply_outside_the_24_hour_window_is_refused(graph, emu):
    psid = emu.user_sends(text="còn hàng ko").psid
    emu.tick(24 * HOUR)
    assert send(graph, psid, "vẫn trong 24h").status_code == 200

    emu.tick(1)
    r = send(graph, psid, "quá 24h")
    assert r.status_code == 400
    error = r.json()["error"]
    assert (error["code"], error["error_subcode"]) == (10, 2018278)
    assert "outside of allowed window" in error["message"]
    typing = graph.post(
        "/v25.0/me/messages",
        params={"access_token": TOKEN},
        json={"recipient": {"id": psid}, "sender_action": "typing_on"},
    )
    assert typing.json()["error"]["error_subcode"] == 2018278

    # the user writes again: the window reopens
    emu.user_sends(psid, "shop ơi")
    assert send(graph, psid, "dạ em đây").status_code == 200
    assert emu.replies_to(psid) == ["vẫn trong 24h", "dạ em đây"]


def test_tags_outside_the_window(graph, emu):
    psid = emu.user_sends(text="đơn em sao rồi").psid
    emu.tick(3 * 24 * HOUR)

    def tagged(tag, text="Đơn DH000123 đã giao cho đơn vị vận chuyển"):
        return send(graph, psid, text, messaging_type="MESSAGE_TAG", tag=tag)

    assert tagged("POST_PURCHASE_UPDATE").status_code == 200
    assert tagged("HUMAN_AGENT", "Nhân viên Lan trả lời ạ").status_code == 200
    invalid = tagged("SHIPPING_UPDATE").json()["error"]
    assert invalid["code"] == 100 and "tag" in invalid["message"]
    emu.tick(4 * 24 * HOUR + 1)
    late = tagged("HUMAN_AGENT", "muộn").json()["error"]
    assert late["error_subcode"] == 2018278
    with pytest.raises(ValueError):
        emu.page_reply(psid, "muộn")


def test_never_written_user_and_blocked_user(graph, emu):
    silent = emu.add_user().psid
    assert send(graph, silent).json()["error"]["error_subcode"] == 2018278
    blocker = emu.user_sends(text="thôi khỏi").psid
    emu.users[blocker].available = False
    error = send(graph, blocker).json()["error"]
    assert error["code"] == 551


# --------------------------------------------------------------------------- events


def test_echoes_and_deliveries_follow_the_subscription(graph, emu, hook):
    psid = emu.user_sends(text="hi").psid
    send(graph, psid, "Dạ chào chị", message={"text": "Dạ chào chị", "metadata": "bot:1"})
    emu.pump()
    echo = json.loads(hook.calls[-1]["body"])["entry"][0]["messaging"][0]
    assert echo["message"]["is_echo"] is True and echo["message"]["app_id"] == int(DEMO_APP_ID)
    assert echo["message"]["metadata"] == "bot:1"
    assert echo["sender"]["id"] == DEMO_PAGE_ID and echo["recipient"]["id"] == psid

    r = graph.post(
        f"/v25.0/{DEMO_PAGE_ID}/subscribed_apps",
        params={"access_token": TOKEN, "subscribed_fields": "messages,message_deliveries"},
    )
    assert r.json() == {"success": True}
    before = len(hook.calls)
    send(graph, psid, "lần hai")
    emu.pump()
    kinds = [list(json.loads(c["body"])["entry"][0]["messaging"][0]) for c in hook.calls[before:]]
    assert len(kinds) == 1 and "delivery" in kinds[0]

    emu.page_reply(psid, "Nhân viên đây ạ")
    emu.pump()
    last = json.loads(hook.calls[-1]["body"])["entry"][0]["messaging"][0]
    assert len(hook.calls) == before + 2 and "delivery" in last  # no echoes any more
    assert emu.transcript(psid)[-1]["source"] == "page_inbox"


def test_postback_quick_reply_sticker_and_batch(emu, hook):
    emu.clock.advance(200 * 86400)  # 2026-07: sticker type plus the transitional image
    psid = emu.user_sends(postback={"title": "Bắt đầu", "payload": "GET_STARTED"}).psid
    emu.user_sends(psid, "Size M", quick_reply_payload="SIZE_M")
    emu.user_sends(psid, sticker_id=369239263222822)
    emu.user_sends_batch([{"psid": psid, "text": "áo đen"}, {"psid": psid, "text": "size L"}])
    emu.pump()

    items = [json.loads(c["body"])["entry"][0]["messaging"] for c in hook.calls]
    assert items[0][0]["postback"]["payload"] == "GET_STARTED"
    assert items[1][0]["message"]["quick_reply"] == {"payload": "SIZE_M"}
    types = [a["type"] for a in items[2][0]["message"]["attachments"]]
    assert types == ["sticker", "image"]
    assert [i["message"]["text"] for i in items[3]] == ["áo đen", "size L"]


def test_profile_of_a_user(graph, emu):
    user = emu.add_user(first_name="Lan", last_name="Nguyễn")
    r = graph.get(
        f"/v25.0/{user.psid}", params={"access_token": TOKEN, "fields": "first_name,last_name"}
    )
    assert r.json() == {"first_name": "Lan", "last_name": "Nguyễn", "id": user.psid}
    bad = graph.get(f"/v25.0/{user.psid}", params={"access_token": TOKEN, "fields": "email"})
    assert bad.json()["error"]["code"] == 100


# --------------------------------------------------------------------------- delivery faults


def test_failed_deliveries_are_retried(emu, hook):
    hook.statuses = [500, 503]
    emu.user_sends(text="alo")
    assert emu.pump() == 0 and emu.pump() == 0 and emu.pump() == 1
    assert len(hook.calls) == 3 and len({c["body"] for c in hook.calls}) == 1


def test_duplicate_out_of_order_and_replay(emu, hook):
    emu.webhooks.duplicate = True
    psid = emu.user_sends(text="một").psid
    emu.pump()
    assert len(hook.calls) == 2 and hook.calls[0]["body"] == hook.calls[1]["body"]

    emu.webhooks.duplicate = False
    emu.webhooks.out_of_order = True
    first = emu.user_sends(psid, "hai")
    second = emu.user_sends(psid, "ba")
    emu.pump()
    emu.pump(flush=True)
    mids = [
        json.loads(c["body"])["entry"][0]["messaging"][0]["message"]["mid"] for c in hook.calls[2:]
    ]
    assert mids == [second.mid, first.mid]

    emu.webhooks.out_of_order = False
    before = len(hook.calls)
    assert emu.replay(1, deliver=True) == 1
    replayed, original = hook.calls[-1], hook.calls[before - 1]
    assert replayed["body"] == original["body"]
    assert replayed["headers"]["X-Hub-Signature-256"] == original["headers"]["X-Hub-Signature-256"]


def test_graph_errors_can_be_injected(graph, emu):
    psid = emu.user_sends(text="alo").psid
    emu.control_fault("graph_error_next", {"n": 1})
    emu.control_fault(
        "graph_error_next",
        {"code": 613, "message": "Calls to this api have exceeded the rate limit."},
    )
    first, second, third = send(graph, psid), send(graph, psid), send(graph, psid)
    assert first.status_code == 500 and first.json()["error"]["code"] == 1200
    assert second.status_code == 400 and second.json()["error"]["code"] == 613
    assert third.status_code == 200
    assert emu.replies_to(psid) == ["Dạ shop còn ạ"]


# --------------------------------------------------------------------------- control API


def test_control_api_over_http(graph, emu, hook):
    user = graph.post("/_emulator/users", json={"first_name": "Mai"}).json()
    assert user["ok"] and user["user"]["first_name"] == "Mai"
    sent = graph.post("/_emulator/messages", json={"psid": user["psid"], "text": "có ship cod ko"})
    assert sent.json()["ok"] and len(hook.calls) == 1  # delivered at once
    send(graph, user["psid"], "Dạ có ạ")
    transcript = graph.get("/_emulator/transcript", params={"psid": user["psid"]}).json()
    assert [m["direction"] for m in transcript["messages"]] == ["in", "out"]
    assert graph.get("/_emulator/transcript", params={"psid": "1"}).status_code == 404
    forged = graph.post(
        "/_emulator/messages", json={"psid": user["psid"], "text": "x", "forge": "bad_signature"}
    )
    assert forged.json()["ok"]
    assert not verify_signature(DEMO_APP_SECRET, hook.calls[-1]["headers"], hook.calls[-1]["body"])
    replay = graph.post("/_emulator/webhooks", json={"replay": 2}).json()
    assert replay["replayed"] == 2
    tick = graph.post("/_emulator/tick", json={"seconds": 25 * HOUR}).json()
    assert tick["ok"]
    assert send(graph, user["psid"]).json()["error"]["error_subcode"] == 2018278
    faults = graph.post("/_emulator/faults", json={"action": "graph_error_next", "code": 2}).json()
    assert faults["ok"]
    page = graph.get("/_emulator/chat")
    assert page.status_code == 200 and "psid" in page.text
    state = graph.get("/_emulator/state").json()
    assert state["provider"] == "messenger" and state["webhooks"]["forged"] == 1


def test_body_bytes_match_meta_json():
    assert meta_json({"text": "đ/x"}) == b'{"text":"\\u0111\\/x"}'


def test_callbacks_may_answer_with_a_response_object():
    """A callable handing events to a Django view returns its HttpResponse as is."""

    class Answer:
        def __init__(self, status_code, content=b""):
            self.status_code, self.content = status_code, content

    def view(method, path, headers, body):
        if method == "GET":
            challenge = parse_qs(urlsplit(path).query)["hub.challenge"][0]
            return Answer(200, challenge.encode())
        return Answer(200)

    emu = MessengerEmulator(webhook_target=view)
    assert emu.verify_callback()["verified"]
    emu.user_sends(text="alo")
    assert emu.pump() == 1 and len(emu.webhooks.delivered) == 1
