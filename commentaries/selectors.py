"""Reads for the readers' site that join several tables.

Each function runs a fixed number of queries whatever the data; the page tests
pin those numbers.
"""

import re

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, Subquery

from authors.models import Affiliation, Author

from .models import Byline, Commentary, Series, TaggedCommentary, Topic

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
    ids = list(
        Series.objects.annotate(newest_id=Subquery(newest.values("pk")[:1]))
        .exclude(newest_id=None)
        .values_list("newest_id", flat=True)
    )
    pieces = {piece.pk: piece for piece in listing().filter(pk__in=ids)}
    return sorted(pieces.values(), key=lambda p: (p.series.position, p.series.name))


def filter_choices(base):
    """Years, topics and authors that occur in `base` (published pieces), for
    a listing's filter menus."""
    ids = base.values("pk")
    return {
        "years": sorted(
            (y for y in base.order_by().values_list("year", flat=True).distinct() if y),
            reverse=True,
        ),
        # EXISTS stops at the first piece found, where a join and DISTINCT
        # would read every byline and topic link of a large series.
        "topics": Topic.objects.filter(
            Exists(TaggedCommentary.objects.filter(tag=OuterRef("pk"), content_object__in=ids))
        ).order_by("name"),
        "authors": Author.objects.filter(
            Exists(Byline.objects.filter(author=OuterRef("pk"), commentary__in=ids))
        ).order_by("sort_name", "name"),
    }


def topics_with_counts():
    published = Commentary.objects.published()
    return Topic.objects.annotate(
        published_count=Count(
            "tagged_commentaries",
            filter=Q(tagged_commentaries__content_object__in=published),
        )
    ).filter(published_count__gt=0)


def commentary_neighbours(commentary):
    """Previous and next published pieces of the same series."""
    if commentary.published_at is None:
        return None, None
    in_series = listing().in_series(commentary.series_id).exclude(pk=commentary.pk)
    previous = (
        in_series.filter(
            Q(published_at__lt=commentary.published_at)
            | Q(published_at=commentary.published_at, pk__lt=commentary.pk)
        )
        .order_by("-published_at", "-id")
        .first()
    )
    following = (
        in_series.filter(
            Q(published_at__gt=commentary.published_at)
            | Q(published_at=commentary.published_at, pk__gt=commentary.pk)
        )
        .order_by("published_at", "id")
        .first()
    )
    return previous, following


def related_commentaries(commentary, *, limit=3):
    """Published pieces sharing the most topics with this one, newest first."""
    topic_ids = [topic.pk for topic in commentary.topics.all()]
    if not topic_ids:
        return []
    return list(
        listing()
        .filter(tagged_items__tag_id__in=topic_ids)
        .exclude(pk=commentary.pk)
        .annotate(shared=Count("tagged_items"))
        .order_by("-shared", "-published_at", "-id")[:limit]
    )


def responses_to(commentary):
    return list(
        Commentary.objects.published()
        .filter(responds_to=commentary)
        .select_related("series")
        .only("title", "number", "suffix", "year", "slug", "series")
        .order_by("published_at", "id")
    )


def in_response_to(commentary):
    if commentary.responds_to_id is None:
        return None
    return (
        Commentary.objects.published()
        .select_related("series")
        .only("title", "number", "suffix", "year", "slug", "series")
        .filter(pk=commentary.responds_to_id)
        .first()
    )


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
