from django.db import transaction
from django_tasks import task

from commentaries.models import Commentary


@task()
def make_image_renditions(commentary_ids: list[int]):
    """The sizes of imported featured images, made by the task worker.

    An import writes hundreds of new pieces per second; making each image's
    sizes (a WebP and a JPEG at up to three widths, about 0.1 s of CPU per
    image) inline would make it fifty times slower. Until its sizes exist, a
    piece shows its (already checked and re-encoded) original image."""
    for pk in commentary_ids:
        with transaction.atomic():
            commentary = Commentary.objects.select_for_update().filter(pk=pk).first()
            if commentary is None or not commentary.image:
                continue
            before = commentary.image_renditions
            commentary.save_image_renditions()
            if commentary.image_renditions != before:
                Commentary.objects.filter(pk=pk).update(
                    image_renditions=commentary.image_renditions
                )
