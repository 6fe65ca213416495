from datetime import timedelta

import pytest
from django.http import HttpResponse
from django.urls import path
from django.utils import timezone

from commentaries.models import Commentary
from commentaries.services import commentary_publish
from commentaries.site_state import seconds_until_next_publication
from pacforum.pagecache import page_timeout
from tests.factories import AuthorFactory, BylineFactory, CommentaryFactory, SeriesFactory

pytestmark = pytest.mark.django_db


def test_anonymous_pages_are_cached_and_say_so(client):
    CommentaryFactory(published=True, title="Cached piece")
    first = client.get("/")
    second = client.get("/")
    assert first["X-Cache"] == "miss"
    assert second["X-Cache"] == "hit"
    assert second.content == first.content
    assert "public" in second["Cache-Control"]
    assert "Cookie" in second["Vary"]


def test_publishing_a_piece_refreshes_cached_pages(client):
    series = SeriesFactory()
    client.get("/")
    piece = CommentaryFactory(series=series, title="Fresh news")
    BylineFactory(commentary=piece)
    commentary_publish(commentary=piece)
    assert "Fresh news" in client.get("/").content.decode()


def test_editing_a_piece_refreshes_its_cached_page(client):
    piece = CommentaryFactory(published=True, body="<p>First wording.</p>")
    client.get(piece.get_absolute_url())
    piece.body = "<p>Second wording.</p>"
    piece.save()
    assert "Second wording." in client.get(piece.get_absolute_url()).content.decode()


def test_editing_an_author_refreshes_pages_that_show_them(client):
    piece = CommentaryFactory(published=True)
    author = AuthorFactory(name="Old Name")
    BylineFactory(commentary=piece, author=author)
    client.get(piece.get_absolute_url())
    author.name = "New Name"
    author.save()
    assert "New Name" in client.get(piece.get_absolute_url()).content.decode()


def test_unpublishing_makes_a_cached_page_disappear(client):
    piece = CommentaryFactory(published=True)
    assert client.get(piece.get_absolute_url()).status_code == 200
    Commentary.objects.get(pk=piece.pk).delete()
    assert client.get(piece.get_absolute_url()).status_code == 404


def test_cached_pages_never_outlive_the_next_scheduled_publication():
    CommentaryFactory(published=True, published_at=timezone.now() + timedelta(seconds=90))
    assert 1 <= seconds_until_next_publication() <= 91
    assert page_timeout() <= 91


def test_a_page_cached_before_a_scheduled_piece_expires_at_its_publish_time(client):
    import hashlib
    import time

    from django.core.cache import cache

    from pacforum.pagecache import PAGE_KEY

    when = timezone.now() + timedelta(seconds=120)
    CommentaryFactory(scheduled=True, published_at=when, title="Right on time")
    response = client.get("/")
    assert "Right on time" not in response.content.decode()
    # Keyed by scheme, host and path.
    key = PAGE_KEY.format(digest=hashlib.sha256(b"http://testserver/").hexdigest())
    stored = cache.get(key)
    assert stored is not None
    assert stored["expires"] <= when.timestamp() + 1
    assert int(response["Cache-Control"].split("max-age=")[1].split(",")[0]) <= 60
    assert stored["expires"] > time.time()


def test_logged_in_staff_never_get_the_anonymous_cached_page(client, admin_client):
    CommentaryFactory(published=True)
    client.get("/")
    staff = admin_client.get("/")
    assert "X-Cache" not in staff
    assert "private" in staff["Cache-Control"]
    assert client.get("/")["X-Cache"] == "hit"


def test_pages_seen_by_staff_are_never_served_to_anonymous_readers(client, admin_client):
    CommentaryFactory(published=True)
    admin_client.get("/")
    assert client.get("/")["X-Cache"] == "miss"


