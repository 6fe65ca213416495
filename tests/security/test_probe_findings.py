"""Findings of the outside probe, each pinned by the request that reproduced it."""

import pytest
from django.contrib.redirects.models import Redirect
from django.contrib.sites.models import Site
from django.db import connection
from django.urls import reverse

from tests.factories import CommentaryFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "query",
    [
        "-" * 33,
        "-" * 400,
        " ".join(["-"] * 100),
        "a " + "-" * 40 + "b",
        "(-" * 60,
        "-(" * 60 + "a",
        '"' + "-" * 60 + '"',
        " ".join(["-a"] * 200)[:500],
        "or " * 160,
    ],
    ids=[
        "33-dashes",
        "400-dashes",
        "spaced-dashes",
        "dashes-in-a-word",
        "paren-dash",
        "dash-paren",
        "quoted-dashes",
        "many-nots",
        "many-ors",
    ],
)
def test_search_operators_in_any_number_never_break_the_search_page(client, query):
    CommentaryFactory(published=True, title="Anything about ports")
    response = client.get(reverse("commentaries:search"), {"q": query})
    assert response.status_code == 200
    assert "<h1>Search</h1>" in response.content.decode()


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="web-search syntax is PostgreSQL's full-text search"
)
def test_one_minus_still_excludes_a_word(client):
    CommentaryFactory(published=True, title="Ports and fisheries")
    CommentaryFactory(published=True, title="Ports and shipping")
    page = client.get(reverse("commentaries:search"), {"q": "ports -fisheries"}).content.decode()
    assert "Ports and shipping" in page
    assert "Ports and fisheries" not in page


@pytest.mark.parametrize("value", ["²", "٣", "１２", "1²", "9" * 5000, "-1", "+1", " 1", "0x1"])
@pytest.mark.parametrize("param", ["p", "page_id"])
def test_wordpress_short_links_with_digits_from_other_scripts_show_the_home_page(
    client, param, value
):
    response = client.get("/", {param: value})
    assert response.status_code == 200


def test_a_wordpress_short_link_with_ascii_digits_still_redirects(client):
    Redirect.objects.create(site=Site.objects.get_current(), old_path="/?p=68", new_path="/x/")
    response = client.get("/", {"p": "68"})
    assert (response.status_code, response["Location"]) == (301, "/x/")


def test_a_static_page_title_is_escaped_everywhere_it_is_shown(client):
    from django.contrib.flatpages.models import FlatPage

    title = 'About"><meta http-equiv="refresh" content="0;url=//evil.example">'
    page = FlatPage.objects.create(
        url="/about/", title=title, content='<p>He said "hello" &amp; left.</p>'
    )
    page.sites.add(Site.objects.get_current())
    body = client.get("/about/").content.decode()
    assert '<meta http-equiv="refresh"' not in body
    escaped = "About&quot;&gt;&lt;meta http-equiv=&quot;refresh&quot;"
    assert f"<title>{escaped}" in body
    assert f'<meta property="og:title" content="{escaped}' in body
    assert f"<h1>{escaped}" in body
    assert 'content="He said &quot;hello&quot; &amp; left."' in body


def test_a_topic_used_only_on_a_scheduled_piece_has_no_public_trace(client):
    from tests.factories import SeriesFactory, TopicFactory

    series = SeriesFactory(name="Visible Series", slug="visible")
    CommentaryFactory(published=True, series=series, title="Live piece")
    secret = TopicFactory(
        name="Operation Nightfall", slug="nightfall", description="Unannounced", featured=True
    )
    CommentaryFactory(scheduled=True, series=series).topics.add(secret)
    for url in [
        "/topics/nightfall/",
        "/feeds/topic/nightfall/rss/",
        "/feeds/topic/nightfall/atom/",
    ]:
        assert client.get(url).status_code == 404, url
    for url in ["/", "/search/", "/search/?q=piece", "/topics/", "/sitemap-topics.xml"]:
        assert "Nightfall" not in client.get(url).content.decode(), url


def test_a_topic_becomes_public_with_its_first_published_piece(client):
    from tests.factories import TopicFactory

    topic = TopicFactory(name="Fisheries", slug="fisheries", featured=True)
    CommentaryFactory(published=True).topics.add(topic)
    assert client.get("/topics/fisheries/").status_code == 200
    assert client.get("/feeds/topic/fisheries/rss/").status_code == 200
    assert "Fisheries" in client.get("/search/").content.decode()
    assert "Fisheries" in client.get("/").content.decode()


def test_a_series_with_nothing_published_has_no_public_trace(client):
    from tests.factories import SeriesFactory

    hidden = SeriesFactory(name="Secret Briefs", slug="secret-briefs")
    CommentaryFactory(scheduled=True, series=hidden)
    CommentaryFactory(published=True)
    for url in [
        "/secret-briefs/",
        "/feeds/series/secret-briefs/rss/",
        "/feeds/series/secret-briefs/atom/",
    ]:
        assert client.get(url).status_code == 404, url
    for url in ["/", "/search/", "/sitemap-series.xml"]:
        assert "Secret Briefs" not in client.get(url).content.decode(), url
