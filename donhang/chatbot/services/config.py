"""What a shop sets: the bot's settings, its FAQ, and the channels it answers on."""

from __future__ import annotations

import secrets
from datetime import time

from django.db import transaction
from django.utils.translation import gettext as _

from donhang.chatbot.models import BotSettings, ChannelConnection, ChannelKind, FaqEntry, FaqTopic
from donhang.core.audit import actor_user, audit
from donhang.core.errors import ValidationFailed
from donhang.core.permissions import require_perm
from donhang.core.text import fold, name_problem

SETTINGS_FIELDS = (
    "bot_name",
    "greeting",
    "open_days",
    "opens_at",
    "closes_at",
    "answer_web",
    "answer_messenger",
    "answer_zalo",
    "answer_api",
    "may_create_orders",
    "cod_enabled",
    "cod_limit",
)


@transaction.atomic
def bot_settings_save(*, actor, **values) -> BotSettings:
    require_perm(actor, "chatbot.change_botsettings")
    config = BotSettings.objects.select_for_update().filter(
        pk=BotSettings.SINGLETON_ID
    ).first() or BotSettings(pk=BotSettings.SINGLETON_ID)
    errors: dict[str, str] = {}
    for name, value in values.items():
        if name not in SETTINGS_FIELDS:
            errors[name] = _("Unknown setting.")
            continue
        setattr(config, name, value)
    if not (config.bot_name or "").strip() or name_problem(config.bot_name or ""):
        errors["bot_name"] = _("Give the bot a name.")
    if not (config.greeting or "").strip():
        errors["greeting"] = _("Write the greeting.")
    days = config.open_days
    if not isinstance(days, list) or any(not isinstance(d, int) or not 0 <= d <= 6 for d in days):
        errors["open_days"] = _("Choose days of the week.")
    if not isinstance(config.opens_at, time) or not isinstance(config.closes_at, time):
        errors["opens_at"] = _("Enter times as HH:MM.")
    elif config.opens_at >= config.closes_at:
        errors["closes_at"] = _("Staff must answer until after they start.")
    if config.cod_limit is None or config.cod_limit < 0:
        errors["cod_limit"] = _("Enter 0 or more.")
    if errors:
        raise ValidationFailed(_("Some fields are not valid."), fields=errors)
    config.bot_name = config.bot_name.strip()
    config.greeting = config.greeting.strip()
    config.updated_by = actor_user(actor)
    config.save()
    audit(actor=actor, action="chatbot.settings", obj=config, summary=config.bot_name)
    return config


@transaction.atomic
def faq_save(
    *,
    topic: str,
    question: str,
    answer: str,
    keywords: str = "",
    is_active: bool = True,
    position: int = 0,
    entry: FaqEntry | None = None,
    actor,
) -> FaqEntry:
    require_perm(actor, "chatbot.change_faqentry" if entry else "chatbot.add_faqentry")
    errors = {}
    if topic not in FaqTopic.values:
        errors["topic"] = _("Choose a topic.")
    question, answer = (question or "").strip(), (answer or "").strip()
    if not question:
        errors["question"] = _("This field is required.")
    elif len(question) > 300:
        errors["question"] = _("At most %(max)s characters.") % {"max": 300}
    if not answer:
        errors["answer"] = _("This field is required.")
    elif len(answer) > 2000:
        errors["answer"] = _("At most %(max)s characters.") % {"max": 2000}
    if len(keywords or "") > 500:
        errors["keywords"] = _("At most %(max)s characters.") % {"max": 500}
    if errors:
        raise ValidationFailed(_("Some fields are not valid."), fields=errors)
    entry = entry or FaqEntry()
    entry.topic, entry.question, entry.answer = topic, question, answer
    entry.keywords, entry.is_active, entry.position = (keywords or "").strip(), is_active, position
    entry.search_text = fold(f"{question} {keywords}")
    entry.save()
    audit(actor=actor, action="chatbot.faq_save", obj=entry, summary=question)
    return entry


