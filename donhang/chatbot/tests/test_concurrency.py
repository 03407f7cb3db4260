"""Real threads, each with its own database connection: turns of one conversation at once
lose nothing; one platform message delivered several times at once is answered once."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from donhang.chatbot import services
from donhang.chatbot.models import Conversation, Message

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]


def _at_once(count, call):
    barrier = threading.Barrier(count)

    def one(i):
        try:
            barrier.wait(timeout=30)
            return call(i)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(one, range(count)))


def test_turns_of_one_conversation_at_once_lose_nothing(bot):
    conversation = services.api_conversation_start()
    texts = ["giá kem chống nắng", "áo thun đen size M còn không", "chào shop", "có cod không"]

    results = _at_once(
        len(texts),
        lambda i: services.conversation_handle(
            conversation=Conversation.objects.get(pk=conversation.pk), text=texts[i]
        ),
    )

    assert all(r.reply is not None for r in results)
    conversation.refresh_from_db()
    assert conversation.version == len(texts)
    assert Message.objects.filter(conversation=conversation, direction="in").count() == 4
    assert Message.objects.filter(conversation=conversation, direction="out").count() == 4


def test_one_platform_message_delivered_at_once_is_answered_once(bot):
    conversation = services.conversation_get_or_create(channel="web", external_user_id="v1")

    results = _at_once(
        5,
        lambda i: services.conversation_handle(
            conversation=Conversation.objects.get(pk=conversation.pk),
            text="giá kem chống nắng",
            external_id="mid.1",
        ),
    )

    assert sum(1 for r in results if not r.duplicate) == 1
    assert Message.objects.filter(direction="in").count() == 1
    assert Message.objects.filter(direction="out").count() == 1
