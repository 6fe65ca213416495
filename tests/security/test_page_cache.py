"""A cached page is the page: same headers on a hit as on a miss, its own host
and scheme in every absolute address, and a bounded number of variants."""

import re

import pytest
from django.core.cache import cache

from tests.factories import AuthorFactory, BylineFactory, CommentaryFactory, TopicFactory
from tests.urlspace import example_urls, routes

pytestmark = pytest.mark.django_db

HOSTS = ["localhost", "127.0.0.1"]
SCHEMES = ["http", "https"]
# Differ on every response by design.
PER_RESPONSE = {"date", "x-request-id", "x-cache"}
OUR_ADDRESS = re.compile(r"(https?)://(localhost|127\.0\.0\.1)(?::\d+)?(?=[/\"'<\s])")


@pytest.fixture
def site(db):
    piece = CommentaryFactory(published=True, title="Harbour resilience")
    author = AuthorFactory(name="Saeme Kim")
    BylineFactory(commentary=piece, author=author)
    topic = TopicFactory(name="Maritime security")
    piece.topics.add(topic)
    return {"piece": piece, "topic": topic, "author": author, "token": "none"}


def headers(response):
    found = {name.lower(): value for name, value in response.items()}
    for name in PER_RESPONSE:
        found.pop(name, None)
    if "content-security-policy" in found:
        found["content-security-policy"] = re.sub(
            r"'nonce-[^']+'", "'nonce-…'", found["content-security-policy"]
        )
    return found


def test_every_page_cached_page_type_is_covered():
    cached = [route.name for route in routes() if route.page_cached]
    assert len(cached) >= 15, cached


def test_a_hit_has_the_headers_of_a_miss_and_its_own_host_and_scheme_in_every_address(client, site):
    urls, missing = example_urls(client, site, only_page_cached=True)
    assert not missing, f"no example address answers for {missing}"
    problems = []
    for name, url in sorted(urls.items()):
        cache.clear()
        for host in HOSTS:
            for scheme in SCHEMES:
                secure = scheme == "https"
                miss = client.get(url, HTTP_HOST=host, secure=secure)
                hit = client.get(url, HTTP_HOST=host, secure=secure)
                where = f"{name} {scheme}://{host}{url}"
                if (miss["X-Cache"], hit["X-Cache"]) != ("miss", "hit"):
                    problems.append(f"{where}: {miss['X-Cache']} then {hit['X-Cache']}")
                if headers(miss) != headers(hit):
                    missing_on_hit = set(headers(miss).items()) - set(headers(hit).items())
                    problems.append(f"{where}: hit lacks or changes {sorted(missing_on_hit)}")
                for response, kind in ((miss, "miss"), (hit, "hit")):
                    body = response.content.decode()
                    for found in OUR_ADDRESS.finditer(body):
                        if (found[1], found[2]) != (scheme, host):
                            problems.append(f"{where} ({kind}) links to {found[0]}")
                            break
    assert problems == []


def test_parameters_a_page_does_not_read_share_its_cache_entry(client, site):
    series_url = site["piece"].series.get_absolute_url()
    assert client.get("/topics/")["X-Cache"] == "miss"
    for query in ["?utm_source=mail&utm_campaign=x", "?fbclid=abc", "?page=7", "?anything=1"]:
        assert client.get("/topics/" + query)["X-Cache"] == "hit", query
    assert client.get(series_url + "?year=2020&page=1")["X-Cache"] == "miss"
    assert client.get(series_url + "?page=1&year=2020&gclid=z")["X-Cache"] == "hit"
    assert client.get(series_url + "?year=2021")["X-Cache"] == "miss"


def test_one_client_cannot_fill_the_cache_but_others_still_can(client, site, settings):
    settings.PUBLIC_PAGE_CACHE_CLIENT_LIMIT = (5, 300)
    for number in range(8):
        client.get("/search/", {"q": f"word{number}"}, REMOTE_ADDR="203.0.113.7")
    stored = [
        client.get("/search/", {"q": f"word{number}"}, REMOTE_ADDR="203.0.113.7")["X-Cache"]
        for number in range(8)
    ]
    assert stored == ["hit"] * 5 + ["miss"] * 3
    assert client.get("/search/", {"q": "other"}, REMOTE_ADDR="198.51.100.2")["X-Cache"] == "miss"
    assert client.get("/search/", {"q": "other"}, REMOTE_ADDR="198.51.100.2")["X-Cache"] == "hit"
