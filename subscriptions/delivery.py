"""Sending an edition: one row per (edition, subscriber), never sent twice.

The protocol, for each message:

1. claim: in one committed transaction the row goes from *queued* (or a due
   *deferred*) to *sending*, only if the subscriber is still confirmed,
   deliverable and subscribed to the series, and the edition still sending;
2. the SMTP transaction (one connection reused across the batch);
3. record: *sent* once the server accepted; *deferred* with backoff on a
   temporary failure (4xx, refused connection, the connection lost before the
   message's end); *failed* on a permanent one (5xx); *unknown* when the
   server had the whole message and its answer was lost.

A worker killed between 1 and 3 leaves the row *sending*; after
NEWSLETTER_SENDING_LEASE it becomes *unknown*. Nothing ever moves a row from
*sending* or *unknown* back to *queued* except an editor's explicit resend,
so a killed worker, two workers, or a double click never sends twice.
To save a commit per message, step 3 for one message and step 1 for the next
share a transaction.
"""

import contextlib
import logging
import re
import smtplib
import time
from dataclasses import dataclass
from email.utils import formatdate

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives, get_connection
from django.db import connection as db_connection
from django.db import transaction
from django.db.models import Min
from django.utils import timezone

from . import editions, sending, verp
from .emails import subscriber_links
from .mail import SMTPBackend, UncertainDelivery
from .models import Delivery, Edition, SubscriptionRequest
from .tasks import retry_delay

logger = logging.getLogger(__name__)

State = Delivery.State
MAX_ATTEMPTS = 8
CANDIDATES = 200


@dataclass
class Outcome:
    state: str
    error: str = ""
    reconnect: bool = False


def scrub(text: str, email: str) -> str:
    """An error message fit to store and log: without the subscriber's address."""
    text = " ".join(str(text).split())
    if email:
        text = text.replace(email, "<recipient>").replace(email.lower(), "<recipient>")
    return text[:480]


def _code_outcome(code: int, text: str) -> Outcome:
    if 400 <= code < 500:
        return Outcome(State.DEFERRED, f"{code} {text}")
    return Outcome(State.FAILED, f"{code} {text}")


def _text(reply) -> str:
    return reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)


def classify(error: BaseException) -> Outcome:
    """What a failed send means for the delivery."""
    if isinstance(error, UncertainDelivery):
        return Outcome(State.UNKNOWN, str(error), reconnect=True)
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        code, reply = next(iter(error.recipients.values()))
        return _code_outcome(code, _text(reply))
    if isinstance(error, smtplib.SMTPResponseException):
        outcome = _code_outcome(error.smtp_code, _text(error.smtp_error))
        outcome.reconnect = error.smtp_code in (421,) or error.smtp_code < 400
        return outcome
    if isinstance(error, (smtplib.SMTPServerDisconnected, ConnectionError, TimeoutError, OSError)):
        # Raised before the end of the data (see mail.SMTPBackend): not delivered.
        return Outcome(State.DEFERRED, f"connection: {error}", reconnect=True)
    try:
        from anymail.exceptions import AnymailAPIError, AnymailRecipientsRefused
    except ImportError:  # pragma: no cover - anymail is a dependency
        AnymailAPIError = AnymailRecipientsRefused = ()
    if isinstance(error, AnymailRecipientsRefused):
        return Outcome(State.FAILED, "refused by the email service")
    if isinstance(error, AnymailAPIError):
        status = getattr(error, "status_code", None)
        if status is None:
            # No answer from the service: the request may have been processed.
            return Outcome(State.UNKNOWN, f"email service: {type(error).__name__}")
        if status == 429 or status >= 500:
            return Outcome(State.DEFERRED, f"email service answered {status}")
        return Outcome(State.FAILED, f"email service answered {status}")
    # Anything else: we cannot tell whether it left, so it is never retried.
    return Outcome(State.UNKNOWN, f"{type(error).__name__}: {error}", reconnect=True)


