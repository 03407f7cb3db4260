"""Zalo OA emulator: the webhook MAC, sending with the access_token header, token expiry and
refresh (OAuth v4 + PKCE), the reply quota, events and the delivery faults."""

import hashlib
import hmac
import json
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from emulators.tests.helpers import Recorder
from emulators.zalo_oa import (
    DEMO_ACCESS_TOKEN,
    DEMO_APP_ID,
    DEMO_APP_SECRET,
    DEMO_OA_ID,
    DEMO_OA_SECRET,
    DEMO_REFRESH_TOKEN,
    ZaloOaEmulator,
    pkce_challenge,
    zalo_mac,
)

HOUR = 3600


@pytest.fixture
def hook():
    return Recorder()


@pytest.fixture
def emu(hook):
    return ZaloOaEmulator(webhook_target=hook)


@pytest.fixture
def http(emu):
    with httpx.Client(
        transport=httpx.WSGITransport(app=emu.wsgi_app), base_url="https://openapi.zalo.me"
    ) as client:
        yield client


def send(http, user_id, text="Dạ còn hàng ạ", token=DEMO_ACCESS_TOKEN, **message):
    body = {"recipient": {"user_id": user_id}, "message": {"text": text, **message}}
    return http.post("/v3.0/oa/message/cs", headers={"access_token": token}, json=body).json()


def refresh(http, refresh_token, secret=DEMO_APP_SECRET):
    return http.post(
        "/v4/oa/access_token",
        headers={"secret_key": secret},
        data={"app_id": DEMO_APP_ID, "grant_type": "refresh_token", "refresh_token": refresh_token},
    ).json()


def our_check(headers, body):
    """Our side's verification, from the reference: sha256(app_id + body + timestamp + OA key)."""
    data = json.loads(body)
    expected = hashlib.sha256(
        data["app_id"].encode() + body + data["timestamp"].encode() + DEMO_OA_SECRET.encode()
    ).hexdigest()
    return hmac.compare_digest("mac=" + expected, headers.get("X-ZEvent-Signature", ""))


# --------------------------------------------------------------------------- MAC


def test_mac_matches_a_vector_computed_outside_python():
    body = (
        '{"app_id":"2718281828459045235","event_name":"user_send_text","timestamp":'
        '"1767574800000","sender":{"id":"7604876475938242194"},"recipient":{"id":'
        '"3141592653589793238"},"message":{"msg_id":"a1","text":"còn hàng ko"}}'
    ).encode()
    # printf '%s' '<app_id><body><timestamp><OA secret>' | sha256sum
    assert zalo_mac(DEMO_APP_ID, body, "1767574800000", DEMO_OA_SECRET) == (
        "13e8cf52a4d9c96e12024dbc9edcdba3e7ced04a83030aa055641922ad30bd10"
    )
    # neither an HMAC nor keyed with the App secret
    assert zalo_mac(DEMO_APP_ID, body, "1767574800000", DEMO_APP_SECRET) != zalo_mac(
        DEMO_APP_ID, body, "1767574800000", DEMO_OA_SECRET
    )
    assert hmac.new(DEMO_OA_SECRET.encode(), body, hashlib.sha256).hexdigest() != zalo_mac(
        DEMO_APP_ID, body, "1767574800000", DEMO_OA_SECRET
    )


def test_user_message_is_delivered_with_the_mac_header(emu, hook):
    msg = emu.user_sends(text="áo thun đen size M còn ko shop", deliver=True)

    (call,) = hook.calls
    assert call["path"] == "/chatbot/webhooks/zalo/"
    assert our_check(call["headers"], call["body"])
    assert "còn ko".encode() in call["body"]  # raw UTF-8, unlike Messenger
    event = json.loads(call["body"])
    assert event["event_name"] == "user_send_text" and event["app_id"] == DEMO_APP_ID
    assert event["sender"]["id"] == msg.user_id and event["recipient"]["id"] == DEMO_OA_ID
    assert event["message"] == {"msg_id": msg.msg_id, "text": "áo thun đen size M còn ko shop"}
    assert event["timestamp"] == str(int(emu.clock.now().timestamp() * 1000))


