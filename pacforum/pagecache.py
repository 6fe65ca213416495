"""Whole-page caching of the readers' site for anonymous visitors, with
invalidation by cache key.

Every page records the *cache keys* of what it shows (`page_shows`): the
piece, its authors, its topics, the pieces it links, the listings it belongs
to, and `site` (the navigation, on every page). Each key has a version in the
cache, the time of its last change (an integer of ns). A stored page keeps
the versions its keys had when it was built; it is fresh while every one of them is still
current and its lifetime has not run out. A change calls `invalidate(*keys)`:
that moves those keys' versions on, so exactly the pages that carry one of
them go stale, and nothing else (docs/architecture.md, "Invalidation").
Which saves invalidate which keys is the content apps' business
(`commentaries/cachekeys.py`); `flush_page_cache` invalidates `site`, hence
every page (for raw SQL edits).

Pages live `PUBLIC_PAGE_CACHE_SECONDS` (a day by default), never past the
next scheduled publication (`register_next_change`), so a scheduled piece
appears on time even before the go-live tick invalidates its keys.

No stampede: when a stale page is asked for, one request (across processes and
nodes: a lock in the cache) rebuilds it while the others are served the stale
copy, for at most `PUBLIC_PAGE_STALE_SECONDS` after the change or expiry.

Logged-in visitors are never served a cached page and their pages are never
stored. Responses carry an ETag and Last-Modified so repeat visits get 304s,
and, with an edge cache configured (`pacforum.edge`), their keys in the edge's
surrogate-key header and `s-maxage`/`stale-while-revalidate`.

A page is keyed by scheme, host, path and only the query parameters it reads
(declared with `public_page(view, query=(...))`, sorted; tracking parameters
and anything else are ignored), and a hit carries every header the miss got
from the middleware below the cache (X-Frame-Options, …): the entry is stored
by `PublicPageCacheMiddleware` on the way out, with the final headers. One
client (REMOTE_ADDR) may add at most `PUBLIC_PAGE_CACHE_CLIENT_LIMIT` new
entries per window; past that its pages are served but not stored.
"""

import contextvars
import hashlib
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache, wraps
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache, caches
from django.db import transaction
from django.http import HttpResponse
from django.urls import Resolver404, get_urlconf, resolve
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.http import http_date

from . import edge
from .cache import FailSafeRedisCache, cache_is_off

# Every page shows the navigation: invalidating `site` makes every page stale.
SITE = "site"
KEY_VERSION = "public-pages:key:{key}"
DERIVED_KEY = "public-pages:derived:{name}:{digest}"
# One entry per address, with the versions of the keys it was built under.
PAGE_KEY = "public-pages:page:{digest}"
# Held by the one request that rebuilds a stale page.
LOCK_KEY = "public-pages:rebuilding:{digest}"
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
    "xkey",
    "cache-tag",
}


def cache_seconds() -> int:
    return getattr(settings, "PUBLIC_PAGE_CACHE_SECONDS", 86400)


def stale_seconds() -> int:
    return getattr(settings, "PUBLIC_PAGE_STALE_SECONDS", 60)


def rebuild_lock_seconds() -> int:
    return getattr(settings, "PUBLIC_PAGE_REBUILD_LOCK_SECONDS", 30)


def browser_seconds() -> int:
    return getattr(settings, "PUBLIC_PAGE_BROWSER_SECONDS", 60)


# ---------------------------------------------------------------------------
# Keys and their versions
# ---------------------------------------------------------------------------


def _version_keys(keys) -> dict[str, str]:
    return {KEY_VERSION.format(key=key): key for key in keys}


def key_versions(keys) -> dict[str, int | None]:
    """{key: its current version, or None if the cache has none}: one round trip."""
    names = _version_keys(keys)
    found = cache.get_many(list(names)) if names else {}
    return {key: found.get(name) for name, key in names.items()}


def ensure_versions(keys, initial: int | None = None) -> dict[str, int] | None:
    """{key: current version}, giving a key that has none (never changed, or
    forgotten by the cache) a first version, `initial` (ns) or now: a later
    change moves it on. None when the cache keeps nothing (no cache)."""
    versions = key_versions(keys)
    missing = [key for key, version in versions.items() if version is None]
    if missing:
        first = initial if initial is not None else time.time_ns()
        for key in missing:
            cache.add(KEY_VERSION.format(key=key), first, None)
        versions.update(key_versions(missing))
        if any(versions[key] is None for key in missing):
            return None
    return versions


def _bump(keys) -> None:
    version = time.time_ns()
    cache.set_many(dict.fromkeys(_version_keys(keys), version), None)


_held: contextvars.ContextVar[bool] = contextvars.ContextVar("page_cache_held", default=False)


