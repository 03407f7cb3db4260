"""Endpoints without a staff login: the channels' webhooks, the web chat widget's calls, the
widget's demo page and the VietQR image of a payment request."""

from __future__ import annotations

import json

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from donhang.chatbot import selectors, services
from donhang.chatbot.channels import web
from donhang.chatbot.engine import tools
from donhang.chatbot.models import ChannelKind, Message
from donhang.core import vietqr
from donhang.core.text import plain_int

MAX_TEXT = 2000
# The widget's calls carry a few short fields: a body over this is refused (413) unread.
WIDGET_MAX_BODY_BYTES = 64 * 1024


def _error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message, "fields": {}}}, status=status)


def _read_body(request, limit: int | None = None) -> bytes | JsonResponse:
    """The body, read only when its declared size is within the limit (WEBHOOK_MAX_BODY_BYTES,
    the carriers' and marketplaces' too) and never more than one byte past it."""
    if limit is None:
        limit = int(getattr(settings, "WEBHOOK_MAX_BODY_BYTES", 1024 * 1024))
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return _error(400, "bad_request", "Content-Length is not a number")
    if length < 0:
        return _error(400, "bad_request", "Content-Length is not a number")
    if length > limit:
        return _error(413, "too_large", f"the body is over {limit} bytes")
    body = request.read(limit + 1)
    if len(body) > limit:
        return _error(413, "too_large", f"the body is over {limit} bytes")
    return body


# --- webhooks --------------------------------------------------------------------------------


@csrf_exempt
@require_http_methods(["GET", "POST"])
def messenger_webhook(request):
    """GET: the subscription handshake (the challenge back when the verify token matches).
    POST: X-Hub-Signature-256 verified on the raw body, stored, answered 200 at once; a task
    processes it."""
    if request.method == "GET":
        challenge = services.messenger_subscription(query=request.GET.dict())
        if challenge is None:
            return HttpResponse("forbidden", status=403, content_type="text/plain")
        return HttpResponse(challenge, content_type="text/plain")
    body = _read_body(request)
    if isinstance(body, JsonResponse):
        return body
    webhook = services.webhook_receive(
        kind=ChannelKind.MESSENGER, headers=dict(request.headers.items()), body=body
    )
    if webhook is None:
        return _error(403, "bad_signature", "signature does not match")
    return HttpResponse("EVENT_RECEIVED", content_type="text/plain")


@csrf_exempt
@require_POST
def zalo_webhook(request):
    """X-ZEvent-Signature (MAC) verified on the raw body, within the replay window; stored,
    answered 200 at once; a task processes it."""
    body = _read_body(request)
    if isinstance(body, JsonResponse):
        return body
    webhook = services.webhook_receive(
        kind=ChannelKind.ZALO, headers=dict(request.headers.items()), body=body
    )
    if webhook is None:
        return _error(401, "bad_signature", "signature does not match")
    return JsonResponse({"error": 0, "message": "Success"})


# --- the web chat widget ---------------------------------------------------------------------


def _origin_allowed(request, widget) -> bool:
    origin = request.headers.get("Origin")
    if not origin:
        return True
    own = f"{request.scheme}://{request.get_host()}"
    return origin.rstrip("/") in {own, *widget.origins}


