"""The one pipeline every uploaded file goes through (author photos, images
in rich text, PDFs, files the WordPress importer copies in, and any image or
file field added later).

The file's *content* decides, never its name or the browser's Content-Type:

- images must be decoded by Pillow as PNG, JPEG, GIF or WebP (SVG is refused:
  it can carry scripts) and are then **re-encoded** from their pixels, so
  whatever rode along in the file (EXIF with GPS positions, text chunks,
  comments, HTML appended to a "polyglot" file) is dropped;
- PDFs must start with the PDF signature at offset 0 and be parsed by pypdf
  (a cross-reference table and at least one page);
- stored names are generated from the cleaned content (`<sha256>.png`): a
  visitor's file name never reaches the disk or a URL, and the same file
  stored twice is one file.

The API, for any code that accepts a file:

- `validate_image_upload(file)` / `validate_pdf_upload(file)`: raise
  `ValidationError` with a message an editor can act on (model-field
  validators; they do not change the file);
- `clean_image(file)` / `clean_pdf(file)` / `clean_upload(file)`: validate and
  return a `ContentFile` with the cleaned bytes and a generated name;
- `store_upload(file, folder=...)`: clean and save to the default storage,
  returning the stored name (`default_storage.url(name)` gives its address);
- `ImageUploadField` / `PDFUploadField`: model fields that run the pipeline
  when a new file is saved, whatever the entry point (admin, importer, shell).
  Every file field of the project must be one of them
  (`tests/security/test_uploads.py` enumerates the models);
- `serve_upload`: serves MEDIA_ROOT with `Content-Disposition` and
  `X-Content-Type-Options: nosniff` (development, or `SERVE_MEDIA=true`).

Sizes are capped by `UPLOAD_MAX_IMAGE_BYTES` / `UPLOAD_MAX_PDF_BYTES`.
"""

import hashlib
import io
import mimetypes
import posixpath
from pathlib import Path, PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from django.core.files.storage import default_storage
from django.db import models
from django.db.models.fields.files import FieldFile, ImageFieldFile
from django.http import FileResponse, Http404
from django.template.defaultfilters import filesizeformat
from django.utils._os import safe_join
from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

# Pillow format name -> (extensions accepted for it, content type to serve)
ALLOWED_IMAGE_FORMATS = {
    "PNG": ({".png"}, "image/png"),
    "JPEG": ({".jpg", ".jpeg"}, "image/jpeg"),
    "GIF": ({".gif"}, "image/gif"),
    "WEBP": ({".webp"}, "image/webp"),
}
STORED_EXTENSION = {"PNG": ".png", "JPEG": ".jpg", "GIF": ".gif", "WEBP": ".webp"}
MAX_IMAGE_PIXELS = 40_000_000  # decompression-bomb guard, about 8000 x 5000
MAX_FRAMES = 500  # an animated GIF/WebP is re-encoded frame by frame
NOT_AN_IMAGE = "This file is not an image we can accept: upload a PNG, JPEG, GIF or WebP."
_IMAGE_ERRORS = (
    UnidentifiedImageError,
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    Image.DecompressionBombError,
)


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


def _check_image(upload, image):
    """Refuse an opened image that is not one we accept; returns its format."""
    width, height = image.size
    if width * height > MAX_IMAGE_PIXELS:
        raise ValidationError(
            "The image is too large (%(width)s × %(height)s pixels).",
            code="too_many_pixels",
            params={"width": width, "height": height},
        )
    image_format = image.format
    if image_format not in ALLOWED_IMAGE_FORMATS:
        raise ValidationError(
            "%(format)s images are not accepted: upload a PNG, JPEG, GIF or WebP.",
            code="format",
            params={"format": image_format},
        )
    extensions, _content_type = ALLOWED_IMAGE_FORMATS[image_format]
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
    return image_format


def _open_image(upload):
    _check_size(upload, _max_bytes("UPLOAD_MAX_IMAGE_BYTES", 5 * 1024 * 1024))
    if _extension(upload) in {".svg", ".svgz"}:
        raise ValidationError(
            "SVG images are not accepted: upload a PNG, JPEG, GIF or WebP instead.", code="svg"
        )
    try:
        return Image.open(upload)
    except _IMAGE_ERRORS:
        upload.seek(0)
        raise ValidationError(NOT_AN_IMAGE, code="not_an_image") from None


