"""The site state: what every public page needs besides its own content
(every series with `has_published`, the navigation's static pages, the next
scheduled publication), built in two queries and cached per content version.

The navigation (`pacforum/navigation.py`), series pages and feeds read it; the
page cache (`pacforum/pagecache.py`) asks it when content next changes by
itself, so no page outlives a scheduled publication.
"""

from datetime import datetime

from django.conf import settings
from django.contrib.flatpages.models import FlatPage
from django.core.cache import cache
from django.db.models import Exists, OuterRef, Subquery
from django.http import Http404
from django.utils import timezone

from pacforum.pagecache import content_version, timeout_until

from .models import Commentary, Series

SITE_STATE_KEY = "public-pages:site-state:{version}"
STATIC_PAGE_URLS = ("/about/", "/history/")


def build_site_state():
    """Every series (with `has_published`), the navigation's static pages and
    the next scheduled publication time (a timestamp or None): two queries."""
    in_series = Commentary.objects.filter(series=OuterRef("pk")).order_by()
    series = list(
        Series.objects.annotate(
            has_published=Exists(in_series.published()),
            next_scheduled=Subquery(
                in_series.scheduled().order_by("published_at").values("published_at")[:1]
            ),
        )
    )
    upcoming = [s.next_scheduled for s in series if s.next_scheduled is not None]
    pages = {
        page.url: page.title
        for page in FlatPage.objects.filter(
            url__in=STATIC_PAGE_URLS, sites__id=settings.SITE_ID, registration_required=False
        ).only("url", "title")
    }
    return {
        "series": series,
        "pages": [{"url": url, "title": pages[url]} for url in STATIC_PAGE_URLS if url in pages],
        "next_publication": min(upcoming).timestamp() if upcoming else None,
    }


def site_state(request=None) -> dict:
    """The site state, cached per content version and built once per request.

    It never outlives the next scheduled publication (a series may then get its
    first published piece), nor `PUBLIC_PAGE_CACHE_SECONDS`."""
    state = getattr(request, "_site_state", None)
    if state is not None:
        return state
    key = SITE_STATE_KEY.format(version=content_version())
    state = cache.get(key)
    if state is None:
        state = build_site_state()
        cache.set(key, state, timeout_until(state["next_publication"]))
    if request is not None:
        request._site_state = state
    return state


def next_publication(request=None) -> float | None:
    """When content next changes by itself: the next scheduled publication."""
    return site_state(request)["next_publication"]


def seconds_until_next_publication(now: datetime | None = None) -> int | None:
    upcoming = (
        Commentary.objects.scheduled()
        .order_by("published_at")
        .values_list("published_at", flat=True)[:1]
    )
    if not upcoming:
        return None
    now = now or timezone.now()
    return max(1, int((upcoming[0] - now).total_seconds()) + 1)


def series_by_slug(slug, request=None):
    """A series with a published piece, from the cached site state (no query
    once cached), or 404: a series is public only while it has one."""
    for series in site_state(request)["series"]:
        if series.slug == slug and series.has_published:
            return series
    raise Http404("No such series.")
