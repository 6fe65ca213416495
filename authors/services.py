"""Writes to authors."""

from django.db import transaction

from .models import Author
from .signals import author_merging


@transaction.atomic
def author_merge(*, keep: Author, duplicates: list[Author]) -> Author:
    """Fold duplicate author records into `keep`.

    Whatever points at a duplicate moves to `keep` through `author_merging`
    (commentaries moves the bylines). Affiliations move too. Missing profile
    details are taken from the duplicates before they are deleted.
    """
    duplicates = [author for author in duplicates if author.pk != keep.pk]
    for duplicate in duplicates:
        author_merging.send(sender=Author, keep=keep, duplicate=duplicate)
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
