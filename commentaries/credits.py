"""What pages print about a piece's authors and topics, stored on the piece.

Every page that shows a piece prints its bylines (the authors' names and
addresses; on its own page also the bios, emails shown and current
affiliations) and its topics. Fetching them took three queries per page
(bylines with authors, affiliations, topics) and about a third of a cold
commentary page's time; a piece's credits are derived data instead
(`Commentary.credits`: `{"bylines": [...], "topics": [...]}`), read with the
piece itself and handed to the code that reads `piece.bylines.all()` and
`piece.topics.all()` as if they had been prefetched (`attach`), so templates,
citations, structured data and cache keys are unchanged.

They are kept current by receivers (`connect`) on everything they are made
of: bylines, topic links, authors, affiliations, organizations and topics,
saved or deleted through the ORM by any code path (admin, bulk actions,
history restore, author merge, services, the shell). Writers that insert in
bulk without signals (the WordPress importer, the archive loader, seed_bulk)
work out every piece at the end through `surroundings.refresh_all`; after
raw SQL edits, run `manage.py refresh_surroundings`. The same receivers
refresh the series menus (`commentaries.menus`) that name authors and topics.
Inside `batching.batched()` both are worked out once, at the block's end.
"""

from collections import defaultdict

from django.db.models import Q
from django.db.models.query import ModelIterable, QuerySet

from authors.models import Affiliation, Author, Organization

from . import batching, menus
from .models import Byline, Commentary, TaggedCommentary, Topic, empty_credits

# -- working out -----------------------------------------------------------


def work_out(piece_ids) -> dict[int, dict]:
    """The credits of the pieces in `piece_ids` as they should be stored
    now, in three queries."""
    piece_ids = list(piece_ids)
    result = {pk: empty_credits() for pk in piece_ids}
    if not piece_ids:
        return result
    bylines = list(
        Byline.objects.filter(commentary_id__in=piece_ids)
        .order_by("commentary_id", "position", "id")
        .values_list(
            "id",
            "commentary_id",
            "position",
            "bio",
            "email",
            "author_id",
            "author__name",
            "author__sort_name",
            "author__slug",
            "author__show_email",
        )
    )
    affiliations = defaultdict(list)
    current = (
        Affiliation.objects.filter(is_current=True, author_id__in={row[5] for row in bylines})
        .order_by(*Affiliation._meta.ordering)
        .values_list("author_id", "organization__name", "organization__url")
    )
    for author_id, name, url in current:
        affiliations[author_id].append({"name": name, "url": url})
    for pk, piece_id, position, bio, email, author_id, name, sort_name, slug, shown in bylines:
        result[piece_id]["bylines"].append(
            {
                "id": pk,
                "position": position,
                "bio": bio,
                # Only an email the author lets readers see is kept here.
                "email": email if shown else "",
                "author": {
                    "id": author_id,
                    "name": name,
                    "sort_name": sort_name,
                    "slug": slug,
                    "show_email": shown,
                    "affiliations": affiliations[author_id],
                },
            }
        )
    links = (
        TaggedCommentary.objects.filter(content_object_id__in=piece_ids)
        .order_by("content_object_id", "tag__name", "tag_id")
        .values_list("content_object_id", "tag_id", "tag__name", "tag__slug")
    )
    for piece_id, topic_id, name, slug in links:
        result[piece_id]["topics"].append({"id": topic_id, "name": name, "slug": slug})
    return result


def _store(result: dict[int, dict]) -> int:
    stored = dict(Commentary.objects.filter(pk__in=list(result)).values_list("pk", "credits"))
    changed = {pk: value for pk, value in result.items() if pk in stored and stored[pk] != value}
    Commentary.objects.write_derived({pk: {"credits": value} for pk, value in changed.items()})
    return len(changed)


def _refresh_ids(ids) -> int:
    """Work out and store the credits of the pieces `ids`, 1,000 at a time."""
    ids = sorted(ids)
    changed = 0
    for start in range(0, len(ids), 1000):
        changed += _store(work_out(ids[start : start + 1000]))
    return changed


def refresh(piece_ids) -> int:
    """Work out again and store the credits of these pieces; returns how
    many changed. Nothing while the surroundings are deferred (a bulk load
    works out every piece at its end)."""
    from .surroundings import is_deferred

    piece_ids = {pk for pk in piece_ids if pk is not None}
    if not piece_ids or is_deferred() or batching.later(refresh, piece_ids):
        return 0
    return _refresh_ids(piece_ids)


def refresh_all() -> int:
    """Work out every piece's credits again; returns how many changed."""
    return _refresh_ids(Commentary.objects.values_list("pk", flat=True))


