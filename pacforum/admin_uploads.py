"""Image uploads from the rich-text editor: staff only, images only.

The checks themselves live in `pacforum.uploads.validate_image_upload` (content
decides, never the name; no SVG; size and pixel limits). CKEditor 5 shows
`error.message` from the JSON answer to the editor, so every refusal names the
file and says what was wrong."""

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.http import JsonResponse
from django.utils import timezone
from django.utils.text import get_valid_filename
from django.views.decorators.http import require_POST

from pacforum.uploads import validate_image_upload


def _error(message, status=400):
    return JsonResponse({"error": {"message": message}}, status=status)


@require_POST
def editor_image_upload(request):
    if not (request.user.is_active and request.user.is_staff):
        return _error("Only staff can upload images.", status=403)
    upload = request.FILES.get("upload")
    if upload is None:
        return _error("Choose an image file to upload.")
    try:
        validate_image_upload(upload)
    except ValidationError as error:
        return _error(f"“{upload.name}”: {error.messages[0]}")
    folder = timezone.now().strftime("editor/%Y/%m")
    name = default_storage.save(f"{folder}/{get_valid_filename(upload.name)}", upload)
    return JsonResponse({"url": default_storage.url(name)})
