"""A series page's year, topic and author menus, stored for the series, stay
what working them out from the pieces gives, through every path that changes
them: publishing, a scheduled piece's time coming (no write), withdrawing,
bylines and topic links added or removed, authors and topics renamed, authors
merged, topics deleted, and the bulk writers."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from authors.services import author_merge
from commentaries import menus, selectors, services
from commentaries.forms import AUTHOR_CHOICES_LIMIT
from commentaries.models import Byline, Commentary, Series
from tests.factories import (
    AuthorFactory,
    BylineFactory,
    CommentaryFactory,
    ReadyCommentaryFactory,
    SeriesFactory,
    TopicFactory,
    piece_with,
)

pytestmark = pytest.mark.django_db


def assert_stored_menus_are_current():
    """For every series, the stored menus give what the pieces give now."""
    for series in Series.objects.all():
        built = selectors.filter_choices(
            Commentary.objects.published().filter(series=series),
            author_limit=AUTHOR_CHOICES_LIMIT,
        )
        assert menus.choices(series, author_limit=AUTHOR_CHOICES_LIMIT) == built


def series_page(client):
    cache.clear()
    response = client.get("/pacnet/")
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def series():
    return SeriesFactory(slug="pacnet")


@pytest.fixture
def piece(series):
    return piece_with(authors=2, topics=2, series=series)


def test_the_series_page_reads_its_menus_in_one_query(client, piece, django_assert_num_queries):
    series_page(client)
    cache.clear()
    # The site state (2), the menus, the page's pieces.
    with django_assert_num_queries(4):
        assert client.get("/pacnet/").status_code == 200
    assert_stored_menus_are_current()


def test_a_renamed_author_or_topic_shows_in_the_menus(client, piece):
    author = piece.bylines.first().author
    author.name = "Zed Renamed"
    author.save()
    topic = piece.topics.first()
    topic.name = "Renamed Topic"
    topic.save()
    html = series_page(client)
    assert ">Zed Renamed</option>" in html
    assert ">Renamed Topic</option>" in html
    assert_stored_menus_are_current()


def test_bylines_and_topics_added_or_removed_show_in_the_menus(client, piece):
    BylineFactory(commentary=piece, author=AuthorFactory(name="Added Author"))
    services.commentary_set_topics(commentary=piece, topics=[TopicFactory(name="Only Topic")])
    html = series_page(client)
    assert ">Added Author</option>" in html
    assert ">Only Topic</option>" in html
    Byline.objects.filter(commentary=piece, author__name="Added Author").delete()
    services.topics_delete(topics=list(piece.topics.all()))
    html = series_page(client)
    assert "Added Author" not in html
    assert "Only Topic" not in html
    assert_stored_menus_are_current()


def test_merged_authors_show_once_under_the_name_kept(client, piece):
    duplicate = piece.bylines.first().author
    keep = AuthorFactory(name="Kept Name")
    author_merge(keep=keep, duplicates=[duplicate])
    html = series_page(client)
    assert ">Kept Name</option>" in html
    assert f">{duplicate.name}</option>" not in html
    assert_stored_menus_are_current()


def test_a_scheduled_piece_enters_the_menus_when_its_time_comes(client, series, piece, monkeypatch):
    future = ReadyCommentaryFactory(series=series)
    author = future.bylines.first().author
    author.name = "Future Writer"
    author.save()
    services.commentary_set_topics(commentary=future, topics=[TopicFactory(name="Future Topic")])
    at = timezone.now() + timedelta(days=400)
    services.commentary_publish(commentary=future, at=at)
    html = series_page(client)
    assert "Future Writer" not in html
    assert "Future Topic" not in html
    assert f">{at.year}</a>" not in html
    assert_stored_menus_are_current()
    later = at + timedelta(minutes=1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    html = series_page(client)
    assert ">Future Writer</option>" in html
    assert ">Future Topic</option>" in html
    assert_stored_menus_are_current()


def test_a_withdrawn_piece_leaves_the_menus(client, series, piece):
    other = CommentaryFactory(published=True, series=series)
    BylineFactory(commentary=other, author=AuthorFactory(name="Stays Listed"))
    name = piece.bylines.first().author.name
    services.commentary_withdraw(commentary=piece, note="Withdrawn.")
    html = series_page(client)
    assert f">{name}</option>" not in html
    assert ">Stays Listed</option>" in html
    assert_stored_menus_are_current()


def test_the_wordpress_importer_leaves_every_series_with_its_menus():
    from io import StringIO

    from django.core.management import call_command

    from tests.wordpress.conftest import FIXTURES

    call_command("import_wxr", str(FIXTURES / "archive.xml"), stdout=StringIO())
    assert Commentary.objects.published().exists()
    assert_stored_menus_are_current()
