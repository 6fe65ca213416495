import re

import pytest
from django.db import connection
from django.urls import reverse

from commentaries.models import Commentary
from commentaries.search import safe_snippet
from tests.factories import (
    AuthorFactory,
    BylineFactory,
    CommentaryFactory,
    SeriesFactory,
    TopicFactory,
)

pytestmark = pytest.mark.django_db

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="full-text search needs PostgreSQL"
)
# What search promises on both databases (SQLite's fallback matches every word).
sqlite_fallback = pytest.mark.sqlite


def search(client, **params):
    return client.get(reverse("commentaries:search"), params)


def result_titles(response):
    return re.findall(
        r'<h3 class="item-title"><a href="[^"]+">([^<]+)</a>', response.content.decode()
    )


@sqlite_fallback
def test_search_finds_a_piece_by_a_word_in_its_title(client):
    CommentaryFactory(published=True, title="Fisheries enforcement in the Coral Sea")
    CommentaryFactory(published=True, title="Something else entirely")
    titles = result_titles(search(client, q="fisheries"))
    assert any("Fisheries enforcement" in t for t in titles)
    assert not any("Something else" in t for t in titles)


@sqlite_fallback
def test_search_finds_a_piece_by_its_authors_name(client):
    piece = CommentaryFactory(published=True, title="On ports")
    BylineFactory(commentary=piece, author=AuthorFactory(name="Leilani Kahale"))
    assert any("On ports" in t for t in result_titles(search(client, q="Kahale")))


@sqlite_fallback
def test_search_finds_a_piece_by_its_summary(client):
    CommentaryFactory(published=True, title="Plain title", summary="Undersea cables matter.")
    assert any("Plain title" in t for t in result_titles(search(client, q="undersea")))


@sqlite_fallback
def test_search_never_shows_drafts_or_scheduled_pieces(client):
    CommentaryFactory(title="Draft about volcanoes")
    CommentaryFactory(scheduled=True, title="Scheduled about volcanoes")
    CommentaryFactory(published=True, title="Published about volcanoes")
    titles = result_titles(search(client, q="volcanoes"))
    assert len(titles) == 1
    assert "Published about volcanoes" in titles[0]


@sqlite_fallback
@pytest.mark.parametrize(
    "query",
    ["", "   ", "x" * 501, "!!!", '"', "-", "or", "&&&&", "\x00", "'; DROP TABLE x; --", "a:*"],
)
def test_empty_long_and_odd_queries_get_a_helpful_page(client, query):
    CommentaryFactory(published=True, title="Anything")
    response = search(client, q=query)
    assert response.status_code == 200
    assert "<h1>Search</h1>" in response.content.decode()


@sqlite_fallback
def test_a_too_long_query_says_how_long_it_may_be(client):
    response = search(client, q="x" * 501)
    assert "500 characters or fewer" in response.content.decode()


@sqlite_fallback
def test_a_script_in_the_query_never_comes_back_live(client):
    CommentaryFactory(published=True, title="Script lovers")
    response = search(client, q='<script>alert("q")</script> script')
    page = response.content.decode()
    assert "<script>alert" not in page
    assert "&lt;script&gt;" in page


@sqlite_fallback
def test_a_script_in_content_never_comes_back_live(client):
    CommentaryFactory(
        published=True,
        title="Escaping matters",
        summary="<script>alert(1)</script> escaping",
        body="<p>escaping &lt;script&gt;alert(2)&lt;/script&gt; in the body</p>",
    )
    page = search(client, q="escaping").content.decode()
    main = page.split('id="results-heading"', 1)[1]
    assert "<script>" not in main
    assert "escaping" in main.lower()


@sqlite_fallback
def test_snippets_keep_only_mark_tags():
    raw = "a \ue000<b>bold</b>\ue001 &lt;script&gt;x&lt;/script&gt; \ue000unclosed"
    assert safe_snippet(raw) == (
        "a <mark>&lt;b&gt;bold&lt;/b&gt;</mark> &lt;script&gt;x&lt;/script&gt; unclosed"
    )


@sqlite_fallback
def test_search_filters_by_series_year_topic_and_author(client):
    pacnet = SeriesFactory(slug="pacnet")
    topic = TopicFactory(slug="energy")
    author = AuthorFactory(slug="ana-lim")
    in_pacnet = CommentaryFactory(published=True, series=pacnet, title="Grid one")
    elsewhere = CommentaryFactory(published=True, title="Grid two")
    elsewhere.topics.add(topic)
    BylineFactory(commentary=in_pacnet, author=author)
    assert result_titles(search(client, q="grid", series="pacnet")) == [in_pacnet.display_title]
    assert result_titles(search(client, q="grid", topic="energy")) == [elsewhere.display_title]
    assert result_titles(search(client, q="grid", author="ana-lim")) == [in_pacnet.display_title]
    assert result_titles(search(client, q="grid", year=in_pacnet.year + 1)) == []


