"""Endpoints without a login: the platforms' pushes."""

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from donhang.core.integrations import PermanentError
from donhang.marketplaces import services
from donhang.marketplaces.models import Platform


def _error(code: str, message: str, status: int) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message, "fields": {}}}, status=status)


def _read_body(request) -> bytes | JsonResponse:
    """The body, read only when its declared size is within WEBHOOK_MAX_BODY_BYTES (the carriers'
    limit too), and never more than one byte past it whatever it declared."""
    limit = settings.WEBHOOK_MAX_BODY_BYTES
    declared = request.META.get("CONTENT_LENGTH") or "0"
    try:
        length = int(declared)
    except ValueError:
        return _error("bad_request", "Content-Length is not a number", 400)
    if length < 0:
        return _error("bad_request", "Content-Length is not a number", 400)
    if length > limit:
        return _error("too_large", f"the body is over {limit} bytes", 413)
    body = request.read(limit + 1)
    if len(body) > limit:
        return _error("too_large", f"the body is over {limit} bytes", 413)
    return body


@csrf_exempt
@require_POST
def push(request, platform: str):
    """Verify the signature on the raw body, store it, answer 200 with an empty body at once
    (the platforms want it within a few seconds); a task processes it. A bad signature answers
    401, a signed body that is not a push of the platform 400 (stored raw), a body over
    WEBHOOK_MAX_BODY_BYTES 413 before it is read."""
    if platform not in Platform.values:
        return _error("not_found", "unknown platform", 404)
    body = _read_body(request)
    if isinstance(body, JsonResponse):
        return body
    headers = dict(request.headers.items())
    url = request.build_absolute_uri()
    urls = [url, url.split("?", 1)[0]]
    try:
        delivery = services.push_receive(platform=platform, headers=headers, body=body, urls=urls)
    except PermanentError as exc:
        return _error("bad_payload", exc.message, 400)
    if delivery is None:
        return _error("unauthorized", "bad signature", 401)
    return HttpResponse(b"", status=200)