def build_message(*, edition: Edition, delivery_id: int, subscription) -> EmailMultiAlternatives:
    """The edition as one subscriber's message: personal links and headers."""
    links = subscriber_links(subscription=subscription, site_url=editions.site_url())
    personal = {"unsubscribe_url": links["unsubscribe_url"], "manage_url": links["manage_url"]}
    domain = verp.message_domain()
    headers = {
        "From": settings.DEFAULT_FROM_EMAIL,
        "List-Unsubscribe": f"<{links['one_click_url']}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "List-Id": verp.list_id(edition.series),
        "Message-ID": f"<{verp.token(delivery_id)}.{int(time.time())}@{domain}>",
        "Precedence": "bulk",
    }
    message = EmailMultiAlternatives(
        subject=edition.subject,
        body=editions.personalise(edition.text, **personal),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[subscription.email],
        headers=headers,
    )
    message.attach_alternative(editions.personalise(edition.html, **personal), "text/html")
    # Email services (anymail) echo this back in their webhooks' events.
    message.metadata = {"delivery": verp.token(delivery_id)}
    if settings.NEWSLETTER_BOUNCE_ADDRESS:
        message.envelope_sender = verp.return_path(delivery_id)
    return message


# What may go into a To header as it is: ASCII, no spaces, quotes or brackets.
SIMPLE_ADDRESS = re.compile(r"[!#-'*+\-./0-9=?A-Z^_`a-z{|}~]+@[A-Za-z0-9.\-]+")


class _RawMIME:
    def __init__(self, data: bytes):
        self.data = data

    def as_bytes(self, linesep="\r\n"):
        return self.data


class PreparedMessage(EmailMessage):
    """A message whose bytes are already made; for SMTPBackend, which sends
    `message().as_bytes()` as it is (and signs it when DKIM is configured)."""

    def __init__(self, data: bytes, *, to: str, envelope_sender: str | None):
        super().__init__(to=[to])
        self.data = data
        if envelope_sender:
            self.envelope_sender = envelope_sender

    def message(self, *args, **kwargs):
        return _RawMIME(self.data)


class MessageTemplate:
    """An edition's message made once, as bytes with the personal parts marked;
    each subscriber's copy is the same bytes with their links and headers in.

    Building a MIME message per subscriber (Django's EmailMessage and the email
    package's generator) costs about as much as the rest of sending together.
    When a part was not kept as 8-bit text (a line over 998 characters makes
    Django encode it as quoted-printable, whose lines must stay short), a link
    cannot simply be put in: `usable` is then False and each message is built
    in full instead.
    """

    def __init__(self, edition: Edition):
        sample = EmailMultiAlternatives(
            subject=edition.subject,
            body=edition.text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=["recipient@example.invalid"],
            headers={
                "From": settings.DEFAULT_FROM_EMAIL,
                "List-Id": verp.list_id(edition.series),
                "Precedence": "bulk",
            },
        )
        sample.attach_alternative(edition.html, "text/html")
        mime = sample.message()
        for personal in ("To", "Date", "Message-ID"):
            del mime[personal]
        head, _, self.body = mime.as_bytes(linesep="\r\n").partition(b"\r\n\r\n")
        self.head = head + b"\r\n"
        self.domain = verp.message_domain()
        marks = (editions.UNSUBSCRIBE_MARK, editions.MANAGE_MARK)
        encoded = b"quoted-printable" in self.body.lower() or b"base64" in self.body.lower()
        self.usable = not encoded and all(
            self.body.count(mark.encode()) == edition.text.count(mark) + edition.html.count(mark)
            for mark in marks
        )

    def render(self, *, delivery_id: int, email: str, links: dict) -> bytes:
        header = (
            self.head
            + f"To: {email}\r\n"
            f"Date: {formatdate(localtime=False)}\r\n"
            f"Message-ID: <{verp.token(delivery_id)}.{int(time.time())}@{self.domain}>\r\n"
            f"List-Unsubscribe:\r\n <{links['one_click_url']}>\r\n"
            "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n".encode("ascii")
        )
        body = self.body.replace(
            editions.UNSUBSCRIBE_MARK.encode(), links["unsubscribe_url"].encode("ascii")
        ).replace(editions.MANAGE_MARK.encode(), links["manage_url"].encode("ascii"))
        return header + b"\r\n" + body


def make_message(*, template: MessageTemplate | None, edition, delivery_id, subscription):
    """The fast copy of the template when the backend and the address allow it,
    else the message built in full."""
    if template is None or not template.usable or not SIMPLE_ADDRESS.fullmatch(subscription.email):
        return build_message(edition=edition, delivery_id=delivery_id, subscription=subscription)
    links = subscriber_links(subscription=subscription, site_url=editions.site_url())
    data = template.render(delivery_id=delivery_id, email=subscription.email, links=links)
    sender = verp.return_path(delivery_id) if settings.NEWSLETTER_BOUNCE_ADDRESS else None
    return PreparedMessage(data, to=subscription.email, envelope_sender=sender)


