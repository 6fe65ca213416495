"""With the cache off (CACHE_DISABLED=true) every page is built on every
request; only the site state (small data, not a page) is kept in the process,
for a few seconds and never past the next scheduled publication."""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.utils import timezone

from commentaries import site_state
from tests.factories import BylineFactory, CommentaryFactory, SeriesFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def cache_off(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    site_state.forget_kept_state()
    yield
    site_state.forget_kept_state()


def test_with_the_cache_off_every_request_builds_the_page(
    client, cache_off, django_assert_num_queries
):
    piece = CommentaryFactory(published=True, title="Built every time")
    BylineFactory(commentary=piece)
    assert client.get(piece.get_absolute_url()).status_code == 200
    for _ in range(2):
        # The piece (with its stored credits) and the pieces around it: the
        # page's own queries every time; the site state is kept.
        with django_assert_num_queries(2):
            response = client.get(piece.get_absolute_url())
        assert "Built every time" in response.content.decode()
        assert response.get("X-Cache") != "hit"


def test_with_the_cache_off_the_site_state_is_kept_for_a_few_seconds(
    cache_off, monkeypatch, django_assert_num_queries
):
    series = SeriesFactory(name="Before")
    CommentaryFactory(published=True, series=series)
    clock = SimpleNamespace(time=lambda: 1_000_000.0)
    monkeypatch.setattr(site_state, "time", clock)
    assert [s.name for s in site_state.site_state()["series"]] == ["Before"]

    series.name = "After"
    series.save()
    with django_assert_num_queries(0):
        assert [s.name for s in site_state.site_state()["series"]] == ["Before"]

    clock.time = lambda: 1_000_000.0 + site_state.LOCAL_SECONDS
    with django_assert_num_queries(2):
        assert [s.name for s in site_state.site_state()["series"]] == ["After"]


def test_the_kept_site_state_ends_at_the_next_scheduled_publication(cache_off, monkeypatch):
    first = SeriesFactory()
    CommentaryFactory(published=True, series=first)
    later = SeriesFactory()
    scheduled = CommentaryFactory(
        scheduled=True, series=later, published_at=timezone.now() + timedelta(seconds=2)
    )
    now = timezone.now().timestamp()
    clock = SimpleNamespace(time=lambda: now)
    monkeypatch.setattr(site_state, "time", clock)
    state = site_state.site_state()
    assert not next(s for s in state["series"] if s.pk == later.pk).has_published
    assert state["next_publication"] == scheduled.published_at.timestamp()

    # Its time comes (the clock of the database moves on too).
    monkeypatch.setattr(timezone, "now", lambda: scheduled.published_at + timedelta(seconds=1))
    clock.time = lambda: scheduled.published_at.timestamp() + 1
    state = site_state.site_state()
    assert next(s for s in state["series"] if s.pk == later.pk).has_published
