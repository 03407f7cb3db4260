"""Endpoints without a login: carrier webhooks and the buyer's tracking page."""

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from donhang.core.errors import DomainError, NotFound
from donhang.core.integrations import PermanentError
from donhang.shipping import services
from donhang.shipping.models import Provider


def _error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message, "fields": {}}}, status=status)


def _read_body(request) -> bytes | JsonResponse:
    """The body, read only when its declared size is within WEBHOOK_MAX_BODY_BYTES (and never
    more than one byte past it, whatever it declared)."""
    limit = settings.WEBHOOK_MAX_BODY_BYTES
    declared = request.META.get("CONTENT_LENGTH") or "0"
    try:
        length = int(declared)
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


@csrf_exempt
@require_POST
def webhook(request, provider: str):
    """Verify the shared secret on the raw body, store it, answer 200 fast; a task processes it.
    Anything that is not a valid callback answers 400, a wrong secret 401, a body over the limit
    413 (refused before it is read)."""
    if provider not in Provider.values:
        return _error(404, "not_found", "unknown carrier")
    body = _read_body(request)
    if isinstance(body, JsonResponse):
        return body
    headers = dict(request.headers.items())
    try:
        delivery = services.webhook_receive(
            provider=provider, headers=headers, body=body, query=request.GET.dict()
        )
    except PermanentError as exc:
        return _error(400, "bad_payload", exc.message)
    if delivery is None:
        return _error(401, "unauthorized", "bad webhook secret")
    return HttpResponse("OK", content_type="text/plain")


# --- the buyer's tracking page --------------------------------------------------------------


def _bump(key: str, window: int) -> int:
    """Count one more in the cache for `window` seconds from the first; the count so far."""
    cache.add(key, 0, timeout=window)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window)
        return 1


def _code_key(code: str) -> str:
    digest = hashlib.sha256(code.strip().upper().encode("utf-8", "surrogatepass")).hexdigest()
    return f"tracking:code:{digest}"


def _too_many(request, code: str) -> bool:
    """Whether this lookup is over the limits: lookups from the client's address, failed
    lookups of the code (someone guessing phone numbers for an order)."""
    window = settings.TRACKING_LOOKUP_WINDOW_SECONDS
    address = request.META.get("REMOTE_ADDR") or "unknown"
    if _bump(f"tracking:address:{address}", window) > settings.TRACKING_LOOKUPS_PER_ADDRESS:
        return True
    return (cache.get(_code_key(code)) or 0) >= settings.TRACKING_FAILURES_PER_CODE


def public_tracking(request):
    """A buyer follows their parcel with the order code (or a tracking number) and their phone.
    Only statuses and dates are shown: never a name, an address or the carrier's own words.
    Lookups are limited per client address and failed ones per code (429 past the limits)."""
    code = request.GET.get("code", "").strip()[:60]
    phone = request.GET.get("phone", "").strip()[:30]
    order, error, status = None, "", 200
    if code and phone:
        if _too_many(request, code):
            minutes = max(settings.TRACKING_LOOKUP_WINDOW_SECONDS // 60, 1)
            error = ngettext(
                "Too many lookups. Please try again in %(minutes)s minute.",
                "Too many lookups. Please try again in %(minutes)s minutes.",
                minutes,
            ) % {"minutes": minutes}
            status = 429
        else:
            try:
                order = services.shipment_get_for_tracking(code=code, phone=phone)
            except (NotFound, DomainError) as exc:
                error = exc.message
                _bump(_code_key(code), settings.TRACKING_LOOKUP_WINDOW_SECONDS)
    shipments = []
    if order is not None:
        shipments = list(
            order.shipments.select_related("account").prefetch_related("events").order_by("-id")
        )
    response = render(
        request,
        "shipping/public_tracking.html",
        {"order": order, "shipments": shipments, "error": error, "code": code, "phone": phone},
        status=status,
    )
    if status == 429:
        response["Retry-After"] = str(settings.TRACKING_LOOKUP_WINDOW_SECONDS)
    return response
