"""Catalog pages: the product list, bulk actions, the product page and its variants, images."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from donhang.catalog import importexport, selectors, services, stock
from donhang.catalog.barcode_labels import SHEETS
from donhang.catalog.forms import (
    ProductForm,
    add_domain_error,
    category_field,
    specifications_text,
)
from donhang.catalog.models import MAX_ATTRIBUTES, Brand, Category, Product, ProductImage
from donhang.catalog.views._common import PAGE_SIZE, _int_or_none, _perm
from donhang.core.errors import DomainError, NotFound, ValidationFailed
from donhang.core.money import VatRate

# --- products: list and bulk actions ----------------------------------------


def _filters_from(request) -> selectors.ProductFilters:
    return selectors.ProductFilters(
        q=request.GET.get("q", "").strip(),
        category_id=_int_or_none(request.GET.get("category")),
        brand_id=_int_or_none(request.GET.get("brand")),
        status=request.GET.get("status", ""),
        low_stock=request.GET.get("low_stock") == "1",
    )


@login_required
@_perm("catalog.view_product")
def product_list(request):
    filters = _filters_from(request)
    page_obj = Paginator(selectors.product_list(filters), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    filtered = any(
        [filters.q, filters.category_id, filters.brand_id, filters.status, filters.low_stock]
    )
    return render(
        request,
        "catalog/product_list.html",
        {
            "page_obj": page_obj,
            "products": page_obj.object_list,
            "filters": filters,
            "filtered": filtered,
            "categories": selectors.category_tree(),
            "brands": Brand.objects.order_by("name"),
            "bulk_category_field": category_field(empty_label=_("(no category)")).widget.render(
                "category",
                None,
                attrs={"class": "form-select form-select-sm", "id": "bulk-category"},
            )
            if request.user.has_perm("catalog.change_product")
            else "",
        },
    )


@login_required
@require_POST
@_perm("catalog.view_product")
def product_bulk(request):
    ids = [i for i in (_int_or_none(x) for x in request.POST.getlist("ids")) if i]
    action = request.POST.get("action", "")
    back = reverse("catalog:product_list") + (
        "?" + request.POST["next_query"] if request.POST.get("next_query") else ""
    )
    if not ids:
        messages.warning(request, _("Select at least one product first."))
        return redirect(back)
    products = list(Product.objects.filter(pk__in=ids))
    try:
        if action == "export":
            return importexport.export_response(
                fmt=request.POST.get("format", "xlsx"),
                products=Product.objects.filter(pk__in=ids),
                include_cost=request.user.has_perm("catalog.view_cost"),
            )
        if not request.user.has_perm("catalog.change_product"):
            messages.error(request, _("Your role is not allowed to change products."))
            return redirect(back)
        if action in ("activate", "deactivate"):
            count = services.products_set_active(
                products=products, is_active=action == "activate", actor=request.user
            )
            messages.success(request, _("%(n)s products updated.") % {"n": count})
        elif action == "set_category":
            category_id = _int_or_none(request.POST.get("category"))
            category = Category.objects.filter(pk=category_id).first() if category_id else None
            count = services.products_set_category(
                products=products, category=category, actor=request.user
            )
            messages.success(request, _("%(n)s products moved.") % {"n": count})
        else:
            messages.error(request, _("Choose an action."))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect(back)


# --- products: create, detail, edit -----------------------------------------


def _product_form(request, *, mode, data=None, files=None, initial=None):
    return ProductForm(
        data,
        files,
        initial=initial,
        mode=mode,
        warehouses=stock.warehouses_for_initial_stock() if mode == "create" else (),
        can_change_price=request.user.has_perm("catalog.change_price"),
        can_view_cost=request.user.has_perm("catalog.view_cost"),
    )


@login_required
@_perm("catalog.add_product")
def product_create(request):
    form = _product_form(request, mode="create", data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                product = services.product_create(
                    **form.product_fields(),
                    attributes=form.attributes(),
                    defaults=form.defaults(),
                    initial_stock=form.initial_stock(),
                    actor=request.user,
                )
                for upload in request.FILES.getlist("images"):
                    services.product_image_add(product=product, file=upload, actor=request.user)
            messages.success(request, _("Product “%(name)s” created.") % {"name": product.name})
            return redirect("catalog:product_detail", pk=product.pk)
        except DomainError as exc:
            add_domain_error(form, exc)
    return render(
        request,
        "catalog/product_form.html",
        {"form": form, "title": _("New product"), "mode": "create"},
        status=422 if form.errors else 200,
    )


@login_required
@_perm("catalog.add_product")
def product_matrix_preview(request):
    """htmx: the variants the current attribute inputs would create."""
    sku = request.GET.get("sku", "").strip() or "SKU"
    try:
        attrs = services.attributes_clean(
            [
                (
                    request.GET.get(f"attribute_{n}_name", ""),
                    request.GET.get(f"attribute_{n}_values", ""),
                )
                for n in range(1, MAX_ATTRIBUTES + 1)
            ]
        )
        error = ""
    except ValidationFailed as exc:
        attrs, error = [], " ".join(exc.fields.values())
    combos = services.variant_matrix(attrs)
    rows = [{"options": " / ".join(c), "sku": services.default_variant_sku(sku, c)} for c in combos]
    return render(request, "catalog/partials/matrix_preview.html", {"rows": rows, "error": error})


def _variant_rows(product, user):
    can_view_cost = user.has_perm("catalog.view_cost")
    rows = []
    for variant in product.variants.all():
        amount, percent = (
            (variant.margin, variant.margin_percent) if can_view_cost else (None, None)
        )
        rows.append({"variant": variant, "margin": amount, "margin_percent": percent})
    return rows


def _detail_context(request, product, **extra):
    return {
        "product": product,
        "variant_rows": _variant_rows(product, request.user),
        "can_view_cost": request.user.has_perm("catalog.view_cost"),
        "can_change_price": request.user.has_perm("catalog.change_price"),
        "can_change": request.user.has_perm("catalog.change_product"),
        "vat_choices": VatRate.choices,
        "label_sheets": list(SHEETS.items()),
        "variants_without_barcode": sum(1 for v in product.variants.all() if not v.barcode),
        "category_path": " › ".join(selectors.category_path_names(product.category)),
        **extra,
    }


def _get_product(pk):
    try:
        return selectors.product_get(pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc


@login_required
@_perm("catalog.view_product")
def product_detail(request, pk):
    product = _get_product(pk)
    return render(request, "catalog/product_detail.html", _detail_context(request, product))


VARIANT_FORM_FIELDS = (
    "sku",
    "barcode",
    "weight_g",
    "length_cm",
    "width_cm",
    "height_cm",
    "cost_price",
    "vat_rate",
    "sale_price",
    "low_stock_threshold",
)


@login_required
@require_POST
@_perm("catalog.change_product")
def product_variants_update(request, pk):
    """The editable variant table. Whatever is posted goes to the service, which refuses price
    changes from a role without catalog.change_price (a forged form gets a 403)."""
    product = get_object_or_404(Product, pk=pk)
    changes: dict[int, dict] = {}
    for variant in product.variants.all():
        prefix = f"v{variant.pk}-"
        if request.POST.get(prefix + "present") != "1":
            continue
        values = {
            name: request.POST[prefix + name]
            for name in VARIANT_FORM_FIELDS
            if prefix + name in request.POST
        }
        values["is_active"] = request.POST.get(prefix + "is_active") == "on"
        changes[variant.pk] = values
    try:
        services.product_variants_update(product=product, changes=changes, actor=request.user)
    except DomainError as exc:
        context = _detail_context(
            request,
            selectors.product_get(pk),
            variant_error=exc.message,
            variant_error_fields=exc.fields,
        )
        return render(request, "catalog/product_detail.html", context, status=exc.status_code)
    messages.success(request, _("Variants saved."))
    return redirect("catalog:product_detail", pk=pk)


@login_required
@_perm("catalog.change_product")
def product_edit(request, pk):
    product = _get_product(pk)
    attributes = list(product.attributes.all())
    initial = {
        "name": product.name,
        "sku": product.sku,
        "category": product.category,
        "brand": product.brand,
        "description": product.description,
        "specifications": specifications_text(product.specifications),
        "video_urls": "\n".join(product.video_urls or []),
        "is_active": product.is_active,
    }
    for attr in attributes:
        initial[f"attribute_{attr.position}_name"] = attr.name
        initial[f"attribute_{attr.position}_values"] = ", ".join(attr.values)
    form = _product_form(request, mode="edit", data=request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                services.product_update(
                    product=product, actor=request.user, **form.product_fields()
                )
                created = services.product_attributes_set(
                    product=product, attributes=form.attributes(), actor=request.user
                )
                for upload in request.FILES.getlist("images"):
                    services.product_image_add(product=product, file=upload, actor=request.user)
            messages.success(request, _("Product saved."))
            if created:
                messages.info(
                    request,
                    _("%(n)s new variants were added: %(skus)s")
                    % {"n": len(created), "skus": ", ".join(v.sku for v in created)},
                )
            return redirect("catalog:product_detail", pk=product.pk)
        except DomainError as exc:
            add_domain_error(form, exc)
    return render(
        request,
        "catalog/product_form.html",
        {
            "form": form,
            "title": _("Edit %(name)s") % {"name": product.name},
            "mode": "edit",
            "product": product,
        },
        status=422 if form.errors else 200,
    )


@login_required
@require_POST
@_perm("catalog.change_product")
def product_image_upload(request, pk):
    product = get_object_or_404(Product, pk=pk)
    uploads = request.FILES.getlist("images")
    if not uploads:
        messages.warning(request, _("Choose one or more images to upload."))
    try:
        with transaction.atomic():
            for upload in uploads:
                services.product_image_add(product=product, file=upload, actor=request.user)
        if uploads:
            messages.success(request, _("%(n)s images uploaded.") % {"n": len(uploads)})
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("catalog:product_detail", pk=pk)


@login_required
@require_POST
@_perm("catalog.change_product")
def product_image_delete(request, pk, image_pk):
    image = get_object_or_404(ProductImage, pk=image_pk, product_id=pk)
    services.product_image_delete(image=image, actor=request.user)
    messages.success(request, _("Image deleted."))
    return redirect("catalog:product_detail", pk=pk)


@login_required
@require_POST
@_perm("catalog.change_product")
def product_image_move(request, pk, image_pk):
    image = get_object_or_404(ProductImage, pk=image_pk, product_id=pk)
    services.product_image_move(
        image=image, offset=-1 if request.POST.get("direction") == "up" else 1, actor=request.user
    )
    return redirect("catalog:product_detail", pk=pk)