def test_forged_events_fail_the_check(emu, hook):
    user = emu.add_user()
    for forge in ("bad_signature", "no_signature", "tampered_body"):
        emu.user_sends(user.user_id, "chốt đơn 2 cái", forge=forge)
    emu.user_sends(user.user_id, "thật")
    emu.pump()
    assert [our_check(c["headers"], c["body"]) for c in hook.calls] == [False, False, False, True]


# --------------------------------------------------------------------------- send


def test_send_with_the_access_token_header(http, emu):
    user = emu.follow()
    answer = send(http, user.user_id, "Dạ áo còn 20 cái ạ")
    assert answer["error"] == 0 and answer["message"] == "Success"
    assert answer["data"]["user_id"] == user.user_id and answer["data"]["message_id"]
    assert answer["data"]["quota"]["remain"] == 7
    assert emu.replies_to(user.user_id) == ["Dạ áo còn 20 cái ạ"]


def test_send_refusals_answer_http_200_with_an_error_number(http, emu):
    user = emu.user_sends(text="alo").user_id
    cases = [
        (send(http, user, token=""), -216),
        (send(http, user, token="stolen"), -216),
        (send(http, "1234"), -201),
        (send(http, user, "x" * 2001), -201),
        (send(http, user, quote_message_id="nope"), -201),
    ]
    for answer, code in cases:
        assert answer["error"] == code and answer["message"]
    bare = http.post(
        "/v3.0/oa/message/cs", headers={"access_token": DEMO_ACCESS_TOKEN}, content=b"{"
    )
    assert bare.status_code == 200 and bare.json()["error"] == -201
    assert emu.replies_to(user) == []


def test_expired_token_is_refused_until_refreshed(http, emu):
    user = emu.user_sends(text="alo").user_id
    emu.tick(25 * HOUR)
    answer = send(http, user)
    assert answer == {"error": -216, "message": "Access token has expired"}

    fresh = refresh(http, DEMO_REFRESH_TOKEN)
    assert fresh["expires_in"] == "90000" and fresh["access_token"] != DEMO_ACCESS_TOKEN
    emu.user_sends(user, "shop ơi")  # a new message: the reply window reopens
    assert send(http, user, token=fresh["access_token"])["error"] == 0

    # single use: the old refresh token is spent; the new one works once
    reused = refresh(http, DEMO_REFRESH_TOKEN)
    assert reused["error"] == -14014 and "access_token" not in reused
    again = refresh(http, fresh["refresh_token"])
    assert again["access_token"] and refresh(http, fresh["refresh_token"])["error"] == -14014


def test_refresh_needs_the_app_secret_header_and_app_id(http):
    assert refresh(http, DEMO_REFRESH_TOKEN, secret="wrong")["error"] == -14003
    answer = http.post(
        "/v4/oa/access_token",
        headers={"secret_key": DEMO_APP_SECRET},
        data={"app_id": "1", "grant_type": "refresh_token", "refresh_token": DEMO_REFRESH_TOKEN},
    ).json()
    assert answer["error"] == -14002
    json_body = http.post(
        "/v4/oa/access_token",
        headers={"secret_key": DEMO_APP_SECRET},
        json={"app_id": DEMO_APP_ID, "grant_type": "refresh_token", "refresh_token": "x"},
    ).json()
    assert json_body["error"] == -14002  # form-urlencoded only


def test_control_expires_tokens_now(http, emu):
    user = emu.user_sends(text="alo").user_id
    assert http.post("/_emulator/tokens/expire").json()["expired"] == 1
    assert send(http, user)["error"] == -216


