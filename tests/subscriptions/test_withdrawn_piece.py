"""A withdrawn piece sends nothing more: its waiting
edition cannot be started, a running one stops, and nothing is resent."""

import pytest
from django.core import mail

from commentaries.services import commentary_withdraw
from subscriptions import delivery, sending
from subscriptions.models import Delivery, Edition, SeriesNewsletter
from tests.factories import UserFactory

from .edition_helpers import confirmed, live_piece, started_edition

pytestmark = pytest.mark.django_db
State = Delivery.State


@pytest.fixture
def dummy_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


def withdraw(piece):
    commentary_withdraw(commentary=piece, note="Withdrawn at the authors' request.")


def test_a_withdrawn_pieces_waiting_edition_cannot_be_sent(
    client, django_capture_on_commit_callbacks
):
    piece = live_piece()
    SeriesNewsletter.objects.create(series=piece.series, mode=SeriesNewsletter.Mode.ON_DEMAND)
    confirmed(piece.series, 2)
    edition = sending.edition_for_go_live(commentary=piece)
    editor = UserFactory(username="editor", email="editor@example.org", groups=["Editors"])
    client.force_login(editor)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/admin/subscriptions/edition/{edition.pk}/test-send/")
    mail.outbox.clear()
    withdraw(piece)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/admin/subscriptions/edition/{edition.pk}/send/", follow=True)
    assert "The piece is not live" in response.content.decode()
    assert sending.edition_start(edition=edition, user=editor) is False
    edition.refresh_from_db()
    assert edition.status == Edition.Status.WAITING
    assert mail.outbox == []
    assert (
        "Send a test to me"
        not in client.get(f"/admin/commentaries/commentary/{piece.pk}/change/").content.decode()
    )


def test_withdrawing_a_piece_stops_its_running_edition(dummy_tasks):
    piece = live_piece()
    confirmed(piece.series, 3)
    edition = started_edition(piece)
    withdraw(piece)

    result = delivery.send_batch(edition_id=edition.pk)

    assert result["sent"] == 0 and result["more"] is False
    edition.refresh_from_db()
    assert edition.status == Edition.Status.CANCELLED
    assert set(edition.deliveries.values_list("state", flat=True)) == {State.CANCELLED}
    assert mail.outbox == []


def test_a_withdrawn_pieces_failed_deliveries_are_not_resent(dummy_tasks):
    piece = live_piece()
    confirmed(piece.series, 2)
    edition = started_edition(piece)
    edition.deliveries.update(state=State.FAILED)
    withdraw(piece)

    assert sending.edition_resend(edition=edition) == 0
    assert set(edition.deliveries.values_list("state", flat=True)) == {State.FAILED}
