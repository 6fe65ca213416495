"""Responsive sizes of an uploaded image, made once with Pillow when it is saved.

The upload itself is checked by `pacforum.uploads.validate_image_upload` (the
field's validator): content decides, SVG refused, size and pixel limits. This
module only adds the sizes readers are served. When a model holding an image
is saved with a new file, `renditions_on_save()` stores the original and writes
beside it, at each width of RENDITION_WIDTHS narrower than the original (and at
the original's own width, capped at MAX_WIDTH), a WebP copy and a copy in the
original's format (PNG for a GIF). Re-encoding also drops the original's
metadata (camera, location) from every file readers are sent.

The model keeps what was made in a JSON field, so pages never touch the files:
`{"source": <original's name>, "sizes": [{"name", "width", "height", "type"}]}`.
A saved file whose record names another source (an importer that set the
field to a stored file's name) gets its sizes made on that save.
"""

import io
from dataclasses import dataclass
from pathlib import PurePosixPath

from django.core.files.base import ContentFile
from PIL import Image, ImageOps

RENDITION_WIDTHS = (480, 800, 1200)
MAX_WIDTH = 1600
# Open Graph and Twitter cards want about 1200 pixels wide.
SHARE_WIDTH = 1200
WEBP = "image/webp"
# Pillow format of the original -> (format to write, extension, content type)
FALLBACK_FORMATS = {
    "JPEG": ("JPEG", "jpg", "image/jpeg"),
    "PNG": ("PNG", "png", "image/png"),
    "GIF": ("PNG", "png", "image/png"),
    "WEBP": ("WEBP", "webp", WEBP),
}


def target_widths(width: int) -> list[int]:
    widths = [w for w in RENDITION_WIDTHS if w < width]
    return sorted({*widths, min(width, MAX_WIDTH)})


def _encode(image: Image.Image, pillow_format: str) -> bytes:
    out = io.BytesIO()
    if pillow_format == "JPEG":
        image.convert("RGB").save(out, "JPEG", quality=82, optimize=True, progressive=True)
    elif pillow_format == "WEBP":
        image.save(out, "WEBP", quality=80, method=4)
    else:
        image.save(out, "PNG", optimize=True)
    return out.getvalue()


def make_renditions(field_file) -> dict:
    """Write the sizes of the stored image `field_file`; return their record."""
    storage = field_file.storage
    path = PurePosixPath(field_file.name)
    with field_file.open("rb") as stored, Image.open(stored) as original:
        original_format = original.format
        image = ImageOps.exif_transpose(original)
        image.load()
    if image.mode not in {"RGB", "RGBA"}:
        transparent = "transparency" in image.info or "A" in image.mode
        image = image.convert("RGBA" if transparent else "RGB")
    fallback_format, extension, fallback_type = FALLBACK_FORMATS[original_format]
    sizes = []
    for width in target_widths(image.width):
        height = max(1, round(image.height * width / image.width))
        resized = image if width == image.width else image.resize((width, height), Image.LANCZOS)
        outputs = [("WEBP", "webp", WEBP)]
        if fallback_format != "WEBP":
            outputs.append((fallback_format, extension, fallback_type))
        for pillow_format, ext, content_type in outputs:
            wanted = str(path.with_name(f"{path.stem}-{width}w.{ext}"))
            name = storage.save(wanted, ContentFile(_encode(resized, pillow_format)))
            sizes.append({"name": name, "width": width, "height": height, "type": content_type})
    return {"source": field_file.name, "sizes": sizes}


def renditions_on_save(field_file, record: dict | None) -> dict:
    """The renditions record to save with a model: empty without an image,
    unchanged for the same stored file, new sizes for a new file (stored now,
    under its final name, so the sizes are named after it)."""
    if not field_file:
        return {}
    if not field_file._committed:
        field_file.save(field_file.name, field_file.file, save=False)
    elif (record or {}).get("source") == field_file.name:
        return record
    try:
        return make_renditions(field_file)
    except OSError:
        # Named but not (yet) in storage, as after restoring the database
        # before the media: the original is served until it is saved again.
        return {}


@dataclass(frozen=True)
class Rendition:
    url: str
    width: int
    height: int
    type: str


@dataclass(frozen=True)
class ResponsiveImage:
    """What a template needs to show an image at the right size, and what
    Open Graph, Twitter cards and JSON-LD need to share it."""

    alt: str
    width: int
    height: int
    webp: tuple[Rendition, ...]
    fallback: tuple[Rendition, ...]

    @property
    def src(self) -> str:
        return self.fallback[-1].url

    @property
    def webp_srcset(self) -> str:
        return ", ".join(f"{r.url} {r.width}w" for r in self.webp)

    @property
    def srcset(self) -> str:
        return ", ".join(f"{r.url} {r.width}w" for r in self.fallback)

    @property
    def share(self) -> Rendition:
        """The size to share: the widest at most SHARE_WIDTH, in the original's
        format (every site that shows cards reads JPEG and PNG)."""
        fitting = [r for r in self.fallback if r.width <= SHARE_WIDTH]
        return fitting[-1] if fitting else self.fallback[0]


def responsive_image(
    field_file, record: dict | None, *, alt: str, width: int | None, height: int | None
) -> ResponsiveImage | None:
    """A ResponsiveImage for a stored image (`width` x `height`) and its
    renditions record, or None without an image. Builds URLs only: no query,
    no file access."""
    if not field_file:
        return None
    record = record or {}
    sizes = record.get("sizes", []) if record.get("source") == field_file.name else []
    storage = field_file.storage
    made = [Rendition(storage.url(s["name"]), s["width"], s["height"], s["type"]) for s in sizes]
    webp = [r for r in made if r.type == WEBP]
    fallback = [r for r in made if r.type != WEBP]
    if not fallback:
        # A WebP original is served as WebP only.
        webp, fallback = [], webp
    if not fallback:
        # Sizes not made (yet): the original as it was uploaded.
        fallback = [Rendition(field_file.url, width or 0, height or 0, "")]
    return ResponsiveImage(
        alt=alt,
        width=fallback[-1].width,
        height=fallback[-1].height,
        webp=tuple(webp),
        fallback=tuple(fallback),
    )
