"""The page cache and the site state on the real Redis backend.

Runs when REDIS_URL is set (CI sets it for its PostgreSQL run; Redis on
127.0.0.1:6379), with the production cache class, `FailSafeRedisCache`. Each
xdist worker uses its own Redis database (`redis_url` in tests/conftest.py),
and each test its own key prefix, deleted afterwards.
"""

import uuid

import pytest
from django.core.cache import cache, caches
from django.test import override_settings

from commentaries import cachekeys
from commentaries.services import commentary_publish
from commentaries.site_state import site_state
from pacforum import pagecache
from pacforum.cache import FailSafeRedisCache
from tests.factories import (
    BylineFactory,
    CommentaryFactory,
    ReadyCommentaryFactory,
    SeriesFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def redis_cache(redis_url):
    prefix = f"pacforum-test-{uuid.uuid4().hex}"
    config = {
        "default": {
            "BACKEND": "pacforum.cache.FailSafeRedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": prefix,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    with override_settings(CACHES=config):
        assert isinstance(caches["default"], FailSafeRedisCache)
        yield caches["default"]
        client = caches["default"]._cache.get_client(write=True)
        keys = list(client.scan_iter(match=f"{prefix}:*"))
        if keys:
            client.delete(*keys)


def test_pages_are_cached_in_redis_and_served_from_it(client):
    piece = CommentaryFactory(published=True, title="Shared across nodes")
    BylineFactory(commentary=piece)
    first = client.get(piece.get_absolute_url())
    second = client.get(piece.get_absolute_url())
    assert first["X-Cache"] == "miss"
    assert second["X-Cache"] == "hit"
    assert second.content == first.content


def test_publishing_refreshes_pages_cached_in_redis(client):
    series = SeriesFactory()
    assert client.get("/")["X-Cache"] == "miss"
    assert client.get("/")["X-Cache"] == "hit"
    piece = ReadyCommentaryFactory(series=series, title="Breaking analysis")
    commentary_publish(commentary=piece)
    response = client.get("/")
    assert response["X-Cache"] == "miss"
    assert "Breaking analysis" in response.content.decode()


def test_editing_refreshes_a_piece_cached_in_redis(client):
    piece = CommentaryFactory(published=True, body="<p>Before the edit.</p>")
    client.get(piece.get_absolute_url())
    piece.body = "<p>After the edit.</p>"
    piece.save()
    assert "After the edit." in client.get(piece.get_absolute_url()).content.decode()


def test_staff_pages_never_come_from_or_go_to_redis(client, admin_client):
    CommentaryFactory(published=True)
    admin_client.get("/")
    assert client.get("/")["X-Cache"] == "miss"
    staff = admin_client.get("/")
    assert "X-Cache" not in staff
    assert "private" in staff["Cache-Control"]


def test_site_state_round_trips_through_redis(django_assert_num_queries):
    series = SeriesFactory(name="Regional Briefs")
    CommentaryFactory(published=True, series=series)
    built = site_state()
    with django_assert_num_queries(0):
        again = site_state()
    assert [s.slug for s in again["series"]] == [s.slug for s in built["series"]]
    assert next(s for s in again["series"] if s.pk == series.pk).has_published


def test_the_redis_cache_is_the_one_pages_use():
    cache.set("probe", "value", 30)
    assert cache.get("probe") == "value"


def test_one_redis_client_serves_every_call_of_a_process(redis_cache):
    # Django makes a new redis.Redis per call; building one costs more than
    # the round trip of a cached page's lookup.
    client = redis_cache._cache.get_client()
    redis_cache.set("reused", "yes")
    assert redis_cache.get("reused") == "yes"
    assert redis_cache._cache.get_client() is client
    assert redis_cache._cache.get_client(write=True) is client


def _count_round_trips(monkeypatch, redis_cache):
    """A list that grows by one each time the cache's real client sends
    Redis a command or a pipeline (and then waits for the reply)."""
    sent = []
    connection_class = redis_cache._cache.get_client().connection_pool.connection_class
    send = connection_class.send_packed_command

    def counting(self, command, *args, **kwargs):
        sent.append(command)
        return send(self, command, *args, **kwargs)

    monkeypatch.setattr(connection_class, "send_packed_command", counting)
    return sent


def test_a_warm_page_is_read_from_redis_in_one_round_trip(client, redis_cache, monkeypatch):
    piece = CommentaryFactory(published=True, title="One trip")
    BylineFactory(commentary=piece)
    url = piece.get_absolute_url()
    assert client.get(url)["X-Cache"] == "miss"
    assert client.get(url)["X-Cache"] == "hit"  # Redis now knows the script
    sent = _count_round_trips(monkeypatch, redis_cache)
    response = client.get(url)
    assert response["X-Cache"] == "hit"
    assert len(sent) == 1, sent
    command = sent[0] if isinstance(sent[0], bytes) else b"".join(sent[0])
    assert b"EVALSHA" in command


def test_redis_answers_which_listed_keys_changed_since_a_value_was_stored(redis_cache):
    redis_cache.set_many({"version:a": 1, "version:b": 2})
    redis_cache.set_with_listed("entry", {"page": "x"}, 60, {"version:a": 1, "version:b": 2})
    assert redis_cache.get_with_listed("entry") == ({"page": "x"}, {})
    redis_cache.set("version:b", 3)
    assert redis_cache.get_with_listed("entry") == ({"page": "x"}, {"version:b": 3})
    redis_cache.delete("version:a")
    assert redis_cache.get_with_listed("entry") == (
        {"page": "x"},
        {"version:a": None, "version:b": 3},
    )
    assert redis_cache.get_with_listed("never-stored") == (None, None)


def test_a_value_listed_with_no_keys_has_nothing_changed(redis_cache):
    redis_cache.set_with_listed("alone", "value", 60, {})
    assert redis_cache.get_with_listed("alone") == ("value", {})


def test_only_keys_holding_integers_can_be_listed(redis_cache):
    with pytest.raises(TypeError):
        redis_cache.set_with_listed("entry", "value", 60, {"version:a": "1"})


def test_a_page_is_stale_once_one_of_its_keys_changes_in_redis(client, redis_cache):
    piece = CommentaryFactory(published=True, title="Checked in Redis")
    url = piece.get_absolute_url()
    assert client.get(url)["X-Cache"] == "miss"
    assert client.get(url)["X-Cache"] == "hit"
    pagecache.invalidate(cachekeys.piece(piece.pk))  # as a change to the piece does
    assert client.get(url)["X-Cache"] == "miss"
    assert client.get(url)["X-Cache"] == "hit"


def test_a_page_whose_listing_is_lost_is_still_checked_against_its_keys(client, redis_cache):
    from pacforum.cache import LISTING_SUFFIX

    piece = CommentaryFactory(published=True, body="<p>Before the edit.</p>")
    url = piece.get_absolute_url()
    client.get(url)
    raw = redis_cache._cache.get_client(write=True)
    listings = list(raw.scan_iter(match=f"{redis_cache.key_prefix}:*{LISTING_SUFFIX}"))
    assert listings
    raw.delete(*listings)
    assert client.get(url)["X-Cache"] == "hit"
    piece.body = "<p>After the edit.</p>"
    piece.save()
    assert "After the edit." in client.get(url).content.decode()


def test_an_unreachable_redis_serves_public_pages_as_misses(client):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    unreachable = {
        "default": {
            "BACKEND": "pacforum.cache.FailSafeRedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/6",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    piece = CommentaryFactory(published=True, title="Still served")
    with override_settings(CACHES=unreachable):
        for _ in range(2):
            response = client.get(piece.get_absolute_url())
            assert response.status_code == 200
            assert response["X-Cache"] == "miss"
            assert "Still served" in response.content.decode()
