from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from commentaries.models import Byline, Commentary
from tests.factories import (
    AuthorFactory,
    BylineFactory,
    CommentaryFactory,
    SeriesFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


def test_duplicate_number_in_same_series_and_year_is_rejected_by_the_database():
    series = SeriesFactory()
    CommentaryFactory(series=series, published=True, year=2019, number=68)
    with pytest.raises(IntegrityError), transaction.atomic():
        CommentaryFactory(series=series, published=True, year=2019, number=68)


def test_same_number_is_allowed_in_another_year_or_series():
    series = SeriesFactory()
    CommentaryFactory(series=series, published=True, year=2019, number=68)
    CommentaryFactory(series=series, published=True, year=2020, number=68)
    CommentaryFactory(series=SeriesFactory(), published=True, year=2019, number=68)
    assert Commentary.objects.filter(number=68).count() == 3


def test_a_response_suffix_may_share_the_number():
    series = SeriesFactory()
    CommentaryFactory(series=series, published=True, year=2019, number=68)
    response = CommentaryFactory(series=series, published=True, year=2019, number=68, suffix="r")
    assert response.suffix == "R"
    assert response.label == f"{series.short_label} #68R"


def test_number_clash_gives_an_editor_readable_message():
    series = SeriesFactory(short_label="PacNet")
    CommentaryFactory(series=series, published=True, year=2019, number=68)
    clash = CommentaryFactory.build(series=series, published=True, year=2019, number=68)
    with pytest.raises(ValidationError) as excinfo:
        clash.full_clean()
    assert "PacNet #68 (2019) already exists." in excinfo.value.messages


def test_a_published_piece_without_publish_time_is_rejected_by_the_database():
    with pytest.raises(IntegrityError), transaction.atomic():
        CommentaryFactory(status=Commentary.Status.PUBLISHED, published_at=None)


def test_a_suffix_without_number_is_rejected_by_the_database():
    with pytest.raises(IntegrityError), transaction.atomic():
        CommentaryFactory(suffix="R")


def test_display_title_joins_series_label_number_and_title():
    series = SeriesFactory(short_label="PacNet")
    piece = CommentaryFactory(series=series, published=True, year=2019, number=68, title="Ties")
    assert piece.display_title == "PacNet #68 – Ties"
    assert str(piece) == "PacNet #68 – Ties"


def test_published_hides_drafts_and_future_pieces():
    live = CommentaryFactory(published=True)
    CommentaryFactory()
    CommentaryFactory(scheduled=True)
    assert list(Commentary.objects.published()) == [live]


def test_scheduled_piece_becomes_visible_when_its_time_comes():
    piece = CommentaryFactory(scheduled=True)
    assert not Commentary.objects.published().exists()
    Commentary.objects.filter(pk=piece.pk).update(
        published_at=timezone.now() - timedelta(seconds=1)
    )
    assert list(Commentary.objects.published()) == [piece]


def test_body_is_sanitised_when_saved():
    piece = CommentaryFactory(body='<p onclick="x()">Hi<script>alert(1)</script></p>')
    piece.refresh_from_db()
    assert piece.body == "<p>Hi</p>"


def test_series_disclaimer_is_sanitised_when_saved():
    series = SeriesFactory(disclaimer='<p>Views<img src=x onerror="alert(1)"></p>')
    series.refresh_from_db()
    assert "onerror" not in series.disclaimer


def test_bylines_keep_their_order():
    piece = CommentaryFactory(published=True)
    second, first = AuthorFactory(name="Second"), AuthorFactory(name="First")
    BylineFactory(commentary=piece, author=second, position=2)
    BylineFactory(commentary=piece, author=first, position=1)
    assert [b.author.name for b in piece.bylines.all()] == ["First", "Second"]


def test_byline_snapshot_survives_a_change_of_job():
    author = AuthorFactory(short_bio="is a PhD candidate at Tidewater College.")
    byline = BylineFactory(author=author)
    author.short_bio = "is a professor at Northern Straits University."
    author.save()
    byline.refresh_from_db()
    assert byline.bio == "is a PhD candidate at Tidewater College."
    assert byline.email == author.email


def test_an_author_appears_once_per_piece():
    byline = BylineFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Byline.objects.create(commentary=byline.commentary, author=byline.author, position=5)


def test_a_series_cannot_take_a_slug_the_site_uses():
    series = SeriesFactory.build(slug="authors")
    with pytest.raises(ValidationError) as excinfo:
        series.full_clean()
    assert "slug" in excinfo.value.message_dict