def test_repeat_visits_get_304_with_etag_or_last_modified(client):
    piece = CommentaryFactory(published=True)
    first = client.get(piece.get_absolute_url())
    assert first.has_header("ETag") and first.has_header("Last-Modified")
    by_etag = client.get(piece.get_absolute_url(), HTTP_IF_NONE_MATCH=first["ETag"])
    assert by_etag.status_code == 304
    by_date = client.get(piece.get_absolute_url(), HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    assert by_date.status_code == 304


def test_a_changed_page_is_not_304(client):
    piece = CommentaryFactory(published=True, body="<p>One.</p>")
    first = client.get(piece.get_absolute_url())
    piece.body = "<p>Two.</p>"
    piece.save()
    again = client.get(piece.get_absolute_url(), HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 200


def test_cached_pages_are_served_before_sessions_and_routing(client, django_assert_num_queries):
    piece = CommentaryFactory(published=True)
    client.get(piece.get_absolute_url())
    with django_assert_num_queries(0):
        response = client.get(piece.get_absolute_url())
    assert response["X-Cache"] == "hit"
    # The early path keeps the headers the outer middleware add.
    assert response.has_header("Content-Security-Policy")
    assert "Cookie" in response["Vary"]


def _plain_home(request):
    return HttpResponse("The home page, not cached.")


# The URLconf of the test below: the home page is no public page there.
urlpatterns = [path("", _plain_home)]


def test_a_cached_page_is_not_served_where_the_routes_no_longer_make_it_public(client, settings):
    # The middleware remembers which paths are public pages, per URLconf.
    CommentaryFactory(published=True)
    client.get("/")
    assert client.get("/")["X-Cache"] == "hit"
    settings.ROOT_URLCONF = __name__
    response = client.get("/")
    assert response.content == b"The home page, not cached."
    assert "X-Cache" not in response


def test_an_unknown_host_is_refused_even_for_a_cached_page(client):
    CommentaryFactory(published=True)
    assert client.get("/").status_code == 200
    assert client.get("/", HTTP_HOST="attacker.example").status_code == 400


def test_a_page_cached_under_an_older_version_is_rebuilt(client):
    piece = CommentaryFactory(published=True, title="Before")
    client.get(piece.get_absolute_url())
    Commentary.objects.filter(pk=piece.pk).update(title="After")  # no signal
    assert client.get(piece.get_absolute_url())["X-Cache"] == "hit"
    piece.refresh_from_db()
    piece.save()  # a save through the ORM starts a new content version
    response = client.get(piece.get_absolute_url())
    assert response["X-Cache"] == "miss"
    assert "After" in response.content.decode()


def test_a_series_pages_menus_are_read_not_built_on_every_page(client, django_assert_num_queries):
    from django.core.cache import cache

    from tests.factories import TopicFactory

    series = SeriesFactory(slug="pacnet")
    for piece in CommentaryFactory.create_batch(25, published=True, series=series):
        piece.topics.add(TopicFactory())
    cache.clear()
    first = client.get("/pacnet/")
    assert first["X-Cache"] == "miss"
    # Another page of the same listing: the year, topic and author menus are
    # read as stored for the series (1 query, commentaries.menus), not built
    # from its pieces (3); the page itself is still built.
    with django_assert_num_queries(2):  # the menus, the page's pieces
        second = client.get("/pacnet/?page=2")
    assert second["X-Cache"] == "miss"
    assert 'name="topic"' in second.content.decode()


def test_a_listings_menus_follow_a_publish(client):
    series = SeriesFactory(slug="pacnet")
    CommentaryFactory.create_batch(21, published=True, series=series)
    client.get("/pacnet/")  # menus cached without the new topic and year
    piece = CommentaryFactory(
        series=series, title="From the archive", published_at=timezone.now() - timedelta(days=9000)
    )
    from tests.factories import TopicFactory

    piece.topics.add(TopicFactory(name="Whaling", slug="whaling"))
    BylineFactory(commentary=piece)
    commentary_publish(commentary=piece)
    page = client.get("/pacnet/?page=2").content.decode()
    assert 'value="whaling"' in page
    assert f'value="{piece.published_at.year}"' in page