def _claim_sql(*, with_record: bool = False) -> str:
    # One statement, conditions on the row itself: when two workers race for a
    # row, PostgreSQL re-checks them on the row the other worker just committed,
    # so only one UPDATE matches. (Django's update() with joins would move the
    # conditions into a subquery evaluated once, before the wait.)
    deliveries = Delivery._meta.db_table
    editions_table = Edition._meta.db_table
    subscribers = SubscriptionRequest._meta.db_table
    membership = SubscriptionRequest.series.through._meta.db_table
    recorded = f"""
        WITH recorded AS (
            UPDATE {deliveries}
            SET state = %(r_state)s, updated_at = %(now)s, last_error = %(r_error)s,
                sent_at = COALESCE(%(r_sent_at)s, sent_at),
                next_attempt_at = COALESCE(%(r_next)s, next_attempt_at)
            WHERE id = %(r_id)s AND state IN (%(sending)s, %(unknown)s)
            RETURNING id
        )
    """  # noqa: S608 - table names come from the models, values are parameters
    claim_sql = f"""
        UPDATE {deliveries}
        SET state = %(sending)s, updated_at = %(now)s, next_attempt_at = NULL,
            attempts = attempts + 1
        WHERE id = %(id)s
          AND state IN (%(queued)s, %(deferred)s)
          AND EXISTS (SELECT 1 FROM {editions_table} e
                      WHERE e.id = {deliveries}.edition_id AND e.status = %(edition_sending)s)
          AND EXISTS (SELECT 1 FROM {subscribers} s
                      JOIN {membership} m ON m.subscriptionrequest_id = s.id
                      WHERE s.id = {deliveries}.subscription_id
                        AND s.status = %(confirmed)s AND s.undeliverable_at IS NULL
                        AND m.series_id = %(series)s)
    """  # noqa: S608 - table names come from the models
    return (recorded if with_record else "") + claim_sql


def _claim_params(*, edition: Edition, delivery_id: int, now) -> dict:
    return {
        "sending": State.SENDING,
        "unknown": State.UNKNOWN,
        "now": now,
        "id": delivery_id,
        "queued": State.QUEUED,
        "deferred": State.DEFERRED,
        "edition_sending": Edition.Status.SENDING,
        "confirmed": SubscriptionRequest.Status.CONFIRMED,
        "series": edition.series_id,
    }


def _skip(delivery_id: int, now) -> None:
    # No join here either, for the same reason: a row another worker just
    # claimed must stay theirs.
    Delivery.objects.filter(pk=delivery_id, state__in=[State.QUEUED, State.DEFERRED]).update(
        state=State.SKIPPED, updated_at=now
    )


def claim(*, edition: Edition, delivery_id: int, now) -> bool:
    """Mark one due row *sending* if its subscriber still wants it; skip it if not."""
    with db_connection.cursor() as cursor:
        cursor.execute(
            _claim_sql(), _claim_params(edition=edition, delivery_id=delivery_id, now=now)
        )
        if cursor.rowcount == 1:
            return True
    _skip(delivery_id, now)
    return False


def _recorded_fields(outcome: Outcome, attempts: int, now) -> dict:
    """What step 3 writes for an outcome (a last temporary failure fails)."""
    fields = {"state": outcome.state, "last_error": outcome.error[:480]}
    if outcome.state == State.SENT:
        fields.update(sent_at=now, last_error="")
    elif outcome.state == State.DEFERRED:
        if attempts >= MAX_ATTEMPTS:
            fields["state"] = State.FAILED
        else:
            fields["next_attempt_at"] = now + retry_delay(attempts)
    return fields


def record(delivery_id: int, outcome: Outcome, attempts: int, *, now) -> None:
    # A row swept to *unknown* while its (slow) worker was still sending is
    # corrected to *sent* when the server's acceptance finally arrives.
    Delivery.objects.filter(pk=delivery_id, state__in=[State.SENDING, State.UNKNOWN]).update(
        updated_at=now, **_recorded_fields(outcome, attempts, now)
    )


