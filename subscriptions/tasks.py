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
