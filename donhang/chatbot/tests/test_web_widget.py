"""The web chat widget's endpoints: signed visitor tokens, CORS for the shop's sites, rate
limits, staff answers by polling, the demo page under the Content-Security-Policy."""

import re

import pytest
from django.core.cache import cache
from django.test import Client

from donhang.chatbot import services
from donhang.chatbot.channels import web
from donhang.chatbot.models import Conversation


@pytest.fixture
def widget(bot):
    cache.clear()
    return services.connection_save(
        kind="web",
        name="Website",
        allowed_origins="https://shop.example.vn",
        actor=None,
    )


def _session(client, widget, **body):
    return client.post(
        f"/chatbot/w/{widget.external_id}/session", body, content_type="application/json"
    )


def _send(client, widget, token, text, **headers):
    return client.post(
        f"/chatbot/w/{widget.external_id}/messages",
        {"text": text},
        content_type="application/json",
        headers={"X-Visitor-Token": token, **headers},
    )


def test_a_visitor_chats_with_a_signed_token(widget):
    client = Client()
    session = _session(client, widget).json()
    assert session["greeting"] and session["messages"] == []
    answer = _send(client, widget, session["token"], "kem chong nang gia bao nhieu").json()
    [mine, reply] = answer["messages"]
    assert mine["from"] == "customer" and reply["from"] == "bot"
    assert "179.000đ" in reply["text"]
    # Back later with the same token: the same conversation, with its messages.
    again = _session(client, widget, token=session["token"]).json()
    assert [m["id"] for m in again["messages"]] == [mine["id"], reply["id"]]
    assert Conversation.objects.filter(channel="web").count() == 1


def test_a_forged_or_foreign_token_is_refused(widget):
    client = Client()
    assert _send(client, widget, "made-up", "chào").status_code == 401
    other = services.connection_save(kind="web", name="Khác", actor=None)
    foreign = web.visitor_token(widget_id=other.pk, visitor_id="abc")
    assert _send(client, widget, foreign, "chào").status_code == 401
    good = _session(client, widget).json()["token"]
    tampered = good[:-1] + ("A" if good[-1] != "A" else "B")
    assert _send(client, widget, tampered, "chào").status_code == 401


def test_only_the_shops_sites_may_embed_it(widget):
    client = Client()
    allowed = client.options(
        f"/chatbot/w/{widget.external_id}/messages", headers={"Origin": "https://shop.example.vn"}
    )
    assert allowed.status_code == 204
    assert allowed["Access-Control-Allow-Origin"] == "https://shop.example.vn"
    assert "X-Visitor-Token" in allowed["Access-Control-Allow-Headers"]
    refused = client.post(
        f"/chatbot/w/{widget.external_id}/session",
        {},
        content_type="application/json",
        headers={"Origin": "https://evil.example"},
    )
    assert refused.status_code == 403
    assert Client().post("/chatbot/w/unknown/session").status_code == 404


def test_messages_per_minute_are_limited(widget, settings):
    settings.CHATBOT_WIDGET_MESSAGES_PER_MINUTE = 2
    client = Client()
    token = _session(client, widget).json()["token"]
    assert _send(client, widget, token, "chào").status_code == 200
    assert _send(client, widget, token, "chào").status_code == 200
    assert _send(client, widget, token, "chào").status_code == 429
    assert _send(client, widget, token, "x" * 2001).status_code in (422, 429)


def test_staff_answers_arrive_by_polling(widget, owner):
    client = Client()
    token = _session(client, widget).json()["token"]
    first = _send(client, widget, token, "cho em gặp nhân viên").json()["messages"]
    conversation = Conversation.objects.get(channel="web")
    services.conversation_staff_reply(
        conversation=conversation, text="Dạ chị Lan đây ạ", actor=owner
    )
    polled = client.get(
        f"/chatbot/w/{widget.external_id}/messages?after={first[-1]['id']}",
        headers={"X-Visitor-Token": token},
    ).json()["messages"]
    assert [(m["from"], m["text"]) for m in polled] == [("staff", "Dạ chị Lan đây ạ")]


def test_the_demo_page_embeds_it_with_one_script_tag_and_no_inline_script(widget):
    page = Client().get("/chatbot/demo/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "script-src 'self'" in page["Content-Security-Policy"]
    scripts = re.findall(r"<script[^>]*>(.*?)</script>", html, re.S)
    assert all(not body.strip() for body in scripts)  # no inline script
    assert f'data-widget="{widget.external_id}"' in html
    assert "/static/chatbot/widget.js" in html


def test_a_known_customer_is_identified_by_the_shops_hash(widget):
    secret = widget.credentials["widget_secret"]
    client = Client()
    signed = _session(
        client,
        widget,
        identifier="khach-42",
        identifier_hash=web.identifier_hash(secret, "khach-42"),
    ).json()
    _send(client, widget, signed["token"], "chào")
    assert Conversation.objects.filter(external_user_id="id-khach-42").exists()
    unsigned = _session(client, widget, identifier="khach-42", identifier_hash="00").json()
    _send(client, widget, unsigned["token"], "chào")
    assert Conversation.objects.filter(channel="web").count() == 2