@contextmanager
def held():
    """Inside, changes invalidate nothing one by one (`is_held`: the content
    apps' receivers skip working out their keys); on the way out every page is
    made stale at once (`flush`). For code that writes a whole archive in one
    go (the demo loader, the archive loader), where the keys of each change
    cost queries and every page goes stale anyway."""
    token = _held.set(True)
    try:
        yield
    finally:
        _held.reset(token)
        flush()


def is_held() -> bool:
    return _held.get()


def invalidate(*keys: str) -> None:
    """Make every page that shows one of `keys` stale: now, and again after
    the transaction commits (a page built while it was open must not survive
    it); after the commit, purge the keys at the edge cache, if there is one
    (a queued task, `pacforum.edge`). Nothing while `held` (which flushes)."""
    keys = sorted(set(keys))
    if not keys or _held.get():
        return
    _bump(keys)

    def committed():
        _bump(keys)
        edge.purge_later(keys)

    transaction.on_commit(committed)


def versions_time(versions) -> float:
    """The time of the latest change among `versions` (a timestamp)."""
    times = [int(v) for v in versions if v]
    return max(times) / 1e9 if times else time.time()


# ---------------------------------------------------------------------------
# What the page being built shows
# ---------------------------------------------------------------------------


@dataclass
class PageBuild:
    """The page the current request is building: when it started (ns), and
    the keys it shows."""

    started: int = field(default_factory=time.time_ns)
    keys: set = field(default_factory=lambda: {SITE})


_building: contextvars.ContextVar[PageBuild | None] = contextvars.ContextVar(
    "page_build", default=None
)


def page_shows(*keys: str) -> None:
    """Declare that the page being built shows what these cache keys name. A
    no-op outside a cached page (the staff's pages, a preview)."""
    build = _building.get()
    if build is not None:
        build.keys.update(keys)


# ---------------------------------------------------------------------------
# Lifetimes
# ---------------------------------------------------------------------------


def register_next_change(source) -> None:
    """Tell the page cache when content next changes by itself: `source(request)`
    returns a timestamp (a scheduled publication) or None. A page is never
    cached past it. Set once at start-up by the app that schedules content."""
    global _next_change
    _next_change = source


def _no_scheduled_change(request=None):
    return None


_next_change = _no_scheduled_change


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


def derived(name: str, keys, build, *, request=None, timeout=None):
    """`build()`'s result, shared by every page built while `keys` do not
    change: a listing's filter menus are the same on each of its pages and
    filtered views, so a crawler walking `?page=1…5000` after a publish
    computes them once, not 5,000 times. Only for data that depends on
    published content alone (it is shared by staff and readers); the pages
    that show it declare its keys themselves. `timeout(value)` gives its
    lifetime (by default a page's)."""
    if cache_is_off():
        return build()
    keys = sorted(set(keys) | {SITE})
    # A key seen for the first time while a page is built starts its history
    # at the build's start, which leaves that page storable.
    building = _building.get()
    versions = ensure_versions(keys, initial=building.started if building else None)
    if versions is None:  # no cache
        return build()
    stamp = "|".join(f"{key}={versions[key]}" for key in keys)
    digest = hashlib.sha256(stamp.encode()).hexdigest()
    cache_key = DERIVED_KEY.format(name=name, digest=digest)
    value = cache.get(cache_key)
    if value is None:
        value = build()
        cache.set(cache_key, value, timeout(value) if timeout else page_timeout(request))
    return value


# ---------------------------------------------------------------------------
# Entries
# ---------------------------------------------------------------------------


def page_address(request, query=()) -> str:
    """What a page is cached under: scheme, host (already checked against
    ALLOWED_HOSTS), path and the parameters in `query` that the request has,
    sorted, so `?b=1&a=2&utm_source=x` and `?a=2&b=1` share an entry."""
    pairs = sorted(
        (name, value) for name in set(query) for value in request.GET.getlist(name) if value
    )
    address = f"{request.scheme}://{request.get_host()}{request.path}"
    return f"{address}?{urlencode(pairs)}" if pairs else address


def _digest(request, query=()) -> str:
    return hashlib.sha256(page_address(request, query).encode()).hexdigest()


@dataclass
class Lookup:
    """What the cache holds for one address: `entry` (or None), and whether
    it is fresh, or stale but still fit to serve while another request
    rebuilds it."""

    digest: str
    entry: dict | None = None
    fresh: bool = False
    servable_stale: bool = False


def _write_entry(digest, entry, timeout) -> None:
    """Store an entry; in Redis with its keys' versions listed beside it, so
    `_read_entry` reads it and learns which of them changed in one round trip."""
    key = PAGE_KEY.format(digest=digest)
    backend = caches["default"]
    if isinstance(backend, FailSafeRedisCache):
        listed = {KEY_VERSION.format(key=key): int(v) for key, v in entry["keys"].items()}
        backend.set_with_listed(key, entry, timeout, listed)
    else:
        cache.set(key, entry, timeout)


