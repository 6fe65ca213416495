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


# Ids that never change, whole pieces, PDFs.


def test_a_feed_entrys_id_survives_a_slug_change_and_a_renumbering(client, archive):
    from commentaries.services import commentary_renumber

    def ids(url):
        return [entry.id for entry in feedparser.parse(client.get(url).content).entries]

    before = {url: ids(url) for url in ("/feeds/rss/", "/feeds/atom/")}
    assert before["/feeds/rss/"][0].startswith("tag:example.com,")
    assert before["/feeds/rss/"][0].endswith(f":commentary/{archive.pk}")
    assert before["/feeds/rss/"] == before["/feeds/atom/"]
    archive.slug = "a-new-slug"
    archive.save()
    # A live piece keeps its series; its number changes only through the one
    # renumbering service.
    commentary_renumber(commentary=archive, number=archive.number + 1, reason="Misnumbered")
    assert {url: ids(url) for url in before} == before
    rss = client.get("/feeds/rss/").content.decode()
    assert '<guid isPermaLink="false">tag:' in rss


BODY = (
    '<p>See <a href="/pacnet/2019/other/">the other piece</a>'
    '<sup><a href="#fn1" id="fnref1">1</a></sup> and '
    '<img src="/media/editor/map.png" alt="A map">.</p>'
    '<p><a href="https://example.org/report">A report</a></p>'
)


@pytest.mark.parametrize("url", ["/feeds/series/pacnet/rss/", "/feeds/series/pacnet/atom/"])
def test_a_subscribable_series_feed_carries_whole_sanitised_pieces_with_absolute_urls(
    client, archive, url
):
    from commentaries.models import Commentary

    Commentary.objects.filter(pk=archive.pk).update(
        body=BODY + '<script>alert(1)</script><p onclick="x()">Text</p>'
    )
    feed = feedparser.parse(client.get(url).content)
    assert not feed.bozo, feed.get("bozo_exception")
    content = feed.entries[0].content[0].value
    page = f"http://testserver{archive.get_absolute_url()}"
    assert 'href="http://testserver/pacnet/2019/other/"' in content
    assert 'src="http://testserver/media/editor/map.png"' in content
    assert f'href="{page}#fn1"' in content
    assert 'href="https://example.org/report"' in content
    raw = client.get(url).content.decode()
    assert "alert(1)" not in raw
    assert "onclick" not in raw
    assert feed.entries[0].summary == "A short summary."


def test_full_text_follows_the_series_setting(client, archive):
    from commentaries.models import Series

    def has_content():
        entry = feedparser.parse(client.get("/feeds/series/pacnet/rss/").content).entries[0]
        return "content" in entry

    series = archive.series
    assert series.subscribable and series.feed_full_text is None and has_content()
    Series.objects.filter(pk=series.pk).update(subscribable=False)
    from django.core.cache import cache

    cache.clear()
    assert not has_content(), "off by default for a series readers cannot subscribe to"
    series.refresh_from_db()
    series.feed_full_text = True
    series.save()
    assert has_content()
    series.feed_full_text = False
    series.subscribable = True
    series.save()
    assert not has_content()


@pytest.mark.parametrize("url", ["/feeds/rss/", "/feeds/atom/"])
def test_a_piece_with_a_pdf_has_it_as_an_enclosure(client, archive, settings, tmp_path, url):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.factories import pdf_bytes

    settings.MEDIA_ROOT = tmp_path
    archive.pdf = SimpleUploadedFile("piece.pdf", pdf_bytes(pages=3))
    archive.save()
    entry = feedparser.parse(client.get(url).content).entries[0]
    (enclosure,) = entry.enclosures
    assert enclosure.href == f"http://testserver{archive.pdf.url}"
    assert enclosure.type == "application/pdf"
    assert int(enclosure.length) == (tmp_path / archive.pdf.name).stat().st_size > 0