def work_out_all() -> dict[int, dict]:
    """Every piece's credits as they should be stored (reads only), 1,000
    pieces at a time: for a bulk writer that stores them together with other
    derived data (`Commentary.objects.write_derived`)."""
    ids = sorted(Commentary.objects.values_list("pk", flat=True))
    result = {}
    for start in range(0, len(ids), 1000):
        result.update(work_out(ids[start : start + 1000]))
    return result


# -- reading ---------------------------------------------------------------


def _prefetched(model, objects) -> QuerySet:
    """A queryset already holding `objects`, as a prefetch leaves it."""
    queryset = QuerySet(model=model)
    queryset._result_cache = objects
    queryset._prefetch_done = True
    return queryset


def attach(pieces) -> list:
    """Give each piece its bylines (with authors and their current
    affiliations) and topics from its stored credits, as if prefetched:
    `piece.bylines.all()` and `piece.topics.all()` run no query. A piece
    loaded without its credits is left alone."""
    for piece in pieces:
        credits = piece.__dict__.get("credits")
        if credits is None:
            continue
        bylines = []
        for row in credits.get("bylines", ()):
            person = row["author"]
            author = Author(
                id=person["id"],
                name=person["name"],
                sort_name=person["sort_name"],
                slug=person["slug"],
                show_email=person["show_email"],
            )
            author.current_affiliations = [
                Affiliation(
                    author_id=author.pk,
                    organization=Organization(name=org["name"], url=org["url"]),
                )
                for org in person["affiliations"]
            ]
            byline = Byline(
                id=row["id"],
                commentary_id=piece.pk,
                author_id=author.pk,
                position=row["position"],
                bio=row["bio"],
                email=row["email"],
            )
            byline.author = author
            bylines.append(byline)
        topics = [
            Topic(id=topic["id"], name=topic["name"], slug=topic["slug"])
            for topic in credits.get("topics", ())
        ]
        cache = piece.__dict__.setdefault("_prefetched_objects_cache", {})
        cache["bylines"] = _prefetched(Byline, bylines)
        cache["topics"] = _prefetched(Topic, topics)
    return pieces


class CreditedIterable(ModelIterable):
    """Pieces with their stored credits attached (`CommentaryQuerySet.with_credits`)."""

    def __iter__(self):
        pieces = list(super().__iter__())
        yield from attach(pieces)


# -- keeping current -------------------------------------------------------


def _pieces_of_authors(author_ids) -> list[int]:
    return list(
        Byline.objects.filter(author_id__in=author_ids)
        .values_list("commentary_id", flat=True)
        .distinct()
    )


def _and_menus(piece_ids) -> None:
    """Refresh these pieces' credits and their series' menus (a series page
    names its pieces' authors and topics: `commentaries.menus`)."""
    piece_ids = list(piece_ids)
    refresh(piece_ids)
    menus.refresh_for_pieces(piece_ids)


def byline_changed(sender, instance, **kwargs):
    _and_menus([instance.commentary_id])


def topic_link_changed(sender, instance, **kwargs):
    _and_menus([instance.content_object_id])


def author_changed(sender, instance, **kwargs):
    if not kwargs.get("created"):
        _and_menus(_pieces_of_authors([instance.pk]))


def affiliation_changed(sender, instance, **kwargs):
    refresh(_pieces_of_authors([instance.author_id]))


def organization_changed(sender, instance, **kwargs):
    if kwargs.get("created") or instance.pk is None:
        return
    authors = Affiliation.objects.filter(organization_id=instance.pk).values("author_id")
    refresh(_pieces_of_authors(authors))


def topic_changed(sender, instance, **kwargs):
    if not kwargs.get("created"):
        _and_menus(
            TaggedCommentary.objects.filter(Q(tag_id=instance.pk)).values_list(
                "content_object_id", flat=True
            )
        )


def connect() -> None:
    """Connect the receivers (from CommentariesConfig.ready)."""
    from django.db.models.signals import post_delete, post_save

    receivers = [
        (Byline, byline_changed),
        (TaggedCommentary, topic_link_changed),
        (Author, author_changed),
        (Affiliation, affiliation_changed),
        (Organization, organization_changed),
        (Topic, topic_changed),
    ]
    for model, receiver in receivers:
        uid = f"credits:{model._meta.label}"
        post_save.connect(receiver, sender=model, dispatch_uid=uid + ":save", weak=False)
        post_delete.connect(receiver, sender=model, dispatch_uid=uid + ":delete", weak=False)
