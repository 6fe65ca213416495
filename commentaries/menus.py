"""A series page's filter menus (years with their counts, topics, authors),
stored for the series (`SeriesMenus`).

Working them out over a series' pieces took three queries on every series
page with the cache off, about half its SQL time (the topic menu alone ~6 ms
at 5,000 pieces). They are derived data instead (`SeriesMenus.menus`), read
in one query by primary key.

They are worked out over every published piece of the series, *scheduled
ones included*, each entry with the time it becomes true, so that a
scheduled piece's time coming changes no stored data:
- `years`: `[year, live pieces, [publish times of scheduled pieces]]`;
- `topics`: `[slug, name, first publish time]`, by name;
- `authors`: `[slug, name, first publish time]`, by sort name then name.
`choices` keeps what is true when the page is read. Times are POSIX seconds.

`refresh` works them out again for the series whose pieces a change touched:
a piece saved or deleted while public (published, scheduled, withdrawn, or
leaving those states), and, through `commentaries.credits`, a byline, topic
link, author or topic changed. Bulk writers work out every series at the end
(`surroundings.refresh_all`), and so does `manage.py refresh_surroundings`.
"""

from collections import defaultdict

from django.db.models import Count, Min, Q
from django.utils import timezone

from authors.models import Author

from . import batching
from .models import Commentary, Series, SeriesMenus, Topic

PUBLISHED = Commentary.Status.PUBLISHED


def _stamp(when) -> float:
    return when.timestamp()


def work_out(series_id) -> dict:
    """The menus of one series as they should be stored now: four queries."""
    now = timezone.now()
    pieces = Commentary.objects.filter(series_id=series_id, status=PUBLISHED).order_by()
    live = dict(pieces.values_list("year").annotate(n=Count("pk", filter=Q(published_at__lte=now))))
    scheduled = defaultdict(list)
    for year, when in pieces.filter(published_at__gt=now).values_list("year", "published_at"):
        scheduled[year].append(_stamp(when))
    years = [
        [year, live.get(year, 0), sorted(scheduled.get(year, ()))]
        for year in sorted(set(live) | set(scheduled), key=lambda y: (y is None, y))
    ]
    in_series = Q(
        tagged_commentaries__content_object__series_id=series_id,
        tagged_commentaries__content_object__status=PUBLISHED,
    )
    topics = (
        Topic.objects.filter(in_series)
        .values_list("slug", "name")
        .annotate(first=Min("tagged_commentaries__content_object__published_at"))
        .order_by("name", "slug")
    )
    authors = (
        Author.objects.filter(
            bylines__commentary__series_id=series_id, bylines__commentary__status=PUBLISHED
        )
        .values_list("slug", "name", "sort_name")
        .annotate(first=Min("bylines__commentary__published_at"))
        .order_by("sort_name", "name", "slug")
    )
    return {
        "years": years,
        "topics": [[slug, name, _stamp(first)] for slug, name, first in topics],
        "authors": [[slug, name, _stamp(first)] for slug, name, _sort, first in authors],
    }


def refresh(series_ids) -> int:
    """Work out again and store the menus of these series; returns how many
    changed. Nothing while the surroundings are deferred (a bulk load works
    out every series at its end)."""
    from .surroundings import is_deferred

    series_ids = {pk for pk in series_ids if pk is not None}
    if not series_ids or is_deferred() or batching.later(refresh, series_ids):
        return 0
    existing = set(Series.objects.filter(pk__in=series_ids).values_list("pk", flat=True))
    stored = dict(
        SeriesMenus.objects.filter(series_id__in=existing).values_list("series_id", "menus")
    )
    changed = 0
    for pk in existing:
        value = work_out(pk)
        if stored.get(pk) != value:
            SeriesMenus.objects.update_or_create(series_id=pk, defaults={"menus": value})
            changed += 1
    return changed


def refresh_for_pieces(piece_ids) -> int:
    """Refresh the menus of the series of these pieces, where published."""
    from .surroundings import is_deferred

    piece_ids = set(piece_ids)
    if is_deferred() or batching.later(refresh_for_pieces, piece_ids):
        return 0
    return refresh(
        Commentary.objects.filter(pk__in=list(piece_ids), status=PUBLISHED)
        .values_list("series_id", flat=True)
        .distinct()
    )


def refresh_all() -> int:
    return refresh(Series.objects.values_list("pk", flat=True))


def choices(series, *, author_limit) -> dict | None:
    """The series' menus as `selectors.filter_choices` gives them, from the
    stored data (one query), keeping what is true now; None when they were
    never worked out."""
    menus = SeriesMenus.objects.filter(series_id=series.pk).values_list("menus", flat=True).first()
    if not menus:
        return None
    now = timezone.now().timestamp()
    counts = {}
    for year, live, scheduled in menus["years"]:
        count = live + sum(1 for when in scheduled if when <= now)
        if count:
            counts[year] = count
    authors = [(slug, name) for slug, name, first in menus["authors"] if first <= now]
    return {
        "year_counts": counts,
        "years": sorted((y for y in counts if y), reverse=True),
        "topics": [(slug, name) for slug, name, first in menus["topics"] if first <= now],
        "authors": authors[: author_limit + 1],
    }


def piece_changed(sender, instance, **kwargs):
    """A piece saved or deleted while public, or leaving the public record:
    its series' menus (and its former series', if it moved)."""
    if not instance.touches_public_site():
        return
    series = {instance.series_id}
    loaded = getattr(instance, "_loaded_place", None)
    if loaded:
        series.add(loaded[2])
    refresh(series)


def connect() -> None:
    """Connect the receivers (from CommentariesConfig.ready, before the page
    cache's, which resets the place a piece was loaded with)."""
    from django.db.models.signals import post_delete, post_save

    post_save.connect(piece_changed, sender=Commentary, dispatch_uid="menus:piece:save")
    post_delete.connect(piece_changed, sender=Commentary, dispatch_uid="menus:piece:delete")
