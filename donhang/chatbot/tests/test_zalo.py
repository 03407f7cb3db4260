"""Zalo OA against its emulator: MAC-verified webhooks, replies through the consultation API,
forged and replayed webhooks, the replay window, the access token refreshed when it expires."""

from django.utils import timezone

from donhang.chatbot import services
from donhang.chatbot.models import ChannelConnection, ChannelWebhook, Conversation, Message


def test_a_customer_on_zalo_gets_the_bot_reply(zalo_oa, zalo, committed):
    with committed():
        sent = zalo.user_sends(text="giay sneaker trang size 38 con ko shop", deliver=True)
    [reply] = zalo.replies_to(sent.user_id)
    assert "còn 3 sản phẩm" in reply
    conversation = Conversation.objects.get(channel="zalo", external_user_id=sent.user_id)
    assert conversation.messages.get(direction="in").external_id == sent.msg_id


def test_forged_webhooks_are_refused_and_never_answered(zalo_oa, zalo, deliver, committed):
    with committed():
        for forge in ("bad_signature", "no_signature", "tampered_body"):
            zalo.user_sends(text="giá áo thun", forge=forge, deliver=True)
    assert deliver.answers and set(deliver.answers) == {401}
    assert not ChannelWebhook.objects.exists()
    assert not Message.objects.exists()


def test_a_replayed_webhook_is_answered_once(zalo_oa, zalo, deliver, committed):
    with committed():
        sent = zalo.user_sends(text="kem chống nắng giá bao nhiêu", deliver=True)
        assert zalo.replay(1, deliver=True) == 1
    assert deliver.answers == [200, 200]
    assert len(zalo.replies_to(sent.user_id)) == 1
    assert Message.objects.filter(direction="in").count() == 1


def test_an_old_webhook_is_refused_as_a_replay(zalo_oa, zalo, deliver, settings, committed):
    settings.CHATBOT_ZALO_MAX_AGE_SECONDS = 600
    zalo.tick(-3600)  # an event stamped an hour ago, validly signed
    with committed():
        zalo.user_sends(text="chào shop", deliver=True)
    assert set(deliver.answers) == {401}
    assert not Message.objects.exists()


def test_an_expired_access_token_is_refreshed_and_the_reply_sent(zalo_oa, zalo, committed):
    old = zalo_oa.credentials
    zalo.expire_tokens()
    with committed():
        sent = zalo.user_sends(text="chào shop", deliver=True)
    assert len(zalo.replies_to(sent.user_id)) == 1
    zalo_oa.refresh_from_db()
    new = zalo_oa.credentials
    assert new["access_token"] != old["access_token"]
    assert new["refresh_token"] != old["refresh_token"]  # single use: the new pair is kept
    assert zalo_oa.access_expires_at > timezone.now()
    assert Message.objects.get(direction="out").delivery_status == "sent"


def test_tokens_are_refreshed_ahead_of_expiry(zalo_oa, zalo):
    ChannelConnection.objects.filter(pk=zalo_oa.pk).update(access_expires_at=timezone.now())
    assert services.zalo_tokens_refresh() == 1
    zalo_oa.refresh_from_db()
    # The refreshed pair works: a second refresh with it succeeds too.
    ChannelConnection.objects.filter(pk=zalo_oa.pk).update(access_expires_at=timezone.now())
    assert services.zalo_tokens_refresh() == 1
