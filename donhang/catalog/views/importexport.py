"""Catalog pages: product import and export."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from donhang.catalog import importexport, selectors
from donhang.catalog.forms import ImportForm
from donhang.catalog.views._common import _perm
from donhang.catalog.views.products import _filters_from

# --- import and export ------------------------------------------------------


@login_required
@_perm("catalog.view_product")
def product_export(request):
    fmt = request.GET.get("format", "xlsx")
    products = selectors.product_list(_filters_from(request))
    return importexport.export_response(
        fmt=fmt, products=products, include_cost=request.user.has_perm("catalog.view_cost")
    )


@login_required
@_perm("catalog.import_product")
def product_import_template(request):
    fmt = request.GET.get("format", "xlsx")
    content, content_type, filename = importexport.template_file(fmt)
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@_perm("catalog.import_product")
def product_import(request):
    form = ImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        report = importexport.import_products(
            file=form.cleaned_data["file"],
            dry_run=form.cleaned_data["dry_run"],
            actor=request.user,
        )
        if report.ok and not report.dry_run:
            messages.success(
                request,
                _("Import finished: %(created)s variants created, %(updated)s updated.")
                % {"created": report.variants_created, "updated": report.variants_updated},
            )
    return render(
        request,
        "catalog/import.html",
        {
            "form": form,
            "report": report,
            "columns": [
                (name, importexport.COLUMN_LABELS.get(name, name), name in importexport.REQUIRED)
                for name in importexport.COLUMNS
            ],
            "errors": [
                (error, importexport.COLUMN_LABELS.get(error.column, ""))
                for error in (report.errors if report is not None else [])
            ],
        },
        status=422 if report is not None and not report.ok else 200,
    )
