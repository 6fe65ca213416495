"""Email services' bounce, complaint and unsubscribe events, through anymail.

anymail's tracking webhooks (/anymail/<service>/tracking/) check the service's
signature or the shared WEBHOOK_SECRET and normalise every service's events;
this receiver applies them. Each message carries its delivery token in the
anymail metadata, so an event names its delivery row; without it, the event's
recipient address names the subscriber.
"""

import logging

from anymail.signals import EventType, RejectReason

from . import verp
from .bounces import COMPLAINT, HARD, SOFT, Report, mark_undeliverable, record_report
from .models import SubscriptionRequest
from .services import subscription_unsubscribe

logger = logging.getLogger(__name__)


def _delivery_id(event) -> int | None:
    metadata = event.metadata if isinstance(event.metadata, dict) else {}
    return verp.read_token(str(metadata.get("delivery", "")))


# Bounces the services report as temporary (a full mailbox, a greylisting
# server, a block that lifts): anymail normalises some of them to "bounced"
# like a permanent one, so the service's own type is read here.
SOFT_BOUNCES = {
    # service: (the raw event's field, its values for a temporary bounce)
    "postmark": ("Type", {"SoftBounce"}),
    "sendgrid": ("type", {"blocked"}),  # a "bounce" event; "bounce" is permanent
}


def _is_soft_bounce(event, esp_name) -> bool:
    field, values = SOFT_BOUNCES.get(esp_name.lower(), ("", set()))
    raw = event.esp_event if isinstance(event.esp_event, dict) else {}
    return raw.get(field) in values


def _kind(event, esp_name="") -> str | None:
    if event.event_type == EventType.DEFERRED:
        return SOFT
    if event.event_type == EventType.BOUNCED:
        return SOFT if _is_soft_bounce(event, esp_name) else HARD
    if event.event_type == EventType.COMPLAINED:
        return COMPLAINT
    if event.event_type == EventType.REJECTED and event.reject_reason in (
        RejectReason.BOUNCED,
        RejectReason.SPAM,
        RejectReason.INVALID,
    ):
        return COMPLAINT if event.reject_reason == RejectReason.SPAM else HARD
    return None


def on_tracking(sender, event, esp_name, **kwargs):
    subscription = (
        SubscriptionRequest.objects.for_email(event.recipient).first() if event.recipient else None
    )
    if event.event_type == EventType.UNSUBSCRIBED:
        if subscription is not None:
            subscription_unsubscribe(subscription=subscription)
        return
    kind = _kind(event, esp_name)
    if kind is None:
        return
    detail = " ".join(str(event.description or event.mta_response or event.event_type).split())
    delivery_id = _delivery_id(event)
    if delivery_id and record_report(Report(kind=kind, delivery_id=delivery_id, detail=detail)):
        return
    if subscription is None:
        logger.info("%s %s event for an address we do not hold", esp_name, event.event_type)
        return
    if kind == SOFT:
        return  # a delay names no delivery here: nothing to note, nothing to count
    # No delivery named: apply the event to the subscriber alone.
    if kind == COMPLAINT:
        mark_undeliverable(subscription, reason="marked an edition as spam")
    else:
        from django.conf import settings

        subscription.hard_bounces += 1
        subscription.save(update_fields=["hard_bounces", "updated_at"])
        if subscription.hard_bounces >= settings.NEWSLETTER_HARD_BOUNCE_LIMIT:
            mark_undeliverable(subscription, reason=f"{subscription.hard_bounces} hard bounces")
