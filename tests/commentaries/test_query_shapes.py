"""Query counts and shapes that decide whether a page stays fast as the archive grows.

Counting with `FILTER (WHERE piece IN (SELECT published ids))` made PostgreSQL
hash the ids only while they fit in work_mem; at 1,000,000 pieces it rescanned
them for every row, and /topics/ ran for minutes. The visibility rule goes in
as a join condition instead (`published_q`)."""

import re

import pytest
from django.contrib.sites.models import Site
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from authors.models import Author
from commentaries import selectors, sitemaps
from commentaries.models import Commentary, Series, Topic
from tests.factories import (
    AuthorFactory,
    BylineFactory,
    CommentaryFactory,
    SeriesFactory,
    TopicFactory,
    piece_with,
)
from tests.isolation import built_once

# One xdist group: `make test` runs the module on one worker, which builds the
# shared archives once (`built_once`).
pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("query-shapes")]


def filter_clauses(queryset):
    sql = str(queryset.query)
    return re.findall(r"FILTER \(WHERE (.*?)\)(?: AS|,| FROM)", sql)


@pytest.mark.parametrize(
    "queryset",
    [
        selectors.topics_with_counts,
        lambda: sitemaps.SeriesSitemap().items(),
        lambda: sitemaps.TopicSitemap().items(),
        lambda: sitemaps.AuthorSitemap().items(),
    ],
    ids=["topics index", "series sitemap", "topic sitemap", "author sitemap"],
)
def test_counts_filter_published_pieces_by_join_not_by_subquery(queryset):
    clauses = filter_clauses(queryset())
    assert clauses, "expected an aggregate with a FILTER clause"
    for clause in clauses:
        assert "SELECT" not in clause, clause
        assert "published_at" in clause


# Every public page runs a fixed number of queries, whatever the data. The
# archive is built once for the module (building it is most of the cost), and
# once more, grown, for the class below; each test runs in its own savepoint.

# Counts on a cold cache: they include the site state (every series with the
# next scheduled publication, and the static pages: 2 queries, cached
# afterwards); feeds also look up the Site (1, then cached by Django). Bylines,
# authors, affiliations and topics come with each piece (its stored credits):
# no query of their own. The commentary page: the piece, the pieces around it
# (ids stored on the piece). A series page reads its year, topic and author
# menus as stored for the series (1 query). No public page runs more than 6.
PUBLIC_PAGE_QUERIES = [
    ("/", 5),
    ("/pacnet/", 4),
    ("/pacnet/?page=2", 4),
    ("/pacnet/?year={year}", 4),
    ("/pacnet/?topic=alliances&page=2", 5),
    ("/pacnet/?author=busy-author", 5),
    ("/pacnet/{year}/", 4),
    ("/topics/", 3),
    ("/topics/alliances/", 6),
    ("/authors/", 5),
    ("/authors/busy-author/", 6),
    ("/authors/busy-author/?page=2", 6),
    ("/feeds/rss/", 4),
    ("/feeds/series/pacnet/atom/", 4),
    ("/sitemap-commentaries.xml", 4),
    ("/sitemap-authors.xml", 4),
    ("{first}", 4),
    ("{middle}", 4),
    ("{response}", 4),
]


def build_busy_archive():
    """25 pieces in one series, 3 authors and 4 topics each (one busy author
    and one busy topic on every piece), and a response to the first."""
    series = SeriesFactory(slug="pacnet")
    topic = TopicFactory(slug="alliances")
    author = AuthorFactory(slug="busy-author")
    pieces = []
    for _n in range(25):
        piece = piece_with(authors=3, topics=3, series=series)
        piece.topics.add(topic)
        BylineFactory(commentary=piece, author=author)
        pieces.append(piece)
    response = piece_with(authors=2, topics=2, series=series, responds_to=pieces[0])
    return {
        "year": pieces[0].year,
        "first": pieces[0].get_absolute_url(),
        "middle": pieces[12].get_absolute_url(),
        "response": response.get_absolute_url(),
    }


def grow_archive():
    """Many more series, pieces (6 authors and 10 topics each), authors,
    responses and pages of listing."""
    pacnet = Series.objects.get(slug="pacnet")
    topic = Topic.objects.get(slug="alliances")
    author = Author.objects.get(slug="busy-author")
    first_five = list(Commentary.objects.filter(series=pacnet).order_by("pk")[:5])
    series = SeriesFactory.create_batch(3)
    for n in range(30):
        piece = piece_with(authors=6, topics=10, series=series[n % 3] if n % 2 else pacnet)
        piece.topics.add(topic)
        BylineFactory(commentary=piece, author=author)
        CommentaryFactory(published=True, series=piece.series, responds_to=first_five[n % 5])


@pytest.fixture(scope="module")
def busy_archive(django_db_setup, django_db_blocker):
    with built_once(django_db_blocker, build_busy_archive) as addresses:
        yield addresses


@pytest.fixture(scope="class")
def grown_archive(busy_archive, django_db_blocker):
    with built_once(django_db_blocker, grow_archive):
        yield busy_archive


def count_queries(client, url):
    cache.clear()
    Site.objects.clear_cache()
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


@pytest.mark.parametrize(("url", "queries"), PUBLIC_PAGE_QUERIES)
def test_public_pages_run_a_fixed_number_of_queries(client, busy_archive, url, queries):
    assert count_queries(client, url.format(**busy_archive)) == queries


class TestOnAGrownArchive:
    @pytest.mark.parametrize(("url", "queries"), PUBLIC_PAGE_QUERIES)
    def test_public_pages_run_the_same_number_of_queries(self, client, grown_archive, url, queries):
        assert count_queries(client, url.format(**grown_archive)) == queries


def test_a_cached_page_runs_no_queries(client, busy_archive, django_assert_num_queries):
    client.get(busy_archive["first"])
    with django_assert_num_queries(0):
        assert client.get(busy_archive["first"]).status_code == 200
