"""Endpoints without a login: carrier webhooks and the buyer's tracking page."""

from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from donhang.core.errors import DomainError, NotFound
from donhang.core.integrations import PermanentError
from donhang.shipping import services
from donhang.shipping.models import Provider


@csrf_exempt
@require_POST
def webhook(request, provider: str):
    """Verify the shared secret on the raw body, store it, answer 200 fast; a task processes it."""
    if provider not in Provider.values:
        return JsonResponse(
            {"error": {"code": "not_found", "message": "unknown carrier", "fields": {}}}, status=404
        )
    headers = {k: v for k, v in request.headers.items()}
    try:
        delivery = services.webhook_receive(
            provider=provider, headers=headers, body=request.body, query=request.GET.dict()
        )
    except PermanentError as exc:
        return JsonResponse(
            {"error": {"code": "bad_payload", "message": exc.message, "fields": {}}}, status=400
        )
    if delivery is None:
        return JsonResponse(
            {"error": {"code": "unauthorized", "message": "bad webhook secret", "fields": {}}},
            status=401,
        )
    return HttpResponse("OK", content_type="text/plain")


def public_tracking(request):
    """A buyer follows their parcel with the order code and their phone; nothing else is shown."""
    code = request.GET.get("code", "")
    phone = request.GET.get("phone", "")
    order, error = None, ""
    if code and phone:
        try:
            order = services.shipment_get_for_tracking(order_code=code, phone=phone)
        except (NotFound, DomainError) as exc:
            error = exc.message
    shipments = []
    if order is not None:
        shipments = list(
            order.shipments.select_related("account").prefetch_related("events").order_by("-id")
        )
    return render(
        request,
        "shipping/public_tracking.html",
        {"order": order, "shipments": shipments, "error": error, "code": code, "phone": phone},
    )
