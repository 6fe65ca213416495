"""Writes to authors."""

from django.db import transaction

from commentaries.models import Byline

from .models import Author


@transaction.atomic
def author_merge(*, keep: Author, duplicates: list[Author]) -> Author:
    """Fold duplicate author records into `keep`.

    Bylines move to `keep` (with their bio and email snapshots untouched, so
    published pieces read as before); where both records sign the same piece
    the duplicate's byline goes. Affiliations move too. Missing profile
    details are taken from the duplicates before they are deleted.
    """
    duplicates = [author for author in duplicates if author.pk != keep.pk]
    for duplicate in duplicates:
        signed_by_keep = Byline.objects.filter(author=keep).values("commentary")
        Byline.objects.filter(author=duplicate, commentary__in=signed_by_keep).delete()
        Byline.objects.filter(author=duplicate).update(author=keep)
        duplicate.affiliations.update(author=keep)
        for field in ("short_bio", "long_bio", "photo"):
            if not getattr(keep, field) and getattr(duplicate, field):
                setattr(keep, field, getattr(duplicate, field))
        if not keep.email and duplicate.email:
            email = duplicate.email
            duplicate.email = ""
            duplicate.save(update_fields=["email"])
            keep.email = email
        duplicate.delete()
    keep.full_clean()
    keep.save()
    return keep
