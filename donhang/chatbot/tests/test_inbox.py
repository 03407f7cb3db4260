"""Staff pages: the inbox of every channel (live), a conversation with the customer's orders,
take over / answer / hand back, the order page's card, the bot's settings, FAQ and channels,
who may do what."""

import pytest
from django.test import Client

from donhang.accounts.services import user_create
from donhang.chatbot.models import BotSettings, ChannelConnection, Conversation, FaqEntry
from donhang.chatbot.tests.conftest import say

ADDRESS = "12 Lê Lợi, Phường Bến Thành, TP Hồ Chí Minh"


@pytest.fixture
def staff_client(owner):
    client = Client()
    client.force_login(owner)
    return client


def _as(role):
    user = user_create(username=f"nv-{role}", password="mat-khau-dai-2026", role=role)
    client = Client()
    client.force_login(user)
    return client


def test_the_inbox_lists_every_channel_waiting_ones_first(bot, api, staff_client):
    calm = say(api, "chào shop")["conversation"]
    waiting = say(api, "cho em gặp nhân viên")["conversation"]
    page = staff_client.get("/chatbot/")
    html = page.content.decode()
    assert page.status_code == 200
    assert html.index(f'data-conversation="{waiting}"') < html.index(f'data-conversation="{calm}"')
    assert 'hx-trigger="every 5s"' in html
    rows = staff_client.get("/chatbot/", {"status": "waiting"}, headers={"HX-Request": "true"})
    assert f'data-conversation="{waiting}"' in rows.content.decode()
    assert f'data-conversation="{calm}"' not in rows.content.decode()


def test_take_over_answer_and_hand_back(bot, api, staff_client):
    first = say(api, f"chốt 1 kem chống nắng, tên Lan 0912345678, {ADDRESS}")
    conversation = first["conversation"]
    page = staff_client.get(f"/chatbot/c/{conversation}/")
    html = page.content.decode()
    assert first["order"]["code"] in html  # the customer's orders beside the chat
    assert 'hx-trigger="every 3s"' in html

    staff_client.post(f"/chatbot/c/{conversation}/take-over/")
    assert Conversation.objects.get(pk=conversation).status == "human"
    assert say(api, "giá áo thun", conversation)["reply"] is None  # the bot stays quiet
    staff_client.post(f"/chatbot/c/{conversation}/reply/", {"text": "Dạ áo thun 159k ạ"})
    messages = staff_client.get(f"/chatbot/c/{conversation}/messages/").content.decode()
    assert "Dạ áo thun 159k ạ" in messages

    staff_client.post(f"/chatbot/c/{conversation}/hand-back/")
    assert Conversation.objects.get(pk=conversation).status == "bot"
    assert "159.000đ" in say(api, "áo thun giá bao nhiêu", conversation)["reply"]


def test_the_order_page_shows_the_conversation(bot, api, staff_client):
    done = say(api, f"chốt 1 kem chống nắng, tên Lan 0912345678, {ADDRESS}")
    page = staff_client.get(f"/orders/{done['order']['code']}/")
    html = page.content.decode()
    assert 'id="chatbot-panel"' in html
    assert f"/chatbot/c/{done['conversation']}/" in html


def test_the_shop_edits_its_bot(bot, staff_client):
    page = staff_client.get("/chatbot/settings/")
    assert page.status_code == 200
    saved = staff_client.post(
        "/chatbot/settings/",
        {
            "bot_name": "Bé Na",
            "greeting": "Chào bạn, Bé Na là trợ lý tự động của shop.",
            "open_days": ["0", "1", "2"],
            "opens_at": "09:00",
            "closes_at": "18:00",
            "answer_web": "on",
            "answer_zalo": "on",
            "may_create_orders": "on",
            "cod_enabled": "on",
            "cod_limit": "2000000",
        },
    )
    assert saved.status_code == 302
    config = BotSettings.objects.get()
    assert (config.bot_name, config.open_days, config.answer_messenger) == (
        "Bé Na",
        [0, 1, 2],
        False,
    )
    assert config.cod_limit == 2_000_000
    wrong = staff_client.post(
        "/chatbot/settings/",
        {
            "bot_name": "Bé Na",
            "greeting": "x",
            "opens_at": "18:00",
            "closes_at": "09:00",
            "cod_limit": "0",
        },
    )
    assert wrong.status_code == 422

    staff_client.post(
        "/chatbot/settings/faq/new/",
        {
            "topic": "shipping",
            "question": "Có freeship không?",
            "answer": "Dạ không ạ.",
            "position": "0",
            "is_active": "on",
        },
    )
    entry = FaqEntry.objects.get()
    staff_client.post(f"/chatbot/settings/faq/{entry.pk}/delete/")
    assert not FaqEntry.objects.exists()


def test_channels_keep_their_secrets_encrypted_and_unshown(bot, staff_client):
    created = staff_client.post(
        "/chatbot/settings/channels/new/",
        {
            "kind": "messenger",
            "name": "Trang",
            "external_id": "123",
            "secret_page_access_token": "EAA-secret-token",
            "secret_app_secret": "app-secret",
            "secret_verify_token": "verify-me",
            "is_active": "on",
        },
    )
    assert created.status_code == 302
    page = ChannelConnection.objects.get()
    assert "EAA-secret-token" not in page.credentials_encrypted
    assert page.credentials["app_secret"] == "app-secret"
    edit = staff_client.get(f"/chatbot/settings/channels/{page.pk}/").content.decode()
    assert "EAA-secret-token" not in edit and "app-secret" not in edit
    # Saving without typing the secrets again keeps them.
    staff_client.post(
        f"/chatbot/settings/channels/{page.pk}/",
        {"kind": "messenger", "name": "Trang mới", "external_id": "123", "is_active": "on"},
    )
    page.refresh_from_db()
    assert page.name == "Trang mới" and page.credentials["page_access_token"] == "EAA-secret-token"
    missing = staff_client.post(
        "/chatbot/settings/channels/new/",
        {"kind": "zalo", "name": "OA", "external_id": "999", "is_active": "on"},
    )
    assert missing.status_code == 422


def test_who_may_do_what(bot, api):
    conversation = say(api, "chào shop")["conversation"]
    sales, warehouse, manager = _as("sales"), _as("warehouse"), _as("manager")
    assert sales.get("/chatbot/").status_code == 200
    assert sales.post(f"/chatbot/c/{conversation}/take-over/").status_code == 302
    assert sales.get("/chatbot/settings/").status_code == 403
    assert warehouse.get("/chatbot/").status_code == 403
    assert warehouse.get(f"/chatbot/c/{conversation}/").status_code == 403
    assert manager.get("/chatbot/settings/").status_code == 200
    assert manager.get("/chatbot/settings/channels/new/").status_code == 403  # secrets: owner
    assert Client().get("/chatbot/").status_code == 302  # to the log-in page
