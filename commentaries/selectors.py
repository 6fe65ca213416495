"""Reads for the readers' site that join several tables.

Each function runs a fixed number of queries whatever the data; the page tests
pin those numbers.
"""

import re

from django.db import connection
from django.db.models import (
    Count,
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
)
from django.db.models.functions import Coalesce
from django.db.models.lookups import Lookup

from authors.models import Affiliation, Author

from .models import Byline, Commentary, Series, TaggedCommentary, Topic, published_q

LISTING_DEFERRED = ("body", "search_vector")
PERMALINK = re.compile(r"(?P<number>[0-9]{1,9})(?P<suffix>[rR][0-9]{0,3})?")


def listing(queryset=None):
    """Published pieces ready for a list: series, bylines and authors, no body."""
    if queryset is None:
        queryset = Commentary.objects.published()
    return queryset.with_bylines().defer(*LISTING_DEFERRED)


def for_reading(queryset):
    """A queryset ready for the commentary page: bylines with their authors'
    current affiliations (for the structured data) and topics."""
    current = Affiliation.objects.filter(is_current=True).select_related("organization")
    bylines = Byline.objects.select_related("author").prefetch_related(
        Prefetch("author__affiliations", queryset=current, to_attr="current_affiliations")
    )
    return (
        queryset.select_related("series")
        .defer("search_vector")
        .prefetch_related(Prefetch("bylines", queryset=bylines), "topics")
    )


def newest_per_series():
    """The newest published piece of every series that has one, in menu order."""
    newest = (
        Commentary.objects.published()
        .filter(series=OuterRef("pk"))
        .order_by("-published_at", "-id")
    )
    ids = (
        Series.objects.annotate(newest_id=Subquery(newest.values("pk")[:1]))
        .exclude(newest_id=None)
        .values("newest_id")
    )
    pieces = listing().filter(pk__in=ids)
    return sorted(pieces, key=lambda p: (p.series.position, p.series.name))


def filter_choices(base, *, with_topics=True, author_limit):
    """Years (with counts), topics and authors that occur in `base` (published
    pieces), for a listing's filter menus, as plain data (it is cached per
    content version): topics and authors as (slug, name) pairs, at most
    `author_limit` + 1 authors (more than the limit means "too many for a
    menu")."""
    ids = base.values("pk")
    counts = year_counts(base)
    topics = []
    if with_topics:
        # EXISTS stops at the first piece found, where a join and DISTINCT
        # would read every byline and topic link of a large series.
        topics = list(
            Topic.objects.filter(
                Exists(TaggedCommentary.objects.filter(tag=OuterRef("pk"), content_object__in=ids))
            )
            .order_by("name")
            .values_list("slug", "name")
        )
    authors = list(
        Author.objects.filter(
            Exists(Byline.objects.filter(author=OuterRef("pk"), commentary__in=ids))
        )
        .order_by("sort_name", "name")
        .values_list("slug", "name")[: author_limit + 1]
    )
    return {
        "year_counts": counts,
        "years": sorted((y for y in counts if y), reverse=True),
        "topics": topics,
        "authors": authors,
    }


def year_counts(base):
    """{year: pieces} for `base`, in one query: the year menu, and the
    paginator's count when only the year filters the listing."""
    return dict(base.order_by().values_list("year").annotate(n=Count("*")).values_list("year", "n"))


def public_topics():
    """Topics readers may see: a topic is public only while it has a published
    piece (a topic used only on a scheduled piece must not announce it)."""
    return Topic.objects.filter(
        Exists(Commentary.objects.published().filter(tagged_items__tag=OuterRef("pk")))
    )


def public_series():
    """Series readers may see: only while they have a published piece."""
    return Series.objects.filter(
        Exists(Commentary.objects.published().filter(series=OuterRef("pk")))
    )


def topics_with_counts():
    # The visibility rule as a join condition: `content_object__in=published`
    # inside the count's FILTER became a subplan that PostgreSQL could only
    # hash while the published ids fit in work_mem; at 1,000,000 pieces it
    # rescanned them for every topic link (minutes).
    return Topic.objects.annotate(
        published_count=Count(
            "tagged_commentaries",
            filter=published_q("tagged_commentaries__content_object__"),
        )
    ).filter(published_count__gt=0)