def validate_image_upload(upload):
    """Accept only a real PNG, JPEG, GIF or WebP image within the size limit.

    Returns the content type to store or serve the image with."""
    try:
        with _open_image(upload) as image:
            image_format = _check_image(upload, image)
            image.verify()
    except ValidationError:
        raise
    except _IMAGE_ERRORS:
        raise ValidationError(NOT_AN_IMAGE, code="not_an_image") from None
    finally:
        upload.seek(0)
    return ALLOWED_IMAGE_FORMATS[image_format][1]


def _pixels_only(frame, image_format):
    """A copy of `frame` that carries its pixels and nothing else (no EXIF,
    ICC, text chunks or comments), turned upright from its EXIF orientation
    and in a mode the format can store. Copies only where nothing else
    did: an upload may hold up to the pixel limit, and each copy of it is
    that size again."""
    original = frame
    frame = ImageOps.exif_transpose(frame) or frame  # a new image (Pillow copies)
    if image_format == "JPEG":
        mode = "L" if frame.mode in ("1", "L", "I;16") else "RGB"
        if frame.mode != mode:  # convert() to the same mode is one more copy
            frame = frame.convert(mode)
    elif frame.mode == "P" and "transparency" in frame.info and image_format != "GIF":
        frame = frame.convert("RGBA")
    elif frame.mode not in ("1", "L", "LA", "P", "RGB", "RGBA"):
        frame = frame.convert("RGBA" if "A" in frame.getbands() else "RGB")
    # The sequence iterator reuses one image object for every frame.
    clean = frame.copy() if frame is original else frame
    transparency = frame.info.get("transparency") if clean.mode == "P" else None
    clean.info = {}
    if transparency is not None:
        clean.info["transparency"] = transparency
    return clean


def _encode(image, image_format) -> bytes:
    buffer = io.BytesIO()
    animated = getattr(image, "n_frames", 1) > 1 and image_format in ("GIF", "WEBP")
    loop = image.info.get("loop", 0)
    cleaned, durations = [], []
    # The iterator seeks the one image object frame by frame: copy each.
    for frame in ImageSequence.Iterator(image) if animated else [image]:
        durations.append(frame.info.get("duration", 100))
        cleaned.append(_pixels_only(frame, image_format))
        if len(cleaned) >= MAX_FRAMES:
            break
    options = {}
    if image_format == "JPEG":
        options = {"quality": 90, "optimize": True}
    elif image_format == "WEBP":
        options = {"quality": 90}
    if len(cleaned) > 1:
        options.update(save_all=True, append_images=cleaned[1:], duration=durations, loop=loop)
    cleaned[0].save(buffer, format=image_format, **options)
    return buffer.getvalue()


def _generated_name(data: bytes, extension: str) -> str:
    return hashlib.sha256(data).hexdigest()[:32] + extension


def clean_image(upload) -> ContentFile:
    """Validate an image and re-encode it from its pixels: the result holds
    no metadata and nothing but the image, under a generated name."""
    try:
        with _open_image(upload) as image:
            image_format = _check_image(upload, image)
            image.load()
            data = _encode(image, image_format)
    except ValidationError:
        raise
    except _IMAGE_ERRORS:
        raise ValidationError(NOT_AN_IMAGE, code="not_an_image") from None
    finally:
        upload.seek(0)
    return ContentFile(data, name=_generated_name(data, STORED_EXTENSION[image_format]))


