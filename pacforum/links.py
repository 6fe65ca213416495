"""Addresses of the objects a page links to, remembered.

A listing links dozens of pieces, authors, topics and series, and Django's
`reverse()` matches its patterns anew for each (about a tenth of an uncached
page's time). An address depends only on the route, its arguments, the URLconf
and the script prefix, so it is remembered under all four.
"""

from functools import lru_cache

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse


def cached_reverse(viewname: str, **kwargs) -> str:
    urlconf = get_urlconf() or settings.ROOT_URLCONF
    return _reverse(urlconf, get_script_prefix(), viewname, tuple(kwargs.items()))


@lru_cache(maxsize=50_000)
def _reverse(urlconf, script_prefix, viewname, kwargs):
    return reverse(viewname, urlconf=urlconf, kwargs=dict(kwargs))
