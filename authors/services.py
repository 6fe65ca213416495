"""Writes to authors."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify

from pacforum.sanitizer import is_blank_html

from .models import Author, FormerSlug
from .signals import author_merging

# The profile fields an editor chooses between when merging, in form order.
MERGE_FIELDS = ("name", "sort_name", "email", "show_email", "photo", "short_bio", "long_bio")
# Fields whose values can be kept together ("both, one after the other").
COMBINABLE_FIELDS = {"short_bio": " ", "long_bio": "\n"}


def slug_is_taken(slug: str, *, exclude_pk=None) -> bool:
    """Is `slug` a live author's address, or one kept for a merged-away record?"""
    return (
        Author.objects.filter(slug=slug).exclude(pk=exclude_pk).exists()
        or FormerSlug.objects.filter(slug=slug).exclude(author_id=exclude_pk).exists()
    )


def unique_author_slug(base: str, *, exclude_pk=None) -> str:
    """`base`, or `base-2`, `base-3` …: two people may share a name, never an address."""
    base = slugify(base)[:190] or "author"
    slug, n = base, 1
    while slug_is_taken(slug, exclude_pk=exclude_pk):
        n += 1
        slug = f"{base}-{n}"
    return slug


def is_blank(field: str, value) -> bool:
    """Does this value say nothing? An emptied rich-text editor leaves
    `<p>&nbsp;</p>` behind, which must not win over a real bio."""
    if field == "show_email":
        return not value
    if field == "long_bio":
        return is_blank_html(value or "")
    return not str(value or "").strip()


def merge_defaults(*, keep: Author, duplicates: list[Author]) -> dict[str, int | str]:
    """For each field, the pk of the record whose value a merge keeps unless
    the editor chooses otherwise: the kept record's, unless it says nothing
    and another record does. "Show email" stays on if any record had it on, so
    no published piece loses the email it printed."""
    records = [keep, *duplicates]
    choices = {}
    for field in MERGE_FIELDS:
        source = next((a for a in records if not is_blank(field, getattr(a, field))), keep)
        choices[field] = source.pk
    return choices


def merged_value(field: str, choice, records: dict) -> object:
    """The value `choice` (a record's pk, or "both") stands for."""
    if choice == "both":
        values = [getattr(a, field) for a in records.values()]
        kept = [v for v in values if not is_blank(field, v)]
        return COMBINABLE_FIELDS[field].join(dict.fromkeys(kept))
    return getattr(records[int(choice)], field)


@transaction.atomic
def author_merge(*, keep: Author, duplicates: list[Author], choices: dict | None = None) -> Author:
    """Fold duplicate author records into `keep`.

    `choices` maps each of MERGE_FIELDS to the pk of the record whose value
    the kept record takes, or to "both" for a bio (the two texts, one after the
    other); fields left out follow `merge_defaults`. Whatever points at a
    duplicate moves to `keep` through `author_merging` (commentaries moves the
    bylines). Affiliations move too. The duplicates' addresses are remembered
    (FormerSlug), so their profiles and feeds answer 301 to the kept author.
    """
    duplicates = [author for author in duplicates if author.pk != keep.pk]
    records = {author.pk: author for author in [keep, *duplicates]}
    choices = {**merge_defaults(keep=keep, duplicates=duplicates), **(choices or {})}
    values = {field: merged_value(field, choices[field], records) for field in MERGE_FIELDS}
    # Checked before anything moves: a combined short bio may be too long.
    for field in ("short_bio", "sort_name", "name"):
        model_field = Author._meta.get_field(field)
        if len(values[field]) > model_field.max_length:
            raise ValidationError(
                {
                    field: f"Together these make {len(values[field])} characters; "
                    f"the {model_field.verbose_name} holds {model_field.max_length}. "
                    "Choose one, or shorten them first."
                }
            )
    for duplicate in duplicates:
        author_merging.send(sender=Author, keep=keep, duplicate=duplicate)
        duplicate.affiliations.update(author=keep)
        FormerSlug.objects.filter(author=duplicate).update(author=keep)
        FormerSlug.objects.filter(slug=duplicate.slug).delete()
        slug = duplicate.slug
        duplicate.delete()
        FormerSlug.objects.create(slug=slug, author=keep)
    FormerSlug.objects.filter(slug=keep.slug).delete()
    for field, value in values.items():
        setattr(keep, field, value)
    keep.full_clean()
    keep.save()
    return keep