def validate_pdf_upload(upload):
    """Accept only a file that is a PDF by content, within the size limit: the
    signature at offset 0, and pypdf finds its cross-reference table and pages."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    _check_size(upload, _max_bytes("UPLOAD_MAX_PDF_BYTES", 20 * 1024 * 1024))
    not_a_pdf = ValidationError("This file is not a PDF.", code="not_a_pdf")
    try:
        if _extension(upload) != ".pdf" or upload.read(5) != b"%PDF-":
            raise not_a_pdf
        upload.seek(0)
        data = upload.read()
        try:
            # strict: a file whose cross-reference table has to be rebuilt from
            # a scan of the bytes (anything with "%PDF-" and "obj" in it) is refused.
            reader = PdfReader(io.BytesIO(data), strict=True)
            pages = len(reader.pages)
        except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
            raise not_a_pdf from None
        if pages < 1:
            raise not_a_pdf
    finally:
        upload.seek(0)
    return "application/pdf"


def clean_pdf(upload) -> ContentFile:
    """Validate a PDF; the result has a generated name."""
    validate_pdf_upload(upload)
    data = upload.read()
    upload.seek(0)
    return ContentFile(data, name=_generated_name(data, ".pdf"))


def clean_upload(upload, *, kinds=("image", "pdf")) -> ContentFile:
    """Clean a file of one of `kinds`, chosen by its extension and then
    checked by content (a `.pdf` must be a PDF; anything else an image)."""
    if _extension(upload) == ".pdf" and "pdf" in kinds:
        return clean_pdf(upload)
    if "image" in kinds:
        return clean_image(upload)
    raise ValidationError("This file is not a PDF.", code="not_a_pdf")


def store_upload(upload, *, folder: str, kinds=("image", "pdf"), storage=None) -> str:
    """Clean `upload` and save it under `folder` with a generated name;
    returns the stored name. The same cleaned file is stored once."""
    storage = storage or default_storage
    cleaned = clean_upload(upload, kinds=kinds)
    name = posixpath.join(folder.strip("/"), cleaned.name)
    if storage.exists(name):
        return name
    return storage.save(name, cleaned)


class _PipelineFileMixin:
    """Every way a field's file is written (a form, the importer,
    `instance.photo.save(name, content)` in the shell) calls `save()`: the
    content goes through the pipeline and is stored under the generated name,
    inside the field's `upload_to`."""

    def save(self, name, content, save=True):
        cleaned = clean_upload(File(content, name=name), kinds=self.field.pipeline_kinds)
        super().save(cleaned.name, cleaned, save)


class PipelineImageFieldFile(_PipelineFileMixin, ImageFieldFile):
    pass


class PipelineFieldFile(_PipelineFileMixin, FieldFile):
    pass


class _PipelineFieldMixin:
    """Adds the pipeline's validator, so a form shows a field error before
    anything is stored."""

    pipeline_validator = None
    pipeline_kinds = ()

    def __init__(self, *args, **kwargs):
        validators = list(kwargs.get("validators", []))
        if self.pipeline_validator not in validators:
            validators.insert(0, self.pipeline_validator)
        kwargs["validators"] = validators
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        # Stored exactly like Django's own field: the pipeline changes what is
        # written to storage, not the column, so no migration is needed.
        name, _path, args, kwargs = super().deconstruct()
        return name, self.migration_path, args, kwargs


class ImageUploadField(_PipelineFieldMixin, models.ImageField):
    """An ImageField whose files are checked and re-encoded (see module)."""

    pipeline_validator = staticmethod(validate_image_upload)
    pipeline_kinds = ("image",)
    attr_class = PipelineImageFieldFile
    migration_path = "django.db.models.ImageField"


class PDFUploadField(_PipelineFieldMixin, models.FileField):
    """A FileField for PDFs, checked by content and stored under a generated name."""

    pipeline_validator = staticmethod(validate_pdf_upload)
    pipeline_kinds = ("pdf",)
    attr_class = PipelineFieldFile
    migration_path = "django.db.models.FileField"


def response_headers(name: str) -> dict:
    """The headers an uploaded file is served with (by `serve_upload`, and the
    web server configuration in docs/security.md): images inline, anything
    else as a download; never sniffed, never run as a page."""
    extension = PurePath(name).suffix.lower()
    is_image = any(extension in exts for exts, _type in ALLOWED_IMAGE_FORMATS.values())
    disposition = "inline" if is_image else "attachment"
    return {
        "Content-Disposition": f'{disposition}; filename="{PurePath(name).name}"',
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "Cross-Origin-Resource-Policy": "same-origin",
    }


def serve_upload(request, path):
    """Serve a file from MEDIA_ROOT with `response_headers()`. Production
    normally lets the web server do this (docs/security.md)."""
    try:
        full_path = Path(safe_join(settings.MEDIA_ROOT, path))
    except ValueError:
        raise Http404 from None
    if not full_path.is_file():
        raise Http404
    content_type, _encoding = mimetypes.guess_type(full_path.name)
    known = {t for _exts, t in ALLOWED_IMAGE_FORMATS.values()} | {"application/pdf"}
    response = FileResponse(
        full_path.open("rb"),
        content_type=content_type if content_type in known else "application/octet-stream",
    )
    for header, value in response_headers(path).items():
        response[header] = value
    return response
