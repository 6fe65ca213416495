"""Checks for files that editors upload (author photos, images in rich text, PDFs).

Call `validate_image_upload(file)` or `validate_pdf_upload(file)` before
saving an upload; both raise `ValidationError` with a message an editor can
act on. The file's *content* decides, never its name or the browser's
Content-Type: images must be decoded by Pillow as PNG, JPEG, GIF or WebP
(SVG is refused: it can carry scripts), PDFs must start with the PDF
signature. Sizes are capped by `UPLOAD_MAX_IMAGE_BYTES` / `UPLOAD_MAX_PDF_BYTES`.

Uploaded files are served by the web server from MEDIA_ROOT with
`X-Content-Type-Options: nosniff`; see docs/security.md.
"""

from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from PIL import Image, UnidentifiedImageError

# Pillow format name -> (extensions accepted for it, content type to serve)
ALLOWED_IMAGE_FORMATS = {
    "PNG": ({".png"}, "image/png"),
    "JPEG": ({".jpg", ".jpeg"}, "image/jpeg"),
    "GIF": ({".gif"}, "image/gif"),
    "WEBP": ({".webp"}, "image/webp"),
}
MAX_IMAGE_PIXELS = 40_000_000  # decompression-bomb guard, about 8000 x 5000


def _max_bytes(setting_name, default):
    return getattr(settings, setting_name, default)


def _check_size(upload, limit):
    size = getattr(upload, "size", None)
    if size is None:
        upload.seek(0, 2)
        size = upload.tell()
    upload.seek(0)
    if size == 0:
        raise ValidationError("The file is empty.", code="empty")
    if size > limit:
        raise ValidationError(
            "The file is %(size)s; the limit is %(limit)s.",
            code="too_large",
            params={"size": filesizeformat(size), "limit": filesizeformat(limit)},
        )


def _extension(upload):
    return PurePath(getattr(upload, "name", "") or "").suffix.lower()


def validate_image_upload(upload):
    """Accept only a real PNG, JPEG, GIF or WebP image within the size limit.

    Returns the content type to store or serve the image with."""
    _check_size(upload, _max_bytes("UPLOAD_MAX_IMAGE_BYTES", 5 * 1024 * 1024))
    if _extension(upload) in {".svg", ".svgz"}:
        raise ValidationError(
            "SVG images are not accepted: upload a PNG, JPEG, GIF or WebP instead.", code="svg"
        )
    try:
        with Image.open(upload) as image:
            image_format = image.format
            width, height = image.size
            if width * height > MAX_IMAGE_PIXELS:
                raise ValidationError(
                    "The image is too large (%(width)s × %(height)s pixels).",
                    code="too_many_pixels",
                    params={"width": width, "height": height},
                )
            image.verify()
    except ValidationError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ValidationError(
            "This file is not an image we can accept: upload a PNG, JPEG, GIF or WebP.",
            code="not_an_image",
        ) from None
    finally:
        upload.seek(0)
    if image_format not in ALLOWED_IMAGE_FORMATS:
        raise ValidationError(
            "%(format)s images are not accepted: upload a PNG, JPEG, GIF or WebP.",
            code="format",
            params={"format": image_format},
        )
    extensions, content_type = ALLOWED_IMAGE_FORMATS[image_format]
    if _extension(upload) not in extensions:
        raise ValidationError(
            "The file name ends in “%(extension)s” but the file is a %(format)s image; "
            "rename it to end in %(expected)s.",
            code="extension_mismatch",
            params={
                "extension": _extension(upload) or "(nothing)",
                "format": image_format,
                "expected": " or ".join(sorted(extensions)),
            },
        )
    return content_type


def validate_pdf_upload(upload):
    """Accept only a file that is a PDF by content, within the size limit."""
    _check_size(upload, _max_bytes("UPLOAD_MAX_PDF_BYTES", 20 * 1024 * 1024))
    head = upload.read(1024)
    upload.seek(0)
    if b"%PDF-" not in head or _extension(upload) != ".pdf":
        raise ValidationError("This file is not a PDF.", code="not_a_pdf")
    return "application/pdf"