def _read_entry(digest):
    """(the entry stored for `digest` or None, {key: current version} when the
    cache read them with it, else None)."""
    page_key = PAGE_KEY.format(digest=digest)
    backend = caches["default"]
    if not isinstance(backend, FailSafeRedisCache):
        return cache.get(page_key), None
    entry, changed = backend.get_with_listed(page_key)
    if changed is None or not isinstance(entry, dict) or "keys" not in entry:
        return entry, None
    current = {key: changed.pop(KEY_VERSION.format(key=key), v) for key, v in entry["keys"].items()}
    if changed:  # listed for other keys than the entry's
        return entry, None
    return entry, current


def lookup(request, query=()) -> Lookup:
    """The entry for this address and its state: one round trip to Redis (the
    entry and its keys' versions), two to other caches (the entry, then the
    versions)."""
    found = Lookup(_digest(request, query))
    entry, current = _read_entry(found.digest)
    if entry is None or "keys" not in entry:
        return found
    found.entry = entry
    if current is None:
        current = key_versions(entry["keys"])
    changed = [key for key, version in entry["keys"].items() if current[key] != version]
    now = time.time()
    if not changed and entry["expires"] > now:
        found.fresh = True
        return found
    if any(current[key] is None for key in changed):
        return found  # a version the cache lost: its time is unknown, rebuild
    stale_since = min(
        [int(current[key]) / 1e9 for key in changed]
        + ([entry["expires"]] if entry["expires"] <= now else [])
    )
    found.servable_stale = now - stale_since < stale_seconds()
    return found


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


def _is_anonymous(request) -> bool:
    user = getattr(request, "user", None)
    return user is None or not user.is_authenticated


def _headers_for_shared_caches(response, keys, *, max_age: int, stale: bool) -> None:
    """Cache-Control for browsers (a minute at most) and, with an edge cache
    configured (`pacforum.edge`), for it: the page's lifetime (`s-maxage`;
    the edge is purged when the page changes) and its keys in the edge's
    surrogate-key header. Without one, shared caches get browsers' minute:
    nothing would purge them."""
    browser = max(0, min(browser_seconds(), max_age))
    backend = edge.backend()
    if backend is None:
        patch_cache_control(response, public=True, max_age=browser)
        return
    patch_cache_control(
        response,
        public=True,
        max_age=browser,
        s_maxage=0 if stale else max(0, max_age),
        stale_while_revalidate=stale_seconds(),
    )
    if not stale:
        response[backend.header] = backend.header_value(sorted(keys))


def _answer(request, entry, *, stale: bool):
    response = HttpResponse(entry["content"], content_type=entry["content_type"])
    for header, value in entry["headers"].items():
        response[header] = value
    response["Content-Length"] = str(len(entry["content"]))
    response["ETag"] = entry["etag"]
    response["X-Cache"] = "stale" if stale else "hit"
    return _finish(
        request,
        response,
        entry["keys"],
        last_modified=versions_time(entry["keys"].values()),
        max_age=int(entry["expires"] - time.time()),
        stale=stale,
    )


def _finish(request, response, keys, *, last_modified: float, max_age: int, stale=False):
    if not response.has_header("ETag"):
        response["ETag"] = f'"{hashlib.md5(response.content, usedforsecurity=False).hexdigest()}"'
    response["Last-Modified"] = http_date(last_modified)
    _headers_for_shared_caches(response, keys, max_age=max_age, stale=stale)
    patch_vary_headers(response, ["Cookie"])
    return get_conditional_response(
        request,
        etag=response["ETag"],
        last_modified=int(last_modified),
        response=response,
    )


def _entry_for(response, keys, started_ns: int, request):
    """The cache entry for a page just built, or None when one of its keys
    changed while it was being built (it may show the older content)."""
    versions = ensure_versions(keys, initial=started_ns)
    if versions is None or any(int(version) > started_ns for version in versions.values()):
        return None
    timeout = page_timeout(request)
    return {
        "keys": versions,
        "content": response.content,
        "content_type": response["Content-Type"],
        "etag": response["ETag"],
        "headers": {},
        "expires": time.time() + timeout,
    }


def _store(request, response, digest, entry) -> None:
    """Store a page built for this request, with the headers of `response`
    (the answer as the middleware below the cache left it)."""
    if entry is None or response.cookies or response.status_code not in (200, 304):
        return
    entry["headers"].update(
        (name, value) for name, value in response.items() if name.lower() not in UNSTORED_HEADERS
    )
    if _client_may_add(request):
        timeout = max(1, int(entry["expires"] - time.time())) + stale_seconds()
        _write_entry(digest, entry, timeout)


# ---------------------------------------------------------------------------
# Middleware and view wrapper
# ---------------------------------------------------------------------------


