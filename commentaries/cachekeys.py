"""The page cache's keys for the publication domain: what each public page
shows (views call `pacforum.pagecache.page_shows` with these), and which keys
each change invalidates (receivers connected in `CommentariesConfig.ready`,
so every code path that saves through the ORM invalidates: admin, shell,
importers, services; and the go-live tick for scheduled pieces).

Keys (a page carries a key when it shows what the key names; changes
invalidate the keys of what they change):

- `site`: the navigation, on every page. A series, static page, redirect or
  the site changing; a series getting its first live piece or losing its last.
- `p<id>`: a piece, wherever it shows (its page, citations, listings, pages
  linking it). The piece, its bylines or its topics changing while it is public.
- `n<id>`: the pieces linked from piece `<id>`'s page (neighbours, related,
  responses). A publish, withdrawal or move that changes them.
- `s<id>`, `al<id>`, `tl<id>`: the list of a series', an author's, a topic's
  pieces (their pages and feeds). A publish in the series, with the author or
  the topic; a byline or topic added to a public piece.
- `a<id>`, `t<id>`: an author's name and affiliations, a topic's name. The
  author (affiliation, organization) or topic changing, when public.
- `all`: the list of every piece (home, search, main feeds, sitemap, the A-Z
  indexes). Any change to a public piece.
- `authors`, `topics`: names in menus and indexes. An author's or topic's
  public text changing.

Drafts and pieces in review invalidate nothing.
"""

import logging
from functools import wraps

from django.db.models import Q

from pacforum.pagecache import SITE, invalidate, is_held, page_shows

from .models import Byline, Commentary, TaggedCommentary

logger = logging.getLogger(__name__)

ALL = "all"
AUTHORS = "authors"
TOPICS = "topics"


def piece(pk) -> str:
    return f"p{pk}"


def links(pk) -> str:
    return f"n{pk}"


def series_list(pk) -> str:
    return f"s{pk}"


def author(pk) -> str:
    return f"a{pk}"


def author_list(pk) -> str:
    return f"al{pk}"


def topic(pk) -> str:
    return f"t{pk}"


def topic_list(pk) -> str:
    return f"tl{pk}"


# ---------------------------------------------------------------------------
# What pages show (no query: bylines and topics are prefetched by the views)
# ---------------------------------------------------------------------------


def listed_keys(pieces) -> list[str]:
    """Keys of pieces shown in a list: each piece and its bylines' authors."""
    keys = []
    for item in pieces:
        if item is None:
            continue
        keys.append(piece(item.pk))
        keys += [author(byline.author_id) for byline in item.bylines.all()]
    return keys


def shows_pieces(pieces) -> None:
    page_shows(*listed_keys(pieces))


def shows_commentary(commentary, surroundings) -> None:
    """The commentary page: the piece, its authors and topics, and the pieces it links."""
    around = [
        surroundings["previous"],
        surroundings["next"],
        surroundings["in_response_to"],
        *surroundings["related"],
        *surroundings["responses"],
    ]
    page_shows(
        links(commentary.pk),
        *listed_keys([commentary, *around]),
        *(topic(t.pk) for t in commentary.topics.all()),
    )


# ---------------------------------------------------------------------------
# What changes invalidate
# ---------------------------------------------------------------------------


def _is_public(commentary_id) -> bool:
    status = Commentary.objects.filter(pk=commentary_id).values_list("status", flat=True).first()
    return status is None or status in Commentary.PUBLIC_STATUSES


def neighbours(commentary) -> list[int]:
    """Pieces whose page may link `commentary` now: those that store it as
    their previous or next piece (`commentaries.surroundings`; a scheduled
    piece is stored there before its time comes), the piece it responds to,
    and the pieces near it under each of its topics (the window related
    pieces are chosen from)."""
    from .surroundings import RELATED_WINDOW

    found = set(
        Commentary.objects.filter(
            Q(surroundings__previous=commentary.pk) | Q(surroundings__next=commentary.pk)
        ).values_list("pk", flat=True)
    )
    stored = commentary.surroundings or {}
    found.update(pk for pk in (stored.get("previous"), stored.get("next")) if pk)
    if commentary.responds_to_id:
        found.add(commentary.responds_to_id)
    topic_ids = TaggedCommentary.objects.filter(content_object=commentary.pk).values_list(
        "tag_id", flat=True
    )
    for topic_id in topic_ids:
        found.update(topic_window(commentary.pk, topic_id, RELATED_WINDOW + 1))
    found.discard(commentary.pk)
    return sorted(found)


def surroundings_changed(piece_ids) -> None:
    """The stored surroundings of these pieces changed (`surroundings.refresh`):
    their pages link other pieces now."""
    invalidate(*(links(pk) for pk in piece_ids))


def topic_window(pk, topic_id, size) -> list[int]:
    under = TaggedCommentary.objects.filter(tag_id=topic_id).values_list(
        "content_object_id", flat=True
    )
    return [
        *under.filter(content_object_id__lt=pk).order_by("-content_object_id")[:size],
        *under.filter(content_object_id__gt=pk).order_by("content_object_id")[:size],
    ]