def _cors(request, response, widget):
    origin = request.headers.get("Origin")
    if origin and widget is not None and _origin_allowed(request, widget):
        response["Access-Control-Allow-Origin"] = origin
        response["Access-Control-Allow-Headers"] = "Content-Type, X-Visitor-Token"
        response["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
        response["Access-Control-Max-Age"] = "600"
        response["Vary"] = "Origin"
    return response


def _too_many(key: str, limit: int, window: int = 60) -> bool:
    cache.add(key, 0, timeout=window)
    try:
        count = cache.incr(key)
    except ValueError:
        cache.set(key, 1, timeout=window)
        count = 1
    return count > limit


def _json(request) -> dict | JsonResponse:
    """The widget call's JSON object ({} when it is not one), or the 400/413 answer."""
    body = _read_body(
        request, getattr(settings, "CHATBOT_WIDGET_MAX_BODY_BYTES", None) or WIDGET_MAX_BODY_BYTES
    )
    if isinstance(body, JsonResponse):
        return body
    try:
        data = json.loads(body or b"{}")
    except (ValueError, RecursionError):
        return {}
    return data if isinstance(data, dict) else {}


def _text(value, limit: int) -> str:
    """A text field of a widget call: a string with NUL and lone surrogates dropped (a database
    cannot store them); anything else is empty. Cut at `limit` + 1 so "too long" still shows."""
    if not isinstance(value, str):
        return ""
    value = value[: limit + 1]
    return "".join(ch for ch in value if ch != "\x00" and not 0xD800 <= ord(ch) <= 0xDFFF)


def _message_out(m: Message) -> dict:
    return {
        "id": m.pk,
        "from": m.sender,
        "text": m.text,
        "at": timezone.localtime(m.created_at).strftime("%H:%M"),
        "attachments": [
            {"type": a.get("type"), "url": a.get("path") or a.get("url")}
            for a in (m.attachments or [])
            if isinstance(a, dict) and a.get("type") == "vietqr"
        ],
    }


def _widget_call(request, public_key):
    """(widget, error response) for a widget call: unknown widget 404, a site not allowed 403,
    a preflight answered."""
    widget = selectors.widget_get(public_key)
    if widget is None:
        return None, _error(404, "not_found", "unknown widget")
    if not _origin_allowed(request, widget):
        return widget, _error(403, "origin_not_allowed", "this site may not embed the widget")
    if request.method == "OPTIONS":
        return widget, _cors(request, HttpResponse(status=204), widget)
    return widget, None


def _visitor(request, widget):
    token = request.headers.get("X-Visitor-Token", "")
    visitor = web.visitor_from_token(token, widget_id=widget.pk)
    if visitor is None:
        return None
    return services.conversation_get_or_create(
        channel=ChannelKind.WEB, connection=widget, external_user_id=visitor
    )


@csrf_exempt
@require_http_methods(["POST", "OPTIONS"])
def widget_session(request, public_key: str):
    """Start (or resume, with a valid token) a visitor's conversation; returns the signed
    visitor token, the greeting and the messages so far. A shop that knows its customer may
    pass `identifier` with `identifier_hash` (HMAC-SHA256 of it with the widget secret)."""
    widget, refused = _widget_call(request, public_key)
    if refused is not None:
        return refused
    address = request.META.get("REMOTE_ADDR") or "unknown"
    per_hour = int(getattr(settings, "CHATBOT_WIDGET_SESSIONS_PER_HOUR", 60))
    data = _json(request)
    if isinstance(data, JsonResponse):
        return _cors(request, data, widget)
    visitor = web.visitor_from_token(_text(data.get("token"), 1000), widget_id=widget.pk)
    if visitor is None:
        if _too_many(f"chatbot:session:{address}", per_hour, 3600):
            return _cors(request, _error(429, "too_many", "too many new chats"), widget)
        identifier = _text(data.get("identifier"), 100)[:100]
        if identifier and web.identifier_ok(
            widget.credentials.get("widget_secret", ""),
            identifier,
            _text(data.get("identifier_hash"), 200),
        ):
            visitor = f"id-{identifier}"
        else:
            visitor = web.new_visitor_id()
    conversation = services.conversation_get_or_create(
        channel=ChannelKind.WEB, connection=widget, external_user_id=visitor
    )
    config = tools.bot_settings()
    messages = selectors.conversation_messages(conversation, limit=50)
    response = JsonResponse(
        {
            "token": web.visitor_token(widget_id=widget.pk, visitor_id=visitor),
            "bot_name": config.bot_name,
            "greeting": config.greeting if config.answer_web else "",
            "messages": [_message_out(m) for m in messages],
        }
    )
    return _cors(request, response, widget)


@csrf_exempt
@require_http_methods(["GET", "POST", "OPTIONS"])
def widget_messages(request, public_key: str):
    """POST {text}: the visitor writes; the bot's reply comes back at once. GET ?after=<id>:
    messages since (staff answers), for polling."""
    widget, refused = _widget_call(request, public_key)
    if refused is not None:
        return refused
    conversation = _visitor(request, widget)
    if conversation is None:
        return _cors(request, _error(401, "bad_token", "start a chat session first"), widget)
    if request.method == "GET":
        after = plain_int(request.GET.get("after") or 0) or 0
        rows = selectors.conversation_messages(conversation, after=after, limit=100)
        response = JsonResponse({"messages": [_message_out(m) for m in rows]})
        return _cors(request, response, widget)
    per_minute = int(getattr(settings, "CHATBOT_WIDGET_MESSAGES_PER_MINUTE", 20))
    if _too_many(f"chatbot:visitor:{conversation.pk}", per_minute):
        return _cors(request, _error(429, "too_many", "too many messages, wait a minute"), widget)
    data = _json(request)
    if isinstance(data, JsonResponse):
        return _cors(request, data, widget)
    text = _text(data.get("text"), MAX_TEXT).strip()
    if not text:
        return _cors(request, _error(422, "validation_error", "write a message"), widget)
    if len(text) > MAX_TEXT:
        return _cors(request, _error(422, "validation_error", "message too long"), widget)
    result = services.conversation_handle(conversation=conversation, text=text)
    rows = [m for m in (result.inbound, result.reply) if m is not None]
    response = JsonResponse({"messages": [_message_out(m) for m in rows]})
    return _cors(request, response, widget)


@require_GET
def widget_demo(request):
    """A shop page that embeds the widget with one script tag (no inline script)."""
    widget = selectors.widget_get(request.GET.get("key", "")) or (
        selectors.connection_list().filter(kind=ChannelKind.WEB, is_active=True).first()
    )
    return render(request, "chatbot/demo.html", {"widget": widget})


@require_GET
def payment_qr(request, token: str):
    """The VietQR image of a payment request the bot sent (signed address; no enumeration)."""
    data = tools.payment_qr_from_token(token)
    if data is None:
        return HttpResponse("not found", status=404, content_type="text/plain")
    response = HttpResponse(vietqr.svg(data), content_type="image/svg+xml")
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    response["Cache-Control"] = "private, max-age=3600"
    return response