@dataclass
class PageRequest:
    """Between the middleware and the `public_page` wrapper of one request:
    the address's digest, and the entry built on a miss (stored by the
    middleware on the way out, with the final headers)."""

    digest: str
    looked_up: bool = True
    built: dict | None = None


_page_request: contextvars.ContextVar[PageRequest | None] = contextvars.ContextVar(
    "page_request", default=None
)


@lru_cache(maxsize=1024)
def _page_cache_query(urlconf, path) -> tuple | None:
    """The query parameters the public page at `path` reads, or None when
    `path` is no public page (under `urlconf`, the request's). Remembered:
    resolving a commentary's path took ~90 us, ~5% of a cached page, and a
    process is asked for the same paths again and again."""
    try:
        return getattr(resolve(path, urlconf).func, "page_cache_query", None)
    except Resolver404:
        return None


class PublicPageCacheMiddleware:
    """Serve cached public pages before every other middleware but the
    request log (settings.MIDDLEWARE): a request without a session cookie is
    anonymous, and any page stored under its address was stored for an
    anonymous visitor. The address is resolved only to learn which query
    parameters the page reads. On a miss the `public_page` view builds the
    page, and the entry is stored here on the way out, with every header the
    middleware below added (security headers, CSP, X-Frame-Options, …), so a
    hit answers with them without running that middleware. A stale page is
    rebuilt by one request at a time; the others get the stale copy."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            request.method not in ("GET", "HEAD")
            or settings.SESSION_COOKIE_NAME in request.COOKIES
            or cache_is_off()
        ):
            return self.get_response(request)
        request.get_host()  # an unknown Host is still refused (400)
        query = _page_cache_query(get_urlconf(), request.path_info)
        if query is None:
            return self.get_response(request)

        found = lookup(request, query)
        if found.fresh:
            return _answer(request, found.entry, stale=False)
        lock = None
        if found.servable_stale:
            lock = LOCK_KEY.format(digest=found.digest)
            if not cache.add(lock, 1, rebuild_lock_seconds()):
                return _answer(request, found.entry, stale=True)
            again = lookup(request, query)  # rebuilt while we took the lock?
            if again.fresh:
                cache.delete(lock)
                return _answer(request, again.entry, stale=False)
        page = PageRequest(found.digest)
        token = _page_request.set(page)
        try:
            response = self.get_response(request)
            _store(request, response, page.digest, page.built)
        finally:
            _page_request.reset(token)
            if lock is not None:
                cache.delete(lock)
        return response


def _rendered(response):
    if hasattr(response, "render") and callable(response.render):
        response = response.render()
    return response


def public_page(view, *, query=()):
    """Cache a public view's successful anonymous GET/HEAD responses. `query`
    names the query parameters the page reads (its filters, `page`): the
    others do not make a new cache entry. The view declares what it shows
    with `page_shows`."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.method not in ("GET", "HEAD"):
            return view(request, *args, **kwargs)
        if not _is_anonymous(request):
            response = view(request, *args, **kwargs)
            patch_cache_control(response, private=True, no_cache=True)
            patch_vary_headers(response, ["Cookie"])
            return response

        if cache_is_off():
            # Every page is built and nothing is stored: no keys to collect.
            page, build = None, None
            response = _rendered(view(request, *args, **kwargs))
        else:
            page = _page_request.get()
            if page is None:  # served without the middleware
                found = lookup(request, query)
                if found.fresh:
                    return _answer(request, found.entry, stale=False)
                page = PageRequest(found.digest, looked_up=False)
            build = PageBuild()
            token = _building.set(build)
            try:
                response = _rendered(view(request, *args, **kwargs))
            finally:
                _building.reset(token)
        if response.status_code != 200 or response.streaming or response.cookies:
            return response
        if not response.has_header("ETag"):
            digest = hashlib.md5(response.content, usedforsecurity=False).hexdigest()
            response["ETag"] = f'"{digest}"'
        response["X-Cache"] = "miss"
        if build is None:  # the cache is off
            return _finish(request, response, (), last_modified=time.time(), max_age=0, stale=True)
        entry = _entry_for(response, build.keys, build.started, request)
        if entry is None:  # changed while it was built: not stored, not kept by the edge
            response = _finish(
                request, response, build.keys, last_modified=time.time(), max_age=0, stale=True
            )
            return response
        response = _finish(
            request,
            response,
            build.keys,
            last_modified=versions_time(entry["keys"].values()),
            max_age=int(entry["expires"] - time.time()),
        )
        if page.looked_up:
            page.built = entry
        else:
            _store(request, response, page.digest, entry)
        return response

    wrapped.page_cache_query = tuple(query)
    return wrapped


def flush() -> None:
    """Make every cached page stale (and purge the edge): for changes made
    behind the ORM's back (raw SQL, `QuerySet.update()`)."""
    invalidate(SITE)
