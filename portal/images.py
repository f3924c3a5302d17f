"""Uploaded logos: the pixel size is checked from the image header before anything is
decoded (a 12000×12000 PNG can weigh 140 KB), then the logo is stored resized, so that pages
and every PDF embed a small image."""

from io import BytesIO
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from PIL import Image, UnidentifiedImageError

MAX_SIDE = 4000  # pixels, either side, accepted at upload
MAX_PIXELS = 8_000_000  # width × height accepted at upload (decoding stays below ~32 MB)
STORED_SIDE = 600  # the stored logo fits in STORED_SIDE × STORED_SIDE


def logo_resized(upload) -> ContentFile:
    """The uploaded logo as a PNG of at most STORED_SIDE pixels a side, or ValidationError."""
    upload.seek(0)
    try:
        with Image.open(upload) as image:
            width, height = image.size  # from the header: nothing decoded yet
            if width > MAX_SIDE or height > MAX_SIDE or width * height > MAX_PIXELS:
                raise ValidationError(
                    f"The logo is {width}×{height} pixels; upload one of at most "
                    f"{MAX_SIDE}×{MAX_SIDE} pixels ({MAX_PIXELS // 1_000_000} megapixels)."
                )
            image.thumbnail((STORED_SIDE, STORED_SIDE))
            if image.mode not in ("RGB", "RGBA"):
                image = image.convert("RGBA")
            out = BytesIO()
            image.save(out, format="PNG", optimize=True)
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError):
        raise ValidationError("The logo is not an image we can read (PNG, JPEG or GIF).") from None
    return ContentFile(out.getvalue(), name=f"{Path(upload.name).stem[:50] or 'logo'}.png")
