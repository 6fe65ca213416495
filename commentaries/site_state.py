"""The site state: what every public page needs besides its own content
(every series with `has_published`, the navigation's static pages, the next
scheduled publication), built in two queries and cached until a publish or a
change to the navigation (the page-cache keys `all` and `site`).

The navigation (`pacforum/navigation.py`), series pages, search and feeds read
it; the page cache (`pacforum/pagecache.py`) asks it when content next changes
by itself, so no page outlives a scheduled publication.

With the shared cache off (`CACHE_DISABLED=true`, for benchmarks and
debugging) every cache read misses, and the state would be built again for
every request. It is a small list of rows, not a rendered page, so each
process then keeps the state it built for `LOCAL_SECONDS` (never past the
next scheduled publication): an edit made in another process shows in the
navigation within that time. No rendered page or fragment is kept anywhere:
"cold" pages are still built on every request.
"""

import time
from datetime import datetime

from django.conf import settings
from django.contrib.flatpages.models import FlatPage
from django.db.models import Exists, OuterRef, Subquery
from django.http import Http404
from django.utils import timezone

from pacforum.cache import cache_is_off
from pacforum.pagecache import SITE, derived, timeout_until

from .models import Commentary, Series

STATIC_PAGE_URLS = ("/about/", "/history/")
LOCAL_SECONDS = 5

_local = {"state": None, "until": 0.0}


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


def _kept_in_process():
    """The state this process built less than LOCAL_SECONDS ago, or a new one."""
    now = time.time()
    if _local["state"] is None or now >= _local["until"]:
        state = build_site_state()
        _local["state"] = state
        _local["until"] = min(now + LOCAL_SECONDS, state["next_publication"] or float("inf"))
    return _local["state"]


def forget_kept_state() -> None:
    """Drop the state kept in this process (tests, and after a change made here)."""
    _local["state"] = None


def site_state() -> dict:
    """The site state, cached until a publish or a navigation change (or,
    with the cache off, kept briefly in the process). It never outlives the
    next scheduled publication (a series may then get its first published
    piece), nor `PUBLIC_PAGE_CACHE_SECONDS`."""
    if cache_is_off():
        return _kept_in_process()
    return derived(
        "site-state",
        (SITE, "all"),
        build_site_state,
        timeout=lambda state: timeout_until(state["next_publication"]),
    )


def next_publication(request=None) -> float | None:
    """When content next changes by itself: the next scheduled publication
    (the page cache calls it with the request; the state is the same for all)."""
    return site_state()["next_publication"]


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


def series_by_slug(slug):
    """A series with a published piece, from the site state (no query once
    cached), or 404: a series is public only while it has one."""
    for series in site_state()["series"]:
        if series.slug == slug and series.has_published:
            return series
    raise Http404("No such series.")
