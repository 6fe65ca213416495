"""Query shapes that decide whether a page stays fast as the archive grows.

Counting with `FILTER (WHERE piece IN (SELECT published ids))` made PostgreSQL
hash the ids only while they fit in work_mem; at 1,000,000 pieces it rescanned
them for every row, and /topics/ ran for minutes. The visibility rule goes in
as a join condition instead (`published_q`)."""

import re

import pytest

from commentaries import selectors, sitemaps

pytestmark = pytest.mark.django_db


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
