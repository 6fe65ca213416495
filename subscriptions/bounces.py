"""Bounces and complaints: what they say, which delivery they are about, and
what follows for the subscriber.

Direct SMTP: `manage.py process_bounces` reads a Maildir that receives mail for
the VERP address (bounces+<token>@…), parses RFC 3464 delivery status
notifications, the classic text bounces some servers still send, and RFC 5965
(ARF) complaint reports. A report is attributed through the VERP token in the
address it was sent to or, failing that, in the Message-ID of the returned
original. Email services report the same through anymail's webhooks (webhooks.py).

A hostile or malformed report is logged (without any address) and skipped.
"""

import email
import email.policy
import logging
import mailbox
import re
from dataclasses import dataclass
from email.message import Message

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from . import verp
from .models import Delivery, SubscriptionRequest

logger = logging.getLogger(__name__)

HARD, SOFT, COMPLAINT = "hard", "soft", "complaint"
MAX_REPORT_BYTES = 2_000_000
ADDRESS_HEADERS = ("Delivered-To", "X-Original-To", "Envelope-To", "To", "Return-Path")
STATUS_RE = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")
SMTP_CODE_RE = re.compile(r"\b([45])\d\d[ -]")


NO_FAILURE = ("", "")  # a well-formed report that reports no failure (a delay cleared, a receipt)


@dataclass
class Report:
    kind: str  # HARD, SOFT or COMPLAINT
    delivery_id: int
    detail: str = ""


class UnreadableReport(ValueError):
    """Not a report we understand, or not about one of our deliveries."""


def _delivery_id(message: Message) -> int | None:
    for header in ADDRESS_HEADERS:
        for value in message.get_all(header) or []:
            found = verp.delivery_from_address(str(value))
            if found:
                return found
    # The returned original (message/rfc822 or text/rfc822-headers) carries
    # our Message-ID, which holds the same token.
    for part in message.walk():
        ctype = part.get_content_type()
        if ctype in ("message/rfc822", "text/rfc822-headers"):
            original = part.get_payload(0) if part.is_multipart() else None
            if original is None:
                payload = part.get_payload(decode=True) or b""
                original = email.message_from_bytes(payload, policy=email.policy.compat32)
            found = verp.read_token(str(original.get("Message-ID", ""))) or next(
                (
                    verp.delivery_from_address(str(value))
                    for value in original.get_all("Return-Path") or []
                    if verp.delivery_from_address(str(value))
                ),
                None,
            )
            if found:
                return found
    return None


def _status_kind(status: str, action: str) -> str | None:
    action = action.strip().lower()
    match = STATUS_RE.search(status or "")
    if action in ("delivered", "relayed", "expanded"):
        return None
    if match:
        return HARD if match.group(1) == "5" and action != "delayed" else SOFT
    if action == "failed":
        return HARD
    if action == "delayed":
        return SOFT
    return None


def _from_dsn(message: Message) -> tuple[str, str] | None:
    for part in message.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        blocks = part.get_payload()
        if not isinstance(blocks, list):
            raise UnreadableReport("delivery-status part without fields")
        kinds = []
        for block in blocks[1:] or blocks:
            kind = _status_kind(str(block.get("Status", "")), str(block.get("Action", "")))
            if kind:
                detail = " ".join(
                    str(block.get("Diagnostic-Code", block.get("Status", ""))).split()
                )
                kinds.append((kind, detail))
        if not kinds:
            return NO_FAILURE
        # A hard failure of any recipient is what counts for our one recipient.
        kinds.sort(key=lambda item: item[0] != HARD)
        return kinds[0]
    return None


def _from_text(message: Message) -> tuple[str, str] | None:
    """Classic bounces (Exim's "Mail delivery failed"): no DSN part, a failed
    recipient header and the remote server's reply in the text."""
    if not message.get("X-Failed-Recipients"):
        return None
    text = ""
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            payload = part.get_payload(decode=True) or b""
            text += payload.decode(part.get_content_charset() or "utf-8", errors="replace")
    status = STATUS_RE.search(text)
    code = SMTP_CODE_RE.search(text)
    if status:
        kind = HARD if status.group(1) == "5" else SOFT
    elif code:
        kind = HARD if code.group(1) == "5" else SOFT
    else:
        kind = HARD  # the sender's server gave up on the recipient
    detail = status.group(0) if status else (code.group(0).strip() if code else "failed")
    return kind, detail


