"""Background work: sending emails never happens inside a web request."""

import logging
import smtplib
from datetime import timedelta

from django.utils import timezone
from django_tasks import task

from commentaries.models import Series

from .emails import confirmation_message
from .models import SubscriptionRequest

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8


def retry_delay(attempt):
    """1 min, 4 min, 16 min, ~1 h, then every 4 h: about a day in all."""
    return timedelta(minutes=min(4 ** (attempt - 1), 240))


@task()
def send_confirmation(*, request_id, series_ids, site_url, attempt=1):
    subscription = SubscriptionRequest.objects.filter(pk=request_id).first()
    if subscription is None or subscription.status == SubscriptionRequest.Status.UNSUBSCRIBED:
        return "skipped"
    series = list(Series.objects.filter(pk__in=series_ids, subscribable=True))
    message = confirmation_message(subscription=subscription, series=series, site_url=site_url)
    try:
        message.send()
    except (smtplib.SMTPException, OSError):
        if attempt >= MAX_ATTEMPTS or not send_confirmation.get_backend().supports_defer:
            raise
        delay = retry_delay(attempt)
        logger.warning(
            "Confirmation email for subscription request %s failed (attempt %s); retrying in %s",
            request_id,
            attempt,
            delay,
            exc_info=True,
        )
        send_confirmation.using(run_after=timezone.now() + delay).enqueue(
            request_id=request_id, series_ids=series_ids, site_url=site_url, attempt=attempt + 1
        )
        return "retry scheduled"
    SubscriptionRequest.objects.filter(pk=request_id).update(confirmation_sent_at=timezone.now())
    return "sent"


# ---------------------------------------------------------------------------
# Editions
# ---------------------------------------------------------------------------
DELIVER_PATH = "subscriptions.tasks.deliver_edition"
# One task sends at most this much, then queues its continuation, so that the
# go-live tick and other tasks get their turn on a busy worker.
BATCH_MESSAGES = 2000
BATCH_SECONDS = 60.0
PAUSE_AFTER_CONNECTION_FAILURE = timedelta(seconds=30)


def _waiting_delivery_task_exists(edition_id) -> bool:
    backend = deliver_edition.get_backend()
    if not backend.supports_defer:
        return False
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(
        task_path=DELIVER_PATH,
        status="READY",
        backend_name=backend.alias,
        args_kwargs__kwargs__edition_id=edition_id,
    ).exists()


def queue_delivery(*, edition_id, run_after=None) -> bool:
    """Queue a delivery task for the edition unless one is already waiting."""
    if _waiting_delivery_task_exists(edition_id):
        return False
    if run_after is not None and deliver_edition.get_backend().supports_defer:
        deliver_edition.using(run_after=run_after).enqueue(edition_id=edition_id)
    else:
        deliver_edition.enqueue(edition_id=edition_id)
    return True


@task()
def deliver_edition(*, edition_id):
    from .delivery import send_batch

    result = send_batch(
        edition_id=edition_id, max_messages=BATCH_MESSAGES, max_seconds=BATCH_SECONDS
    )
    if result["more"]:
        if result["paused"]:
            queue_delivery(
                edition_id=edition_id, run_after=timezone.now() + PAUSE_AFTER_CONNECTION_FAILURE
            )
        else:
            queue_delivery(edition_id=edition_id)
    return result


def resume_editions(**kwargs):
    """Tick upkeep: label rows whose worker died as unknown, and give every
    sending edition with due work (new rows, retries whose time came, a chain
    cut by a killed worker) a delivery task."""
    from .delivery import sweep_stale
    from .models import Delivery, Edition

    swept = sweep_stale()
    if swept:
        logger.warning("%s deliveries interrupted while sending are now unknown", swept)
    due = Delivery.objects.due().filter(edition__status=Edition.Status.SENDING)
    sending = Edition.objects.filter(status=Edition.Status.SENDING)
    for edition_id in sending.values_list("pk", flat=True):
        edition_due = due.filter(edition_id=edition_id).exists()
        unprepared = sending.filter(pk=edition_id, prepared_at__isnull=True).exists()
        if edition_due or unprepared:
            queue_delivery(edition_id=edition_id)
        else:
            from .delivery import finish_if_done

            finish_if_done(Edition.objects.get(pk=edition_id))


def on_piece_went_live(sender, commentary, **kwargs):
    from .sending import edition_for_go_live

    edition_for_go_live(commentary=commentary)


@task()
def send_test_edition(*, edition_id, to):
    """The edition as a subscriber would get it, to an editor, marked as a test."""
    from django.core.mail import EmailMultiAlternatives
    from django.urls import reverse

    from . import editions
    from .models import Edition

    edition = Edition.objects.get(pk=edition_id)
    placeholder = editions.absolute(reverse("subscriptions:subscribe"))
    links = {"unsubscribe_url": placeholder, "manage_url": placeholder}
    message = EmailMultiAlternatives(
        subject=f"[Test] {edition.subject}",
        body=editions.personalise(edition.text, **links),
        to=[to],
    )
    message.attach_alternative(editions.personalise(edition.html, **links), "text/html")
    message.send()
    Edition.objects.filter(pk=edition_id).update(test_sent_at=timezone.now())
    return "sent"
