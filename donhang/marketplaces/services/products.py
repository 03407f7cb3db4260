"""Products both ways: pull the shop's items and variations (matched to our variants by SKU,
the others listed to link or create), and publish one of our products on the shop."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from donhang.catalog.models import Product, Variant
from donhang.catalog.services import product_create
from donhang.core.audit import actor_user, audit
from donhang.core.errors import Conflict, ValidationFailed
from donhang.core.integrations import IntegrationError, PermanentError, RetryableError
from donhang.core.permissions import require_perm
from donhang.marketplaces.models import Listing, ProductPublish, ShopConnection
from donhang.marketplaces.ports import ImageFile, ProductDraft, RemoteProduct, VariationDraft
from donhang.marketplaces.services._common import (
    adapter_for,
    connection_record_success,
    enqueue_task,
    logged,
)
from donhang.marketplaces.services.stock import publishable_quantities

# A publish retried this many times (with backoff) before it is left for staff.
PUBLISH_ATTEMPTS = 5


@dataclass
class PullResult:
    listings: int = 0
    matched: int = 0
    unmatched: int = 0
    newly_matched: int = 0


def products_pull(*, connection: ShopConnection, actor=None) -> PullResult:
    """Import the shop's items and variations, page by page (each page saved in its own
    transaction, the calls outside them). New listings whose SKU is one of our variants' are
    matched at once and get their stock pushed; listings no longer on the shop are marked."""
    require_perm(actor, "marketplaces.sync_shopconnection")
    adapter = adapter_for(connection)
    started = timezone.now()
    result = PullResult()
    cursor = ""
    while True:
        page = logged(
            connection,
            "list_products",
            cursor or "first",
            lambda cursor=cursor: adapter.list_products(cursor=cursor),
        )
        result.newly_matched += _save_listings(connection, page.products)
        result.listings += sum(len(p.variations) for p in page.products)
        if not page.next_cursor or not page.products:
            break
        cursor = page.next_cursor
    with transaction.atomic():
        Listing.objects.filter(connection=connection, updated_at__lt=started).update(
            is_present=False
        )
        counts = Listing.objects.filter(connection=connection, is_present=True)
        result.matched = counts.filter(variant__isnull=False).count()
        result.unmatched = counts.filter(variant__isnull=True).count()
        connection_record_success(connection, products_pulled_at=timezone.now())
    return result


@transaction.atomic
def _save_listings(connection: ShopConnection, products: list[RemoteProduct]) -> int:
    """Upsert one page of listings; returns how many were matched by SKU just now."""
    now = timezone.now()
    existing = {
        (row.item_id, row.model_id): row
        for row in Listing.objects.filter(
            connection=connection, item_id__in=[p.item_id for p in products]
        )
    }
    skus = {v.seller_sku.strip() for p in products for v in p.variations if v.seller_sku}
    variants = {v.sku: v.pk for v in Variant.objects.filter(sku__in=skus).only("pk", "sku")}
    create, update, matched = [], [], 0
    for product in products:
        for variation in product.variations:
            row = existing.get((product.item_id, variation.model_id))
            if row is None:
                row = Listing(
                    connection=connection, item_id=product.item_id, model_id=variation.model_id
                )
                create.append(row)
            else:
                update.append(row)
            row.seller_sku = variation.seller_sku.strip()[:100]
            row.item_name = product.name[:300]
            row.variation_name = variation.name[:200]
            row.platform_status = (variation.status or product.status)[:30]
            row.price = variation.price
            row.platform_stock = variation.stock
            row.extra = variation.extra or {}
            row.is_present = True
            row.updated_at = now
            if row.variant_id is None and row.seller_sku in variants:
                row.variant_id = variants[row.seller_sku]
                row.matched_by = Listing.MatchedBy.SKU
                row.stock_dirty_at = now
                matched += 1
    Listing.objects.bulk_create(create)
    if update:
        Listing.objects.bulk_update(
            update,
            [
                "seller_sku",
                "item_name",
                "variation_name",
                "platform_status",
                "price",
                "platform_stock",
                "extra",
                "is_present",
                "updated_at",
                "variant",
                "matched_by",
                "stock_dirty_at",
            ],
        )
    return matched


@transaction.atomic
def listing_link(*, listing: Listing, variant: Variant | None, actor=None) -> Listing:
    """Say which of our variants a shop listing is (None: unlink). Its stock is pushed next."""
    require_perm(actor, "marketplaces.sync_shopconnection")
    listing = Listing.objects.select_for_update().get(pk=listing.pk)
    if variant is not None:
        taken = (
            Listing.objects.filter(connection=listing.connection_id, variant=variant)
            .exclude(pk=listing.pk)
            .first()
        )
        if taken is not None:
            raise Conflict(
                _("%(sku)s is already linked to another listing of this shop (%(other)s).")
                % {"sku": variant.sku, "other": taken.display_name or taken.seller_sku},
                fields={"variant": _("Already linked.")},
                code="already_linked",
            )
    listing.variant = variant
    listing.matched_by = Listing.MatchedBy.MANUAL if variant else Listing.MatchedBy.NONE
    listing.stock_dirty_at = timezone.now() if variant else None
    listing.save(update_fields=["variant", "matched_by", "stock_dirty_at", "updated_at"])
    audit(
        actor=actor,
        action="marketplace.listing_link",
        obj=listing,
        summary=f"{listing} → {variant.sku if variant else '—'}",
    )
    return listing


@transaction.atomic
def listing_create_product(*, listing: Listing, actor=None) -> Product:
    """Create our product from an unmatched listing: its item with every unmatched variation of
    it becomes one product (one variant per variation, the shop's SKUs and prices), linked."""
    require_perm(actor, "marketplaces.sync_shopconnection")
    require_perm(actor, "catalog.add_product")
    rows = list(
        Listing.objects.select_for_update()
        .filter(connection=listing.connection_id, item_id=listing.item_id, variant__isnull=True)
        .order_by("id")
    )
    if not rows:
        raise Conflict(_("Every variation of this item is already linked."), code="already_linked")
    base_sku = (rows[0].seller_sku or f"{listing.connection.platform}-{listing.item_id}")[:60]
    if len(rows) == 1:
        product = product_create(
            name=rows[0].item_name or base_sku,
            sku=base_sku,
            defaults={"sale_price": max(rows[0].price or 0, 0)},
            actor=actor,
        )
        variants = list(product.variants.all())
    else:
        names = [r.variation_name or r.seller_sku or r.model_id for r in rows]
        product = product_create(
            name=rows[0].item_name or base_sku,
            sku=f"{base_sku}-P" if any(r.seller_sku == base_sku for r in rows) else base_sku,
            attributes=[(_("Variation"), names)],
            generate_matrix=False,
            variants=[
                {
                    "options": [name],
                    "sku": (r.seller_sku or f"{base_sku}-{i + 1}")[:64],
                    "sale_price": max(r.price or 0, 0),
                }
                for i, (r, name) in enumerate(zip(rows, names, strict=True))
            ],
            actor=actor,
        )
        variants = list(product.variants.order_by("position"))
    now = timezone.now()
    for row, variant in zip(rows, variants, strict=False):
        row.variant, row.matched_by, row.stock_dirty_at = variant, Listing.MatchedBy.CREATED, now
        row.save(update_fields=["variant", "matched_by", "stock_dirty_at", "updated_at"])
    return product


# --- publishing one of our products -------------------------------------------------------------


@transaction.atomic
def product_publish(*, connection: ShopConnection, product: Product, actor=None) -> ProductPublish:
    """List one of our products on the shop with its variations, images, price and stock. The
    intent is saved now, the call made by a task (retried; a retry first looks the item up by
    its SKU, so that it is never listed twice)."""
    require_perm(actor, "marketplaces.sync_shopconnection")
    if not connection.is_connected:
        raise Conflict(_("Connect the shop first."), code="not_connected")
    if not adapter_for(connection).capabilities.create_product:
        raise Conflict(_("This platform does not take new products from donhang."))
    if Listing.objects.filter(connection=connection, variant__product=product).exists():
        raise Conflict(
            _("This product is already on the shop."),
            fields={"product": _("Already listed.")},
            code="already_listed",
        )
    if ProductPublish.objects.filter(
        connection=connection,
        product=product,
        outcome__in=[ProductPublish.Outcome.SENDING, ProductPublish.Outcome.UNKNOWN],
    ).exists():
        raise Conflict(_("This product is being listed already."), code="publish_in_progress")
    if not product.variants.filter(is_active=True).exists():
        raise ValidationFailed(
            _("The product has no active variant."), fields={"product": _("Nothing to sell.")}
        )
    if not product.images.exists():
        raise ValidationFailed(
            _("Marketplaces list a product only with a picture: add one to the product first."),
            fields={"product": _("No image.")},
        )
    n = ProductPublish.objects.filter(connection=connection, product=product).count() + 1
    publish = ProductPublish.objects.create(
        connection=connection,
        product=product,
        reference=f"DH-{connection.pk}-{product.pk}-{n}",
        created_by=actor_user(actor),
    )
    audit(actor=actor, action="marketplace.publish", obj=publish, summary=product.sku)
    enqueue_task("publish_product_task", publish.pk, 1)
    return publish


def _images(product: Product) -> list[ImageFile]:
    """The product's images (at most 9), as files the adapter uploads or our public URLs."""
    base = (getattr(settings, "PUBLIC_BASE_URL", "") or "").rstrip("/")
    out = []
    for image in product.images.order_by("position")[:9]:
        with image.image.open("rb") as handle:
            content = handle.read()
        name = image.image.name.rsplit("/", 1)[-1]
        kind = (
            "png" if name.lower().endswith(".png") else "webp" if name.endswith(".webp") else "jpeg"
        )
        out.append(
            ImageFile(
                name=name,
                content=content,
                content_type=f"image/{kind}",
                url=f"{base}{image.image.url}",
            )
        )
    return out


def _draft(connection: ShopConnection, publish: ProductPublish) -> ProductDraft:
    product = publish.product
    variants = list(product.variants.filter(is_active=True).order_by("position", "id"))
    quantities = publishable_quantities(connection, [v.pk for v in variants])
    names = [a.name for a in product.attributes.order_by("position")]
    first = variants[0]
    variations = []
    if len(variants) > 1 or first.options:
        for variant in variants:
            options = dict(
                zip(names or [_("Variation")], variant.options or [variant.sku], strict=False)
            )
            variations.append(
                VariationDraft(
                    seller_sku=variant.sku,
                    options=options,
                    price=variant.sale_price,
                    stock=quantities.get(variant.pk, 0),
                )
            )
    return ProductDraft(
        reference=publish.reference,
        name=product.name,
        description=product.description or product.name,
        price=first.sale_price,
        stock=quantities.get(first.pk, 0),
        seller_sku=first.sku if not variations else product.sku,
        weight_g=max(v.weight_g for v in variants) or 200,
        images=_images(product),
        variations=variations,
    )


def publish_submit(*, publish_id: int, attempt: int = 1) -> str:
    """Make the listing call of a publish (see product_publish): "created", "refused", "retry"
    or "done" (nothing left to do)."""
    publish = ProductPublish.objects.select_related("connection", "product").get(pk=publish_id)
    if publish.outcome in (ProductPublish.Outcome.CREATED, ProductPublish.Outcome.REFUSED):
        return "done"
    connection = publish.connection
    adapter = adapter_for(connection)
    draft = _draft(connection, publish)
    lookup_sku = draft.variations[0].seller_sku if draft.variations else draft.seller_sku
    try:
        remote = None
        if attempt > 1 or publish.outcome == ProductPublish.Outcome.UNKNOWN:
            # The last call may have listed it without us hearing back: look before calling.
            remote = logged(
                connection,
                "find_product",
                publish.reference,
                lambda: adapter.find_product_by_sku(lookup_sku),
            )
        if remote is None:
            ProductPublish.objects.filter(pk=publish.pk).update(
                outcome=ProductPublish.Outcome.UNKNOWN
            )
            remote = logged(
                connection,
                "create_product",
                publish.reference,
                lambda: adapter.create_product(draft),
            )
    except PermanentError as exc:
        ProductPublish.objects.filter(pk=publish.pk).update(
            outcome=ProductPublish.Outcome.REFUSED,
            error=exc.message[:500],
            finished_at=timezone.now(),
        )
        return "refused"
    except (RetryableError, IntegrationError) as exc:
        ProductPublish.objects.filter(pk=publish.pk).update(
            outcome=ProductPublish.Outcome.UNKNOWN, error=exc.message[:500]
        )
        return "retry" if attempt < PUBLISH_ATTEMPTS else "gave_up"
    with transaction.atomic():
        _save_listings(connection, [remote])
        skus = {v.sku: v for v in publish.product.variants.all()}
        for listing in Listing.objects.select_for_update().filter(
            connection=connection, item_id=remote.item_id
        ):
            variant = skus.get(listing.seller_sku)
            if variant is not None:
                listing.variant = variant
                listing.matched_by = Listing.MatchedBy.PUBLISHED
                listing.save(update_fields=["variant", "matched_by", "updated_at"])
        ProductPublish.objects.filter(pk=publish.pk).update(
            outcome=ProductPublish.Outcome.CREATED,
            item_id=remote.item_id,
            error="",
            finished_at=timezone.now(),
        )
    return "created"
