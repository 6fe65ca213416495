import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, connections
from django.utils import timezone

from commentaries.models import Commentary, Series
from commentaries.services import commentary_publish, commentary_unschedule
from tests.factories import ReadyCommentaryFactory as CommentaryFactory
from tests.factories import SeriesFactory

pytestmark = pytest.mark.django_db

IN_2019 = datetime(2019, 11, 27, 12, tzinfo=UTC)


def test_publishing_assigns_the_next_number_in_the_series_and_year():
    series = SeriesFactory()
    CommentaryFactory(series=series, published=True, year=2019, number=67)
    CommentaryFactory(series=series, published=True, year=2020, number=90)
    piece = commentary_publish(commentary=CommentaryFactory(series=series), at=IN_2019)
    assert (piece.year, piece.number, piece.suffix) == (2019, 68, "")


def test_yearly_numbering_restarts_in_a_new_year():
    series = SeriesFactory(numbering=Series.Numbering.YEARLY)
    CommentaryFactory(series=series, published=True, year=2019, number=68)
    piece = commentary_publish(
        commentary=CommentaryFactory(series=series), at=datetime(2020, 1, 3, tzinfo=UTC)
    )
    assert piece.number == 1


def test_continuous_numbering_runs_on_across_years():
    series = SeriesFactory(numbering=Series.Numbering.CONTINUOUS)
    CommentaryFactory(series=series, published=True, year=2019, number=68)
    piece = commentary_publish(
        commentary=CommentaryFactory(series=series), at=datetime(2020, 1, 3, tzinfo=UTC)
    )
    assert (piece.year, piece.number) == (2020, 69)


def test_unnumbered_series_publishes_without_a_number():
    series = SeriesFactory(numbering=Series.Numbering.NONE)
    piece = commentary_publish(commentary=CommentaryFactory(series=series), at=IN_2019)
    assert piece.number is None
    assert piece.year == 2019
    assert piece.get_absolute_url() == f"/{series.slug}/2019/{piece.slug}/"


def test_a_response_takes_the_originals_number_with_an_r_suffix():
    series = SeriesFactory()
    original = commentary_publish(commentary=CommentaryFactory(series=series), at=IN_2019)
    first = commentary_publish(
        commentary=CommentaryFactory(series=series, responds_to=original), at=timezone.now()
    )
    second = commentary_publish(
        commentary=CommentaryFactory(series=series, responds_to=original), at=timezone.now()
    )
    assert (first.year, first.number, first.suffix) == (2019, original.number, "R")
    assert second.suffix == "R2"
    assert set(original.responses.all()) == {first, second}


def test_a_hand_set_number_is_kept_and_a_clash_is_a_validation_error():
    series = SeriesFactory(short_label="PacNet")
    commentary_publish(
        commentary=CommentaryFactory(series=series, number=68, year=2019), at=IN_2019
    )
    clash = CommentaryFactory(series=series)
    clash.number = 68
    with pytest.raises(ValidationError, match=r"PacNet #68 \(2019\) already exists."):
        commentary_publish(commentary=clash, at=IN_2019)


def test_scheduling_keeps_the_piece_hidden_until_its_time():
    piece = commentary_publish(
        commentary=CommentaryFactory(), at=timezone.now() + timedelta(hours=2)
    )
    assert piece.is_scheduled
    assert not Commentary.objects.published().exists()


def test_two_pieces_with_the_same_title_get_distinct_slugs():
    series = SeriesFactory()
    one = commentary_publish(commentary=CommentaryFactory(series=series, slug="same"), at=IN_2019)
    two = commentary_publish(commentary=CommentaryFactory(series=series, slug="same"), at=IN_2019)
    assert one.slug == "same"
    assert two.slug == "same-2"


def test_cancelling_a_schedule_makes_a_draft_and_frees_its_provisional_number():
    piece = commentary_publish(
        commentary=CommentaryFactory(), at=timezone.now() + timedelta(hours=2)
    )
    assert piece.number == 1
    commentary_unschedule(commentary=piece)
    piece.refresh_from_db()
    assert piece.status == Commentary.Status.DRAFT
    assert piece.number is None
    assert not Commentary.objects.published().exists()


def test_a_live_piece_cannot_be_taken_back_to_draft_even_by_the_system():
    piece = commentary_publish(commentary=CommentaryFactory(), at=IN_2019)
    with pytest.raises(PermissionDenied):
        commentary_unschedule(commentary=piece)
    piece.refresh_from_db()
    assert piece.is_live


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_publishes_get_two_different_numbers():
    if connection.vendor != "postgresql":
        pytest.skip("row locks are a PostgreSQL feature; SQLite serialises writers itself")
    series = SeriesFactory()
    pieces = [CommentaryFactory(series=series), CommentaryFactory(series=series)]
    barrier = threading.Barrier(2)
    errors = []

    def publish(pk):
        try:
            barrier.wait(timeout=10)
            commentary_publish(commentary=Commentary.objects.get(pk=pk), at=IN_2019)
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=publish, args=(p.pk,)) for p in pieces]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    numbers = sorted(Commentary.objects.values_list("number", flat=True))
    assert numbers == [1, 2]
