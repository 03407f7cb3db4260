"""Catalog pages: barcodes given to variants without one, printed labels, and the code lookup
that scan modes use (goods receipts, stocktakes)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from donhang.catalog.barcode_labels import DEFAULT_SHEET, SHEETS, Label, label_of, labels_pdf
from donhang.catalog.models import Variant
from donhang.catalog.services.barcodes import variant_barcodes_assign
from donhang.catalog.views._common import _int_or_none, _perm
from donhang.core.errors import DomainError

MAX_LABELS = 2000


def _ids(request) -> list[int]:
    raw = []
    for value in request.GET.getlist("variants") + request.POST.getlist("variants"):
        raw.extend(value.split(","))
    return [i for i in (_int_or_none(x) for x in raw) if i][:MAX_LABELS]


def labels_response(labels: list[Label], *, sheet: str, copies: int, filename: str):
    """The PDF of these labels (also used by goods receipts for their lines)."""
    sheet = sheet if sheet in SHEETS else DEFAULT_SHEET
    copies = min(max(copies, 1), 100)
    response = HttpResponse(
        labels_pdf(labels[:MAX_LABELS], sheet=sheet, copies=copies),
        content_type="application/pdf",
    )
    response["Content-Disposition"] = f'inline; filename="{filename}.pdf"'
    return response


@login_required
@_perm("catalog.view_product")
def barcode_labels(request):
    """Labels of the chosen variants (`variants`: ids), `copies` of each, on `sheet`."""
    ids = _ids(request)
    product = _int_or_none(request.GET.get("product") or request.POST.get("product"))
    query = Q(pk__in=ids)
    if product:
        query |= Q(product_id=product, is_active=True)
    variants = list(
        Variant.objects.filter(query).select_related("product").order_by("product_id", "position")
    )
    if not variants:
        messages.warning(request, _("Choose the variants to print labels for."))
        return redirect(request.META.get("HTTP_REFERER") or reverse("catalog:product_list"))
    data = request.POST if request.method == "POST" else request.GET
    with_price = data.get("price", "1") not in ("0", "")
    return labels_response(
        [label_of(v, with_price=with_price) for v in variants],
        sheet=data.get("sheet", DEFAULT_SHEET),
        copies=_int_or_none(data.get("copies")) or 1,
        filename="labels-" + (variants[0].sku if len(variants) == 1 else f"{len(variants)}"),
    )


@login_required
@require_POST
@_perm("catalog.change_product")
def barcodes_assign(request):
    """Give a barcode to the variants without one: of one product, the chosen ones, or all."""
    product = _int_or_none(request.POST.get("product"))
    ids = _ids(request)
    if product:
        ids = ids or list(Variant.objects.filter(product_id=product).values_list("pk", flat=True))
    try:
        given = variant_barcodes_assign(
            variant_ids=ids if (ids or product) else None, actor=request.user
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        if given:
            messages.success(
                request,
                ngettext(
                    "%(n)s variant got a barcode.", "%(n)s variants got a barcode.", len(given)
                )
                % {"n": len(given)},
            )
        else:
            messages.info(request, _("Every variant already has a barcode."))
    if product:
        return redirect("catalog:product_detail", pk=product)
    return redirect("catalog:product_list")


@login_required
@require_GET
@_perm("catalog.view_product")
def variant_lookup(request):
    """The variant whose SKU or barcode is exactly `code` (a scan), as JSON; 404 when none."""
    code = request.GET.get("code", "").strip()[:64]
    variant = (
        Variant.objects.select_related("product")
        .filter(Q(barcode=code) | Q(sku=code) | Q(sku__iexact=code))
        .order_by("-is_active", "id")
        .first()
        if code
        else None
    )
    if variant is None:
        return JsonResponse(
            {"found": False, "message": _("Unknown code: %(code)s") % {"code": code}}, status=404
        )
    return JsonResponse(
        {
            "found": True,
            "id": variant.pk,
            "sku": variant.sku,
            "barcode": variant.barcode,
            "name": str(variant),
        }
    )
