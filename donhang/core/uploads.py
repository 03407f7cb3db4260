"""Untrusted files (DESIGN.md 3.10): an uploaded image is decoded and re-encoded by Pillow in
the format it really is (JPEG, PNG or WebP only) and stored under a name we choose with that
format's extension, so that nothing uploaded is ever served as HTML or script."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from io import BytesIO

from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from donhang.core.errors import ValidationFailed

# Detected format → (extension, content type). Anything else is refused.
IMAGE_FORMATS = {
    "JPEG": ("jpg", "image/jpeg"),
    "PNG": ("png", "image/png"),
    "WEBP": ("webp", "image/webp"),
}
# Served media: the only content types we answer with; everything else is a download.
MEDIA_TYPES = {ext: content_type for ext, content_type in IMAGE_FORMATS.values()} | {
    "jpeg": "image/jpeg"
}
MAX_PIXELS = 40_000_000  # a 8000 × 5000 photo; larger is refused (decompression bombs)
MAX_BYTES = 15 * 1024 * 1024


@dataclass(frozen=True)
class CleanImage:
    content: bytes
    extension: str
    content_type: str
    width: int
    height: int

    def name(self, prefix: str = "") -> str:
        """A fresh name we choose, with the detected format's extension."""
        return f"{prefix}{secrets.token_hex(8)}.{self.extension}"


def image_reencode(file, *, field: str = "image", max_side: int | None = None) -> CleanImage:
    """Decode an uploaded image and encode it again in its own format (metadata and anything
    appended to the file are dropped). Raises ValidationFailed naming `field` otherwise."""
    refused = ValidationFailed(
        _("“%(name)s” is not an image we can read. Upload a JPEG, PNG or WebP file.")
        % {"name": str(getattr(file, "name", ""))[:100]},
        fields={field: _("Not a readable JPEG, PNG or WebP image.")},
    )
    size = getattr(file, "size", None)
    if size is not None and size > MAX_BYTES:
        raise ValidationFailed(
            _("The image is too large."),
            fields={field: _("At most %(mb)s MB.") % {"mb": MAX_BYTES // (1024 * 1024)}},
        )
    try:
        file.seek(0)
        with Image.open(file) as probe:
            detected = probe.format
            if detected not in IMAGE_FORMATS:
                raise refused
            if probe.width * probe.height > MAX_PIXELS:
                raise refused
            probe.verify()
        file.seek(0)
        with Image.open(file) as img:
            img.load()
            img = ImageOps.exif_transpose(img)
            if max_side:
                img.thumbnail((max_side, max_side))
            out = BytesIO()
            if detected == "JPEG":
                img.convert("RGB").save(out, format="JPEG", quality=90, optimize=True)
            elif detected == "PNG":
                if img.mode not in ("RGB", "RGBA", "L", "LA", "P"):
                    img = img.convert("RGBA")
                img.save(out, format="PNG", optimize=True)
            else:
                img.save(out, format="WEBP", quality=90)
            width, height = img.size
    except ValidationFailed:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise refused from None
    extension, content_type = IMAGE_FORMATS[detected]
    return CleanImage(out.getvalue(), extension, content_type, width, height)
