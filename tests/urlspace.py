"""The site's URL space, read from the URL resolver: every pattern outside the
admin, the query parameters each page reads, and example addresses built from
the objects a test created. Tests that walk it cover new pages unedited."""

import itertools
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver, reverse

# Query parameters a public page may read that its `public_page` declaration
# does not list: WordPress short links on the home page (answered above the
# page cache) and the series preselected on the subscription form.
EXTRA_QUERY = {"commentaries:home": ("p", "page_id"), "subscriptions:subscribe": ("series",)}


@dataclass(frozen=True)
class Route:
    name: str  # "namespace:name"
    kwargs: tuple[str, ...]
    callback: object

    @property
    def page_cached(self):
        """Wrapped by `pacforum.pagecache.public_page`."""
        code = getattr(self.callback, "__code__", None)
        return code is not None and code.co_filename.endswith("pagecache.py")

    @property
    def query(self):
        declared = getattr(self.callback, "page_cache_query", ())
        return tuple(declared) + EXTRA_QUERY.get(self.name, ())


def routes():
    """Every named URL pattern outside the admin."""

    def walk(patterns, namespace, kwargs):
        for pattern in patterns:
            names = tuple(pattern.pattern.regex.groupindex)
            if isinstance(pattern, URLResolver):
                if str(pattern.pattern).startswith("admin/"):
                    continue
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                yield from walk(pattern.url_patterns, inner, kwargs + names)
            elif isinstance(pattern, URLPattern) and pattern.name:
                yield Route(f"{namespace}{pattern.name}", kwargs + names, pattern.callback)

    return list(walk(get_resolver().url_patterns, "", ()))


def example_values(objects):
    """Candidate values for each URL keyword, from a test's objects."""
    piece, topic, author = objects["piece"], objects["topic"], objects["author"]
    return {
        "series": [piece.series.slug],
        "year": [str(piece.year)],
        "slug": [piece.slug, topic.slug, author.slug, piece.series.slug],
        "format": ["bib", "ris"],
        "section": ["series", "commentaries", "topics", "authors", "pages", "static"],
        "token": objects["tokens"] if "tokens" in objects else [objects["token"]],
        "pk": [str(piece.pk)],
        "path": [objects.get("media_path", "missing.png")],
    }


def example_url(client, route, objects):
    """An address of `route` built from the objects, preferring one that
    answers 200 or 302 for a visitor; None when none of them answers."""
    values = example_values(objects)
    unknown = [name for name in route.kwargs if name not in values]
    assert not unknown, f"{route.name}: no example values for {unknown}"
    for combination in itertools.product(*(values[name] for name in route.kwargs)):
        url = reverse(route.name, kwargs=dict(zip(route.kwargs, combination, strict=True)))
        if client.get(url).status_code in (200, 302):
            return url
    return None


def example_urls(client, objects, *, only_page_cached=False):
    """({route name: an address that answers 200 or 302}, [names with none])."""
    found, missing = {}, []
    for route in routes():
        if only_page_cached and not route.page_cached:
            continue
        url = example_url(client, route, objects)
        if url is None:
            missing.append(route.name)
        else:
            found[route.name] = url
    return found, missing