def publish_keys(commentary) -> list[str]:
    """Everything a piece entering, leaving or moving in the public record
    changes: the piece, the pages that (now) link it, its listings, home,
    feeds, sitemap and search (`all`), and the navigation when its series
    gets its first live piece or loses its last."""
    keys = [piece(commentary.pk), series_list(commentary.series_id), ALL]
    keys += [links(pk) for pk in neighbours(commentary)]
    keys += [
        author_list(pk)
        for pk in Byline.objects.filter(commentary=commentary.pk).values_list(
            "author_id", flat=True
        )
    ]
    keys += [
        topic_list(pk)
        for pk in TaggedCommentary.objects.filter(content_object=commentary.pk).values_list(
            "tag_id", flat=True
        )
    ]
    others = Commentary.objects.published().filter(series=commentary.series_id)
    if not others.exclude(pk=commentary.pk).exists():
        keys.append(SITE)
    return keys


def commentary_changed(sender, instance, **kwargs):
    """A piece saved or deleted: nothing while it is (and was) a draft or in
    review; its own keys for an edit; its listings and neighbours when its
    place changed (published, scheduled, withdrawn, moved, renumbered)."""
    if not instance.touches_public_site():
        return
    deleted = "created" not in kwargs  # post_delete
    if deleted or instance.place_changed():
        keys = publish_keys(instance)
        loaded = getattr(instance, "_loaded_place", None)
        if loaded and loaded[2] != instance.series_id:
            keys.append(series_list(loaded[2]))
    else:
        keys = [piece(instance.pk), ALL]
    if not deleted:
        instance._loaded_place = instance.place()
    invalidate(*keys)


def piece_went_live(sender, commentary, **kwargs):
    """The go-live tick announced a piece (published now, or its scheduled
    time came): the pages that show it, list it or link it."""
    invalidate(*publish_keys(commentary))


def byline_changed(sender, instance, **kwargs):
    if _is_public(instance.commentary_id):
        invalidate(piece(instance.commentary_id), author_list(instance.author_id), ALL)


def topic_link_changed(sender, instance, **kwargs):
    if _is_public(instance.content_object_id):
        from .surroundings import RELATED_WINDOW

        window = topic_window(instance.content_object_id, instance.tag_id, RELATED_WINDOW)
        invalidate(
            piece(instance.content_object_id),
            topic_list(instance.tag_id),
            ALL,
            *(links(pk) for pk in window),
        )


def _signs_public_piece(author_ids) -> bool:
    return Byline.objects.filter(
        author_id__in=author_ids, commentary__status__in=Commentary.PUBLIC_STATUSES
    ).exists()


def author_changed(sender, instance, **kwargs):
    if kwargs.get("created"):
        return  # signs nothing yet
    if _signs_public_piece([instance.pk]):
        invalidate(author(instance.pk), AUTHORS)


def author_part_changed(sender, instance, **kwargs):
    """An affiliation or former address: their author's public text."""
    if _signs_public_piece([instance.author_id]):
        invalidate(author(instance.author_id), AUTHORS)


def organization_changed(sender, instance, **kwargs):
    if kwargs.get("created"):
        return  # nobody is affiliated yet
    ids = list(instance.affiliations.values_list("author_id", flat=True)) if instance.pk else []
    if ids and _signs_public_piece(ids):
        invalidate(*(author(pk) for pk in ids), AUTHORS)


def topic_changed(sender, instance, **kwargs):
    if kwargs.get("created"):
        return  # on no piece yet
    public = TaggedCommentary.objects.filter(
        tag=instance.pk, content_object__status__in=Commentary.PUBLIC_STATUSES
    ).exists()
    if public or "created" not in kwargs:  # saved while public, or deleted
        invalidate(topic(instance.pk), topic_list(instance.pk), TOPICS)


def site_changed(sender, **kwargs):
    invalidate(SITE)


def connect() -> None:
    """Connect the receivers (from CommentariesConfig.ready)."""
    from django.db.models.signals import post_delete, post_save

    from authors.models import Affiliation, Author, FormerSlug, Organization

    from .models import Series, Topic
    from .signals import piece_went_live as went_live

    receivers = [
        (Commentary, commentary_changed),
        (Byline, byline_changed),
        (TaggedCommentary, topic_link_changed),
        (Author, author_changed),
        (Affiliation, author_part_changed),
        (FormerSlug, author_part_changed),
        (Organization, organization_changed),
        (Topic, topic_changed),
        (Series, site_changed),
    ]
    for model, receiver in receivers:
        uid = f"page-cache:{model._meta.label}"
        receiver = _unless_held(receiver)
        post_save.connect(receiver, sender=model, dispatch_uid=uid + ":save", weak=False)
        post_delete.connect(receiver, sender=model, dispatch_uid=uid + ":delete", weak=False)
    went_live.connect(
        _unless_held(piece_went_live), dispatch_uid="page-cache:went-live", weak=False
    )


def _unless_held(receiver):
    """The receiver, skipped while the page cache is held (`pagecache.held`:
    every page goes stale at its end, so working out the keys is wasted)."""

    @wraps(receiver)
    def receive(sender, **kwargs):
        if not is_held():
            receiver(sender, **kwargs)

    return receive
