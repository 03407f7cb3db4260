"""Product images and their thumbnails."""

from __future__ import annotations

from io import BytesIO
from pathlib import PurePath

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max
from PIL import Image, ImageOps

from donhang.catalog.models import (
    Product,
    ProductImage,
)
from donhang.catalog.services._common import THUMBNAIL_SIZE, _require
from donhang.core.audit import audit
from donhang.core.uploads import image_reencode


def _thumbnail(image) -> ContentFile:
    image.seek(0)
    with Image.open(image) as img:
        img = ImageOps.exif_transpose(img)
        img.thumbnail((THUMBNAIL_SIZE, THUMBNAIL_SIZE))
        if img.mode not in ("RGB", "L"):
            background = Image.new("RGB", img.size, (255, 255, 255))
            converted = img.convert("RGBA")
            background.paste(converted, mask=converted.split()[-1])
            img = background
        out = BytesIO()
        img.convert("RGB").save(out, format="JPEG", quality=85)
    return ContentFile(out.getvalue())


@transaction.atomic
def product_image_add(*, product: Product, file, alt_text: str = "", actor=None) -> ProductImage:
    """Store an uploaded image, re-encoded in its detected format (JPEG, PNG or WebP) under a
    name we choose, and a 300 px JPEG thumbnail of it."""
    _require(actor, "catalog.change_product")
    clean = image_reencode(file, field="images")
    thumb = _thumbnail(BytesIO(clean.content))
    position = (product.images.aggregate(m=Max("position"))["m"] or 0) + 1
    image = ProductImage(product=product, position=position, alt_text=alt_text[:255])
    name = clean.name()
    image.image.save(name, ContentFile(clean.content), save=False)
    image.thumbnail.save(f"thumb_{PurePath(name).stem}.jpg", thumb, save=False)
    image.save()
    original = PurePath(str(getattr(file, "name", "") or "image")).name[:100]
    audit(actor=actor, action="product.image_add", obj=product, summary=f"{original} → {name}")
    return image


@transaction.atomic
def product_image_delete(*, image: ProductImage, actor=None) -> None:
    _require(actor, "catalog.change_product")
    product = image.product
    files = [image.image, image.thumbnail]
    image.delete()
    for stored in files:
        if stored:
            name, storage = stored.name, stored.storage
            transaction.on_commit(lambda n=name, s=storage: s.delete(n))
    audit(actor=actor, action="product.image_delete", obj=product, summary=str(files[0]))


@transaction.atomic
def product_image_move(*, image: ProductImage, offset: int, actor=None) -> None:
    """Move an image one step earlier (-1) or later (+1); the first image is the cover."""
    _require(actor, "catalog.change_product")
    images = list(image.product.images.all())
    index = next(i for i, img in enumerate(images) if img.pk == image.pk)
    target = min(max(index + offset, 0), len(images) - 1)
    images.insert(target, images.pop(index))
    for position, img in enumerate(images, start=1):
        if img.position != position:
            ProductImage.objects.filter(pk=img.pk).update(position=position)