def record_and_claim(pending, *, edition: Edition, delivery_id: int, now) -> bool:
    """Step 3 for the previous message and step 1 for the next, committed together.

    On PostgreSQL both are one statement (a data-modifying WITH), so one round
    trip and one commit per message; elsewhere, two statements in a transaction.
    """
    if pending is None or db_connection.vendor != "postgresql":
        with transaction.atomic():
            if pending is not None:
                record(*pending, now=now)
            return claim(edition=edition, delivery_id=delivery_id, now=now)
    previous, outcome, attempts = pending
    fields = _recorded_fields(outcome, attempts, now)
    params = {
        **_claim_params(edition=edition, delivery_id=delivery_id, now=now),
        "r_id": previous,
        "r_state": fields["state"],
        "r_error": fields["last_error"],
        "r_sent_at": fields.get("sent_at"),
        "r_next": fields.get("next_attempt_at"),
    }
    with db_connection.cursor() as cursor:
        cursor.execute(_claim_sql(with_record=True), params)
        if cursor.rowcount == 1:
            return True
    _skip(delivery_id, now)
    return False


def sweep_stale(*, edition_id=None) -> int:
    """Rows left *sending* past the lease (their worker died) become *unknown*."""
    stale = Delivery.objects.filter(
        state=State.SENDING,
        updated_at__lt=timezone.now() - settings.NEWSLETTER_SENDING_LEASE,
    )
    if edition_id is not None:
        stale = stale.filter(edition_id=edition_id)
    return stale.update(
        state=State.UNKNOWN,
        last_error="interrupted while sending: the server may or may not have accepted it",
        updated_at=timezone.now(),
    )


def next_candidates(edition: Edition, *, state: str, after: int, now) -> list[tuple]:
    """The next due rows in one state, in id order after `after`: an index range,
    however many rows were already sent."""
    rows = Delivery.objects.filter(edition=edition, state=state, pk__gt=after)
    if state == State.DEFERRED:
        rows = rows.filter(next_attempt_at__lte=now)
    return list(rows.order_by("pk").values_list("pk", "attempts", "subscription_id")[:CANDIDATES])


def prepare_rows(edition: Edition) -> int:
    """One queued row per confirmed, deliverable subscriber of the series; idempotent."""
    table = Delivery._meta.db_table
    subscribers = SubscriptionRequest._meta.db_table
    membership = SubscriptionRequest.series.through._meta.db_table
    now = timezone.now()
    with db_connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {table}
                (edition_id, subscription_id, state, attempts, last_error, created_at, updated_at)
            SELECT %s, s.id, %s, 0, '', %s, %s
            FROM {subscribers} s JOIN {membership} m ON m.subscriptionrequest_id = s.id
            WHERE m.series_id = %s AND s.status = %s AND s.undeliverable_at IS NULL
            ON CONFLICT (edition_id, subscription_id) DO NOTHING
            """,  # noqa: S608 - table names come from the models, values are parameters
            [
                edition.pk,
                State.QUEUED,
                now,
                now,
                edition.series_id,
                SubscriptionRequest.Status.CONFIRMED,
            ],
        )
        return cursor.rowcount


def prepare(edition: Edition) -> int:
    """Create the edition's rows once, however many workers start it."""
    with transaction.atomic():
        locked = Edition.objects.select_for_update().get(pk=edition.pk)
        if locked.prepared_at is not None:
            return 0
        created = prepare_rows(locked)
        locked.prepared_at = timezone.now()
        locked.save(update_fields=["prepared_at"])
    return created


def finish_if_done(edition: Edition) -> bool:
    """Mark the edition sent when nothing is left queued, sending or to retry."""
    pending = [State.QUEUED, State.DEFERRED, State.SENDING]
    with transaction.atomic():
        locked = Edition.objects.select_for_update().get(pk=edition.pk)
        if locked.status != Edition.Status.SENDING:
            return locked.status != Edition.Status.WAITING
        if locked.deliveries.filter(state__in=pending).exists():
            return False
        locked.status = Edition.Status.SENT
        locked.finished_at = timezone.now()
        locked.save(update_fields=["status", "finished_at"])
    return True


def next_retry_at(edition: Edition):
    return edition.deliveries.filter(state=State.DEFERRED).aggregate(at=Min("next_attempt_at"))[
        "at"
    ]