@transaction.atomic
def faq_delete(*, entry: FaqEntry, actor) -> None:
    require_perm(actor, "chatbot.delete_faqentry")
    audit(actor=actor, action="chatbot.faq_delete", obj=entry, summary=entry.question)
    entry.delete()


# Which secrets each channel keeps (encrypted), and which are required.
CHANNEL_SECRETS = {
    ChannelKind.MESSENGER: ("page_access_token", "app_secret", "verify_token"),
    ChannelKind.ZALO: ("app_id", "app_secret", "oa_secret_key", "access_token", "refresh_token"),
    ChannelKind.WEB: ("widget_secret",),
}
REQUIRED_SECRETS = {
    ChannelKind.MESSENGER: ("page_access_token", "app_secret", "verify_token"),
    ChannelKind.ZALO: ("app_id", "app_secret", "oa_secret_key", "refresh_token"),
    ChannelKind.WEB: (),
}


@transaction.atomic
def connection_save(
    *,
    kind: str,
    name: str,
    external_id: str = "",
    base_url: str = "",
    auth_url: str = "",
    credentials: dict | None = None,
    allowed_origins: str = "",
    is_active: bool = True,
    access_expires_at=None,
    connection: ChannelConnection | None = None,
    actor,
) -> ChannelConnection:
    """A Facebook page, a Zalo OA or a web widget. Secrets left empty keep their saved value
    (a form never shows them). A web widget gets a random public key and secret."""
    require_perm(
        actor, "chatbot.change_channelconnection" if connection else "chatbot.add_channelconnection"
    )
    errors = {}
    if kind not in (ChannelKind.MESSENGER, ChannelKind.ZALO, ChannelKind.WEB):
        errors["kind"] = _("Choose Messenger, Zalo OA or the web chat.")
    name = (name or "").strip()
    if not name:
        errors["name"] = _("This field is required.")
    external_id = (external_id or "").strip()
    if kind == ChannelKind.WEB and not external_id:
        external_id = (connection.external_id if connection else "") or secrets.token_urlsafe(12)
    if not external_id:
        errors["external_id"] = _("Enter the page or OA id.")
    elif (
        ChannelConnection.objects.filter(kind=kind, external_id=external_id)
        .exclude(pk=connection.pk if connection else None)
        .exists()
    ):
        errors["external_id"] = _("This page or OA is already connected.")
    saved = connection.credentials if connection else {}
    merged = dict(saved)
    for key, value in (credentials or {}).items():
        if key in CHANNEL_SECRETS.get(kind, ()) and str(value or "").strip():
            merged[key] = str(value).strip()
    if kind == ChannelKind.WEB and not merged.get("widget_secret"):
        merged["widget_secret"] = secrets.token_urlsafe(24)
    for key in REQUIRED_SECRETS.get(kind, ()):
        if not merged.get(key):
            errors[f"credentials.{key}"] = _("This field is required.")
    origins = []
    for line in (allowed_origins or "").split():
        origin = line.strip().rstrip("/")
        if not origin.startswith(("https://", "http://")) or "/" in origin.split("://", 1)[1]:
            errors["allowed_origins"] = _("One origin per line, like https://shop.example.vn.")
            break
        origins.append(origin)
    if errors:
        raise ValidationFailed(_("Some fields are not valid."), fields=errors)
    connection = connection or ChannelConnection(kind=kind)
    connection.kind, connection.name, connection.external_id = kind, name, external_id
    connection.base_url, connection.auth_url = base_url or "", auth_url or ""
    connection.credentials = merged
    connection.allowed_origins = "\n".join(origins)
    connection.is_active = is_active
    if access_expires_at is not None:
        connection.access_expires_at = access_expires_at
    connection.save()
    audit(actor=actor, action="chatbot.connection_save", obj=connection, summary=str(connection))
    return connection
