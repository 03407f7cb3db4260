"""Chatbot writes: customer turns, staff actions, settings, channel webhooks and sending."""

from donhang.chatbot.services.channels import (
    adapter_for,
    message_send,
    messenger_subscription,
    webhook_process,
    webhook_receive,
    zalo_tokens_refresh,
)
from donhang.chatbot.services.config import (
    bot_settings_save,
    connection_save,
    faq_delete,
    faq_save,
)
from donhang.chatbot.services.staff import (
    conversation_close,
    conversation_hand_back,
    conversation_staff_reply,
    conversation_take_over,
)
from donhang.chatbot.services.turns import (
    TurnResult,
    api_conversation_start,
    conversation_get_or_create,
    conversation_handle,
)

__all__ = [
    "TurnResult",
    "adapter_for",
    "api_conversation_start",
    "bot_settings_save",
    "connection_save",
    "conversation_close",
    "conversation_get_or_create",
    "conversation_hand_back",
    "conversation_handle",
    "conversation_staff_reply",
    "conversation_take_over",
    "faq_delete",
    "faq_save",
    "message_send",
    "messenger_subscription",
    "webhook_process",
    "webhook_receive",
    "zalo_tokens_refresh",
]