class RateLimiter:
    def __init__(self, per_second: float):
        self.interval = 1.0 / per_second if per_second > 0 else 0.0
        self.next_at = time.monotonic()

    def wait(self):
        if not self.interval:
            return
        now = time.monotonic()
        if self.next_at > now:
            time.sleep(self.next_at - now)
        self.next_at = max(now, self.next_at) + self.interval


def send_batch(*, edition_id: int, max_messages: int = 1000, max_seconds: float = 60.0) -> dict:
    """Send due deliveries of one edition over one connection, within limits.

    Returns counts and whether due work remains (the task then queues itself again).
    """
    edition = Edition.objects.select_related("series").get(pk=edition_id)
    counts = {"sent": 0, "deferred": 0, "failed": 0, "unknown": 0, "skipped": 0}
    if edition.status != Edition.Status.SENDING:
        return {**counts, "more": False, "paused": False}
    if not sending.piece_is_live(edition):
        # Withdrawn (or back to draft) while sending: what is still queued stays unsent.
        cancelled = sending.edition_cancel(edition=edition)
        logger.warning(
            "Edition %s stopped: its piece is no longer live; %s deliveries cancelled",
            edition.pk,
            cancelled,
        )
        return {**counts, "more": False, "paused": False}
    if edition.prepared_at is None:
        prepare(edition)
    sweep_stale(edition_id=edition.pk)
    limiter = RateLimiter(settings.NEWSLETTER_RATE)
    deadline = time.monotonic() + max_seconds
    mail = None
    template = None  # the edition's message made once, for SMTPBackend
    pending = None  # (delivery_id, outcome, attempts) not yet written
    paused = False
    # Queued rows are taken in id order, then the deferred ones whose time came.
    phase, cursor = State.QUEUED, 0
    sent_total = 0
    try:
        while sent_total < max_messages and time.monotonic() < deadline:
            now = timezone.now()
            candidates = next_candidates(edition, state=phase, after=cursor, now=now)
            if not candidates and phase == State.QUEUED:
                phase, cursor = State.DEFERRED, 0
                continue
            if not candidates:
                break
            cursor = candidates[-1][0]
            subscribers = {
                s.pk: s
                for s in SubscriptionRequest.objects.filter(pk__in=[c[2] for c in candidates]).only(
                    "pk", "email"
                )
            }
            for delivery_id, attempts, subscription_id in candidates:
                if sent_total >= max_messages or time.monotonic() >= deadline:
                    break
                now = timezone.now()
                taken = record_and_claim(pending, edition=edition, delivery_id=delivery_id, now=now)
                pending = None
                if not taken:
                    counts["skipped"] += 1
                    continue
                subscription = subscribers.get(subscription_id)
                attempts += 1
                limiter.wait()
                try:
                    if mail is None:
                        mail = get_connection(fail_silently=False)
                        mail.open()
                        if template is None and isinstance(mail, SMTPBackend):
                            template = MessageTemplate(edition)
                    message = make_message(
                        template=template,
                        edition=edition,
                        delivery_id=delivery_id,
                        subscription=subscription,
                    )
                    mail.send_messages([message])
                    outcome = Outcome(State.SENT)
                except Exception as error:  # every failure is classified, none escapes
                    outcome = classify(error)
                    outcome.error = scrub(outcome.error, subscription.email)
                    logger.warning(
                        "Delivery %s of edition %s: %s (%s)",
                        delivery_id,
                        edition.pk,
                        outcome.state,
                        outcome.error,
                    )
                    if outcome.reconnect:
                        _close_quietly(mail)
                        mail = None
                counts[outcome.state if outcome.state in counts else "failed"] += 1
                sent_total += 1
                pending = (delivery_id, outcome, attempts)
                if outcome.state == State.DEFERRED and outcome.reconnect:
                    # The server went away: pause, rather than burn every
                    # row's attempts against a server that is down.
                    paused = True
                    raise _StopBatch
    except _StopBatch:
        pass
    finally:
        if pending:
            record(*pending, now=timezone.now())
        if mail is not None:
            _close_quietly(mail)
    more = Delivery.objects.due().filter(edition=edition).exists()
    if not more:
        finish_if_done(edition)
    return {**counts, "more": more, "paused": paused}


class _StopBatch(Exception):
    pass


def _close_quietly(mail):
    with contextlib.suppress(smtplib.SMTPException, OSError):
        mail.close()
