"""Whole-page caching of the readers' site for anonymous visitors.

Every cached page is stored under the current *content version*. Saving or
deleting anything a public page shows (a piece, a byline, an author, a topic,
a series, a static page, a redirect) starts a new version, so every page is
rebuilt on its next visit; the receivers are connected at start-up
(`pacforum/apps.py`) so that every code path that saves through the ORM
(admin, shell, importer, services) invalidates. A cached page never outlives
the next scheduled publish time, so scheduled pieces appear on time, and never
lives longer than
`PUBLIC_PAGE_CACHE_SECONDS` (which also bounds staleness after raw SQL edits).

Logged-in visitors are never served a cached page and their pages are never
stored. Responses carry an ETag and Last-Modified so repeat visits get 304s.

A page is keyed by scheme, host, path and only the query parameters it reads
(declared with `public_page(view, query=(...))`, sorted; tracking parameters
and anything else are ignored), and a hit carries every header the miss got
from the middleware below the cache (X-Frame-Options, …): the entry is stored
by `PublicPageCacheMiddleware` on the way out, with the final headers. One
client (REMOTE_ADDR) may add at most `PUBLIC_PAGE_CACHE_CLIENT_LIMIT` new
entries per window; past that its pages are served but not stored.
"""

import hashlib
import time
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse
from django.urls import Resolver404, resolve
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.http import http_date

VERSION_KEY = "public-pages:version"
DERIVED_KEY = "public-pages:derived:{version}:{name}"
# One entry per address; it records the content version it was built under and
# counts only while that version is current (so one round trip to the cache
# fetches both the version and the page).
PAGE_KEY = "public-pages:page:{digest}"
CLIENT_KEY = "public-pages:client:{digest}"
# Set on the way out by the middlewares below the cache and on every response
# anyway, or recomputed for each answer: never stored with a page.
UNSTORED_HEADERS = {
    "cache-control",
    "content-length",
    "content-type",
    "date",
    "etag",
    "expires",
    "last-modified",
    "set-cookie",
    "x-cache",
    "x-request-id",
}


def cache_seconds() -> int:
    return getattr(settings, "PUBLIC_PAGE_CACHE_SECONDS", 300)


def browser_seconds() -> int:
    return getattr(settings, "PUBLIC_PAGE_BROWSER_SECONDS", 60)


def content_version() -> str:
    """The current content version: the time (ns) of the last change."""
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, str(time.time_ns()), None)
        version = cache.get(VERSION_KEY) or str(time.time_ns())
    return version


def _new_version(**kwargs) -> None:
    cache.set(VERSION_KEY, str(time.time_ns()), None)


def content_changed(instance=None, **kwargs) -> None:
    """Signal receiver: start a new content version now and again after commit
    (a page built while the transaction was open must not survive it).
    Drafts and pieces in review, with their bylines and topics, are not on
    the public site: saving them leaves the cached pages alone."""
    touches = getattr(instance, "touches_public_site", None)
    if touches is not None and not touches():
        return
    _new_version()
    transaction.on_commit(_new_version)


def version_time(version: str) -> float:
    try:
        return int(version) / 1e9
    except ValueError:
        return time.time()


def register_next_change(source) -> None:
    """Tell the page cache when content next changes by itself: `source(request)`
    returns a timestamp (a scheduled publication) or None. A page is never
    cached past it. Set once at start-up by the app that schedules content."""
    global _next_change
    _next_change = source


def _no_scheduled_change(request=None):
    return None


_next_change = _no_scheduled_change


def per_content_version(request, name: str, build):
    """`build()`'s result, shared by every page built under the current
    content version: a listing's filter menus are the same on each of its
    pages and filtered views, so a crawler walking `?page=1…5000` after a
    publish computes them once, not 5,000 times. Only for data that depends
    on published content alone (it is shared by staff and readers)."""
    found = getattr(request, "_page_cache", None)
    version = found[1] if found else content_version()
    key = DERIVED_KEY.format(version=version, name=name)
    value = cache.get(key)
    if value is None:
        value = build()
        cache.set(key, value, page_timeout(request))
    return value


def timeout_until(next_publication: float | None) -> int:
    """`PUBLIC_PAGE_CACHE_SECONDS`, cut short to end just after
    `next_publication` (a timestamp) when it comes sooner."""
    timeout = cache_seconds()
    if next_publication is not None:
        timeout = min(timeout, max(1, int(next_publication - time.time()) + 1))
    return timeout


def page_timeout(request=None) -> int:
    """How long a page built now may be cached: until the next scheduled
    publication at the latest."""
    return timeout_until(_next_change(request))


def _is_anonymous(request) -> bool:
    user = getattr(request, "user", None)
    return user is None or not user.is_authenticated


def _finish(request, response, *, last_modified: float, max_age: int):
    if not response.has_header("ETag"):
        response["ETag"] = f'"{hashlib.md5(response.content, usedforsecurity=False).hexdigest()}"'
    response["Last-Modified"] = http_date(last_modified)
    patch_cache_control(response, public=True, max_age=max(0, min(browser_seconds(), max_age)))
    patch_vary_headers(response, ["Cookie"])
    return get_conditional_response(
        request,
        etag=response["ETag"],
        last_modified=int(last_modified),
        response=response,
    )


def page_address(request, query=()) -> str:
    """What a page is cached under: scheme, host (already checked against
    ALLOWED_HOSTS), path and the parameters in `query` that the request has,
    sorted, so `?b=1&a=2&utm_source=x` and `?a=2&b=1` share an entry."""
    pairs = sorted(
        (name, value) for name in set(query) for value in request.GET.getlist(name) if value
    )
    address = f"{request.scheme}://{request.get_host()}{request.path}"
    return f"{address}?{urlencode(pairs)}" if pairs else address


