"""What we hold about one address: export it, erase it, and age out delivery rows."""

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .models import Delivery, SubscriptionRequest


def _when(value):
    return value.isoformat() if value else None


def subscriber_export(*, subscription: SubscriptionRequest) -> dict:
    """Everything held about one subscriber, as plain data (for a JSON download)."""
    deliveries = subscription.deliveries.select_related("edition").order_by("created_at")
    return {
        "name": subscription.name,
        "email": subscription.email,
        "organization": subscription.organization,
        "status": subscription.status,
        "series": [series.name for series in subscription.series.all()],
        "source": subscription.source,
        "consent_text": subscription.consent_text,
        "consent_version": subscription.consent_version,
        "requested_at": _when(subscription.created_at),
        "last_requested_at": _when(subscription.last_requested_at),
        "confirmation_sent_at": _when(subscription.confirmation_sent_at),
        "confirmed_at": _when(subscription.confirmed_at),
        "unsubscribed_at": _when(subscription.unsubscribed_at),
        "hard_bounces": subscription.hard_bounces,
        "undeliverable_at": _when(subscription.undeliverable_at),
        "undeliverable_reason": subscription.undeliverable_reason,
        "deliveries": [
            {
                "edition": row.edition.subject,
                "state": row.state,
                "attempts": row.attempts,
                "last_error": row.last_error,
                "queued_at": _when(row.created_at),
                "sent_at": _when(row.sent_at),
            }
            for row in deliveries
        ],
    }


@transaction.atomic
def subscriber_erase(*, subscription: SubscriptionRequest) -> int:
    """Delete the subscriber; their delivery rows stay only as anonymous counts
    (no subscriber, no error text). Returns how many rows were anonymised."""
    rows = Delivery.objects.filter(subscription=subscription)
    anonymised = rows.update(subscription=None, last_error="", updated_at=timezone.now())
    SubscriptionRequest.objects.filter(pk=subscription.pk).delete()
    return anonymised


@transaction.atomic
def deliveries_purge(*, older_than=None, dry_run: bool = False) -> int:
    """Delete delivery rows older than the retention (NEWSLETTER_RETENTION)."""
    cutoff = timezone.now() - (older_than or settings.NEWSLETTER_RETENTION)
    old = Delivery.objects.filter(created_at__lt=cutoff)
    count = old.count()
    if not dry_run:
        old.delete()
    return count
