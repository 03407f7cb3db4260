"""Facebook Messenger against its emulator: the handshake, signed webhooks processed by tasks,
replies through the Send API, forged and replayed webhooks, the 24-hour window, a person
answering from the Page Inbox."""

from datetime import timedelta

from donhang.chatbot import services
from donhang.chatbot.models import ChannelWebhook, Conversation, Message


def test_the_handshake_answers_the_challenge_only_to_the_verify_token(messenger_page, messenger):
    assert messenger.verify_callback()["verified"] is True
    refused = messenger.verify_callback(verify_token="not-the-token")
    assert refused["verified"] is False and refused["status"] == 403


def test_a_customer_on_messenger_gets_the_bot_reply(messenger_page, messenger, committed):
    with committed():
        sent = messenger.user_sends(text="áo thun trắng size L còn không", deliver=True)
    [reply] = messenger.replies_to(sent.psid)
    assert "còn 12 sản phẩm" in reply
    conversation = Conversation.objects.get(channel="messenger", external_user_id=sent.psid)
    out = conversation.messages.get(direction="out")
    assert out.delivery_status == "sent" and out.entities["sent_id"]
    assert ChannelWebhook.objects.get().processed_at is not None


def test_forged_webhooks_are_refused_and_never_answered(
    messenger_page, messenger, deliver, committed
):
    with committed():
        for forge in ("bad_signature", "no_signature", "tampered_body"):
            messenger.user_sends(text="giá áo thun", forge=forge, deliver=True)
    assert deliver.answers and set(deliver.answers) == {403}  # (the emulator retries them)
    assert not ChannelWebhook.objects.exists()
    assert not Message.objects.exists()


def test_a_replayed_webhook_is_answered_once(messenger_page, messenger, deliver, committed):
    with committed():
        sent = messenger.user_sends(text="kem chống nắng giá bao nhiêu", deliver=True)
        assert messenger.replay(1, deliver=True) == 1
    assert deliver.answers == [200, 200]  # both accepted (signed by Meta)…
    assert len(messenger.replies_to(sent.psid)) == 1  # …answered once
    assert Message.objects.filter(direction="in").count() == 1
    assert ChannelWebhook.objects.order_by("id").last().duplicates == 1


def test_duplicate_and_out_of_order_deliveries_answer_each_message_once(
    messenger_page, messenger, committed
):
    messenger.webhooks.duplicate = True
    with committed():
        first = messenger.user_sends(text="chào shop", deliver=True)
        messenger.user_sends(first.psid, text="giá áo thun", deliver=True)
    assert len(messenger.replies_to(first.psid)) == 2


def test_no_bot_message_after_24_hours_but_staff_may_answer_for_7_days(
    messenger_page, messenger, committed, owner
):
    with committed():
        sent = messenger.user_sends(text="chào shop", deliver=True)
    conversation = Conversation.objects.get(external_user_id=sent.psid)
    late = conversation.last_inbound_at - timedelta(hours=25)
    Conversation.objects.filter(pk=conversation.pk).update(last_inbound_at=late)
    messenger.tick(25 * 3600)
    bot_late = Message.objects.create(
        conversation=conversation,
        channel="messenger",
        direction="out",
        sender="bot",
        text="Shop có khuyến mãi mới!",
        delivery_status="pending",
    )
    assert services.message_send(message_id=bot_late.pk) == "skipped"
    with committed():
        staff = services.conversation_staff_reply(
            conversation=conversation, text="Dạ shop xin lỗi đã trả lời chậm ạ.", actor=owner
        )
    staff.refresh_from_db()
    assert staff.delivery_status == "sent"
    assert messenger.replies_to(sent.psid)[-1] == "Dạ shop xin lỗi đã trả lời chậm ạ."
    assert "Shop có khuyến mãi mới!" not in messenger.replies_to(sent.psid)


def test_a_person_answering_from_the_page_inbox_takes_the_conversation_over(
    messenger_page, messenger, committed
):
    with committed():
        sent = messenger.user_sends(text="chào shop", deliver=True)
        messenger.page_reply(sent.psid, "Chị chủ shop đây, em cần gì nhé")
        messenger.pump()
        messenger.user_sends(sent.psid, text="giá áo thun", deliver=True)
    conversation = Conversation.objects.get(external_user_id=sent.psid)
    assert conversation.status == "human"
    # The bot's own echo did not count; after the person answered, the bot stayed quiet.
    assert len(messenger.replies_to(sent.psid)) == 2
    assert conversation.messages.filter(direction="out", sender="bot").count() == 1


def test_a_temporary_send_api_failure_is_retried(messenger_page, messenger, committed):
    messenger.faults.fail_next(status=503)
    with committed():
        sent = messenger.user_sends(text="giá kem chống nắng", deliver=True)
    out = Message.objects.get(direction="out")
    assert out.delivery_status == "sent" and out.delivery_attempts == 2
    assert len(messenger.replies_to(sent.psid)) == 1
