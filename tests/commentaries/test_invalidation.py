"""Precise invalidation: a change makes stale exactly the cached pages that
show what changed (commentaries/cachekeys.py, pacforum/pagecache.py)."""

import time
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.utils import timezone

from commentaries.golive import announce_due
from commentaries.models import Commentary
from commentaries.services import commentary_publish
from pacforum import pagecache
from tests.factories import (
    AuthorFactory,
    BylineFactory,
    CommentaryFactory,
    ReadyCommentaryFactory,
    SeriesFactory,
    TopicFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor():
    return UserFactory(username="editor", groups=["Editors"])


@pytest.fixture
def contributor():
    return UserFactory(username="contributor", groups=["Contributors"])


def days_ago(days):
    return timezone.now() - timedelta(days=days)


@pytest.fixture
def archive():
    """Two series; five pieces in the first (oldest first) by one author, one
    in the second by another, no topics shared with what the tests publish."""
    pacnet, briefs = SeriesFactory(slug="pacnet"), SeriesFactory(slug="briefs")
    writer, other = AuthorFactory(slug="writer"), AuthorFactory(slug="other")
    pieces = []
    for n in range(5):
        piece = CommentaryFactory(
            published=True, series=pacnet, published_at=days_ago(10 - n), title=f"Piece {n}"
        )
        BylineFactory(commentary=piece, author=writer)
        pieces.append(piece)
    elsewhere = CommentaryFactory(
        published=True, series=briefs, published_at=days_ago(5), title="Elsewhere"
    )
    BylineFactory(commentary=elsewhere, author=other)
    return {"pieces": pieces, "elsewhere": elsewhere, "writer": writer, "other": other}


def warm(client, urls):
    for url in urls:
        assert client.get(url)["X-Cache"] in ("miss", "hit"), url
    return {url: client.get(url)["X-Cache"] for url in urls}


def states(client, urls):
    return {url: client.get(url)["X-Cache"] for url in urls}


def test_publishing_a_piece_makes_stale_its_neighbour_listings_home_feeds_and_sitemap_only(
    client, archive
):
    pieces = archive["pieces"]
    stale_expected = [
        pieces[4].get_absolute_url(),  # its previous piece links it as "next"
        "/",
        "/pacnet/",
        f"/pacnet/{pieces[4].year}/",
        "/feeds/rss/",
        "/feeds/series/pacnet/atom/",
        "/sitemap-commentaries.xml",
        "/authors/writer/",
    ]
    kept = [
        pieces[0].get_absolute_url(),
        pieces[2].get_absolute_url(),
        archive["elsewhere"].get_absolute_url(),
        "/briefs/",
        "/authors/other/",
        "/feeds/series/briefs/rss/",
    ]
    assert set(warm(client, stale_expected + kept).values()) == {"hit"}

    new = ReadyCommentaryFactory(series=pieces[0].series, title="Fresh analysis")
    new.bylines.update(author=archive["writer"])
    commentary_publish(commentary=new)

    assert states(client, kept) == dict.fromkeys(kept, "hit")
    for url in stale_expected:
        response = client.get(url)
        assert response["X-Cache"] == "miss", url
        assert "Fresh analysis" in response.content.decode() or url.endswith(".xml"), url
    assert new.get_absolute_url() in client.get("/sitemap-commentaries.xml").content.decode()


def test_drafts_and_pieces_in_review_invalidate_nothing(client, archive, editor, contributor):
    from commentaries.services import commentary_save, commentary_submit

    urls = ["/", "/pacnet/", archive["pieces"][4].get_absolute_url(), "/authors/writer/"]
    warm(client, urls)
    draft = CommentaryFactory(series=archive["pieces"][0].series, created_by=contributor)
    BylineFactory(commentary=draft, author=archive["writer"])
    draft.topics.add(TopicFactory())
    commentary_submit(commentary=draft, user=contributor)
    draft.refresh_from_db()
    draft.title = "Edited in review"
    commentary_save(commentary=draft, user=editor)
    Commentary.objects.get(pk=draft.pk).delete()
    assert states(client, urls) == dict.fromkeys(urls, "hit")


def test_editing_a_live_piece_refreshes_the_pages_showing_it_and_keeps_the_others(client, archive):
    pieces = archive["pieces"]
    showing = [pieces[2].get_absolute_url(), pieces[1].get_absolute_url(), "/pacnet/"]
    kept = [pieces[0].get_absolute_url(), archive["elsewhere"].get_absolute_url(), "/briefs/"]
    warm(client, showing + kept)
    pieces[2].title = "A corrected title"
    pieces[2].save()
    assert states(client, kept) == dict.fromkeys(kept, "hit")
    for url in showing:
        response = client.get(url)
        assert response["X-Cache"] == "miss", url
        assert "A corrected title" in response.content.decode(), url


def test_renaming_an_author_refreshes_every_page_with_their_name_and_only_those(client, archive):
    pieces = archive["pieces"]
    # Listings' author menus (and the A-Z index) name every author: they are
    # refreshed too; pages of pieces by others are not.
    showing = [pieces[0].get_absolute_url(), "/pacnet/", "/authors/writer/", "/authors/"]
    kept = [archive["elsewhere"].get_absolute_url(), "/authors/other/"]
    warm(client, showing + kept)
    writer = archive["writer"]
    writer.name, writer.sort_name = "Renamed Writer", "Writer, Renamed"
    writer.save()
    assert states(client, kept) == dict.fromkeys(kept, "hit")
    for url in showing:
        assert "Renamed" in client.get(url).content.decode(), url  # A-Z: "Writer, Renamed"


def test_a_topic_added_to_a_live_piece_reaches_its_page_and_the_topic_page(client, archive):
    topic = TopicFactory(name="Fisheries", slug="fisheries")
    pieces = archive["pieces"]
    pieces[1].topics.add(topic)
    warm(client, ["/topics/fisheries/", pieces[3].get_absolute_url()])
    pieces[3].topics.add(topic)
    page = client.get(pieces[3].get_absolute_url())
    assert page["X-Cache"] == "miss"
    assert "Fisheries" in page.content.decode()
    assert pieces[3].title in client.get("/topics/fisheries/").content.decode()


def test_a_scheduled_piece_is_purged_by_the_go_live_tick(client, archive):
    pieces = archive["pieces"]
    when = timezone.now() + timedelta(hours=2)
    scheduled = CommentaryFactory(
        scheduled=True, series=pieces[0].series, published_at=when, title="Right on time"
    )
    BylineFactory(commentary=scheduled)
    urls = ["/", "/pacnet/", pieces[4].get_absolute_url(), pieces[0].get_absolute_url()]
    warm(client, urls)
    for url in urls:  # they are cached until the piece's time at the latest
        stored = cache.get(pagecache.PAGE_KEY.format(digest=_digest(client, url)))
        assert stored["expires"] <= when.timestamp() + 1
    # Its time comes (moved into the past without a signal, as the clock would).
    Commentary.objects.filter(pk=scheduled.pk).update(published_at=timezone.now())
    scheduled.refresh_from_db()
    assert states(client, urls) == dict.fromkeys(urls, "hit")
    assert announce_due() == 1  # the tick
    assert client.get(pieces[0].get_absolute_url())["X-Cache"] == "hit"
    for url in urls[:3]:
        response = client.get(url)
        assert response["X-Cache"] == "miss", url
        assert "Right on time" in response.content.decode(), url


def _digest(client, url):
    from django.test import RequestFactory

    request = RequestFactory().get(url)
    return pagecache._digest(request)


def test_pages_live_a_day_when_nothing_is_scheduled(client, archive, settings):
    settings.PUBLIC_PAGE_CACHE_SECONDS = 86400
    client.get("/")
    stored = cache.get(pagecache.PAGE_KEY.format(digest=_digest(client, "/")))
    assert 86400 - 60 < stored["expires"] - time.time() <= 86400


def test_flush_page_cache_covers_changes_made_behind_the_orms_back(client, archive):
    piece = archive["pieces"][0]
    client.get(piece.get_absolute_url())
    Commentary.objects.filter(pk=piece.pk).update(title="Changed by SQL")
    assert client.get(piece.get_absolute_url())["X-Cache"] == "hit"
    call_command("flush_page_cache")
    response = client.get(piece.get_absolute_url())
    assert response["X-Cache"] == "miss"
    assert "Changed by SQL" in response.content.decode()


def test_a_page_changed_while_it_was_built_is_not_stored(client, archive, monkeypatch):
    piece = archive["pieces"][0]
    real = pagecache.page_shows

    def change_during_the_build(*keys):
        real(*keys)
        pagecache.invalidate(*keys)

    monkeypatch.setattr("commentaries.cachekeys.page_shows", change_during_the_build)
    assert client.get(piece.get_absolute_url())["X-Cache"] == "miss"
    monkeypatch.undo()
    assert client.get(piece.get_absolute_url())["X-Cache"] == "miss"
    assert client.get(piece.get_absolute_url())["X-Cache"] == "hit"


# Stale copies while one request rebuilds


def test_while_another_request_rebuilds_a_stale_page_readers_get_the_stale_copy(client, archive):
    piece = archive["pieces"][0]
    url = piece.get_absolute_url()
    client.get(url)
    piece.title = "The new title"
    piece.save()
    lock = pagecache.LOCK_KEY.format(digest=_digest(client, url))
    cache.add(lock, 1, 60)  # another worker is rebuilding it
    stale = client.get(url)
    assert stale["X-Cache"] == "stale"
    assert "The new title" not in stale.content.decode()
    cache.delete(lock)  # it finished without storing (or died): the next request rebuilds
    fresh = client.get(url)
    assert fresh["X-Cache"] == "miss"
    assert "The new title" in fresh.content.decode()


def test_a_stale_copy_is_served_for_a_bounded_time_only(client, archive, settings):
    settings.PUBLIC_PAGE_STALE_SECONDS = 0
    piece = archive["pieces"][0]
    url = piece.get_absolute_url()
    client.get(url)
    piece.title = "The new title"
    piece.save()
    cache.add(pagecache.LOCK_KEY.format(digest=_digest(client, url)), 1, 60)
    response = client.get(url)
    assert response["X-Cache"] == "miss"
    assert "The new title" in response.content.decode()