def _from_arf(message: Message) -> tuple[str, str] | None:
    if message.get_content_type() != "multipart/report":
        return None
    if (message.get_param("report-type") or "").lower() != "feedback-report":
        return None
    for part in message.walk():
        if part.get_content_type() == "message/feedback-report":
            fields = part.get_payload(0) if part.is_multipart() else None
            feedback = str(fields.get("Feedback-Type", "abuse")) if fields else "abuse"
            return COMPLAINT, f"complaint: {feedback.strip()[:40]}"
    return COMPLAINT, "complaint"


def parse_report(raw: bytes) -> Report | None:
    """What a report says; None when it is no failure (a delay notice that all is well,
    a delivery receipt). Raises UnreadableReport when it cannot be used."""
    if len(raw) > MAX_REPORT_BYTES:
        raise UnreadableReport("report too large")
    try:
        message = email.message_from_bytes(raw, policy=email.policy.compat32)
        found = _from_arf(message) or _from_dsn(message) or _from_text(message)
        if found is None:
            raise UnreadableReport("neither a delivery status notification nor a complaint")
        if found == NO_FAILURE:
            return None
        delivery_id = _delivery_id(message)
    except UnreadableReport:
        raise
    except Exception as error:  # any parser failure on hostile input
        raise UnreadableReport(f"unparseable: {type(error).__name__}") from error
    if delivery_id is None:
        raise UnreadableReport("no valid delivery token")
    kind, detail = found
    return Report(kind=kind, delivery_id=delivery_id, detail=detail[:200])


@transaction.atomic
def record_report(report: Report) -> bool:
    """Apply a bounce or complaint to its delivery and subscriber; False if unknown."""
    row = (
        Delivery.objects.select_for_update(of=("self",))
        .select_related("subscription")
        .filter(pk=report.delivery_id)
        .first()
    )
    if row is None:
        return False
    now = timezone.now()
    if report.kind == SOFT:
        if row.state == Delivery.State.SENT:
            row.last_error = f"delayed: {report.detail}"[:480]
            row.save(update_fields=["last_error"])
        return True
    new_state = Delivery.State.COMPLAINED if report.kind == COMPLAINT else Delivery.State.BOUNCED
    already = row.state == new_state
    row.state = new_state
    row.last_error = report.detail[:480]
    row.updated_at = now
    row.save(update_fields=["state", "last_error", "updated_at"])
    subscription = row.subscription
    if subscription is None or already:
        return True
    subscription = SubscriptionRequest.objects.select_for_update().get(pk=subscription.pk)
    if report.kind == COMPLAINT:
        mark_undeliverable(subscription, reason="marked an edition as spam", now=now)
    else:
        subscription.hard_bounces += 1
        subscription.save(update_fields=["hard_bounces", "updated_at"])
        if subscription.hard_bounces >= settings.NEWSLETTER_HARD_BOUNCE_LIMIT:
            mark_undeliverable(
                subscription, reason=f"{subscription.hard_bounces} hard bounces", now=now
            )
    return True


def mark_undeliverable(subscription, *, reason: str, now=None) -> None:
    if subscription.undeliverable_at is None:
        subscription.undeliverable_at = now or timezone.now()
        subscription.undeliverable_reason = reason[:200]
        subscription.save(update_fields=["undeliverable_at", "undeliverable_reason", "updated_at"])


def process_maildir(path: str, *, keep: bool = False) -> dict:
    """Read new messages in a Maildir; each is marked seen (moved to cur) once handled."""
    box = mailbox.Maildir(path, factory=None, create=False)
    counts = {"bounced": 0, "complaints": 0, "soft": 0, "ignored": 0, "unreadable": 0}
    for key in list(box.iterkeys()):
        message = box.get_message(key)
        if message.get_subdir() != "new":
            continue
        try:
            report = parse_report(box.get_bytes(key))
            if report is None:
                counts["ignored"] += 1
            elif not record_report(report):
                counts["unreadable"] += 1
                logger.warning("Report %s names a delivery that no longer exists", key)
            else:
                counts[{HARD: "bounced", SOFT: "soft", COMPLAINT: "complaints"}[report.kind]] += 1
        except UnreadableReport as error:
            counts["unreadable"] += 1
            logger.warning("Skipped report %s: %s", key, error)
        if not keep:
            message.set_subdir("cur")
            message.add_flag("S")
            box[key] = message
    return counts
