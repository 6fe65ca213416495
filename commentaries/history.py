"""Reading saved versions of a commentary (django-reversion): the content a
history restore brings back, and what the comparison shows."""

from reversion.models import Version

from .models import Byline, TaggedCommentary


def _related_versions(version, model, key):
    """The versions of `model` rows saved in the same revision that point at
    the piece through the field `key`."""
    return [
        v
        for v in Version.objects.get_for_model(model)
        .filter(revision_id=version.revision_id)
        .order_by("pk")
        if str(v.field_dict.get(key)) == str(version.object_id)
    ]


def version_content(version) -> dict:
    """The piece's content as `version` holds it: its fields, its bylines in
    order ({author_id, position, bio, email}) and its topic ids."""
    fields = version.field_dict
    bylines = []
    for byline_version in _related_versions(version, Byline, "commentary_id"):
        data = byline_version.field_dict
        bylines.append(
            {
                "author_id": data.get("author_id"),
                "position": data.get("position", 0),
                "bio": data.get("bio", ""),
                "email": data.get("email", ""),
            }
        )
    bylines.sort(key=lambda row: (row["position"], row["author_id"]))
    links = _related_versions(version, TaggedCommentary, "content_object_id")
    return {
        "fields": {name: fields.get(name) for name in ("title", "summary", "body", "slug")},
        "published_at": fields.get("published_at"),
        "bylines": bylines,
        # Versions saved before topic links were kept have none: None then
        # means "unknown", and a restore leaves the topics as they are.
        "topics": [link.field_dict["tag_id"] for link in links] if links else None,
    }


# An author's public text is printed with every piece they sign: a change to
# it is a change to those pieces, so it shows in their history too.
AUTHOR_PUBLIC_FIELDS = ("name", "email", "show_email", "photo", "short_bio", "long_bio")


def remember_author_text(sender, instance, raw=False, **kwargs):
    """pre_save receiver for authors: the public text as stored, read only
    inside a revision (an admin save), so imports pay no query for it."""
    import reversion

    if raw or instance.pk is None or not reversion.is_active():
        return
    instance._public_text_before = (
        sender.objects.filter(pk=instance.pk).values(*AUTHOR_PUBLIC_FIELDS).first()
    )


def author_text_in_piece_history(sender, instance, created=False, raw=False, **kwargs):
    """post_save receiver for authors: inside a revision (an admin save),
    add each piece the author signs, so its history shows the change."""
    import reversion

    from .models import Commentary

    before = getattr(instance, "_public_text_before", None)
    if raw or created or before is None or not reversion.is_active():
        return
    if all(str(before[f]) == str(getattr(instance, f)) for f in AUTHOR_PUBLIC_FIELDS):
        return
    for piece in Commentary.objects.filter(bylines__author=instance).distinct():
        reversion.add_to_revision(piece)
