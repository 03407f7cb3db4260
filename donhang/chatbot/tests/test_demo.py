"""The demo's chatbot: settings, FAQ, a web widget, and a Facebook page and a Zalo OA whose
credentials are those of the emulators `make run` serves (so a message there is answered)."""

from django.utils import timezone

from donhang.chatbot.demo import DEMO_WIDGET_KEY, load_demo_chatbot
from donhang.chatbot.models import BotSettings, ChannelConnection, FaqEntry
from donhang.core.integrations import register_transport
from emulators.common import Clock, FaultyTransport
from emulators.messenger import MessengerEmulator
from emulators.zalo_oa import ZaloOaEmulator


def test_the_demo_bot_answers_on_its_emulated_page_and_oa(bot, owner, deliver, committed, settings):
    settings.CHATBOT_EMULATOR_PORTS = {"messenger": 8731, "zalo": 8732, "llm": 8733}
    load_demo_chatbot(actor=owner)
    load_demo_chatbot(actor=owner)  # safe to run again
    assert BotSettings.objects.count() == 1 and FaqEntry.objects.count() == 5
    assert set(ChannelConnection.objects.values_list("kind", flat=True)) == {
        "web",
        "messenger",
        "zalo",
    }
    assert ChannelConnection.objects.get(kind="web").external_id == DEMO_WIDGET_KEY

    messenger = MessengerEmulator(webhook_target=deliver, seed=2, clock=Clock(timezone.now()))
    zalo = ZaloOaEmulator(webhook_target=deliver, seed=2, clock=Clock(timezone.now()))
    register_transport(
        "http://127.0.0.1:8731/v25.0", FaultyTransport(messenger.wsgi_app, messenger.faults)
    )
    register_transport("http://127.0.0.1:8732", FaultyTransport(zalo.wsgi_app, zalo.faults))
    try:
        assert messenger.verify_callback()["verified"]
        with committed():
            on_page = messenger.user_sends(text="kem chống nắng giá bao nhiêu", deliver=True)
            on_oa = zalo.user_sends(text="kem chống nắng giá bao nhiêu", deliver=True)
    finally:
        register_transport("http://127.0.0.1:8731/v25.0", None)
        register_transport("http://127.0.0.1:8732", None)
    assert "179.000đ" in messenger.replies_to(on_page.psid)[0]
    assert "179.000đ" in zalo.replies_to(on_oa.user_id)[0]