def commentary_surroundings(commentary, *, related_limit=3):
    """The pieces shown around a commentary, in one query (and one for their
    bylines): the previous and next published pieces of its series, up to
    `related_limit` published pieces sharing the most topics with it (newest
    first; on PostgreSQL among its neighbours under each topic, see
    `related_candidates`), the published responses to it and the piece it
    responds to."""
    published = Commentary.objects.published()
    wanted = Q(responds_to=commentary)
    if commentary.responds_to_id is not None:
        wanted |= Q(pk=commentary.responds_to_id)
    key = (commentary.published_at, commentary.pk)
    if commentary.published_at is not None:
        in_series = published.filter(series=commentary.series_id).exclude(pk=commentary.pk)
        before = Q(published_at__lt=commentary.published_at) | Q(
            published_at=commentary.published_at, pk__lt=commentary.pk
        )
        after = Q(published_at__gt=commentary.published_at) | Q(
            published_at=commentary.published_at, pk__gt=commentary.pk
        )
        previous = in_series.filter(before).order_by("-published_at", "-id").values("pk")[:1]
        following = in_series.filter(after).order_by("published_at", "id").values("pk")[:1]
        # Scalar subqueries (computed once, then index lookups), where
        # `pk IN (subquery) OR ...` would filter every published piece.
        wanted |= Q(pk=Subquery(previous)) | Q(pk=Subquery(following))
    topic_ids = [topic.pk for topic in commentary.topics.all()]  # prefetched
    shared = (
        TaggedCommentary.objects.filter(content_object=OuterRef("pk"), tag_id__in=topic_ids)
        .order_by()
        .values("content_object")
        .annotate(n=Count("pk"))
        .values("n")
    )
    # Ranked among a bounded set of candidates, so that the cost does not grow
    # with the archive: the RELATED_WINDOW pieces filed under each of its
    # topics just before and just after it (index on topic, piece).
    links = TaggedCommentary.objects.filter(published_q("content_object__"), tag_id__in=topic_ids)
    if connection.features.supports_slicing_ordering_in_compound and topic_ids:
        links = links.filter(content_object__in=related_candidates(commentary.pk, topic_ids))
    related = (
        links.exclude(content_object=commentary.pk)
        .values("content_object")
        .annotate(n=Count("pk"))
        .order_by("-n", "-content_object__published_at", "-content_object")
        .values("content_object")[:related_limit]
    )
    if topic_ids:
        wanted |= one_of(related)
    pieces = list(
        listing(published)
        .filter(wanted)
        .exclude(pk=commentary.pk)
        .annotate(shared=Coalesce(Subquery(shared), 0))
    )

    def order(piece):
        return (piece.published_at, piece.pk)

    same_series = [p for p in pieces if p.series_id == commentary.series_id]
    earlier = [p for p in same_series if commentary.published_at and order(p) < key]
    later = [p for p in same_series if commentary.published_at and order(p) > key]
    # The true top pieces are in `pieces`, so ranking `pieces` again finds them.
    related_pieces = sorted(
        (p for p in pieces if p.shared > 0),
        key=lambda p: (-p.shared, -p.published_at.timestamp(), -p.pk),
    )[:related_limit]
    return {
        "previous": max(earlier, key=order, default=None),
        "next": min(later, key=order, default=None),
        "related": related_pieces,
        "responses": sorted((p for p in pieces if p.responds_to_id == commentary.pk), key=order),
        "in_response_to": next((p for p in pieces if p.pk == commentary.responds_to_id), None),
    }


RELATED_WINDOW = 50


def related_candidates(pk, topic_ids):
    """Ids of the pieces filed under each topic nearest to piece `pk`, up to
    RELATED_WINDOW on each side: at most 2 x RELATED_WINDOW x topics rows
    whatever the archive's size. (SQLite cannot slice inside a UNION, so there
    the related pieces are ranked over every link; it is for development.)"""
    windows = []
    for topic_id in topic_ids:
        pieces = TaggedCommentary.objects.filter(tag_id=topic_id).values("content_object_id")
        windows.append(
            pieces.filter(content_object_id__lt=pk).order_by("-content_object_id")[:RELATED_WINDOW]
        )
        windows.append(
            pieces.filter(content_object_id__gt=pk).order_by("content_object_id")[:RELATED_WINDOW]
        )
    return windows[0].union(*windows[1:], all=True)


class EqualsAny(Lookup):
    """`lhs = ANY(rhs)`, rhs an array (PostgreSQL)."""

    lookup_name = "equals_any"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} = ANY({rhs})", [*lhs_params, *rhs_params]


def one_of(ids):
    """`pk` is one of the ids the subquery `ids` returns. On PostgreSQL the
    subquery runs once (`pk = ANY(ARRAY(...))`, index lookups); inside an OR,
    `pk IN (subquery)` would be checked against every row instead."""
    if connection.vendor == "postgresql":
        from django.contrib.postgres.expressions import ArraySubquery

        return Q(EqualsAny(F("pk"), ArraySubquery(ids)))
    return Q(pk__in=ids)


def find_moved(*, series: str, year: int, slug: str):
    """The published piece that used to live at this address, or whose short
    permalink (`68`, `68r`, `68r2`) this is."""
    former = (
        Commentary.objects.published()
        .select_related("series")
        .filter(
            former_addresses__series__slug=series,
            former_addresses__year=year,
            former_addresses__slug=slug,
        )
        .first()
    )
    if former:
        return former
    number, suffix = split_permalink(slug)
    if number is None:
        return None
    return (
        Commentary.objects.published()
        .select_related("series")
        .filter(series__slug=series, year=year, number=number, suffix=suffix)
        .first()
    )


def split_permalink(value: str):
    """`68r2` -> (68, "R2"); anything that is not a number and suffix -> (None, "")."""
    match = PERMALINK.fullmatch(value)
    if match is None:
        return None, ""
    return int(match["number"]), (match["suffix"] or "").upper()


def published_authors():
    """Authors with at least one published piece: the only ones readers see."""
    return Author.objects.filter(
        Exists(Byline.objects.filter(author=OuterRef("pk"), commentary__in=published_ids()))
    )


def published_ids():
    return Commentary.objects.published().values("pk")
