"""Image uploads from the rich-text editor: staff only, images only.

CKEditor 5 shows `error.message` from the JSON answer to the editor, so every
refusal says what was wrong."""

from pathlib import PurePath

from django.conf import settings
from django.core.files.storage import default_storage
from django.http import JsonResponse
from django.utils import timezone
from django.utils.text import get_valid_filename
from django.views.decorators.http import require_POST
from PIL import Image

# Pillow's name for a format, and the extensions that may carry it.
IMAGE_FORMATS = {
    "JPEG": {"jpg", "jpeg"},
    "PNG": {"png"},
    "GIF": {"gif"},
    "WEBP": {"webp"},
}
MAX_PIXELS = 40_000_000


def _error(message, status=400):
    return JsonResponse({"error": {"message": message}}, status=status)


def _allowed_extensions():
    configured = {ext.lower() for ext in settings.CKEDITOR_5_UPLOAD_FILE_TYPES}
    return configured & set().union(*IMAGE_FORMATS.values())


@require_POST
def editor_image_upload(request):
    if not (request.user.is_active and request.user.is_staff):
        return _error("Only staff can upload images.", status=403)
    upload = request.FILES.get("upload")
    if upload is None:
        return _error("Choose an image file to upload.")
    limit_mb = settings.CKEDITOR_5_MAX_FILE_SIZE
    if upload.size > limit_mb * 1024 * 1024:
        return _error(
            f"“{upload.name}” is {upload.size / 1024 / 1024:.1f} MB; images may be at most "
            f"{limit_mb} MB. Please resize it and try again."
        )
    allowed = _allowed_extensions()
    extension = PurePath(upload.name).suffix.lower().lstrip(".")
    kinds = ", ".join(sorted(ext.upper() for ext in allowed))
    if extension not in allowed:
        return _error(f"“{upload.name}” is not an image we accept. Upload one of: {kinds}.")
    try:
        with Image.open(upload) as image:
            image_format = image.format
            width, height = image.size
            image.verify()
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return _error(f"“{upload.name}” is not a readable image file.")
    if extension not in IMAGE_FORMATS.get(image_format, set()):
        return _error(
            f"“{upload.name}” is named .{extension} but contains a {image_format} image. "
            f"Upload one of: {kinds}."
        )
    if width * height > MAX_PIXELS:
        return _error(f"“{upload.name}” is {width}×{height} pixels; please make it smaller.")
    upload.seek(0)
    folder = timezone.now().strftime("editor/%Y/%m")
    name = default_storage.save(f"{folder}/{get_valid_filename(upload.name)}", upload)
    return JsonResponse({"url": default_storage.url(name)})
