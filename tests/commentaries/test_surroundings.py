"""The neighbours and related pieces stored on each piece stay what they
should be through every path that changes them: publishing, scheduling and
the time coming, rescheduling, unscheduling, withdrawing and reinstating,
topic changes (change form, service, deleting a topic), history restores,
the WordPress importer and the archive loader writing in bulk."""

import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from commentaries import golive, services, surroundings
from commentaries.models import Commentary, GoLive
from tests.factories import (
    BylineFactory,
    CommentaryFactory,
    ReadyCommentaryFactory,
    SeriesFactory,
    TopicFactory,
)

pytestmark = pytest.mark.django_db


def assert_stored_surroundings_are_current():
    """What every piece stores is what working it all out again gives."""
    stored = dict(Commentary.objects.values_list("pk", "surroundings"))
    expected = {pk: {} for pk in stored} | surroundings.work_out()
    assert stored == expected


def page(client, piece):
    response = client.get(piece.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


def links_next(page_html, piece):
    return re.search(rf'href="{re.escape(piece.get_absolute_url())}" rel="next"', page_html)


def links_previous(page_html, piece):
    return re.search(rf'href="{re.escape(piece.get_absolute_url())}" rel="prev"', page_html)


def related_titles(page_html):
    section = page_html.split('id="related-heading"', 1)
    if len(section) < 2:
        return []
    titles = re.findall(r'class="item-title"><a href="[^"]*">([^<]*)</a>', section[1])
    return [title.split(" – ", 1)[-1] for title in titles]  # without "PacNet #68 – "


@pytest.fixture
def series():
    return SeriesFactory()


@pytest.fixture
def topic():
    return TopicFactory()


def live(series, days_ago, *topics, title=None):
    piece = CommentaryFactory(
        published=True,
        series=series,
        published_at=timezone.now() - timedelta(days=days_ago),
        **({"title": title} if title else {}),
    )
    if topics:
        services.commentary_set_topics(commentary=piece, topics=topics)
    return piece


def test_publishing_puts_a_piece_between_its_neighbours_and_among_related_pieces(
    client, series, topic
):
    older = live(series, 3, topic)
    newer = live(series, 1, topic)
    piece = ReadyCommentaryFactory(series=series, title="Freshly published")
    services.commentary_set_topics(commentary=piece, topics=[topic])
    services.commentary_publish(commentary=piece, at=timezone.now() - timedelta(days=2))

    assert links_next(page(client, older), piece)
    assert links_previous(page(client, newer), piece)
    assert "Freshly published" in related_titles(page(client, older))
    assert_stored_surroundings_are_current()


def test_a_scheduled_piece_shows_around_others_once_its_time_comes_without_a_write(
    client, series, topic, monkeypatch
):
    latest = live(series, 1, topic)
    piece = ReadyCommentaryFactory(series=series, title="Coming soon")
    services.commentary_set_topics(commentary=piece, topics=[topic])
    services.commentary_publish(commentary=piece, at=timezone.now() + timedelta(hours=2))
    assert_stored_surroundings_are_current()
    before = page(client, latest)
    assert not links_next(before, piece)
    assert "Coming soon" not in before

    stored = dict(Commentary.objects.values_list("pk", "surroundings"))
    later = timezone.now() + timedelta(hours=3)
    monkeypatch.setattr(timezone, "now", lambda: later)
    cache.clear()  # cached pages end at the publish time (tested with the page cache)
    golive.announce_due()  # the go-live tick
    assert GoLive.objects.filter(commentary=piece).exists()
    after = page(client, latest)
    assert links_next(after, piece)
    assert "Coming soon" in related_titles(after)
    assert dict(Commentary.objects.values_list("pk", "surroundings")) == stored
    assert_stored_surroundings_are_current()


def test_rescheduling_and_unscheduling_move_a_piece_out_of_its_old_place(series, topic):
    first = live(series, 1, topic)
    piece = ReadyCommentaryFactory(series=series)
    services.commentary_set_topics(commentary=piece, topics=[topic])
    services.commentary_publish(commentary=piece, at=timezone.now() + timedelta(days=2))
    later = live(series, -1, topic)  # scheduled by the factory for tomorrow's eve
    piece.refresh_from_db()
    piece.published_at = timezone.now() + timedelta(hours=1)
    services.commentary_save(commentary=piece)
    assert_stored_surroundings_are_current()
    first.refresh_from_db()
    assert first.surroundings["next"] == piece.pk

    services.commentary_unschedule(commentary=piece)
    assert_stored_surroundings_are_current()
    first.refresh_from_db()
    assert first.surroundings["next"] == later.pk


def test_withdrawing_and_reinstating_relink_the_neighbours(client, series, topic):
    older = live(series, 3, topic)
    piece = live(series, 2, topic, title="Soon withdrawn")
    newer = live(series, 1, topic)
    services.commentary_withdraw(commentary=piece, note="Retracted by the authors.")
    assert links_next(page(client, older), newer)
    assert "Soon withdrawn" not in page(client, newer)
    assert_stored_surroundings_are_current()

    services.commentary_reinstate(commentary=Commentary.objects.get(pk=piece.pk))
    assert links_next(page(client, older), piece)
    assert_stored_surroundings_are_current()


def test_a_topic_change_reranks_the_related_pieces_around_the_piece(client, series):
    shared, other = TopicFactory.create_batch(2)
    piece = live(series, 5, shared, title="The piece")
    elsewhere = live(SeriesFactory(), 4, other, title="Elsewhere")
    assert "Elsewhere" not in related_titles(page(client, piece))

    services.commentary_set_topics(commentary=elsewhere, topics=[shared])
    assert related_titles(page(client, piece)) == ["Elsewhere"]
    assert_stored_surroundings_are_current()

    services.commentary_set_topics(commentary=elsewhere, topics=[other])
    assert related_titles(page(client, piece)) == []
    assert_stored_surroundings_are_current()


def test_the_change_form_saving_new_topics_reranks_related_pieces(client, series):
    from django.urls import reverse

    from tests.commentaries.test_admin import existing_bylines, form_data, opened_at
    from tests.factories import UserFactory

    client.force_login(UserFactory(username="editor", groups=["Editors"]))
    shared = TopicFactory(name="Shared topic")
    piece = live(series, 5, shared, title="The piece")
    other = live(series, 4, title="Tagged in the admin")
    byline = BylineFactory(commentary=other)
    data = form_data(series, slug=other.slug, title=other.title, topics=[shared.pk])
    data |= existing_bylines(other, [byline])
    url = reverse("admin:commentaries_commentary_change", args=[other.pk])
    assert client.post(url, data | opened_at(other)).status_code == 302
    assert list(other.topics.all()) == [shared]
    piece.refresh_from_db()
    assert piece.surroundings["related"] == [other.pk]
    assert_stored_surroundings_are_current()


def test_deleting_a_topic_reranks_the_pieces_that_had_it(series):
    shared = TopicFactory()
    piece = live(series, 5, shared)
    other = live(SeriesFactory(), 4, shared)
    piece.refresh_from_db()
    assert piece.surroundings["related"] == [other.pk]
    services.topics_delete(topics=[shared])
    piece.refresh_from_db()
    assert piece.surroundings["related"] == []
    assert_stored_surroundings_are_current()


def test_a_history_restore_brings_back_old_topics_and_their_related_pieces(series):
    import reversion

    old_topic, new_topic = TopicFactory.create_batch(2)
    piece = live(series, 5)
    BylineFactory(commentary=piece)  # a published piece must keep an author
    with reversion.create_revision():
        services.commentary_set_topics(commentary=piece, topics=[old_topic])
        piece.save()
    neighbour = live(SeriesFactory(), 4, old_topic)
    services.commentary_set_topics(commentary=piece, topics=[new_topic])
    piece.refresh_from_db()
    assert neighbour.pk not in piece.surroundings["related"]

    from reversion.models import Version

    version = Version.objects.get_for_object(piece).last()
    services.commentary_restore(commentary=piece, version=version)
    piece.refresh_from_db()
    assert neighbour.pk in piece.surroundings["related"]
    assert_stored_surroundings_are_current()


def test_the_wordpress_importer_leaves_every_piece_with_its_surroundings():
    from io import StringIO

    from django.core.management import call_command

    from tests.wordpress.conftest import FIXTURES

    call_command("import_wxr", str(FIXTURES / "archive.xml"), stdout=StringIO())
    assert Commentary.objects.published().count() > 1
    assert Commentary.objects.exclude(surroundings={}).exists()
    assert_stored_surroundings_are_current()
