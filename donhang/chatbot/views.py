"""Chatbot pages for staff: the inbox (all channels, live), a conversation with the customer's
orders beside it (take over, answer, hand back), and the bot's settings, FAQ and channels.
Views read input, call a service or selector, render; the services check permissions too."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from donhang.accounts.decorators import permission_required_403
from donhang.chatbot import selectors, services
from donhang.chatbot.forms import (
    BotSettingsForm,
    ConnectionForm,
    FaqForm,
    InboxFilterForm,
    ReplyForm,
)
from donhang.chatbot.models import ChannelConnection, ChannelKind, FaqEntry
from donhang.core.errors import DomainError, NotFound


def _inbox_filters(request) -> dict:
    form = InboxFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    status = data.get("status") or ""
    return {
        "form": form,
        "channel": data.get("channel") or "",
        "status": status if status in ("bot", "human", "closed") else "",
        "needs_human": True if status == "waiting" else None,
        "q": data.get("q") or "",
    }


@require_GET
@permission_required_403("chatbot.view_conversation")
def inbox(request):
    filters = _inbox_filters(request)
    conversations = selectors.inbox(
        channel=filters["channel"],
        status=filters["status"],
        needs_human=filters["needs_human"],
        q=filters["q"],
    )
    context = {
        "conversations": conversations,
        "form": filters["form"],
        "counts": selectors.inbox_counts(),
        "query": request.GET.urlencode(),
    }
    if request.headers.get("HX-Request"):
        return render(request, "chatbot/partials/inbox_rows.html", context)
    return render(request, "chatbot/inbox.html", context)


def _conversation(pk: int):
    try:
        return selectors.conversation_get(pk)
    except NotFound:
        raise Http404(_("There is no such conversation.")) from None


@require_GET
@permission_required_403("chatbot.view_conversation")
def conversation(request, pk: int):
    found = _conversation(pk)
    return render(
        request,
        "chatbot/conversation.html",
        {
            "conversation": found,
            "messages_list": selectors.conversation_messages(found),
            "orders": selectors.conversation_orders(found),
            "reply_form": ReplyForm(),
            "can_reply": request.user.has_perm("chatbot.reply_conversation"),
        },
    )


@require_GET
@permission_required_403("chatbot.view_conversation")
def conversation_messages(request, pk: int):
    """The message list, polled by the page (htmx) so that it stays live."""
    found = _conversation(pk)
    return render(
        request,
        "chatbot/partials/messages.html",
        {"conversation": found, "messages_list": selectors.conversation_messages(found)},
    )


@require_POST
@permission_required_403("chatbot.reply_conversation")
def conversation_reply(request, pk: int):
    found = _conversation(pk)
    form = ReplyForm(request.POST)
    if form.is_valid():
        try:
            services.conversation_staff_reply(
                conversation=found, text=form.cleaned_data["text"], actor=request.user
            )
        except DomainError as exc:
            messages.error(request, exc.message)
    else:
        messages.error(request, _("Write a message."))
    if request.headers.get("HX-Request"):
        return render(
            request,
            "chatbot/partials/messages.html",
            {"conversation": found, "messages_list": selectors.conversation_messages(found)},
        )
    return redirect("chatbot:conversation", pk=found.pk)


def _action(request, pk: int, service, done: str):
    found = _conversation(pk)
    try:
        service(conversation=found, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect("chatbot:conversation", pk=found.pk)


@require_POST
@permission_required_403("chatbot.reply_conversation")
def conversation_take_over(request, pk: int):
    return _action(request, pk, services.conversation_take_over, _("You answer this customer now."))


@require_POST
@permission_required_403("chatbot.reply_conversation")
def conversation_hand_back(request, pk: int):
    return _action(
        request, pk, services.conversation_hand_back, _("The bot answers this customer again.")
    )


@require_POST
@permission_required_403("chatbot.reply_conversation")
def conversation_close(request, pk: int):
    return _action(request, pk, services.conversation_close, _("Conversation closed."))


# --- settings ------------------------------------------------------------------------------


def _webhook_urls(request) -> dict:
    return {
        "messenger": request.build_absolute_uri(reverse("chatbot:messenger_webhook")),
        "zalo": request.build_absolute_uri(reverse("chatbot:zalo_webhook")),
    }


@permission_required_403("chatbot.change_botsettings")
def bot_settings(request):
    config = selectors.bot_settings_get()
    form = BotSettingsForm.for_settings(config, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.bot_settings_save(actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(request, _("Chatbot settings saved."))
            return redirect("chatbot:settings")
    connections = list(selectors.connection_list())
    return render(
        request,
        "chatbot/settings.html",
        {
            "form": form,
            "faqs": selectors.faq_list(),
            "connections": connections,
            "webhooks": selectors.webhook_list(),
            "webhook_urls": _webhook_urls(request),
            "widget_script": request.build_absolute_uri("/static/chatbot/widget.js"),
        },
        status=422 if form.errors else 200,
    )


def _faq_form(request, entry: FaqEntry | None):
    form = FaqForm.for_entry(entry, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.faq_save(entry=entry, actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(request, _("FAQ entry saved."))
            return redirect(reverse("chatbot:settings") + "#faq")
    return render(
        request,
        "chatbot/faq_form.html",
        {"form": form, "entry": entry},
        status=422 if form.errors else 200,
    )


@permission_required_403("chatbot.add_faqentry")
def faq_create(request):
    return _faq_form(request, None)


def _faq(pk: int) -> FaqEntry:
    entry = FaqEntry.objects.filter(pk=pk).first()
    if entry is None:
        raise Http404(_("There is no such FAQ entry."))
    return entry


@permission_required_403("chatbot.change_faqentry")
def faq_edit(request, pk: int):
    return _faq_form(request, _faq(pk))


@require_POST
@permission_required_403("chatbot.delete_faqentry")
def faq_delete(request, pk: int):
    entry = _faq(pk)
    services.faq_delete(entry=entry, actor=request.user)
    messages.success(request, _("FAQ entry deleted."))
    return redirect(reverse("chatbot:settings") + "#faq")


def _connection_form(request, connection: ChannelConnection | None):
    form = ConnectionForm(request.POST or None, connection=connection)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.connection_save(
                connection=connection, actor=request.user, **form.service_values()
            )
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(request, _("Channel “%(name)s” saved.") % {"name": saved.name})
            return redirect(reverse("chatbot:settings") + "#channels")
    return render(
        request,
        "chatbot/connection_form.html",
        {
            "form": form,
            "connection": connection,
            "saved_secrets": sorted(connection.credentials) if connection else [],
            "webhook_urls": _webhook_urls(request),
            "widget_script": request.build_absolute_uri("/static/chatbot/widget.js"),
            "is_web": connection is not None and connection.kind == ChannelKind.WEB,
        },
        status=422 if form.errors else 200,
    )


@permission_required_403("chatbot.add_channelconnection")
def connection_create(request):
    return _connection_form(request, None)


@permission_required_403("chatbot.change_channelconnection")
def connection_edit(request, pk: int):
    connection = ChannelConnection.objects.filter(pk=pk).first()
    if connection is None:
        raise Http404(_("There is no such channel."))
    return _connection_form(request, connection)
