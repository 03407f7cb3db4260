"""Catalog pages: categories and brands."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from donhang.catalog import selectors, services
from donhang.catalog.forms import (
    BrandForm,
    CategoryForm,
    add_domain_error,
)
from donhang.catalog.models import Brand, Category
from donhang.catalog.views._common import _perm
from donhang.core.errors import DomainError

# --- categories -----------------------------------------------------------


@login_required
@_perm("catalog.view_category")
def category_list(request):
    return render(request, "catalog/category_list.html", {"categories": selectors.category_tree()})


@login_required
@_perm("catalog.add_category")
def category_create(request):
    return _category_form(request, None)


@login_required
@_perm("catalog.change_category")
def category_edit(request, pk):
    return _category_form(request, get_object_or_404(Category, pk=pk))


def _category_form(request, category):
    initial = {"name": category.name, "parent": category.parent} if category else None
    form = CategoryForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if category:
                services.category_update(category=category, actor=request.user, **form.cleaned_data)
            else:
                category = services.category_create(actor=request.user, **form.cleaned_data)
            messages.success(request, _("Category “%(name)s” saved.") % {"name": category.name})
            return redirect("catalog:category_list")
        except DomainError as exc:
            add_domain_error(form, exc)
    return render(
        request,
        "catalog/simple_form.html",
        {
            "form": form,
            "title": _("Edit category") if category else _("New category"),
            "back_url": reverse("catalog:category_list"),
        },
    )


@login_required
@_perm("catalog.delete_category")
def category_delete(request, pk):
    category = get_object_or_404(Category, pk=pk)
    return _confirm_delete(
        request,
        obj=category,
        delete=lambda: services.category_delete(category=category, actor=request.user),
        back_url=reverse("catalog:category_list"),
    )


def _confirm_delete(request, *, obj, delete, back_url):
    if request.method == "POST":
        try:
            delete()
            messages.success(request, _("“%(name)s” was deleted.") % {"name": obj})
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect(back_url)
    return render(request, "catalog/confirm_delete.html", {"object": obj, "back_url": back_url})


# --- brands ---------------------------------------------------------------


@login_required
@_perm("catalog.view_brand")
def brand_list(request):
    return render(request, "catalog/brand_list.html", {"brands": selectors.brand_list()})


@login_required
@_perm("catalog.add_brand")
def brand_create(request):
    return _brand_form(request, None)


@login_required
@_perm("catalog.change_brand")
def brand_edit(request, pk):
    return _brand_form(request, get_object_or_404(Brand, pk=pk))


def _brand_form(request, brand):
    form = BrandForm(request.POST or None, initial={"name": brand.name} if brand else None)
    if request.method == "POST" and form.is_valid():
        try:
            if brand:
                services.brand_update(
                    brand=brand, name=form.cleaned_data["name"], actor=request.user
                )
            else:
                brand = services.brand_create(name=form.cleaned_data["name"], actor=request.user)
            messages.success(request, _("Brand “%(name)s” saved.") % {"name": brand.name})
            return redirect("catalog:brand_list")
        except DomainError as exc:
            add_domain_error(form, exc)
    return render(
        request,
        "catalog/simple_form.html",
        {
            "form": form,
            "title": _("Edit brand") if brand else _("New brand"),
            "back_url": reverse("catalog:brand_list"),
        },
    )


@login_required
@_perm("catalog.delete_brand")
def brand_delete(request, pk):
    brand = get_object_or_404(Brand, pk=pk)
    return _confirm_delete(
        request,
        obj=brand,
        delete=lambda: services.brand_delete(brand=brand, actor=request.user),
        back_url=reverse("catalog:brand_list"),
    )
