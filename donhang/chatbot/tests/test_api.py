"""The chatbot API: talking to the bot and reading conversations."""

from django.test import Client

from donhang.accounts.services import api_key_create
from donhang.chatbot import services
from donhang.chatbot.tests.conftest import say


def _client(role):
    _key, raw = api_key_create(name=f"key-{role}", role=role)
    return Client(headers={"Authorization": f"Bearer {raw}"})


def test_a_conversation_through_the_api(bot, api):
    first = say(api, "áo thun trắng size S còn không")
    assert first["intent"] == "stock" and first["engine"] == "offline"
    assert first["entities"]["color"] == "Trắng" and first["entities"]["size"] == "S"
    assert 0 < first["confidence"] <= 1
    second = say(api, "giá bao nhiêu", first["conversation"])
    assert second["conversation"] == first["conversation"]

    read = api.get(f"/api/v1/chatbot/conversations/{first['conversation']}").json()
    assert [m["sender"] for m in read["messages"]] == ["customer", "bot", "customer", "bot"]
    assert read["state"]["variant_id"]
    listed = api.get("/api/v1/chatbot/conversations").json()
    assert [c["id"] for c in listed["items"]] == [first["conversation"]]


def test_only_api_conversations_can_be_continued_and_input_is_checked(bot, api):
    web = services.conversation_get_or_create(channel="web", external_user_id="visitor")
    refused = api.post(
        "/api/v1/chatbot/messages",
        {"conversation": web.pk, "text": "chào"},
        content_type="application/json",
    )
    assert refused.status_code == 404
    empty = api.post("/api/v1/chatbot/messages", {"text": ""}, content_type="application/json")
    assert empty.status_code == 422
    long = api.post(
        "/api/v1/chatbot/messages", {"text": "a" * 2001}, content_type="application/json"
    )
    assert long.status_code == 422


def test_who_may_call_it(bot):
    assert (
        Client()
        .post("/api/v1/chatbot/messages", {"text": "chào"}, content_type="application/json")
        .status_code
        == 401
    )
    warehouse = _client("warehouse")
    assert (
        warehouse.post(
            "/api/v1/chatbot/messages", {"text": "chào"}, content_type="application/json"
        ).status_code
        == 403
    )
    assert warehouse.get("/api/v1/chatbot/conversations").status_code == 403
    assert _client("accountant").get("/api/v1/chatbot/conversations").status_code == 403
    assert _client("manager").get("/api/v1/chatbot/conversations").status_code == 200
