"""Reads for the readers' site that join several tables.

Each function runs a fixed number of queries whatever the data; the page tests
pin those numbers.
"""

import re

from django.db.models import Count, Exists, OuterRef, Prefetch, Subquery

from authors.models import Affiliation, Author

from . import surroundings
from .models import Byline, Commentary, Series, TaggedCommentary, Topic, published_q

LISTING_DEFERRED = ("body", "search_vector", "surroundings")
PERMALINK = re.compile(r"(?P<number>[0-9]{1,9})(?P<suffix>[rR][0-9]{0,3})?")


def listing(queryset=None):
    """Published pieces ready for a list: series, bylines and authors (from
    the stored credits), no body."""
    if queryset is None:
        queryset = Commentary.objects.published()
    return queryset.select_related("series").with_credits().defer(*LISTING_DEFERRED)


def for_reading(queryset):
    """A queryset ready for a page about one piece: its series, bylines (see
    `reading_bylines`) and topics."""
    return (
        for_page(queryset)
        .select_related("series")
        .prefetch_related(Prefetch("bylines", queryset=reading_bylines()), "topics")
    )


def for_page(queryset):
    """A queryset for the commentary page's piece. Its series comes from the
    site state (`with_series`), its bylines and topics from its stored
    credits."""
    return queryset.with_credits().defer("search_vector")


def with_series(pieces, series):
    """Give each piece its series from `series` (the site state's, every
    series): a join would fetch the same few rows again for every piece."""
    by_id = {one.pk: one for one in series}
    for piece in pieces:
        if piece.series_id in by_id:
            piece.series = by_id[piece.series_id]
    return pieces


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


def reading_bylines():
    """Bylines with their authors and the authors' current affiliations (for
    the citation tags and the structured data)."""
    current = Affiliation.objects.filter(is_current=True).select_related("organization")
    return Byline.objects.select_related("author").prefetch_related(
        Prefetch("author__affiliations", queryset=current, to_attr="current_affiliations")
    )


def commentary_page(commentary, *, series=()) -> dict:
    """What the commentary page shows around `commentary` (a piece from
    `for_page`, its credits attached): its previous and next pieces, related
    pieces, responses and the piece it answers, from the ids stored on it
    (`surroundings`), with their bylines from their stored credits. One
    query: the pieces around it. They take their series from `series` (the
    site state's); one missing there (created in the last seconds) is
    fetched when shown."""
    pieces = with_series(
        surroundings.surrounding_pieces(
            commentary, Commentary.objects.published().with_credits().defer(*LISTING_DEFERRED)
        ),
        series,
    )
    previous, following = surroundings.neighbours(commentary, pieces)
    return {
        "previous": previous,
        "next": following,
        "related": surroundings.related(commentary, pieces),
        "responses": surroundings.responses(commentary, pieces),
        "in_response_to": surroundings.in_response_to(commentary, pieces),
    }


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