def test_oauth_v4_with_pkce(http, emu):
    emu.redirect_url = "https://shop.example/chatbot/zalo/callback/"
    verifier = "v" * 43
    r = http.get(
        "/v4/oa/permission",
        params={
            "app_id": DEMO_APP_ID,
            "redirect_uri": "https://shop.example/chatbot/zalo/callback/",
            "code_challenge": pkce_challenge(verifier),
            "state": "s1",
        },
    )
    assert r.status_code == 302
    back = parse_qs(urlsplit(r.headers["location"]).query)
    assert back["oa_id"] == [DEMO_OA_ID] and back["state"] == ["s1"]
    code = back["code"][0]

    def exchange(code_verifier):
        return http.post(
            "/v4/oa/access_token",
            headers={"secret_key": DEMO_APP_SECRET},
            data={
                "app_id": DEMO_APP_ID,
                "grant_type": "authorization_code",
                "code": code,
                "code_verifier": code_verifier,
            },
        ).json()

    # the code is spent by the first attempt, right or wrong (single use)
    assert exchange("w" * 43)["error"] == -14020
    assert exchange(verifier)["error"] == -14019
    r = http.get(
        "/v4/oa/permission",
        params={
            "app_id": DEMO_APP_ID,
            "redirect_uri": "https://shop.example/chatbot/zalo/callback/",
            "code_challenge": pkce_challenge(verifier),
        },
    )
    code = parse_qs(urlsplit(r.headers["location"]).query)["code"][0]
    tokens = exchange(verifier)
    assert tokens["access_token"] and tokens["refresh_token"]
    user = emu.user_sends(text="alo").user_id
    assert send(http, user, token=tokens["access_token"])["error"] == 0
    elsewhere = http.get(
        "/v4/oa/permission",
        params={"app_id": DEMO_APP_ID, "redirect_uri": "https://evil.example/cb"},
    )
    assert elsewhere.status_code == 400


