"""Categories (a tree) and brands."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from donhang.catalog.models import (
    Brand,
    Category,
)
from donhang.catalog.services._common import _refresh_product_search
from donhang.core.audit import audit
from donhang.core.errors import Conflict, ValidationFailed
from donhang.core.text import fold


def _category_check_name(*, name: str, parent: Category | None, exclude_pk=None) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(
            _("Enter a category name."), fields={"name": _("This field is required.")}
        )
    # Compared in Python: SQLite's case-insensitive matching covers ASCII only ("Áo" ≠ "áo").
    siblings = Category.objects.filter(parent=parent).exclude(pk=exclude_pk)
    if any(n.casefold() == name.casefold() for n in siblings.values_list("name", flat=True)):
        raise Conflict(
            _("A category named “%(name)s” already exists here.") % {"name": name},
            fields={"name": _("Choose another name.")},
        )
    return name


@transaction.atomic
def category_create(*, name: str, parent: Category | None = None, actor=None) -> Category:
    name = _category_check_name(name=name, parent=parent)
    try:
        with transaction.atomic():
            category = Category.objects.create(name=name, parent=parent, search_name=fold(name))
    except IntegrityError as exc:
        raise Conflict(
            _("A category with this name already exists here."),
            fields={"name": _("Choose another name.")},
        ) from exc
    category.path = f"{parent.path if parent else '/'}{category.pk}/"
    category.save(update_fields=["path"])
    audit(actor=actor, action="category.create", obj=category, summary=name)
    return category


@transaction.atomic
def category_update(
    *, category: Category, name: str, parent: Category | None = None, actor=None
) -> Category:
    if parent is not None and parent.path.startswith(category.path):
        raise ValidationFailed(
            _("A category cannot be moved under itself or one of its subcategories."),
            fields={"parent": _("Choose another parent category.")},
        )
    name = _category_check_name(name=name, parent=parent, exclude_pk=category.pk)
    old_path = category.path
    category.name = name
    category.search_name = fold(name)
    category.parent = parent
    category.path = f"{parent.path if parent else '/'}{category.pk}/"
    category.save(update_fields=["name", "search_name", "parent", "path", "updated_at"])
    if old_path != category.path:
        for child in Category.objects.filter(path__startswith=old_path).exclude(pk=category.pk):
            child.path = category.path + child.path[len(old_path) :]
            child.save(update_fields=["path"])
    audit(actor=actor, action="category.update", obj=category, summary=name)
    return category


@transaction.atomic
def category_delete(*, category: Category, actor=None) -> None:
    if category.children.exists():
        raise Conflict(
            _("“%(name)s” has subcategories. Move or delete them first.") % {"name": category.name},
            code="category_has_children",
        )
    if category.products.exists():
        raise Conflict(
            _("“%(name)s” still has products. Move them to another category first.")
            % {"name": category.name},
            code="category_has_products",
        )
    audit(actor=actor, action="category.delete", obj=category, summary=category.name)
    category.delete()


@transaction.atomic
def category_get_or_create_path(*, names: list[str], actor=None) -> Category | None:
    """ "Thời trang nữ > Áo thun" as a list of names → the leaf, creating missing levels."""
    parent = None
    for raw in names:
        name = raw.strip()
        if not name:
            continue
        found = next(
            (
                c
                for c in Category.objects.filter(parent=parent)
                if c.name.casefold() == name.casefold()
            ),
            None,
        )
        parent = found or category_create(name=name, parent=parent, actor=actor)
    return parent


def _brand_by_name(name: str, exclude_pk=None) -> Brand | None:
    # Compared in Python: SQLite's case-insensitive matching covers ASCII only.
    wanted = name.strip().casefold()
    for brand in Brand.objects.exclude(pk=exclude_pk).only("pk", "name"):
        if brand.name.casefold() == wanted:
            return brand
    return None


def _brand_check_name(*, name: str, exclude_pk=None) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(
            _("Enter a brand name."), fields={"name": _("This field is required.")}
        )
    if _brand_by_name(name, exclude_pk=exclude_pk):
        raise Conflict(
            _("The brand “%(name)s” already exists.") % {"name": name},
            fields={"name": _("Choose another name.")},
        )
    return name


@transaction.atomic
def brand_create(*, name: str, actor=None) -> Brand:
    name = _brand_check_name(name=name)
    try:
        with transaction.atomic():
            brand = Brand.objects.create(name=name)
    except IntegrityError as exc:
        raise Conflict(
            _("The brand “%(name)s” already exists.") % {"name": name},
            fields={"name": _("Choose another name.")},
        ) from exc
    audit(actor=actor, action="brand.create", obj=brand, summary=name)
    return brand


@transaction.atomic
def brand_update(*, brand: Brand, name: str, actor=None) -> Brand:
    brand.name = _brand_check_name(name=name, exclude_pk=brand.pk)
    brand.save(update_fields=["name", "updated_at"])
    for product in brand.products.all():
        _refresh_product_search(product)
    audit(actor=actor, action="brand.update", obj=brand, summary=brand.name)
    return brand


@transaction.atomic
def brand_get_or_create(*, name: str, actor=None) -> Brand | None:
    name = (name or "").strip()
    if not name:
        return None
    return _brand_by_name(name) or brand_create(name=name, actor=actor)


@transaction.atomic
def brand_delete(*, brand: Brand, actor=None) -> None:
    if brand.products.exists():
        raise Conflict(
            _("“%(name)s” still has products. Change their brand first.") % {"name": brand.name},
            code="brand_has_products",
        )
    audit(actor=actor, action="brand.delete", obj=brand, summary=brand.name)
    brand.delete()
