"""Writes for editions: prepare at go-live, start, test-send, cancel, resend."""

import logging
from functools import partial

from django.db import transaction
from django.utils import timezone

from commentaries.models import Commentary

from . import editions
from .models import Delivery, Edition, SeriesNewsletter

logger = logging.getLogger(__name__)

State = Delivery.State


def send_mode(series) -> str:
    setting = SeriesNewsletter.objects.filter(series=series).first()
    return setting.mode if setting else SeriesNewsletter.Mode.AUTOMATIC


def _queue_delivery(edition_id: int) -> None:
    from .tasks import queue_delivery

    transaction.on_commit(partial(queue_delivery, edition_id=edition_id), robust=True)


@transaction.atomic
def edition_for_go_live(*, commentary) -> Edition | None:
    """Prepare the edition of a piece that went live; start it if its series sends
    automatically. Announced twice, it still makes one edition."""
    series = commentary.series
    if not series.subscribable:
        return None
    edition = Edition.objects.select_for_update().filter(commentary=commentary).first()
    if edition is not None:
        return edition
    edition = Edition(commentary=commentary, series=series, **editions.render_edition(commentary))
    edition.full_clean(exclude=["commentary"], validate_constraints=False)
    edition.save()
    if send_mode(series) == SeriesNewsletter.Mode.AUTOMATIC:
        edition_start(edition=edition, user=None)
    return edition


def piece_is_live(edition: Edition) -> bool:
    """An edition goes out only while readers may see its piece: once the piece
    is withdrawn or back to draft, nothing more of it is sent."""
    return Commentary.objects.published().filter(pk=edition.commentary_id).exists()


@transaction.atomic
def edition_start(*, edition: Edition, user) -> bool:
    """Start sending; a second click (or a second worker) changes nothing, and
    neither does a click for a piece that is no longer live."""
    edition = Edition.objects.select_for_update().get(pk=edition.pk)
    if edition.status != Edition.Status.WAITING or not piece_is_live(edition):
        return False
    edition.status = Edition.Status.SENDING
    edition.send_requested_at = timezone.now()
    edition.send_requested_by = user
    edition.save(update_fields=["status", "send_requested_at", "send_requested_by"])
    _queue_delivery(edition.pk)
    return True


@transaction.atomic
def edition_cancel(*, edition: Edition) -> int:
    """Stop a running edition: nothing more leaves; returns the rows cancelled."""
    edition = Edition.objects.select_for_update().get(pk=edition.pk)
    if edition.status not in (Edition.Status.SENDING, Edition.Status.WAITING):
        return 0
    edition.status = Edition.Status.CANCELLED
    edition.cancelled_at = timezone.now()
    if edition.send_requested_at is None:
        edition.send_requested_at = edition.cancelled_at
    edition.save(update_fields=["status", "cancelled_at", "send_requested_at"])
    return edition.deliveries.filter(state__in=[State.QUEUED, State.DEFERRED]).update(
        state=State.CANCELLED, updated_at=timezone.now()
    )


@transaction.atomic
def edition_resend(*, edition: Edition, states=(State.FAILED, State.UNKNOWN)) -> int:
    """An editor's choice: queue the failed and unknown deliveries again.

    The only path that takes a row out of *unknown*: the editor accepts that
    some of these subscribers may receive the edition a second time."""
    edition = Edition.objects.select_for_update().get(pk=edition.pk)
    if edition.status == Edition.Status.WAITING or not piece_is_live(edition):
        return 0
    allowed = {State.FAILED, State.UNKNOWN, State.CANCELLED}
    requeued = edition.deliveries.filter(state__in=[s for s in states if s in allowed]).update(
        state=State.QUEUED, next_attempt_at=None, updated_at=timezone.now()
    )
    if requeued:
        edition.status = Edition.Status.SENDING
        edition.finished_at = None
        edition.save(update_fields=["status", "finished_at"])
        _queue_delivery(edition.pk)
    return requeued


def edition_test_send(*, edition: Edition, user) -> bool:
    """Queue the edition to the editor's own address; False if they have none."""
    if not user.email:
        return False
    from .tasks import send_test_edition

    transaction.on_commit(
        partial(send_test_edition.enqueue, edition_id=edition.pk, to=user.email), robust=True
    )
    return True


def audience(edition: Edition) -> int:
    """How many subscribers the edition would go to now."""
    from .models import SubscriptionRequest

    return (
        SubscriptionRequest.objects.confirmed()
        .filter(series=edition.series_id, undeliverable_at__isnull=True)
        .count()
    )