def test_pkce_challenge_is_unpadded_base64url_sha256():
    # RFC 7636 appendix B
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert pkce_challenge(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


# --------------------------------------------------------------------------- quota


def test_eight_free_replies_within_48_hours(http, emu):
    user = emu.user_sends(text="tư vấn giúp em").user_id
    answers = [send(http, user, f"tin {i}") for i in range(9)]
    assert [a["error"] for a in answers] == [0] * 8 + [-230]
    emu.user_sends(user, "còn nữa ko")
    assert send(http, user, "sau tin mới")["error"] == 0
    emu.tick(48 * HOUR + 1)
    token = refresh(http, DEMO_REFRESH_TOKEN)["access_token"]
    late = send(http, user, token=token)
    assert late["error"] == -230 and emu.replies_to(user)[-1] == "sau tin mới"


def test_proactive_quota_pays_for_late_messages(hook):
    emu = ZaloOaEmulator(webhook_target=hook, proactive_quota=1, access_ttl=30 * 86400)
    with httpx.Client(
        transport=httpx.WSGITransport(app=emu.wsgi_app), base_url="https://z"
    ) as http:
        user = emu.user_sends(text="alo").user_id
        emu.tick(3 * 24 * HOUR)
        first = send(http, user)
        assert first["error"] == 0 and first["data"]["quota"]["quota_type"] == "proactive"
        assert send(http, user)["error"] == -230


# --------------------------------------------------------------------------- events


def test_follow_echo_seen_and_unfollow_events(http, emu, hook):
    user = emu.follow(display_name="Thu Trang")
    send(http, user.user_id, "Cảm ơn chị đã quan tâm shop ạ")
    emu.user_seen(user.user_id)
    emu.unfollow(user.user_id)
    emu.pump()

    events = [json.loads(c["body"]) for c in hook.calls]
    assert [e["event_name"] for e in events] == [
        "follow",
        "oa_send_text",
        "user_seen_message",
        "unfollow",
    ]
    assert all(our_check(c["headers"], c["body"]) for c in hook.calls)
    assert events[0]["follower"] == {"id": user.user_id} and events[0]["oa_id"] == DEMO_OA_ID
    assert events[1]["sender"]["id"] == DEMO_OA_ID and events[1]["recipient"]["id"] == user.user_id
    assert events[2]["sender"]["id"] == DEMO_OA_ID
    assert events[2]["message"]["msg_ids"] == [events[1]["message"]["msg_id"]]
    detail = http.get(
        "/v3.0/oa/user/detail",
        params={"data": json.dumps({"user_id": user.user_id})},
        headers={"access_token": DEMO_ACCESS_TOKEN},
    ).json()
    assert detail["data"]["display_name"] == "Thu Trang"
    assert detail["data"]["user_is_follower"] is False
    oa = http.get("/v2.0/oa/getoa", headers={"access_token": DEMO_ACCESS_TOKEN}).json()
    assert oa["data"]["oa_id"] == DEMO_OA_ID


def test_image_and_sticker_events(emu, hook):
    user = emu.add_user().user_id
    emu.user_sends(user, image_url="https://photo.example/ao.jpg")
    emu.user_sends(user, sticker_id="abc")
    emu.pump()
    events = [json.loads(c["body"]) for c in hook.calls]
    assert [e["event_name"] for e in events] == ["user_send_image", "user_send_sticker"]
    assert (
        events[0]["message"]["attachments"][0]["payload"]["url"] == "https://photo.example/ao.jpg"
    )


# --------------------------------------------------------------------------- delivery faults


def test_retries_duplicates_and_replay(emu, hook):
    hook.statuses = [500]
    user = emu.user_sends(text="một").user_id
    assert emu.pump() == 0 and emu.pump() == 1

    emu.webhooks.duplicate = True
    emu.user_sends(user, "hai")
    emu.pump()
    assert hook.calls[-1]["body"] == hook.calls[-2]["body"]

    emu.webhooks.duplicate = False
    emu.tick(600)
    assert emu.replay(1, deliver=True) == 1
    replayed, original = hook.calls[-1], hook.calls[-2]
    assert replayed["body"] == original["body"]
    assert replayed["headers"] == original["headers"] and our_check(
        replayed["headers"], replayed["body"]
    )
    # the replayed event carries its old timestamp: a replay window on our side catches it
    stamp = int(json.loads(replayed["body"])["timestamp"]) / 1000
    assert emu.clock.now().timestamp() - stamp == 600


def test_injected_zalo_errors(http, emu):
    user = emu.user_sends(text="alo").user_id
    emu.control_fault("zalo_error_next", {"error": -32, "message": "Exceed rate limit"})
    assert send(http, user) == {"error": -32, "message": "Exceed rate limit"}
    assert send(http, user)["error"] == 0


# --------------------------------------------------------------------------- control API


def test_control_api_over_http(http, emu, hook):
    followed = http.post("/_emulator/followers", json={"display_name": "Bảo Ngọc"}).json()
    assert followed["ok"] and len(hook.calls) == 1
    user_id = followed["user_id"]
    sent = http.post("/_emulator/messages", json={"user_id": user_id, "text": "ship về HN bn"})
    assert sent.json()["ok"] and len(hook.calls) == 2
    send(http, user_id, "Dạ phí ship 30.000đ ạ")
    transcript = http.get("/_emulator/transcript", params={"user_id": user_id}).json()
    assert [m["direction"] for m in transcript["messages"]] == ["in", "out"]
    replay = http.post("/_emulator/webhooks", json={"replay": 1}).json()
    assert replay["replayed"] == 1
    new_user = http.post("/_emulator/messages", json={"text": "alo"}).json()
    assert new_user["user_id"] != user_id
    assert http.get("/_emulator/chat").status_code == 200
    state = http.get("/_emulator/state").json()
    assert state["provider"] == "zalo_oa" and len(state["users"]) == 2
