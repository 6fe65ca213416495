from django.conf import settings
from django.contrib.flatpages.models import FlatPage
from django.core.cache import cache
from django.db.models import Exists, OuterRef
from django.utils.functional import SimpleLazyObject

from .cache import NAVIGATION_KEY, cache_seconds, content_version
from .models import Commentary, Series

STATIC_PAGE_URLS = ("/about/", "/history/")


def _navigation():
    key = NAVIGATION_KEY.format(version=content_version())
    navigation = cache.get(key)
    if navigation is None:
        pages = {
            page.url: page.title
            for page in FlatPage.objects.filter(
                url__in=STATIC_PAGE_URLS,
                sites__id=settings.SITE_ID,
                registration_required=False,
            ).only("url", "title")
        }
        navigation = {
            "series": [
                {
                    "name": series.name,
                    "slug": series.slug,
                    "url": series.get_absolute_url(),
                    "subscribable": series.subscribable,
                }
                for series in Series.objects.filter(
                    Exists(Commentary.objects.published().filter(series=OuterRef("pk")))
                ).only("name", "slug", "subscribable", "position")
            ],
            "pages": [
                {"url": url, "title": pages[url]} for url in STATIC_PAGE_URLS if url in pages
            ],
        }
        cache.set(key, navigation, cache_seconds())
    return navigation


def navigation(request):
    """Series with published pieces and the static pages, for the header and
    footer; cached per content version (so templates never query)."""
    return {
        "navigation": SimpleLazyObject(_navigation),
        "page_url": request.build_absolute_uri(request.path),
    }
