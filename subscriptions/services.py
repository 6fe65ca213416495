"""Writes for subscription requests; every email leaves through `tasks`."""

import logging
from functools import partial

from django.db import IntegrityError, transaction
from django.utils import timezone

from commentaries.models import Series

from .addresses import canonical_email
from .models import SubscriptionRequest
from .tokens import Confirmation, belongs_to

logger = logging.getLogger(__name__)

# The privacy note shown next to the consent checkbox. Change the version
# whenever the wording changes: each request stores the text it agreed to.
CONSENT_VERSION = "2026-11"
CONSENT_TEXT = (
    "I agree that {site} keeps my name, email address and organisation to send me the "
    "series I chose, and nothing else. I can unsubscribe with one click from any email; "
    "unconfirmed requests are deleted after 30 days."
)


class ConfirmationResult:
    CONFIRMED = "confirmed"
    ALREADY_CONFIRMED = "already-confirmed"
    STALE = "stale"


def _queue_confirmation(*, subscription, series_ids, site_url):
    from .tasks import send_confirmation

    transaction.on_commit(
        partial(
            send_confirmation.enqueue,
            request_id=subscription.pk,
            series_ids=sorted(series_ids),
            site_url=site_url,
        ),
        robust=True,
    )


@transaction.atomic
def subscription_request_submit(
    *,
    name: str,
    email: str,
    organization: str,
    series: list[Series],
    consent_text: str,
    consent_version: str,
    site_url: str,
) -> SubscriptionRequest:
    """Record a visitor's request and queue a confirmation email.

    Whatever the address's state (new, pending, confirmed, unsubscribed) the
    visitor is answered the same way and the address's owner gets an email: a
    confirmed subscriber's series change only when they click the new link.
    """
    now = timezone.now()
    email = canonical_email(email)
    subscription = SubscriptionRequest.objects.select_for_update().for_email(email).first()
    if subscription is None:
        subscription = SubscriptionRequest(
            name=name,
            email=email,
            organization=organization,
            consent_text=consent_text,
            consent_version=consent_version,
            last_requested_at=now,
        )
        subscription.full_clean(validate_constraints=False)
        try:
            with transaction.atomic():
                subscription.save()
        except IntegrityError:
            # Another request for the same address committed in between.
            subscription = SubscriptionRequest.objects.select_for_update().for_email(email).get()
        else:
            subscription.series.set(series)
            _queue_confirmation(
                subscription=subscription, series_ids=[s.pk for s in series], site_url=site_url
            )
            return subscription

    if subscription.status != SubscriptionRequest.Status.CONFIRMED:
        subscription.name = name
        subscription.organization = organization
        subscription.status = SubscriptionRequest.Status.PENDING
        subscription.consent_text = consent_text
        subscription.consent_version = consent_version
    subscription.last_requested_at = now
    subscription.full_clean(validate_constraints=False)
    subscription.save()
    if subscription.status == SubscriptionRequest.Status.PENDING:
        subscription.series.set(series)
    _queue_confirmation(
        subscription=subscription, series_ids=[s.pk for s in series], site_url=site_url
    )
    return subscription


def confirmation_outcome(*, confirmation: Confirmation, subscription: SubscriptionRequest) -> str:
    """What applying the confirmation link would do, without doing it."""
    wanted = set(confirmation.series_ids)
    current = set(subscription.series.values_list("pk", flat=True))
    if subscription.status == SubscriptionRequest.Status.CONFIRMED and wanted == current:
        return ConfirmationResult.ALREADY_CONFIRMED
    if (
        subscription.unsubscribed_at
        and subscription.unsubscribed_at.timestamp() > confirmation.issued_at
    ):
        # A link from before the visitor unsubscribed must not resubscribe them.
        return ConfirmationResult.STALE
    return ConfirmationResult.CONFIRMED


@transaction.atomic
def subscription_confirm(*, confirmation: Confirmation) -> tuple[SubscriptionRequest, str]:
    """Apply a confirmation link; clicking it twice changes nothing."""
    subscription = (
        SubscriptionRequest.objects.select_for_update().filter(pk=confirmation.request_id).first()
    )
    if subscription is None or not belongs_to(confirmation, subscription):
        raise SubscriptionRequest.DoesNotExist
    outcome = confirmation_outcome(confirmation=confirmation, subscription=subscription)
    if outcome != ConfirmationResult.CONFIRMED:
        return subscription, outcome
    wanted = set(confirmation.series_ids)
    subscription.status = SubscriptionRequest.Status.CONFIRMED
    subscription.confirmed_at = timezone.now()
    subscription.full_clean(validate_constraints=False)
    subscription.save()
    subscription.series.set(Series.objects.filter(pk__in=wanted, subscribable=True))
    return subscription, ConfirmationResult.CONFIRMED


@transaction.atomic
def subscription_unsubscribe(*, subscription: SubscriptionRequest) -> SubscriptionRequest:
    """Stop every email to this address; repeating it changes nothing."""
    subscription = SubscriptionRequest.objects.select_for_update().get(pk=subscription.pk)
    if subscription.status != SubscriptionRequest.Status.UNSUBSCRIBED:
        subscription.status = SubscriptionRequest.Status.UNSUBSCRIBED
        subscription.unsubscribed_at = timezone.now()
        subscription.full_clean(validate_constraints=False)
        subscription.save()
    return subscription


@transaction.atomic
def subscription_change_series(
    *, subscription: SubscriptionRequest, series: list[Series]
) -> SubscriptionRequest:
    """Change a subscriber's series from their own link; no series means unsubscribe.

    An unsubscribed address comes back only through the form and a new confirmation.
    """
    if not series:
        return subscription_unsubscribe(subscription=subscription)
    subscription = SubscriptionRequest.objects.select_for_update().get(pk=subscription.pk)
    if subscription.status == SubscriptionRequest.Status.UNSUBSCRIBED:
        return subscription
    subscription.series.set(series)
    subscription.save(update_fields=["updated_at"])
    return subscription


def subscription_resend_confirmation(*, subscription: SubscriptionRequest, site_url: str) -> bool:
    """Queue the confirmation email again (staff action); only pending requests get one."""
    if subscription.status != SubscriptionRequest.Status.PENDING:
        return False
    with transaction.atomic():
        _queue_confirmation(
            subscription=subscription,
            series_ids=list(subscription.series.values_list("pk", flat=True)),
            site_url=site_url,
        )
    return True


@transaction.atomic
def subscription_purge_unconfirmed(*, older_than, dry_run: bool = False) -> int:
    """Delete pending requests never confirmed and not renewed for `older_than`."""
    stale = SubscriptionRequest.objects.never_confirmed_since(timezone.now() - older_than)
    count = stale.count()
    if not dry_run:
        stale.delete()
    return count
