"""Builders shared by the edition tests."""

from django.utils import timezone

from authors.models import Author
from subscriptions import delivery, sending
from subscriptions.models import Edition
from tests.factories import (
    AuthorFactory,
    BylineFactory,
    CommentaryFactory,
    SeriesFactory,
    SubscriptionRequestFactory,
)


def confirmed(series, count, **kwargs):
    return [
        SubscriptionRequestFactory(
            status="confirmed", confirmed_at=timezone.now(), series=[series], **kwargs
        )
        for _ in range(count)
    ]


def live_piece(series=None, **kwargs):
    series = series or SeriesFactory(
        name="PacNet",
        slug="pacnet",
        short_label="PacNet",
        disclaimer="<p>PacNet commentaries represent the views of the respective authors.</p>",
    )
    piece = CommentaryFactory(series=series, published=True, **kwargs)
    author = Author.objects.filter(email="kim@example.org").first() or AuthorFactory(
        name="Kim Saeme", email="kim@example.org", show_email=True
    )
    BylineFactory(commentary=piece, author=author, bio="is a fellow at the Forum.")
    return piece


def started_edition(piece, user=None):
    """An edition for `piece`, started (queued for sending) as at go-live."""
    edition = Edition.objects.filter(commentary=piece).first() or sending.edition_for_go_live(
        commentary=piece
    )
    sending.edition_start(edition=edition, user=user)
    delivery.prepare(edition)
    edition.refresh_from_db()
    return edition
