"""Image uploads from the rich-text editor: staff only, images only.

The file goes through the site's one upload pipeline (`pacforum.uploads`:
content decides, never the name; no SVG; size and pixel limits; re-encoded
without metadata; stored under a generated name). CKEditor 5 shows
`error.message` from the JSON answer to the editor, so every refusal names the
file and says what was wrong."""

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_POST

from pacforum.uploads import store_upload


def _error(message, status=400):
    return JsonResponse({"error": {"message": message}}, status=status)


@require_POST
def editor_image_upload(request):
    if not (request.user.is_active and request.user.is_staff):
        return _error("Only staff can upload images.", status=403)
    upload = request.FILES.get("upload")
    if upload is None:
        return _error("Choose an image file to upload.")
    folder = timezone.now().strftime("editor/%Y/%m")
    try:
        name = store_upload(upload, folder=folder, kinds=("image",))
    except ValidationError as error:
        return _error(f"“{upload.name}”: {error.messages[0]}")
    return JsonResponse({"url": default_storage.url(name)})