def _page_key(request, query=()) -> str:
    digest = hashlib.sha256(page_address(request, query).encode()).hexdigest()
    return PAGE_KEY.format(digest=digest)


def client_limit() -> tuple[int, int]:
    return getattr(settings, "PUBLIC_PAGE_CACHE_CLIENT_LIMIT", (300, 300))


def _client_may_add(request) -> bool:
    """Count one new entry for this client; False once it is over its limit."""
    entries, window = client_limit()
    client = request.META.get("REMOTE_ADDR", "")
    key = CLIENT_KEY.format(digest=hashlib.sha256(client.encode()).hexdigest())
    if cache.add(key, 1, window):
        return entries >= 1
    try:
        return cache.incr(key) <= entries
    except ValueError:
        return cache.add(key, 1, window) and entries >= 1


def cached_response(request, query=()):
    """The cached page for this anonymous GET/HEAD request, or None; either way
    remembers the key and content version on the request, for a page built next."""
    key = _page_key(request, query)
    found = cache.get_many([VERSION_KEY, key])
    version = found.get(VERSION_KEY) or content_version()
    request._page_cache = (key, version)
    stored = found.get(key)
    if stored is None or stored.get("version") != version:
        return None
    response = HttpResponse(stored["content"], content_type=stored["content_type"])
    for header, value in stored["headers"].items():
        response[header] = value
    response["Content-Length"] = str(len(stored["content"]))
    response["ETag"] = stored["etag"]
    response["X-Cache"] = "hit"
    return _finish(
        request,
        response,
        last_modified=version_time(version),
        max_age=int(stored["expires"] - time.time()),
    )


def _store(request, response, pending) -> None:
    """Store a page built for this request, with the headers of `response`
    (the answer as the middleware below the cache left it)."""
    key, entry, timeout = pending
    if response.cookies or response.status_code not in (200, 304):
        return
    entry["headers"].update(
        (name, value) for name, value in response.items() if name.lower() not in UNSTORED_HEADERS
    )
    if _client_may_add(request):
        cache.set(key, entry, timeout)


class PublicPageCacheMiddleware:
    """Serve cached public pages before sessions, authentication and the view:
    a request without a session cookie is anonymous, and any page stored
    under its address was stored for an anonymous visitor. The address is
    resolved only to learn which query parameters the page reads. On a miss
    the `public_page` view builds the page, and the entry is stored here on
    the way out, with every header the middleware below added."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method not in ("GET", "HEAD") or (
            settings.SESSION_COOKIE_NAME in request.COOKIES
        ):
            return self.get_response(request)
        request.get_host()  # an unknown Host is still refused (400)
        try:
            query = getattr(resolve(request.path_info).func, "page_cache_query", None)
        except Resolver404:
            query = None
        if query is not None:
            response = cached_response(request, query)
            if response is not None:
                return response
        request._page_cache_stored_on_the_way_out = True
        response = self.get_response(request)
        pending = getattr(response, "_page_cache_pending", None)
        if pending is not None:
            _store(request, response, pending)
        return response


def public_page(view, *, query=()):
    """Cache a public view's successful anonymous GET/HEAD responses. `query`
    names the query parameters the page reads (its filters, `page`): the
    others do not make a new cache entry."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.method not in ("GET", "HEAD"):
            return view(request, *args, **kwargs)
        if not _is_anonymous(request):
            response = view(request, *args, **kwargs)
            patch_cache_control(response, private=True, no_cache=True)
            patch_vary_headers(response, ["Cookie"])
            return response

        if getattr(request, "_page_cache", None) is None:  # not looked up yet
            response = cached_response(request, query)
            if response is not None:
                return response
        key, version = request._page_cache

        response = view(request, *args, **kwargs)
        if hasattr(response, "render") and callable(response.render):
            response = response.render()
        if response.status_code != 200 or response.streaming or response.cookies:
            return response
        timeout = page_timeout(request)
        if not response.has_header("ETag"):
            digest = hashlib.md5(response.content, usedforsecurity=False).hexdigest()
            response["ETag"] = f'"{digest}"'
        entry = {
            "version": version,
            "content": response.content,
            "content_type": response["Content-Type"],
            "etag": response["ETag"],
            "headers": {},
            "expires": time.time() + timeout,
        }
        response["X-Cache"] = "miss"
        response = _finish(request, response, last_modified=version_time(version), max_age=timeout)
        if getattr(request, "_page_cache_stored_on_the_way_out", False):
            response._page_cache_pending = (key, entry, timeout)
        else:  # served without the middleware
            _store(request, response, (key, entry, timeout))
        return response

    wrapped.page_cache_query = tuple(query)
    return wrapped


def connect_invalidation() -> None:
    """Connect the receivers that start a new content version (from apps.ready)."""
    from django.apps import apps
    from django.db.models.signals import m2m_changed, post_delete, post_save

    labels = [
        "commentaries.Commentary",
        "commentaries.Byline",
        "commentaries.Series",
        "commentaries.Topic",
        "commentaries.TaggedCommentary",
        "authors.Author",
        "authors.Affiliation",
        "authors.Organization",
        "authors.FormerSlug",
        "flatpages.FlatPage",
        "redirects.Redirect",
        "sites.Site",
    ]
    for label in labels:
        model = apps.get_model(label)
        uid = f"public-pages:{label}"
        post_save.connect(content_changed, sender=model, dispatch_uid=uid + ":save")
        post_delete.connect(content_changed, sender=model, dispatch_uid=uid + ":delete")
    flatpage_sites = apps.get_model("flatpages.FlatPage").sites.through
    m2m_changed.connect(content_changed, sender=flatpage_sites, dispatch_uid="public-pages:fps")
