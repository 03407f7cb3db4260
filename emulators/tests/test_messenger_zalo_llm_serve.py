"""The demo wiring of the chat emulators (``emulators.serve.build_chat``)."""

import argparse

import httpx

from emulators import serve
from emulators.messenger import DEMO_APP_SECRET, DEMO_PAGE_ACCESS_TOKEN
from emulators.zalo_oa import DEMO_ACCESS_TOKEN


def args(**overrides):
    values = {
        "callback_base": "http://127.0.0.1:8000/",
        "no_webhooks": False,
        "seed": 3,
        "messenger_app_secret": None,
        "messenger_verify_token": None,
        "zalo_oa_secret": None,
        "llm_api_key": "demo-llm-key",
        "llm_on_empty": "error",
    }
    values.update(overrides)
    return argparse.Namespace(**values)


def test_build_chat_wires_callbacks_and_demo_credentials():
    messenger, zalo, llm = serve.build_chat(args())
    assert messenger.webhooks.target == "http://127.0.0.1:8000/chatbot/webhooks/messenger/"
    assert messenger.webhooks.path == "/chatbot/webhooks/messenger/"
    assert zalo.webhooks.target == "http://127.0.0.1:8000/chatbot/webhooks/zalo/"
    assert messenger.app_secret == DEMO_APP_SECRET and llm.api_key == "demo-llm-key"

    user = messenger.add_user()
    messenger.user_sends(user.psid, "alo")
    with httpx.Client(transport=httpx.WSGITransport(app=messenger.wsgi_app)) as client:
        r = client.post(
            "http://graph/v25.0/me/messages",
            params={"access_token": DEMO_PAGE_ACCESS_TOKEN},
            json={
                "recipient": {"id": user.psid},
                "messaging_type": "RESPONSE",
                "message": {"text": "Dạ"},
            },
        )
        assert r.status_code == 200
    zalo_user = zalo.user_sends(text="alo").user_id
    with httpx.Client(transport=httpx.WSGITransport(app=zalo.wsgi_app)) as client:
        r = client.post(
            "http://zalo/v3.0/oa/message/cs",
            headers={"access_token": DEMO_ACCESS_TOKEN},
            json={"recipient": {"user_id": zalo_user}, "message": {"text": "Dạ"}},
        )
        assert r.json()["error"] == 0


def test_overrides_and_no_webhooks():
    messenger, zalo, llm = serve.build_chat(
        args(
            no_webhooks=True,
            messenger_app_secret="s1",
            messenger_verify_token="v1",
            zalo_oa_secret="z1",
            llm_api_key="",
            llm_on_empty="echo",
        )
    )
    assert messenger.webhooks.target is None and zalo.webhooks.target is None
    assert (messenger.app_secret, messenger.verify_token, zalo.oa_secret) == ("s1", "v1", "z1")
    assert llm.api_key is None and llm.on_empty == "echo"
