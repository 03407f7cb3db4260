"""Endpoints without a login: the platforms' pushes."""

from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from donhang.core.integrations import PermanentError
from donhang.marketplaces import services
from donhang.marketplaces.models import Platform

MAX_BODY = 1024 * 1024


def _error(code: str, message: str, status: int) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message, "fields": {}}}, status=status)


@csrf_exempt
@require_POST
def push(request, platform: str):
    """Verify the signature on the raw body, store it, answer 200 with an empty body at once
    (the platforms want it within a few seconds); a task processes it."""
    if platform not in Platform.values:
        return _error("not_found", "unknown platform", 404)
    if int(request.META.get("CONTENT_LENGTH") or 0) > MAX_BODY:
        return _error("too_large", "push too large", 413)
    headers = dict(request.headers.items())
    url = request.build_absolute_uri()
    urls = [url, url.split("?", 1)[0]]
    try:
        delivery = services.push_receive(
            platform=platform, headers=headers, body=request.body, urls=urls
        )
    except PermanentError as exc:
        return _error("bad_payload", exc.message, 400)
    if delivery is None:
        return _error("unauthorized", "bad signature", 401)
    return HttpResponse(b"", status=200)
