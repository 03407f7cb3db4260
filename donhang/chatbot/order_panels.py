"""The chatbot's card on the order page: the conversation an order came from, provided to
donhang.orders through donhang.core.hooks (orders sits below the chatbot and never imports it)."""

from __future__ import annotations

from django.urls import reverse

from donhang.chatbot.selectors import conversation_for_order
from donhang.core import hooks


def conversation_panel(*, request, order) -> dict | None:
    if order.channel != "chatbot" or not request.user.has_perm("chatbot.view_conversation"):
        return None
    conversation = conversation_for_order(order)
    if conversation is None:
        return None
    return {
        "template": "chatbot/partials/order_panel.html",
        "conversation": conversation,
        "messages": list(conversation.messages.order_by("-id")[:6])[::-1],
        "url": reverse("chatbot:conversation", args=[conversation.pk]),
    }


def register() -> None:
    hooks.register("order.page_panels", conversation_panel)
