"""The shop's logo: whatever was uploaded is decoded and drawn again as a PNG of our own.

Nothing uploaded is stored or served as it came (DESIGN.md §3.10): a file that claims to be an
image but carries HTML or script, or an image with a payload appended, comes out as plain pixels.
"""

from __future__ import annotations

import secrets
import warnings
from io import BytesIO

from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from donhang.core.errors import ValidationFailed

LOGO_MAX_BYTES = 2 * 1024 * 1024
# Decoding cost is in pixels, not bytes: a small file can declare a huge canvas.
LOGO_MAX_PIXELS = 25_000_000
# Big enough for an A4 header at print resolution, small enough for every page that shows it.
LOGO_MAX_SIDE = 800
LOGO_FORMATS = {"PNG", "JPEG", "WEBP", "GIF"}


def _refuse(reason: str) -> ValidationFailed:
    return ValidationFailed(reason, fields={"logo": reason})


def logo_to_png(upload) -> ContentFile:
    """The uploaded file as a new PNG (at most LOGO_MAX_SIDE px a side), named by us
    ("logo-<random>.png"). Raises ValidationFailed naming `logo` for anything else."""
    size = getattr(upload, "size", None)
    if size is not None and size > LOGO_MAX_BYTES:
        raise _refuse(
            _("The logo file is larger than %(max)s MB. Upload a smaller image.")
            % {"max": LOGO_MAX_BYTES // (1024 * 1024)}
        )
    not_an_image = _("This is not an image we can read. Upload a PNG, JPEG, WebP or GIF file.")
    try:
        upload.seek(0)
        data = upload.read(LOGO_MAX_BYTES + 1)
    except (OSError, ValueError) as exc:
        raise _refuse(not_an_image) from exc
    if len(data) > LOGO_MAX_BYTES:
        raise _refuse(
            _("The logo file is larger than %(max)s MB. Upload a smaller image.")
            % {"max": LOGO_MAX_BYTES // (1024 * 1024)}
        )
    too_many_pixels = _(
        "The logo has too many pixels. Upload an image of at most a few thousand pixels a side."
    )
    try:
        with warnings.catch_warnings():
            # Pillow only warns up to twice its own limit; ours is lower and refuses.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(BytesIO(data)) as probe:
                if probe.format not in LOGO_FORMATS:
                    raise _refuse(not_an_image)
                width, height = probe.size
                if width * height > LOGO_MAX_PIXELS:
                    raise _refuse(too_many_pixels)
                probe.verify()
            # verify() leaves the image unusable: open it again to decode the pixels.
            with Image.open(BytesIO(data)) as img:
                img.seek(0)  # the first frame of an animated GIF or WebP
                img = ImageOps.exif_transpose(img)
                img.thumbnail((LOGO_MAX_SIDE, LOGO_MAX_SIDE))
                has_alpha = img.mode in ("RGBA", "LA", "PA") or (
                    img.mode == "P" and "transparency" in img.info
                )
                img = img.convert("RGBA" if has_alpha else "RGB")
                out = BytesIO()
                img.save(out, format="PNG", optimize=True)
    except ValidationFailed:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _refuse(too_many_pixels) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        raise _refuse(not_an_image) from exc
    return ContentFile(out.getvalue(), name=f"logo-{secrets.token_hex(8)}.png")
