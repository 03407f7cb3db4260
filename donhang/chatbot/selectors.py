"""Chatbot reads for the inbox, the conversation page, the API and the order page."""

from __future__ import annotations

from django.db.models import Count, Max, Q, QuerySet
from django.utils.translation import gettext as _

from donhang.chatbot.engine import tools
from donhang.chatbot.models import (
    BotSettings,
    ChannelConnection,
    ChannelWebhook,
    Conversation,
    FaqEntry,
    Message,
)
from donhang.core.errors import NotFound

PAGE_SIZE = 50


def conversation_for_order(order) -> Conversation | None:
    message = (
        Message.objects.filter(order=order).select_related("conversation").order_by("id").first()
    )
    return message.conversation if message else None


def _filtered(*, channel: str = "", status: str = "", needs_human=None, q: str = ""):
    rows = Conversation.objects.select_related("connection", "assigned_to")
    if channel:
        rows = rows.filter(channel=channel)
    if status:
        rows = rows.filter(status=status)
    if needs_human is not None:
        rows = rows.filter(needs_human=needs_human)
    if q:
        rows = rows.filter(Q(display_name__icontains=q) | Q(phone__contains=q.replace(" ", "")))
    return rows


def conversation_page(
    *, channel="", status="", needs_human=None, q="", after=None, limit=PAGE_SIZE
) -> tuple[list[Conversation], int | None]:
    """Conversations, newest first (by id), keyset-paginated: `after` gives older ones."""
    rows = _filtered(channel=channel, status=status, needs_human=needs_human, q=q)
    if after:
        rows = rows.filter(pk__lt=after)
    page = list(rows.order_by("-id")[: limit + 1])
    more = len(page) > limit
    page = page[:limit]
    return page, (page[-1].pk if more and page else None)


def inbox(*, channel="", status="", needs_human=None, q="", limit=PAGE_SIZE) -> list[Conversation]:
    """The inbox: waiting for staff first, then by last message; each with its last message
    (two queries whatever the number of conversations)."""
    rows = list(
        _filtered(channel=channel, status=status, needs_human=needs_human, q=q)
        .annotate(last_message_id=Max("messages__id"))
        .order_by("-needs_human", "-last_message_at", "-id")[:limit]
    )
    last = {
        m.pk: m
        for m in Message.objects.filter(
            pk__in=[c.last_message_id for c in rows if c.last_message_id]
        )
    }
    for c in rows:
        c.last_message = last.get(c.last_message_id)
    return rows


def inbox_counts() -> dict[str, int]:
    rows = Conversation.objects.values("status").annotate(n=Count("id")).order_by()
    counts = {r["status"]: r["n"] for r in rows}
    counts["waiting"] = Conversation.objects.filter(needs_human=True).count()
    counts["all"] = sum(r["n"] for r in rows)
    return counts


def conversation_get(conversation_id: int) -> Conversation:
    conversation = (
        Conversation.objects.select_related("connection", "assigned_to", "customer")
        .filter(pk=conversation_id)
        .first()
    )
    if conversation is None:
        raise NotFound(_("Conversation %(id)s does not exist.") % {"id": conversation_id})
    return conversation


def conversation_messages(
    conversation: Conversation, *, after: int | None = None, limit: int = 200
) -> list[Message]:
    rows = Message.objects.filter(conversation=conversation).select_related("order", "staff")
    if after:
        return list(rows.filter(pk__gt=after).order_by("id")[:limit])
    return list(rows.order_by("-id")[:limit])[::-1]


def conversation_orders(conversation: Conversation):
    return tools.conversation_orders(conversation=conversation)


def bot_settings_get() -> BotSettings:
    return tools.bot_settings()


def faq_list() -> QuerySet[FaqEntry]:
    return FaqEntry.objects.order_by("topic", "position", "id")


def connection_list() -> QuerySet[ChannelConnection]:
    return ChannelConnection.objects.annotate(conversation_count=Count("conversations")).order_by(
        "kind", "name", "id"
    )


def webhook_list(*, limit: int = 20) -> list[ChannelWebhook]:
    return list(ChannelWebhook.objects.select_related("connection").order_by("-id")[:limit])


def widget_get(public_key: str) -> ChannelConnection | None:
    return ChannelConnection.objects.filter(
        kind="web", external_id=public_key, is_active=True
    ).first()