@sqlite_fallback
def test_search_results_are_paginated(client):
    for n in range(25):
        CommentaryFactory(published=True, title=f"Shipping note {n}")
    first = search(client, q="shipping")
    second = search(client, q="shipping", page=2)
    assert len(result_titles(first)) == 20
    assert len(result_titles(second)) == 5
    assert "25 results" in first.content.decode()


@sqlite_fallback
@pytest.mark.parametrize(("query", "queries"), [("harbour", 6), ("harbour {year} #3", 7)])
def test_search_page_runs_a_fixed_number_of_queries(
    client, django_assert_num_queries, query, queries
):
    for n in range(25):
        piece = CommentaryFactory(published=True, title=f"Harbour piece {n}", number=n + 1)
        BylineFactory.create_batch(3, commentary=piece)
    # The topic menu, ranked ids, the suggestions' word lookup (PostgreSQL),
    # the page's pieces and bylines, and on a cold cache the site state (2:
    # series with the next scheduled time, static pages); a query naming a
    # number adds the lookup of the numbered pieces.
    if connection.vendor != "postgresql":
        queries -= 1
    query = query.format(year=piece.year)
    with django_assert_num_queries(queries):
        response = search(client, q=query)
    assert response.status_code == 200
    assert "Harbour piece" in response.content.decode()


@postgresql_only
def test_a_title_match_ranks_above_a_summary_match_above_a_body_match(client):
    CommentaryFactory(published=True, title="Other", body="<p>We discuss typhoons here.</p>")
    CommentaryFactory(published=True, title="Another", summary="All about typhoons.")
    CommentaryFactory(published=True, title="Typhoons and alliances")
    titles = result_titles(search(client, q="typhoons"))
    assert [t.split(" – ")[-1] for t in titles] == ["Typhoons and alliances", "Another", "Other"]


@postgresql_only
def test_search_stems_words(client):
    CommentaryFactory(published=True, title="Negotiating fishing rights")
    assert result_titles(search(client, q="negotiation fished"))


@postgresql_only
def test_search_understands_phrases_or_and_minus(client):
    CommentaryFactory(published=True, title="Coast guard cooperation")
    CommentaryFactory(published=True, title="Guard the coast")
    CommentaryFactory(published=True, title="Island cooperation")
    phrase = [t.split(" – ")[-1] for t in result_titles(search(client, q='"coast guard"'))]
    assert phrase == ["Coast guard cooperation"]
    either = result_titles(search(client, q="island or coast"))
    assert len(either) == 3
    minus = [t.split(" – ")[-1] for t in result_titles(search(client, q="cooperation -island"))]
    assert minus == ["Coast guard cooperation"]


@postgresql_only
def test_snippets_highlight_matches_from_the_body(client):
    CommentaryFactory(
        published=True,
        title="Piece",
        body="<p>The <strong>semiconductor</strong> supply question is hard.</p>",
    )
    page = search(client, q="semiconductor").content.decode()
    assert "<mark>semiconductor</mark>" in page
    assert "<strong>" not in page.split('id="results-heading"', 1)[1]


@postgresql_only
def test_search_vector_follows_authors_and_topics_through_the_database(client):
    piece = CommentaryFactory(published=True, title="Plain")
    author = AuthorFactory(name="Tevita Vaipulu")
    byline = BylineFactory(commentary=piece, author=author)
    topic = TopicFactory(name="Fisheries")
    piece.topics.add(topic)
    assert result_titles(search(client, q="Vaipulu"))
    assert result_titles(search(client, q="fisheries"))
    author.name = "Tevita Fonoti"
    author.save()
    topic.name = "Oceans"
    topic.save()
    assert not result_titles(search(client, q="Vaipulu"))
    assert result_titles(search(client, q="Fonoti"))
    assert result_titles(search(client, q="oceans"))
    byline.delete()
    assert not result_titles(search(client, q="Fonoti"))


@postgresql_only
def test_search_vector_is_kept_current_by_the_database_for_bulk_updates():
    piece = CommentaryFactory(published=True, title="Before")
    Commentary.objects.filter(pk=piece.pk).update(title="Archipelago")
    assert Commentary.objects.filter(pk=piece.pk, search_vector="archipelago").exists()
