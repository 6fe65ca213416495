import re

import feedparser
import pytest
from django.urls import reverse

from tests.factories import (
    AuthorFactory,
    BylineFactory,
    CommentaryFactory,
    SeriesFactory,
    TopicFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def archive():
    series = SeriesFactory(slug="pacnet", name="PacNet")
    topic = TopicFactory(slug="energy", name="Energy")
    author = AuthorFactory(slug="ana-lim", name="Ana Lim")
    live = CommentaryFactory(published=True, series=series, title="Live piece & more <b>")
    BylineFactory(commentary=live, author=author)
    live.topics.add(topic)
    for hidden in (
        CommentaryFactory(series=series, title="Hidden draft"),
        CommentaryFactory(scheduled=True, series=series, title="Hidden scheduled"),
    ):
        BylineFactory(commentary=hidden, author=author)
        hidden.topics.add(topic)
    return live


FEEDS = [
    "/feeds/rss/",
    "/feeds/atom/",
    "/feeds/series/pacnet/rss/",
    "/feeds/series/pacnet/atom/",
    "/feeds/author/ana-lim/rss/",
    "/feeds/author/ana-lim/atom/",
    "/feeds/topic/energy/rss/",
    "/feeds/topic/energy/atom/",
]


@pytest.mark.parametrize("url", FEEDS)
def test_feeds_are_valid_and_list_only_published_pieces(client, archive, url):
    response = client.get(url)
    assert response.status_code == 200
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.get("bozo_exception")
    assert [entry.title for entry in feed.entries] == [archive.display_title]
    entry = feed.entries[0]
    assert entry.link == f"http://testserver{archive.get_absolute_url()}"
    assert entry.author == "Ana Lim"
    assert [tag.term for tag in entry.tags] == ["Energy"]
    assert feed.feed.title


def test_feeds_of_unknown_series_authors_and_topics_are_404(client, archive):
    for url in ("/feeds/series/nope/rss/", "/feeds/author/nope/rss/", "/feeds/topic/nope/atom/"):
        assert client.get(url).status_code == 404


def test_pages_announce_their_feeds(client, archive):
    pages = {
        "/": "/feeds/rss/",
        "/pacnet/": "/feeds/series/pacnet/rss/",
        "/authors/ana-lim/": "/feeds/author/ana-lim/atom/",
        "/topics/energy/": "/feeds/topic/energy/rss/",
        archive.get_absolute_url(): "/feeds/series/pacnet/rss/",
    }
    for page, feed in pages.items():
        html = client.get(page).content.decode()
        assert re.search(
            rf'<link rel="alternate" type="application/(rss|atom)\+xml"[^>]*href="{feed}"', html
        ), page


def test_sitemap_index_lists_sections_and_sections_list_public_pages_with_lastmod(client, archive):
    index = client.get(reverse("sitemap")).content.decode()
    sections = re.findall(r"<loc>([^<]+)</loc>", index)
    assert "http://testserver/sitemap-commentaries.xml" in sections
    locations = []
    for section in sections:
        body = client.get(section.removeprefix("http://testserver")).content.decode()
        for entry in re.findall(r"<url>(.*?)</url>", body, re.S):
            location = re.search(r"<loc>([^<]+)</loc>", entry).group(1)
            locations.append(location)
            if "/about/" not in location:
                assert "<lastmod>" in entry, location
    assert f"http://testserver{archive.get_absolute_url()}" in locations
    assert "http://testserver/pacnet/" in locations
    assert "http://testserver/authors/ana-lim/" in locations
    assert "http://testserver/topics/energy/" in locations
    assert not any("hidden" in location for location in locations)


def test_robots_txt_points_at_the_sitemap(client):
    response = client.get("/robots.txt")
    assert response["Content-Type"].startswith("text/plain")
    assert "Sitemap: http://testserver/sitemap.xml" in response.content.decode()
    assert "Disallow: /preview/" in response.content.decode()
