"""What staff do in the inbox: take a conversation over from the bot, answer, hand it back."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from donhang.chatbot.models import ChannelKind, Conversation, ConversationStatus, Message
from donhang.chatbot.services._common import enqueue_task
from donhang.core.audit import actor_user, audit
from donhang.core.errors import ValidationFailed
from donhang.core.permissions import require_perm

MAX_TEXT = 2000


def _locked(conversation: Conversation) -> Conversation:
    return Conversation.objects.select_for_update().get(pk=conversation.pk)


@transaction.atomic
def conversation_take_over(*, conversation: Conversation, actor) -> Conversation:
    """Staff answer from now on; the bot stays quiet until handed back."""
    require_perm(actor, "chatbot.reply_conversation")
    conversation = _locked(conversation)
    conversation.status = ConversationStatus.HUMAN
    conversation.assigned_to = actor_user(actor)
    conversation.needs_human = False
    conversation.version += 1
    conversation.save(update_fields=["status", "assigned_to", "needs_human", "version"])
    audit(actor=actor, action="conversation.take_over", obj=conversation)
    return conversation


@transaction.atomic
def conversation_hand_back(*, conversation: Conversation, actor) -> Conversation:
    """The bot answers again; what it was waiting for is forgotten (staff may have settled it)."""
    require_perm(actor, "chatbot.reply_conversation")
    conversation = _locked(conversation)
    state = dict(conversation.state or {})
    for key in ("awaiting", "unsure", "ordering"):
        state.pop(key, None)
    conversation.state = state
    conversation.status = ConversationStatus.BOT
    conversation.needs_human = False
    conversation.handoff_reason = ""
    conversation.assigned_to = None
    conversation.version += 1
    conversation.save(
        update_fields=[
            "state",
            "status",
            "needs_human",
            "handoff_reason",
            "assigned_to",
            "version",
        ]
    )
    audit(actor=actor, action="conversation.hand_back", obj=conversation)
    return conversation


@transaction.atomic
def conversation_staff_reply(*, conversation: Conversation, text: str, actor) -> Message:
    """A staff answer; it takes the conversation over from the bot. On Messenger and Zalo it is
    sent by a task (Messenger past 24 hours only with the human-agent tag, within 7 days)."""
    require_perm(actor, "chatbot.reply_conversation")
    text = (text or "").strip()
    if not text:
        raise ValidationFailed(_("Write a message."), fields={"text": _("This field is required.")})
    if len(text) > MAX_TEXT:
        reason = _("At most %(max)s characters.") % {"max": MAX_TEXT}
        raise ValidationFailed(reason, fields={"text": reason})
    conversation = _locked(conversation)
    sends = conversation.channel in (ChannelKind.MESSENGER, ChannelKind.ZALO)
    message = Message.objects.create(
        conversation=conversation,
        channel=conversation.channel,
        direction=Message.Direction.OUT,
        sender=Message.Sender.STAFF,
        staff=actor_user(actor),
        text=text,
        delivery_status=Message.Delivery.PENDING if sends else Message.Delivery.NONE,
    )
    conversation.status = ConversationStatus.HUMAN
    conversation.needs_human = False
    conversation.assigned_to = conversation.assigned_to or actor_user(actor)
    conversation.last_message_at = timezone.now()
    conversation.version += 1
    conversation.save(
        update_fields=["status", "needs_human", "assigned_to", "last_message_at", "version"]
    )
    if sends:
        enqueue_task("send_message_task", message.pk)
    return message


@transaction.atomic
def conversation_close(*, conversation: Conversation, actor) -> Conversation:
    require_perm(actor, "chatbot.reply_conversation")
    conversation = _locked(conversation)
    conversation.status = ConversationStatus.CLOSED
    conversation.needs_human = False
    conversation.version += 1
    conversation.save(update_fields=["status", "needs_human", "version"])
    audit(actor=actor, action="conversation.close", obj=conversation)
    return conversation
